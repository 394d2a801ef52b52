/**
 * Reads a request's JSON body, never more than a bound: a body announced or found to be larger is
 * refused (413) without buffering the rest, so a client cannot make the node hold much memory.
 */
import type { IncomingMessage } from 'node:http';
import { badRequest, payloadTooLarge, unsupportedMediaType } from './errors.ts';

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
