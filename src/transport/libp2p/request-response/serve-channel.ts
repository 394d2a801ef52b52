/**
 * Serves one inbound request channel (channel-messages.ts): a long-lived stream on which the client
 * sends many requests, each with an id, and may cancel them; every request is handled as a
 * one-request stream's would be (serve-stream.ts), and its answer written back as one frame when it
 * is ready, whole frames one after another (frame-queue.ts).
 *
 * The per-peer send order holds as on streams: a large answer waits for the peer's turn
 * (peer-send-order.ts, shared with the server's streams) before it is queued, so at most
 * `sendsPerPeerMax` large answers to one peer are ever queued or being written; a small one never
 * waits for a turn and is written next (an urgent frame).
 *
 * Everything the client sends is untrusted. A frame above `requestBytesMax` (plus the header), a
 * frame that is not a request or cancel, an id that does not increase, more than
 * `requestsInFlightMax` requests unanswered at once, or a frame that takes longer than
 * `requestTimeoutMs` to arrive resets the channel and is reported as an offence; so is a client
 * that reads nothing of our answers for `responseStallTimeoutMs`. A handler that throws, or gives
 * other than one payload, gets its request a `failed` answer and is reported as an error. A channel
 * with nothing in flight and no frame for `idleTimeoutMs` is reset (its slot freed); one whose client
 * has ended its side is closed once the answers are out. Nothing here throws.
 */
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface';
import { Offence, type OffenceKind } from '../../peer-guard.ts';
import { FrameDecoder } from '../frames.ts';
import { CHANNEL_HEADER_BYTES_MAX, ChannelKind, decodeChannelMessage, encodeChannelHeader } from './channel-messages.ts';
import { FrameQueue } from './frame-queue.ts';
import type { PeerSendOrder } from './peer-send-order.ts';
import { frameLength, framePieces, type ResponseFrame } from './response-frame.ts';
import type { SendPacer } from './send-pacer.ts';
import type { RequestContext, RequestHandler, ServeStreamEvents } from './serve-stream.ts';
import { chunksOf, isOversizeFrameError } from './stream-chunks.ts';
import { WriteStalledError } from './stream-drain.ts';

export interface ServeChannelSettings {
  readonly handler: RequestHandler;
  readonly requestBytesMax: number;
  /** How long one frame may take to arrive once its first byte has. */
  readonly requestTimeoutMs: number;
  readonly responseStallTimeoutMs: number;
  /** Requests of the channel handled or waiting to be sent at once. */
  readonly requestsInFlightMax: number;
  /** A channel with nothing in flight is reset after this long without a request (its slot freed). */
  readonly idleTimeoutMs: number;
  readonly pacer: SendPacer | null;
  readonly sendOrder: PeerSendOrder | null;
}

/** An answer this small (a notFound, a refusal, a `have`) never waits for the peer's turn. */
const SMALL_RESPONSE_BYTES_MAX = 16 * 1024;

