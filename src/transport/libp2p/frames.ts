/**
 * Length-prefixed framing of a byte stream: each frame is an unsigned LEB128 varint giving the
 * payload's length, then the payload (the usual libp2p framing, as in it-length-prefixed).
 *
 * The decoder is written for hostile input: it learns a frame's length from its prefix before it
 * buffers anything, refuses lengths above the cap at once (so an oversized frame costs the reader
 * at most a few bytes), refuses empty frames and non-minimal prefixes (every frame has one
 * encoding), and never throws; after the first error it stays failed, because the stream can no
 * longer be trusted to be aligned on frame boundaries.
 */

export type FramesResult = { readonly ok: true; readonly frames: Uint8Array[] } | { readonly ok: false; readonly error: string };

const CONTINUATION_BIT = 0x80;
const PAYLOAD_BITS = 0x7f;

/** Bytes the varint of `length` takes. */
export function varintBytes(length: number): number {
  let bytes = 1;
  while (length >= CONTINUATION_BIT) {
    length = Math.floor(length / 128);
    bytes++;
  }
  return bytes;
}

/** The frame that carries `payload`: its length as a varint, then the payload. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  const length = payload.length;
  const prefixBytes = varintBytes(length);
  const frame = new Uint8Array(prefixBytes + length);
  let rest = length;
  for (let index = 0; index < prefixBytes - 1; index++) {
    frame[index] = (rest & PAYLOAD_BITS) | CONTINUATION_BIT;
    rest = Math.floor(rest / 128);
  }
  frame[prefixBytes - 1] = rest;
  frame.set(payload, prefixBytes);
  return frame;
}

export class FrameDecoder {
  private readonly frameBytesMax: number;
  private readonly prefixBytesMax: number;
  /** The length being read from the prefix, and how many prefix bytes are in. */
  private length = 0;
  private prefixBytesRead = 0;
  /** The payload being filled, once its length is known; null while reading a prefix. */
  private payload: Uint8Array | null = null;
  private filled = 0;
  private failure: string | null = null;

  constructor(frameBytesMax: number) {
    if (!Number.isSafeInteger(frameBytesMax) || frameBytesMax < 1) throw new RangeError('frameBytesMax must be a positive integer');
    this.frameBytesMax = frameBytesMax;
    this.prefixBytesMax = varintBytes(frameBytesMax);
  }

  /** Bytes of an incomplete frame held so far. */
  get bufferedBytes(): number {
    return this.payload === null ? this.prefixBytesRead : this.prefixBytesRead + this.filled;
  }

  /** Feeds the next chunk of the stream; returns the frames it completed, or the first error. */
  push(chunk: Uint8Array): FramesResult {
    if (this.failure !== null) return { ok: false, error: this.failure };
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      if (this.payload === null) {
        const byte = chunk[offset++];
        const problem = this.readPrefixByte(byte);
        if (problem !== null) return this.fail(problem);
        if (this.payload === null) continue;
      }
      const payload = this.payload as Uint8Array;
      const take = Math.min(payload.length - this.filled, chunk.length - offset);
      payload.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === payload.length) {
        frames.push(payload);
        this.payload = null;
        this.filled = 0;
        this.length = 0;
        this.prefixBytesRead = 0;
      }
    }
    return { ok: true, frames };
  }

  /** Takes one prefix byte; allocates the payload when the prefix is complete. Returns an error or null. */
  private readPrefixByte(byte: number): string | null {
    if (this.prefixBytesRead > 0 && byte === 0) return 'non-minimal frame length';
    this.length += (byte & PAYLOAD_BITS) * 128 ** this.prefixBytesRead;
    this.prefixBytesRead++;
    if ((byte & CONTINUATION_BIT) !== 0) {
      return this.prefixBytesRead >= this.prefixBytesMax ? `frame length prefix longer than ${this.prefixBytesMax} bytes` : null;
    }
    if (this.length === 0) return 'empty frame';
    if (this.length > this.frameBytesMax) return `frame of ${this.length} bytes exceeds the cap of ${this.frameBytesMax}`;
    this.payload = uninitialisedBytes(this.length);
    return null;
  }

  private fail(error: string): FramesResult {
    this.failure = error;
    this.payload = null;
    return { ok: false, error };
  }
}

/**
 * A payload's buffer, not zeroed: push fills every byte before the frame is handed out. Zeroing
 * ~300 KiB for each block a fetch receives, only to overwrite it, took 64 ms of the getter's main
 * thread in a 3.2 s profile of a 256 MiB fetch (2026-11-28). A plain Uint8Array over memory of its
 * own (Node's unpooled allocation), so a frame never shares its ArrayBuffer and slice() still copies.
 */
function uninitialisedBytes(length: number): Uint8Array {
  if (length < UNINITIALISED_BYTES_MIN) return new Uint8Array(length);
  return new Uint8Array(Buffer.allocUnsafeSlow(length).buffer, 0, length);
}

/** Below this, zeroing costs nothing worth saving, and V8 allocates small arrays faster itself. */
const UNINITIALISED_BYTES_MIN = 4096;
