/**
 * Why a request to a peer failed, as a value the caller can score the peer by: a peer that cannot
 * be dialled, that stalls, resets or breaks the framing, or that sends more than was asked for is
 * treated differently from a request we cancelled ourselves.
 */

export const RequestFailure = {
  /** No stream could be opened: the peer is unreachable, or the dial was refused. */
  dial: 'dial',
  /** The whole exchange took longer than `timeoutMs`, or no byte came for `idleTimeoutMs`. */
  timeout: 'timeout',
  /** The remote (or the connection) reset the stream before the response ended. */
  reset: 'reset',
  /** The remote broke the protocol: it does not speak it, or sent a bad or truncated frame. */
  protocol: 'protocol',
  /** Our caller aborted the request (its signal), or stopped reading the response. */
  aborted: 'aborted',
  /** A response frame above `responseFrameBytesMax`, or more than `responseFramesMax` frames. */
  tooLarge: 'tooLarge',
} as const;

export type RequestFailureReason = (typeof RequestFailure)[keyof typeof RequestFailure];

export class RequestFailedError extends Error {
  readonly reason: RequestFailureReason;

  constructor(reason: RequestFailureReason, message: string, options?: ErrorOptions) {
    super(`request failed (${reason}): ${message}`, options);
    this.name = 'RequestFailedError';
    this.reason = reason;
  }
}