export function serveRequestChannel(stream: Stream, context: RequestContext, settings: ServeChannelSettings, events: ServeStreamEvents): void {
  const controller = new AbortController();
  const channelSignal = controller.signal;
  const decoder = new FrameDecoder(settings.requestBytesMax + CHANNEL_HEADER_BYTES_MAX);
  const frames = new FrameQueue(stream, { signal: channelSignal, pacer: settings.pacer, stallTimeoutMs: settings.responseStallTimeoutMs });
  /** Requests being handled or waiting to be sent, by id: aborting one cancels it. */
  const inFlight = new Map<number, AbortController>();
  let lastId = 0;
  let clientEnded = false;
  let closing = false;
  let finished = false;
  let frameTimer: ReturnType<typeof setTimeout> | null = null;
  let idleTimer: ReturnType<typeof setTimeout> | null = null;

  const clearTimers = (): void => {
    if (frameTimer !== null) clearTimeout(frameTimer);
    if (idleTimer !== null) clearTimeout(idleTimer);
    frameTimer = null;
    idleTimer = null;
  };
  /** Cuts the channel for something the client did wrong. */
  const reject = (reason: string, kind: OffenceKind): void => {
    if (finished || channelSignal.aborted) return;
    clearTimers();
    const error = new Error(`peergrid request channel: ${reason}`);
    controller.abort(error);
    stream.abort(error);
    events.onOffence(reason, kind);
  };
  /** Ends our side once nothing is left to answer; the stream closes when both sides have. */
  const closeWhenDone = (): void => {
    if (closing || finished || channelSignal.aborted || inFlight.size > 0) return;
    closing = true;
    clearTimers();
    const stall = AbortSignal.timeout(settings.responseStallTimeoutMs);
    stream.close({ signal: AbortSignal.any([channelSignal, stall]) }).catch(() => {
      if (stall.aborted && !channelSignal.aborted) reject(`the remote read nothing for ${settings.responseStallTimeoutMs} ms of our answers`, Offence.slow);
      else stream.abort(new Error('peergrid request channel: closing failed'));
    });
  };
  const armIdleTimer = (): void => {
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = null;
    if (finished || closing || inFlight.size > 0) return;
    idleTimer = setTimeout(() => {
      idleTimer = null;
      // A reset, not a close: a half-closed stream would still hold the slot until the client
      // closed its side. No offence: the client may simply have nothing more to ask.
      const error = new Error(`peergrid request channel: idle for ${settings.idleTimeoutMs} ms`);
      controller.abort(error);
      stream.abort(error);
    }, settings.idleTimeoutMs);
  };

  const respond = async (id: number, request: Uint8Array, cancel: AbortController): Promise<void> => {
    const signal = AbortSignal.any([channelSignal, cancel.signal]);
    try {
      const result = settings.handler(context, request, signal);
      const payloads: ResponseFrame[] = [];
      if (isAsyncIterable(result)) {
        for await (const payload of result) payloads.push(payload);
      } else {
        payloads.push(...(await result));
      }
      if (signal.aborted) return;
      if (payloads.length !== 1) throw new TypeError(`a channel request is answered by exactly one frame, not ${payloads.length}`);
      const { head, body } = framePieces(payloads[0]);
      if (frameLength({ head, body }) === 0) throw new TypeError('a channel answer cannot be empty');
      const small = frameLength({ head, body }) <= SMALL_RESPONSE_BYTES_MAX;
      const release = settings.sendOrder === null || small ? null : await settings.sendOrder.turn(context.remotePeerId, signal);
      try {
        events.onFrameSent(await frames.write(joinBytes(encodeChannelHeader(ChannelKind.response, id), head), body, small, signal));
      } finally {
        release?.();
      }
    } catch (error) {
      if (finished || channelSignal.aborted) return;
      if (error instanceof WriteStalledError) {
        reject(`${error.message} of our answers`, Offence.slow);
        return;
      }
      // Cancelled by the client: nothing to answer.
      if (cancel.signal.aborted) return;
      events.onHandlerError(error);
      frames.write(encodeChannelHeader(ChannelKind.failed, id), EMPTY, true).catch(() => {});
    } finally {
      inFlight.delete(id);
      if (clientEnded) closeWhenDone();
      else armIdleTimer();
    }
  };

  const onFrame = (frame: Uint8Array): boolean => {
    const decoded = decodeChannelMessage(frame);
    if (!decoded.ok) {
      reject(`bad channel message: ${decoded.error}`, Offence.malformed);
      return false;
    }
    const message = decoded.message;
    if (message.kind === ChannelKind.cancel) {
      if (message.id > lastId) {
        reject(`a cancel of request ${message.id}, never sent`, Offence.malformed);
        return false;
      }
      inFlight.get(message.id)?.abort(new Error('cancelled by the client'));
      return true;
    }
    if (message.kind !== ChannelKind.request) {
      reject('an answer sent to the server', Offence.malformed);
      return false;
    }
    if (message.id <= lastId) {
      reject(`request id ${message.id} after ${lastId}: ids must increase`, Offence.malformed);
      return false;
    }
    if (message.payload.length > settings.requestBytesMax) {
      reject(`a request above ${settings.requestBytesMax} bytes`, Offence.malformed);
      return false;
    }
    if (inFlight.size >= settings.requestsInFlightMax) {
      reject(`more than ${settings.requestsInFlightMax} requests at once on a channel`, Offence.overRate);
      return false;
    }
    lastId = message.id;
    const cancel = new AbortController();
    inFlight.set(message.id, cancel);
    if (idleTimer !== null) clearTimeout(idleTimer);
    idleTimer = null;
    // After this event, so the handler never runs inside libp2p's dispatch.
    const { id, payload } = message;
    queueMicrotask(() => {
      // respond catches everything it expects; anything else is a bug of ours, which costs this
      // channel and not the node.
      respond(id, payload, cancel).catch((error: unknown) => stream.abort(error instanceof Error ? error : new Error(String(error))));
    });
    return true;
  };

  stream.addEventListener('close', (event: StreamCloseEvent) => {
    controller.abort(event.error ?? new Error('the channel closed'));
    finished = true;
    clearTimers();
    for (const cancel of inFlight.values()) cancel.abort(new Error('the channel closed'));
    events.onDone();
  }, { once: true });
  if (stream.status !== 'open') {
    // Reset before we got to it: the listener above has not been told, so finish here.
    finished = true;
    events.onDone();
    return;
  }

  stream.addEventListener('message', (event: StreamMessageEvent) => {
    if (finished || channelSignal.aborted) return;
    for (const chunk of chunksOf(event.data)) {
      const result = decoder.push(chunk);
      if (!result.ok) {
        reject(isOversizeFrameError(result.error) ? `a request above ${settings.requestBytesMax} bytes` : `bad request frame: ${result.error}`, Offence.malformed);
        return;
      }
      for (const frame of result.frames) if (!onFrame(frame)) return;
    }
    // A frame begun must be whole within requestTimeoutMs; a new one restarts the clock.
    if (frameTimer !== null) clearTimeout(frameTimer);
    frameTimer = null;
    if (decoder.bufferedBytes > 0) {
      frameTimer = setTimeout(() => {
        frameTimer = null;
        reject(`no whole frame within ${settings.requestTimeoutMs} ms`, Offence.slow);
      }, settings.requestTimeoutMs);
    }
  });

  // 'end' comes after every byte has been delivered as a 'message'. It may have come already, while
  // libp2p negotiated the protocol: then what the negotiation read ahead reaches our 'message'
  // listener in a microtask, queued as we added it, and the end is taken after that.
  const onEnd = (): void => {
    if (finished || channelSignal.aborted || stream.status === 'reset' || stream.status === 'aborted') return;
    if (decoder.bufferedBytes > 0) {
      reject('the channel ended inside a frame', Offence.malformed);
      return;
    }
    clientEnded = true;
    closeWhenDone();
  };
  if (stream.readableEnded) queueMicrotask(onEnd);
  else stream.addEventListener('end', onEnd, { once: true });
  armIdleTimer();
}

const EMPTY = new Uint8Array(0);

/** Two small arrays as one (a channel header and an answer's head). */
function joinBytes(first: Uint8Array, second: Uint8Array): Uint8Array {
  if (second.length === 0) return first;
  const joined = new Uint8Array(first.length + second.length);
  joined.set(first);
  joined.set(second, first.length);
  return joined;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ResponseFrame> {
  return typeof value === 'object' && value !== null && typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}
