/**
 * A cursor that writes big-endian fields into a buffer allocated up front at the exact size.
 *
 * The writer does not grow or bounds-check: the encoder sizes the buffer with encodedSize() and,
 * when done, checks that the cursor landed exactly on the end (see `finish`). A typed array
 * silently ignores writes past its end, so that final check is what catches a size miscount.
 */
import { writeUtf8 } from './utf8.ts';

/** Four bytes through which a float32 is converted, so that no writer allocates a DataView of its own. */
const floatScratch = new DataView(new ArrayBuffer(4));

// Plain `private` fields, not `#fields`: V8 optimised the #-field version of this cursor to about
// half the speed in the codec benchmark (bench/codec.ts).
export class ByteWriter {
  private readonly bytes: Uint8Array;
  private offset = 0;

  constructor(byteLength: number) {
    this.bytes = new Uint8Array(byteLength);
  }

  writeU8(value: number): void {
    this.bytes[this.offset++] = value;
  }

  writeU16(value: number): void {
    const bytes = this.bytes;
    const at = this.offset;
    bytes[at] = value >>> 8;
    bytes[at + 1] = value & 0xff;
    this.offset = at + 2;
  }

  writeU32(value: number): void {
    const bytes = this.bytes;
    const at = this.offset;
    bytes[at] = value >>> 24;
    bytes[at + 1] = (value >>> 16) & 0xff;
    bytes[at + 2] = (value >>> 8) & 0xff;
    bytes[at + 3] = value & 0xff;
    this.offset = at + 4;
  }

  /** Writes `value` as a big-endian IEEE-754 float32, rounded to the nearest float32 (as Math.fround does). */
  writeF32(value: number): void {
    floatScratch.setFloat32(0, value);
    const bytes = this.bytes;
    const at = this.offset;
    bytes[at] = floatScratch.getUint8(0);
    bytes[at + 1] = floatScratch.getUint8(1);
    bytes[at + 2] = floatScratch.getUint8(2);
    bytes[at + 3] = floatScratch.getUint8(3);
    this.offset = at + 4;
  }

  writeBytes(source: Uint8Array): void {
    this.bytes.set(source, this.offset);
    this.offset += source.length;
  }

  /** Writes `text` as UTF-8; throws a RangeError if it holds a lone surrogate (see writeUtf8). */
  writeUtf8(text: string): void {
    this.offset = writeUtf8(text, this.bytes, this.offset);
  }

  /** Returns the buffer after checking that every byte of it was written, no more and no fewer. */
  finish(): Uint8Array {
    if (this.offset !== this.bytes.length) {
      throw new RangeError(`encoder wrote ${this.offset} bytes into a buffer of ${this.bytes.length}`);
    }
    return this.bytes;
  }
}
