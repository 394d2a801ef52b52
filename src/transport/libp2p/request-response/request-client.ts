/**
 * The asking side of a request-response protocol over libp2p: one request per stream, answered by
 * a sequence of frames (request-exchange.ts has the exchange). Requests and responses are opaque
 * bytes; message formats are the caller's.
 *
 * Failures are RequestFailedErrors with a reason ('dial', 'timeout', 'reset', 'protocol',
 * 'aborted', 'tooLarge') by which the caller scores the peer. Streams of one protocol per
 * connection are capped by libp2p (64 unless this node also serves the protocol, see
 * request-server.ts), so a caller bounds its requests in flight per peer below that.
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { openRequestStream, type RequestTarget } from './open-request-stream.ts';
import { RequestExchange, type ExchangeLimits } from './request-exchange.ts';

export type { RequestTarget } from './open-request-stream.ts';

export interface RequestOptions extends ExchangeLimits {
  /** Aborting it resets the stream at once ('aborted'), e.g. to cancel a duplicate request. */
  readonly signal?: AbortSignal;
  /** Allow relayed (limited) connections; off by default, as relays cap a connection's bytes. */
  readonly runOnLimitedConnection?: boolean;
}

/**
 * Sends `request` and yields the response's frames as they arrive; ends when the server ends the
 * response. The request starts at once (before the first read). Read it once; a `break` resets
 * the stream. Throws RequestFailedError.
 */
export function sendRequest(libp2p: Libp2p, target: RequestTarget, protocol: string, request: Uint8Array, options: RequestOptions): AsyncIterable<Uint8Array> {
  checkRequest(request, options);
  // negotiateFully: false writes the protocol name and the request together: one round trip less
  // per request (we always write first, so the stream opens on the remote at once).
  const open = (signal: AbortSignal): Promise<Stream> =>
    openRequestStream(libp2p, target, protocol, { runOnLimitedConnection: options.runOnLimitedConnection ?? false, negotiateFully: false }, signal);
  const limits: ExchangeLimits = {
    responseFrameBytesMax: options.responseFrameBytesMax,
    responseFramesMax: options.responseFramesMax,
    timeoutMs: options.timeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
  };
  return new RequestExchange(open, request, limits, options.signal);
}

/** sendRequest, with the whole response collected. */
export async function requestFrames(libp2p: Libp2p, target: RequestTarget, protocol: string, request: Uint8Array, options: RequestOptions): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for await (const frame of sendRequest(libp2p, target, protocol, request, options)) frames.push(frame);
  return frames;
}

function checkRequest(request: Uint8Array, options: RequestOptions): void {
  if (!(request instanceof Uint8Array) || request.length === 0) throw new RangeError('a request is a non-empty Uint8Array');
  const positiveIntegers = ['responseFrameBytesMax', 'responseFramesMax', 'timeoutMs', 'idleTimeoutMs'] as const;
  for (const name of positiveIntegers) {
    if (!Number.isSafeInteger(options[name]) || options[name] < 1) throw new RangeError(`${name} must be a positive integer`);
  }
}
