/**
 * Reads one inbound `/peergrid/kad/1.0.0` stream (protocol.ts): the hello, then kernel messages.
 *
 * Everything here is untrusted. A frame that is too long, empty or badly prefixed, a hello that is
 * not the sender's own address, a message the codec refuses, or a `nodes` reply naming a contact
 * whose id does not match its key: each resets the stream and reports an offence, and nothing of it
 * reaches the kernel. So does a frame begun and not finished within `frameTimeoutMs` (a slow
 * sender holding our buffer). Every message is admitted by the peer guard first (../peer-guard.ts):
 * beyond its rate a message is dropped, and a banned peer's stream is reset. Nothing throws.
 */
import type { PeerId, Stream, StreamMessageEvent } from '@libp2p/interface';
import type { Id } from '../../core/id.ts';
import type { Message } from '../../core/messages.ts';
import { peerRef, type PeerRef } from '../../core/peer.ts';
import { decodeMessage } from '../../wire/codec.ts';
import { Offence, type Admission, type OffenceKind } from '../peer-guard.ts';
import { FrameDecoder } from './frames.ts';
import { kernelIdOfPeerId } from './kernel-id.ts';
import { parsePeerAddress, type ParseResult } from './peer-address.ts';
import { StreamLimits } from './protocol.ts';
import type { VerifiedAddresses } from './verified-addresses.ts';

export interface InboundStreamContext {
  readonly addresses: VerifiedAddresses;
  /** How long one frame may take to arrive once its first byte has. */
  readonly frameTimeoutMs: number;
  /** Whether one more message from `remote` may be delivered (rate limits and bans). */
  admit(remote: PeerId): Admission;
  deliver(from: PeerRef, message: Message, frameBytes: number): void;
  /** A message dropped because the sender is over its rate. */
  refused(remote: PeerId, admission: Admission): void;
  penalize(remote: PeerId, id: Id | null, reason: string, kind: OffenceKind): void;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function serveInboundStream(stream: Stream, remote: PeerId, context: InboundStreamContext): void {
  const remoteId = kernelIdOfPeerId(remote);
  let rejected = false;
  let slowTimer: ReturnType<typeof setTimeout> | null = null;
  const stopSlowTimer = (): void => {
    if (slowTimer !== null) clearTimeout(slowTimer);
    slowTimer = null;
  };
  const reject = (reason: string, kind: OffenceKind = Offence.malformed): void => {
    rejected = true;
    stopSlowTimer();
    stream.abort(new Error(`peergrid kad: ${reason}`));
    context.penalize(remote, remoteId, reason, kind);
  };
  if (remoteId === null) {
    reject('not an Ed25519 peer');
    return;
  }
  // We never write on a stream we did not open: closing our side at once says so.
  stream.close().catch(() => {});
  const decoder = new FrameDecoder(StreamLimits.frameBytesMax);
  let sender: PeerRef | null = null;
  stream.addEventListener('close', stopSlowTimer, { once: true });

  const onFrame = (frame: Uint8Array): string | null => {
    if (sender === null) {
      const hello = readHello(frame, remote);
      if (!hello.ok) return hello.error;
      sender = peerRef(remoteId, hello.value);
      return null;
    }
    const admission = context.admit(remote);
    if (admission === 'banned') return 'banned';
    if (admission !== 'admit') {
      // Over its rate: this message is dropped unread, the stream stays.
      context.refused(remote, admission);
      return null;
    }
    const decoded = decodeMessage(frame);
    if (!decoded.ok) return `undecodable message: ${decoded.error}`;
    const message = decoded.message;
    if (message.kind === 'nodes') {
      for (let index = 0; index < message.closer.length; index++) {
        const checked = context.addresses.verify(message.closer[index]);
        if (!checked.ok) return `nodes contact ${index}: ${checked.error}`;
      }
    }
    context.deliver(sender, message, frame.length);
    return null;
  };

  stream.addEventListener('message', (event: StreamMessageEvent) => {
    if (rejected) return;
    const chunk = event.data instanceof Uint8Array ? event.data : event.data.subarray();
    const result = decoder.push(chunk);
    const problem = result.ok ? firstProblem(result.frames, onFrame) : result.error;
    if (problem === 'banned') {
      // Already punished: no further offence is recorded for the bytes it sent meanwhile.
      rejected = true;
      stopSlowTimer();
      stream.abort(new Error('peergrid kad: banned'));
      return;
    }
    if (problem !== null) {
      reject(problem);
      return;
    }
    // The clock runs from the first byte of a frame until the frame is complete.
    if (result.ok && result.frames.length > 0) stopSlowTimer();
    if (decoder.bufferedBytes > 0 && slowTimer === null) {
      slowTimer = setTimeout(() => {
        slowTimer = null;
        if (!rejected) reject(`a frame took longer than ${context.frameTimeoutMs} ms`, Offence.slow);
      }, context.frameTimeoutMs);
    }
  });
}

/** Handles frames in order until one is refused; returns why, or null. */
function firstProblem(frames: readonly Uint8Array[], onFrame: (frame: Uint8Array) => string | null): string | null {
  for (const frame of frames) {
    const problem = onFrame(frame);
    if (problem !== null) return problem;
  }
  return null;
}

/** The sender's address from its hello, or why the hello is refused. */
function readHello(frame: Uint8Array, remote: PeerId): ParseResult<string> {
  if (frame.length > StreamLimits.helloBytesMax) {
    return { ok: false, error: `hello of ${frame.length} bytes exceeds ${StreamLimits.helloBytesMax}` };
  }
  let text: string;
  try {
    text = strictUtf8.decode(frame);
  } catch {
    return { ok: false, error: 'hello is not UTF-8' };
  }
  const parsed = parsePeerAddress(text);
  if (!parsed.ok) return { ok: false, error: `bad hello: ${parsed.error}` };
  if (!parsed.value.peerId.equals(remote)) return { ok: false, error: 'hello names another peer' };
  return { ok: true, value: text };
}
