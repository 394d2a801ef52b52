/**
 * A bounds-checked cursor over untrusted bytes.
 *
 * Every read first checks that enough bytes remain and returns `undefined` when they do not, so the
 * decoder never reads past the end and never needs an exception to find out that input was short.
 * Multi-byte integers and floats are big-endian (network order).
 */

/** Four bytes through which a float32 is converted, so that no reader allocates a DataView of its own. */
const floatScratch = new DataView(new ArrayBuffer(4));

// Plain `private` fields, not `#fields`: V8 optimised the #-field version of this cursor to about
// half the speed in the codec benchmark (bench/codec.ts).
export class ByteReader {
  private readonly bytes: Uint8Array;
  private offset = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** How many bytes have not been read yet. */
  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  readU8(): number | undefined {
    if (this.remaining < 1) return undefined;
    return this.bytes[this.offset++];
  }

  readU16(): number | undefined {
    if (this.remaining < 2) return undefined;
    const bytes = this.bytes;
    const at = this.offset;
    this.offset = at + 2;
    return (bytes[at] << 8) | bytes[at + 1];
  }

  readU32(): number | undefined {
    if (this.remaining < 4) return undefined;
    const bytes = this.bytes;
    const at = this.offset;
    this.offset = at + 4;
    // `>>> 0` keeps the result unsigned: `<< 24` of a byte >= 128 would otherwise be negative.
    return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
  }

  /** A big-endian IEEE-754 float32. Any bit pattern is returned as read, NaN and infinities included. */
  readF32(): number | undefined {
    if (this.remaining < 4) return undefined;
    const bytes = this.bytes;
    const at = this.offset;
    this.offset = at + 4;
    floatScratch.setUint8(0, bytes[at]);
    floatScratch.setUint8(1, bytes[at + 1]);
    floatScratch.setUint8(2, bytes[at + 2]);
    floatScratch.setUint8(3, bytes[at + 3]);
    return floatScratch.getFloat32(0);
  }

  /**
   * The next `length` bytes as a fresh array that owns its memory, so the caller may keep it after
   * the input buffer is reused. Copying through the Uint8Array constructor (rather than `slice`)
   * also yields a plain Uint8Array when the input is a Node Buffer, whose `slice` returns a view.
   */
  readCopy(length: number): Uint8Array | undefined {
    const view = this.readView(length);
    return view === undefined ? undefined : new Uint8Array(view);
  }

  /** The next `length` bytes as a view into the input: only for data consumed at once (decoding text). */
  readView(length: number): Uint8Array | undefined {
    if (length < 0 || this.remaining < length) return undefined;
    const at = this.offset;
    this.offset = at + length;
    return this.bytes.subarray(at, at + length);
  }
}
