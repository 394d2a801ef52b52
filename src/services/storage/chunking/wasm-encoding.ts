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
export { ExportKind, MODULE_HEADER, section, vector } from '../wasm-binary.ts';
export { signedLeb128 as signed, unsignedLeb128 as unsigned, utf8Name as name } from '../wasm-binary.ts';
