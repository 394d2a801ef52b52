/**
 * Writes one length-prefixed frame (../frames.ts) on a libp2p 3 stream, with backpressure: after a
 * `send` the stream refuses more of, the writer waits for it to drain, so a stream holds at most
 * one frame beyond what the muxer's window lets out. With a pacer, the frame goes in slices, each
 * after its tokens (send-pacer.ts).
 */
import type { Stream } from '@libp2p/interface';
import { encodeFrame, varintBytes } from '../frames.ts';
import type { SendPacer } from './send-pacer.ts';
import { waitForDrain } from './stream-drain.ts';

/**
 * A frame's first this many bytes are copied into one buffer with its prefix, so the prefix never
 * travels alone (each `send` becomes its own muxer frame, Noise message and socket write); the
 * rest of a larger payload is sent as it is, uncopied.
 */
const HEAD_BYTES = 64 * 1024;

export interface FrameWriteOptions {
  /** Aborts a wait for the pacer or for the stream to drain. */
  readonly signal: AbortSignal;
  readonly pacer?: SendPacer | null;
  /** How long the stream may refuse more data before the write fails (WriteStalledError); no limit when absent. */
  readonly stallTimeoutMs?: number;
}

/** The varint length prefix of a frame whose payload is `length` bytes, as ../frames.ts encodes it. */
export function lengthPrefix(length: number): Uint8Array {
  const prefix = new Uint8Array(varintBytes(length));
  let rest = length;
  for (let index = 0; index < prefix.length - 1; index++) {
    prefix[index] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  prefix[prefix.length - 1] = rest;
  return prefix;
}

/** Writes `payload` as one frame; returns the bytes written (prefix included). Throws if the stream fails or closes. */
export function writeFrame(stream: Stream, payload: Uint8Array, options: FrameWriteOptions): Promise<number> {
  return writeFrameWithHeader(stream, EMPTY, payload, options);
}

/**
 * Writes `header` and `body` as one frame (a block answer's fields before the block, say), without
 * first copying the body behind the header. Aborting `options.signal` while a frame is half sent
 * leaves the stream out of step with its framing: a writer that shares a stream among frames
 * (frame-queue.ts) aborts only with the stream.
 */
export async function writeFrameWithHeader(stream: Stream, header: Uint8Array, body: Uint8Array, options: FrameWriteOptions): Promise<number> {
  if (header.length + body.length === 0) throw new RangeError('a frame cannot be empty (the decoder refuses empty frames)');
  const pieces = splitFrame(header, body);
  let bytes = 0;
  for (const piece of pieces) {
    if (options.pacer === undefined || options.pacer === null) {
      await sendWithBackpressure(stream, piece, options);
    } else {
      const sliceBytes = options.pacer.sliceBytes;
      for (let offset = 0; offset < piece.length; offset += sliceBytes) {
        const slice = piece.subarray(offset, Math.min(piece.length, offset + sliceBytes));
        await options.pacer.take(slice.length, options.signal);
        await sendWithBackpressure(stream, slice, options);
      }
    }
    bytes += piece.length;
  }
  return bytes;
}

const EMPTY = new Uint8Array(0);

/** The frame as a copied head (prefix, header and first bytes of the body) and, for a large body, its uncopied rest. */
function splitFrame(header: Uint8Array, body: Uint8Array): Uint8Array[] {
  const length = header.length + body.length;
  const prefix = lengthPrefix(length);
  if (header.length === 0 && prefix.length + length <= HEAD_BYTES) return [encodeFrame(body)];
  const headBodyBytes = Math.min(body.length, Math.max(0, HEAD_BYTES - prefix.length - header.length));
  const head = new Uint8Array(prefix.length + header.length + headBodyBytes);
  head.set(prefix);
  head.set(header, prefix.length);
  head.set(body.subarray(0, headBodyBytes), prefix.length + header.length);
  return headBodyBytes === body.length ? [head] : [head, body.subarray(headBodyBytes)];
}

/**
 * Frames (each a header and a body) copied into one array with their prefixes, to be sent with one
 * `send`: one muxer frame, so one window update from the reader, and one Noise message per 64 KiB
 * rather than a short one for every small piece.
 */
export function joinFrames(frames: readonly { readonly header: Uint8Array; readonly body: Uint8Array }[]): Uint8Array {
  let total = 0;
  for (const frame of frames) {
    const length = frame.header.length + frame.body.length;
    total += varintBytes(length) + length;
  }
  const joined = new Uint8Array(total);
  let at = 0;
  for (const frame of frames) {
    const prefix = lengthPrefix(frame.header.length + frame.body.length);
    joined.set(prefix, at);
    at += prefix.length;
    joined.set(frame.header, at);
    at += frame.header.length;
    joined.set(frame.body, at);
    at += frame.body.length;
  }
  return joined;
}

/** Sends `bytes` whole (a frame, or frames joined), waiting for the stream to drain before and after. */
export async function sendWithBackpressure(stream: Stream, bytes: Uint8Array, options: FrameWriteOptions): Promise<void> {
  // A wait that ended because the stream took more may have left it full again (the muxer window).
  await waitForDrain(stream, options.signal, options.stallTimeoutMs);
  options.signal.throwIfAborted();
  if (!stream.send(bytes)) await waitForDrain(stream, options.signal, options.stallTimeoutMs);
}
