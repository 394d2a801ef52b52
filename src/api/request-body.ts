/**
 * Reads a request's body as its route declares it. JSON: never more than a bound — a body
 * announced or found to be larger is refused (413) without buffering the rest, so a client cannot
 * make the node hold much memory. A byte stream: handed on piece by piece, unbounded in size.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest, payloadTooLarge, unsupportedMediaType, uploadInterrupted } from './errors.ts';

export async function readJsonBody(request: IncomingMessage, bytesMax: number): Promise<unknown> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/json') {
    throw unsupportedMediaType(`the body must be JSON, with 'Content-Type: application/json' (got '${request.headers['content-type'] ?? 'none'}')`);
  }
  const tooLarge = payloadTooLarge(`the body is larger than ${bytesMax.toLocaleString('en-US')} bytes`);
  const announced = Number(request.headers['content-length'] ?? Number.NaN);
  if (announced > bytesMax) throw tooLarge;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > bytesMax) throw tooLarge;
    chunks.push(chunk);
  }
  if (length === 0) throw badRequest('body: missing (expected a JSON object)');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, length));
  } catch {
    throw badRequest('body: not valid UTF-8');
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`body: not valid JSON (${(error as Error).message})`);
  }
  const lone = loneSurrogateAt(body);
  if (lone !== null) throw badRequest(`${lone}: not well-formed Unicode (it holds a lone surrogate, which UTF-8 cannot carry)`);
  return body;
}

/**
 * A lone surrogate: not a character. JSON text can carry one as an escape ("\ud800"); UTF-8
 * cannot, so it would be stored silently as U+FFFD (TextEncoder) or refused deep in the wire codec.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** An object or array of a body, with how its parent names it. */
interface Container {
  readonly value: object;
  readonly key: string | number | null;
  readonly parent: Container | null;
}

/**
 * Where in a parsed body a string or a field name holds a lone surrogate ("body.entries[2].name"),
 * or null. Every JSON body is checked, parts the schema passes on as they are (a job.json) too.
 * Iterative, and a path built only for what is found: a body of 512 KiB can nest 250,000 deep.
 */
function loneSurrogateAt(body: unknown): string | null {
  const pathOf = (container: Container | null, key: string | number | null): string => {
    const keys: (string | number | null)[] = [key];
    for (let at = container; at !== null; at = at.parent) keys.push(at.key);
    return keys.reverse().map((step) => (step === null ? 'body' : typeof step === 'number' ? `[${step}]` : `.${step}`)).join('');
  };
  if (typeof body === 'string') return LONE_SURROGATE.test(body) ? 'body' : null;
  if (typeof body !== 'object' || body === null) return null;
  const pending: Container[] = [{ value: body, key: null, parent: null }];
  for (let container = pending.pop(); container !== undefined; container = pending.pop()) {
    const entries: Iterable<[string | number, unknown]> = Array.isArray(container.value) ? container.value.entries() : Object.entries(container.value);
    for (const [key, value] of entries) {
      if (typeof key === 'string' && LONE_SURROGATE.test(key)) return `${pathOf(container.parent, container.key)} (the name of a field)`;
      if (typeof value === 'string' && LONE_SURROGATE.test(value)) return pathOf(container, key);
      if (typeof value === 'object' && value !== null) pending.push({ value, key, parent: container });
    }
  }
  return null;
}

/**
 * A streamed body (`application/octet-stream`): the request's bytes as they arrive, never
 * buffered whole. A client that goes away or stalls (the server closes a connection idle for
 * ApiLimits.streamIdleTimeoutMs) ends the iteration with an `upload_interrupted` error rather than
 * a bare socket error, so the handler's clean-up runs and nothing is logged as a bug.
 */
export function readStreamBody(request: IncomingMessage): AsyncIterable<Uint8Array> {
  const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (contentType !== 'application/octet-stream') {
    throw unsupportedMediaType(`the body must be bytes, with 'Content-Type: application/octet-stream' (got '${request.headers['content-type'] ?? 'none'}')`);
  }
  return (async function* () {
    try {
      // A handler that stops early (a bad upload) must not destroy the request: the server still
      // reads what is left of it, so that the client gets the error answer (server.ts, drainBody).
      const chunks = { [Symbol.asyncIterator]: () => request.iterator({ destroyOnReturn: false }) } as AsyncIterable<Buffer>;
      for await (const chunk of chunks) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    } catch (error) {
      throw uploadInterrupted(`the upload was interrupted before its end (${(error as Error).message})`);
    }
    // A client that closed the connection half-way ends the stream without an error on some paths.
    if (!request.complete) throw uploadInterrupted('the upload was interrupted before its end');
  })();
}
