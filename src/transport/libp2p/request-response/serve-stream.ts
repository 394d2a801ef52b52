/**
 * Serves one inbound request stream: exactly one request frame, then the end of the client's write
 * side; the handler's payloads, each written as a frame with backpressure; then the end of ours,
 * so the client sees where the response stops.
 *
 * Everything the client sends is untrusted. A request above `requestBytesMax`, a bad prefix, a
 * second frame, a stream that ends before a whole request, or a request (and its end) that takes
 * longer than `requestTimeoutMs` resets the stream and is reported as an offence; so is a client
 * that reads nothing of our response for `responseStallTimeoutMs` (it would hold our buffers and
 * a slot). A handler that throws resets the stream and is reported as an error, not an offence.
 * The handler's signal aborts whenever the stream is cut, by either side. Nothing here throws.
 */
import type { PeerId, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { Offence, type OffenceKind } from '../../peer-guard.ts';
import { FrameDecoder } from '../frames.ts';
import { writeFrameWithHeader } from './frame-writer.ts';
import type { PeerSendOrder } from './peer-send-order.ts';
import { frameLength, framePieces, type ResponseFrame } from './response-frame.ts';
import type { SendPacer } from './send-pacer.ts';
import { chunksOf, isOversizeFrameError } from './stream-chunks.ts';
import { WriteStalledError } from './stream-drain.ts';

/** Who asks: the peer Noise authenticated on the connection, never a claim in the request. */
export interface RequestContext {
  readonly remotePeerId: string;
  readonly remotePeer: PeerId;
}

/**
 * Answers one request with payloads, each sent as one frame (none may be empty; response-frame.ts).
 * It should stop when `signal` aborts: the client has gone, or the stream was cut.
 */
export type RequestHandler = (context: RequestContext, request: Uint8Array, signal: AbortSignal) => AsyncIterable<ResponseFrame> | Promise<ResponseFrame[]>;

export interface ServeStreamSettings {
  readonly handler: RequestHandler;
  readonly requestBytesMax: number;
  readonly requestTimeoutMs: number;
  readonly responseStallTimeoutMs: number;
  /** Shared by every stream of the server; null when sending is not paced. */
  readonly pacer: SendPacer | null;
  /** Responses to one peer sent in turn (peer-send-order.ts); null: all at once. */
  readonly sendOrder: PeerSendOrder | null;
}

/** A response this small (a `have` answer, a refusal) never waits behind a peer's large ones. */
const SMALL_RESPONSE_BYTES_MAX = 16 * 1024;

export interface ServeStreamEvents {
  onOffence(reason: string, kind: OffenceKind): void;
  onHandlerError(error: unknown): void;
  onFrameSent(bytes: number): void;
  /** The stream is finished with (closed or reset); called once. */
  onDone(): void;
}

export function serveRequestStream(stream: Stream, context: RequestContext, settings: ServeStreamSettings, events: ServeStreamEvents): void {
  const controller = new AbortController();
  const signal = controller.signal;
  const decoder = new FrameDecoder(settings.requestBytesMax);
  let request: Uint8Array | null = null;
  let rejected = false;
  let responded = false;
  let done = false;
  let requestTimer: ReturnType<typeof setTimeout> | null = null;

  const stopRequestTimer = (): void => {
    if (requestTimer !== null) clearTimeout(requestTimer);
    requestTimer = null;
  };
  /** Cuts the stream for something the client did wrong. */
  const reject = (reason: string, kind: OffenceKind): void => {
    if (rejected || done) return;
    rejected = true;
    stopRequestTimer();
    const error = new Error(`peergrid request: ${reason}`);
    controller.abort(error);
    stream.abort(error);
    events.onOffence(reason, kind);
  };

  const respond = async (payloadRequest: Uint8Array): Promise<void> => {
    try {
      const result = settings.handler(context, payloadRequest, signal);
      const payloads: AsyncIterable<ResponseFrame> | Iterable<ResponseFrame> = isAsyncIterable(result) ? result : await result;
      const small = Array.isArray(payloads) && payloads.reduce((sum: number, payload: ResponseFrame) => sum + frameLength(framePieces(payload)), 0) <= SMALL_RESPONSE_BYTES_MAX;
      const release = settings.sendOrder === null || small || signal.aborted ? null : await settings.sendOrder.turn(context.remotePeerId, signal);
      try {
        for await (const payload of payloads) {
          if (signal.aborted) return;
          const { head, body } = framePieces(payload);
          events.onFrameSent(await writeFrameWithHeader(stream, head, body, { signal, pacer: settings.pacer, stallTimeoutMs: settings.responseStallTimeoutMs }));
        }
      } finally {
        release?.();
      }
      if (signal.aborted) return;
      responded = true;
      await closeWriting(stream, signal, settings.responseStallTimeoutMs);
    } catch (error) {
      if (rejected || done) return;
      if (error instanceof WriteStalledError) {
        reject(`${error.message} of our response`, Offence.slow);
        return;
      }
      // Cut under us (the client reset the stream, or the connection went): nobody's fault here.
      if (signal.aborted || stream.status !== 'open') return;
      events.onHandlerError(error);
      const failure = new Error('peergrid request: the handler failed');
      controller.abort(failure);
      stream.abort(failure);
    }
  };

  stream.addEventListener('close', (event: StreamCloseEvent) => {
    if (event.error !== undefined || !responded) controller.abort(event.error ?? new Error('the stream closed'));
    done = true;
    stopRequestTimer();
    events.onDone();
  }, { once: true });
  if (stream.status !== 'open') {
    // Reset before we got to it: the listener above has not been told, so finish here.
    done = true;
    events.onDone();
    return;
  }

  requestTimer = setTimeout(() => {
    requestTimer = null;
    reject(`no whole request (frame and end) within ${settings.requestTimeoutMs} ms`, Offence.slow);
  }, settings.requestTimeoutMs);

  stream.addEventListener('message', (event: StreamMessageEvent) => {
    if (rejected) return;
    for (const chunk of chunksOf(event.data)) {
      const result = decoder.push(chunk);
      if (!result.ok) {
        reject(isOversizeFrameError(result.error) ? `a request above ${settings.requestBytesMax} bytes` : `bad request frame: ${result.error}`, Offence.malformed);
        return;
      }
      for (const frame of result.frames) {
        if (request !== null) {
          reject('a second frame on a one-request stream', Offence.malformed);
          return;
        }
        request = frame;
        // After this event, so the handler never runs inside libp2p's dispatch, and a second
        // frame in the same chunk is refused before it starts.
        queueMicrotask(() => {
          if (signal.aborted) return;
          // respond catches everything it expects; anything else is a bug of ours, which costs
          // this stream and not the node.
          respond(frame).catch((error: unknown) => stream.abort(error instanceof Error ? error : new Error(String(error))));
        });
      }
      if (request !== null && decoder.bufferedBytes > 0) {
        reject('a second frame on a one-request stream', Offence.malformed);
        return;
      }
    }
  });

  // 'end' comes after every byte has been delivered as a 'message' (unlike 'remoteCloseWrite'). It
  // may have come already, while libp2p negotiated the protocol: then what the negotiation read
  // ahead and gave back reaches our 'message' listener in a microtask, queued as we added it, and
  // the end is taken after that.
  const onEnd = (): void => {
    if (rejected || stream.status === 'reset' || stream.status === 'aborted') return;
    if (request === null) {
      reject('the stream ended before a whole request', Offence.malformed);
      return;
    }
    stopRequestTimer();
  };
  if (stream.readableEnded) queueMicrotask(onEnd);
  else stream.addEventListener('end', onEnd, { once: true });
}

/** Ends our write side once what we wrote has gone; a client that stops reading is cut after `stallTimeoutMs`. */
async function closeWriting(stream: Stream, signal: AbortSignal, stallTimeoutMs: number): Promise<void> {
  const stall = AbortSignal.timeout(stallTimeoutMs);
  try {
    await stream.close({ signal: AbortSignal.any([signal, stall]) });
  } catch (error) {
    if (stall.aborted && !signal.aborted) throw new WriteStalledError(stallTimeoutMs);
    throw error;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ResponseFrame> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
