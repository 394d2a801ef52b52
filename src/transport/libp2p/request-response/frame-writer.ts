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
export async function writeFrame(stream: Stream, payload: Uint8Array, options: FrameWriteOptions): Promise<number> {
  if (payload.length === 0) throw new RangeError('a frame cannot be empty (the decoder refuses empty frames)');
  const pieces = splitFrame(payload);
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

/** The frame of `payload` as a copied head (prefix and first bytes) and, for a large payload, the uncopied rest. */
function splitFrame(payload: Uint8Array): Uint8Array[] {
  const prefix = lengthPrefix(payload.length);
  if (prefix.length + payload.length <= HEAD_BYTES) return [encodeFrame(payload)];
  const headPayloadBytes = HEAD_BYTES - prefix.length;
  const head = new Uint8Array(HEAD_BYTES);
  head.set(prefix);
  head.set(payload.subarray(0, headPayloadBytes), prefix.length);
  return [head, payload.subarray(headPayloadBytes)];
}

async function sendWithBackpressure(stream: Stream, bytes: Uint8Array, options: FrameWriteOptions): Promise<void> {
  // A wait that ended because the stream took more may have left it full again (the muxer window).
  await waitForDrain(stream, options.signal, options.stallTimeoutMs);
  options.signal.throwIfAborted();
  if (!stream.send(bytes)) await waitForDrain(stream, options.signal, options.stallTimeoutMs);
}
