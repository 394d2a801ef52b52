/**
 * What can go wrong with a request, as named errors, and the one place that turns any error into
 * an HTTP status and a JSON body. A handler throws; the server answers. Nothing a client sends can
 * make the server throw past this mapping.
 */
import { JobNotFoundError, JobRefusedError } from '../runtime/compute/job-errors.ts';
import { NotPublishedError, SearchRequestError } from '../runtime/search/search-errors.ts';
import {
  BlockCorruptError, BlockMismatchError, BlockNotFoundError, BlockstoreArgumentError, BlockstoreClosedError, BlockTooLargeError,
  ContentInputError, ContentNotFoundError, ContentRequestError, DagError, InvalidCidError, LocalPathRefusedError, NotAFileError, UnsupportedHashError,
} from '../runtime/content-store-errors.ts';
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

/** A byte range that starts at or past the end of a file of `totalBytes`. */
export function rangeNotSatisfiable(totalBytes: number): ApiError {
  return new ApiError(416, 'range_not_satisfiable', `the range starts at or past the end of the file (${totalBytes} bytes)`, { 'content-range': `bytes */${totalBytes}` });
}

/** The request is well formed but cannot be carried out: content that is not what it claims, a CAR that does not parse. */
export function unprocessable(code: string, message: string): ApiError {
  return new ApiError(422, code, message);
}

/**
 * The code of a refused local add (POST /api/v1/local-adds): the node will not, or cannot, read
 * that path as the client sees it; the client streams the bytes instead.
 */
export const LOCAL_PATH_REFUSED = 'local_path_refused';

/** A local add asked over a connection that does not come from the node's own machine. */
export function localPathRefused(message: string): ApiError {
  return new ApiError(409, LOCAL_PATH_REFUSED, message);
}

/** The client stopped sending a streamed body, or stalled past the idle limit. */
export function uploadInterrupted(message: string): ApiError {
  return new ApiError(400, 'upload_interrupted', message);
}

/** A JSON request not received whole in time. */
export function requestTimeout(message: string): ApiError {
  return new ApiError(408, 'request_timeout', message);
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

/**
 * The answer to any thrown value: the API's own errors as they are; the node's and the content
 * store's named errors (runtime/content-store-errors.ts) by kind — the client's input 400, content
 * not here 404, content that is not what it claims 422, a block that failed verification on disk
 * 502 (the node, acting for the client, got bad bytes from its store; it is quarantined, and a
 * later fetch from the grid would replace it), a node shutting down 503, a full disk 507. Unknown
 * errors say nothing of their internals to the client.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  const answer = (status: number, code: string, message: string): ErrorAnswer => ({ status, headers: {}, body: { error: { code, message } }, unexpected: false });
  if (error instanceof ApiError) {
    return { status: error.status, headers: error.headers, body: { error: { code: error.code, message: error.message } }, unexpected: false };
  }
  if (error instanceof NodeStoppedError || error instanceof BlockstoreClosedError) return answer(503, 'stopping', 'the node is shutting down');
  if (error instanceof ContentRequestError || error instanceof BlockstoreArgumentError || error instanceof InvalidCidError || error instanceof UnsupportedHashError) {
    return answer(400, 'bad_request', error.message);
  }
  if (error instanceof ContentNotFoundError || error instanceof BlockNotFoundError) return answer(404, 'not_found', error.message);
  if (error instanceof JobNotFoundError) return answer(404, 'job_not_found', error.message);
  if (error instanceof SearchRequestError) return answer(400, 'bad_search', error.message);
  if (error instanceof NotPublishedError) return answer(404, 'not_published', error.message);
  if (error instanceof JobRefusedError) return error.reason === 'forbidden' ? answer(403, 'forbidden', error.message) : answer(503, 'unavailable', error.message);
  if (error instanceof LocalPathRefusedError) return answer(409, LOCAL_PATH_REFUSED, error.message);
  if (error instanceof NotAFileError) return answer(422, 'is_a_directory', error.message);
  if (error instanceof DagError) return answer(422, 'bad_dag', error.message);
  if (error instanceof ContentInputError) return answer(422, 'unprocessable', error.message);
  if (error instanceof BlockMismatchError || error instanceof BlockTooLargeError) return answer(422, 'bad_block', error.message);
  if (error instanceof BlockCorruptError) return answer(502, 'block_corrupt', error.message);
  if ((error as NodeJS.ErrnoException | null)?.code === 'ENOSPC') return answer(507, 'insufficient_storage', 'the node\'s disk is full');
  return { status: 500, headers: {}, body: { error: { code: 'internal', message: 'internal error (see the node log)' } }, unexpected: true };
}
