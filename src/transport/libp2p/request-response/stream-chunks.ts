/**
 * The bytes of one 'message' event of a libp2p 3 stream, chunk by chunk: the muxer hands over a
 * list of buffers, and reading it chunk by chunk feeds the frame decoder without first copying
 * the list into one buffer.
 */
import type { StreamMessageEvent } from '@libp2p/interface';

export function chunksOf(data: StreamMessageEvent['data']): Iterable<Uint8Array> {
  return data instanceof Uint8Array ? [data] : data;
}

/**
 * Whether a FrameDecoder error (../frames.ts) says the frame was longer than its cap: a length
 * above the cap, or a prefix with more bytes than the cap's. Any other error is bad framing.
 */
export function isOversizeFrameError(error: string): boolean {
  return /^frame of \d+ bytes exceeds/.test(error) || error.startsWith('frame length prefix longer than');
}
