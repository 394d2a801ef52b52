/**
 * A bounds-checked cursor over the bytes of a WebAssembly module (WebAssembly Core Specification
 * 2.0, §5 "Binary Format"): bytes, LEB128 integers, names and vectors. Any read past the end, an
 * over-long LEB128 or a name that is not UTF-8 throws WasmFormatError, which the module reader
 * turns into a problem report: a hostile binary is refused, never a crash.
 */
export class WasmFormatError extends Error {
  readonly offset: number;
  constructor(offset: number, detail: string) {
    super(`at byte ${offset}: ${detail}`);
    this.name = 'WasmFormatError';
    this.offset = offset;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export class WasmCursor {
  readonly bytes: Uint8Array;
  offset: number;
  private readonly end: number;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = start;
    this.end = end;
  }

  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  fail(detail: string): never {
    throw new WasmFormatError(this.offset, detail);
  }

  u8(): number {
    if (this.offset >= this.end) this.fail('unexpected end');
    return this.bytes[this.offset++];
  }

  /** Unsigned LEB128 of at most 32 bits (5 bytes). */
  u32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.u8();
      if (shift === 28 && byte > 0x0f) this.fail('u32 out of range');
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
    return this.fail('u32 longer than 5 bytes');
  }

  /** Skips a signed LEB128 of at most `bits` bits (i32: 5 bytes, i64: 10 bytes). */
  skipSigned(bits: 32 | 64): void {
    const maxBytes = Math.ceil(bits / 7);
    for (let count = 0; count < maxBytes; count++) {
      if ((this.u8() & 0x80) === 0) return;
    }
    this.fail(`s${bits} longer than ${maxBytes} bytes`);
  }

  bytesOf(length: number): Uint8Array {
    if (length > this.remaining) this.fail(`${length} bytes announced, ${this.remaining} left`);
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  skip(length: number): void {
    this.bytesOf(length);
  }

  name(): string {
    const at = this.offset;
    try {
      return utf8.decode(this.bytesOf(this.u32()));
    } catch (error) {
      if (error instanceof WasmFormatError) throw error;
      throw new WasmFormatError(at, 'a name is not UTF-8');
    }
  }

  /** A vector's length, checked against what is left (each element takes at least one byte), so a huge count cannot make a loop spin. */
  count(): number {
    const count = this.u32();
    if (count > this.remaining) this.fail(`a vector of ${count} elements in ${this.remaining} bytes`);
    return count;
  }
}
