/**
 * What a client call can fail with, as named errors, so a caller (the CLI) can tell the user
 * what to do: check its own input, start a node, or report a server that answers nonsense.
 */

/** The request was refused before it was sent: its parameters or body break the route's schema. */
export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** ApiUnreachableError's reason when the server took the connection and closed it unanswered. */
export const CONNECTION_CLOSED = 'the connection was closed before an answer';

/** No answer: nothing listens there, the host is unknown, or the server took too long. */
export class ApiUnreachableError extends Error {
  readonly url: string;
  readonly reason: string;

  constructor(url: string, reason: string) {
    super(`cannot reach the peergrid API at ${url}: ${reason}`);
    this.name = 'ApiUnreachableError';
    this.url = url;
    this.reason = reason;
  }
}

/** The server answered with an error status and its JSON message. */
export class ApiResponseError extends Error {
  readonly status: number;
  readonly code: string;
  /** The server's own message, without the status. */
  readonly serverMessage: string;

  constructor(status: number, code: string, serverMessage: string) {
    super(`the API answered ${status} ${code}: ${serverMessage}`);
    this.name = 'ApiResponseError';
    this.status = status;
    this.code = code;
    this.serverMessage = serverMessage;
  }
}

/** The server's answer is not what the route table promises: not JSON, or the wrong shape. */
export class ApiProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiProtocolError';
  }
}

/**
 * A streamed answer stopped before its end: the node failed half-way (a missing or corrupt block,
 * after the status had gone out) or the stream stood still too long. What arrived is incomplete.
 */
export class ApiStreamError extends Error {
  constructor(url: string, reason: string) {
    super(`the answer from ${url} was cut off before its end (${reason}); the node's log may say why`);
    this.name = 'ApiStreamError';
  }
}
