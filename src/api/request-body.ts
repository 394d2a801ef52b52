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
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`body: not valid JSON (${(error as Error).message})`);
  }
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
