/**
 * What can go wrong with a request, as named errors, and the one place that turns any error into
 * an HTTP status and a JSON body. A handler throws; the server answers. Nothing a client sends can
 * make the server throw past this mapping.
 */
import { NodeStoppedError } from '../runtime/node-driver.ts';
import type { ErrorResponse } from './routes.ts';

/** An error that is the client's to fix, or a state of the node it should know about. */
export class ApiError extends Error {
  readonly status: number;
  /** A stable word for programs (bad_request, unauthorized, …); the message is for people. */
  readonly code: string;
  /** Extra response headers, such as Allow or WWW-Authenticate. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'bad_request', message);
}

export function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message, { 'www-authenticate': 'Bearer realm="peergrid"' });
}

export function forbidden(message: string): ApiError {
  return new ApiError(403, 'forbidden', message);
}

export function notFound(message: string): ApiError {
  return new ApiError(404, 'not_found', message);
}

export function methodNotAllowed(method: string, path: string, allowed: readonly string[]): ApiError {
  return new ApiError(405, 'method_not_allowed', `${method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`, {
    allow: allowed.join(', '),
  });
}

export function payloadTooLarge(message: string): ApiError {
  return new ApiError(413, 'payload_too_large', message);
}

export function unsupportedMediaType(message: string): ApiError {
  return new ApiError(415, 'unsupported_media_type', message);
}

/** The node cannot take the operation now (too many lookups at once); trying again later may work. */
export function busy(message: string): ApiError {
  return new ApiError(503, 'busy', message, { 'retry-after': '1' });
}

export interface ErrorAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ErrorResponse;
  /** Whether the server should log it: only errors that are not the client's doing. */
  readonly unexpected: boolean;
}

/** The answer to any thrown value. Unknown errors say nothing of their internals to the client. */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof ApiError) {
    return { status: error.status, headers: error.headers, body: { error: { code: error.code, message: error.message } }, unexpected: false };
  }
  if (error instanceof NodeStoppedError) {
    return { status: 503, headers: {}, body: { error: { code: 'stopping', message: 'the node is shutting down' } }, unexpected: false };
  }
  return { status: 500, headers: {}, body: { error: { code: 'internal', message: 'internal error (see the node log)' } }, unexpected: true };
}
