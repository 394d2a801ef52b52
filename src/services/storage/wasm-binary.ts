/**
 * The pieces of the WebAssembly binary format (core specification 2.0, §5) that both of our
 * hand-assembled kernels use — the chunker's Gear loop (chunking/wasm-gear-roll.ts) and the
 * erasure code's SIMD kernel (erasure/wasm-kernel-program.ts): LEB128 integers, vectors, names,
 * sections and the module header. No wasm toolchain is installed here, and none is needed.
 */

/** Unsigned LEB128 of a non-negative integer below 2^32 (spec §5.2.2). */
export function unsignedLeb128(value: number): number[] {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`unsignedLeb128: ${value}`);
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return out;
}

/** Signed LEB128 of an integer in the i32 range (spec §5.2.2), as i32.const wants. */
export function signedLeb128(value: number): number[] {
  if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) throw new RangeError(`signedLeb128: ${value}`);
  const out: number[] = [];
  let rest = value;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const signBitClear = (byte & 0x40) === 0;
    if ((rest === 0 && signBitClear) || (rest === -1 && !signBitClear)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A vector: its length, then its items (spec §5.1.3). */
export function vector(items: readonly (readonly number[])[]): number[] {
  return [...unsignedLeb128(items.length), ...items.flat()];
}

/** A name: its UTF-8 bytes as a vector (spec §5.2.4). */
export function utf8Name(text: string): number[] {
  const bytes = Array.from(new TextEncoder().encode(text));
  return [...unsignedLeb128(bytes.length), ...bytes];
}

/** A section: id, byte length, contents (spec §5.5.2). */
export function section(id: number, contents: readonly number[]): number[] {
  return [id, ...unsignedLeb128(contents.length), ...contents];
}

/** The module header: magic number and version 1 (spec §5.5.16). */
export const MODULE_HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export const ExportKind = { function: 0, memory: 2, global: 3 } as const;
