/**
 * Just enough of the WebAssembly binary format (WebAssembly Core Specification 2.0, chapter 5,
 * "Binary Format") to write the chunker's one hot loop by hand: LEB128 integers, sections, and the
 * opcodes that loop uses. There is no toolchain in this project; the listing in wasm-gear-roll.ts is
 * readable as the text format, instruction by instruction.
 */

/** The opcodes used, by their text-format names (spec §5.4). */
export const Op = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalSet: 0x24,
  i32Load: 0x28,
  i32Load8U: 0x2d,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32GeS: 0x4e,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Shl: 0x74,
} as const;

/** Value and block types (spec §5.3). */
export const Type = { i32: 0x7f, function: 0x60, emptyBlock: 0x40 } as const;

/** Section ids (spec §5.5.2). */
export const Section = { type: 1, function: 3, memory: 5, global: 6, export: 7, code: 10 } as const;

/** Export kinds (spec §5.5.10). */
export const ExportKind = { function: 0, memory: 2, global: 3 } as const;

/** An unsigned LEB128 integer (spec §5.2.2). */
export function unsigned(value: number): number[] {
  const bytes: number[] = [];
  let rest = value >>> 0;
  do {
    let byte = rest & 0x7f;
    rest >>>= 7;
    if (rest !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (rest !== 0);
  return bytes;
}

/** A signed LEB128 integer, for i32.const (spec §5.2.2). */
export function signed(value: number): number[] {
  const bytes: number[] = [];
  let rest = value | 0;
  for (;;) {
    const byte = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (byte & 0x40) === 0) || (rest === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

/** A vector: its length, then its items (spec §5.1.3). */
export function vector(items: readonly (readonly number[])[]): number[] {
  return [...unsigned(items.length), ...items.flat()];
}

/** A name: UTF-8 bytes as a vector (spec §5.2.4); our names are ASCII. */
export function name(text: string): number[] {
  return [...unsigned(text.length), ...Array.from(text, (character) => character.charCodeAt(0))];
}

/** A section: id, byte length, contents (spec §5.5.2). */
export function section(id: number, contents: readonly number[]): number[] {
  return [id, ...unsigned(contents.length), ...contents];
}

/** The module header: magic number and version 1 (spec §5.5.16). */
export const MODULE_HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
