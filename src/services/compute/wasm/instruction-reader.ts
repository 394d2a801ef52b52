/**
 * Walks the instructions of a function body (Core Specification 2.0 §5.4), knowing only how long
 * each one's immediates are — enough to find loops, blocks and ends for the fuel meter. Covered:
 * the MVP, sign extension, non-trapping float-to-int, bulk memory, reference types (for tables)
 * and multi-value block types. Anything else (SIMD, threads' atomics, exceptions, tail calls, GC)
 * is refused by name: a unit is metered instruction by instruction, so an instruction the meter
 * cannot read is an instruction it cannot account for.
 */
import { WasmCursor } from './wasm-cursor.ts';

export const Opcode = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  brTable: 0x0e,
  call: 0x10,
  callIndirect: 0x11,
  selectTyped: 0x1c,
  globalGet: 0x23,
  globalSet: 0x24,
  i64Const: 0x42,
  i64Sub: 0x7d,
  i64LtS: 0x53,
  prefixFc: 0xfc,
} as const;

/** Instructions families the meter refuses, by their first byte. */
const UNSUPPORTED: Record<number, string> = {
  0x06: 'exception handling (try)', 0x07: 'exception handling (catch)', 0x08: 'exception handling (throw)', 0x09: 'exception handling (rethrow)',
  0x0a: 'exception handling (throw_ref)', 0x12: 'tail calls (return_call)', 0x13: 'tail calls (return_call_indirect)', 0x14: 'typed function references',
  0x15: 'typed function references', 0x18: 'exception handling (delegate)', 0x19: 'exception handling (catch_all)', 0x1f: 'exception handling (try_table)',
  0xfb: 'garbage collection', 0xfd: 'SIMD', 0xfe: 'threads (atomics)',
};

/** unreachable, nop, else, end, return, drop, select. */
const IMMEDIATE_FREE = new Set([0x00, 0x01, 0x05, 0x0b, 0x0f, 0x1a, 0x1b]);

export interface Instruction {
  readonly opcode: number;
  /** Where it starts and ends in the module's bytes. */
  readonly start: number;
  readonly end: number;
}

/** Skips a function body's local declarations; returns where its instructions start. */
export function skipLocals(cursor: WasmCursor): void {
  const groups = cursor.count();
  for (let group = 0; group < groups; group++) {
    cursor.u32();
    cursor.u8();
  }
}

/** Reads one instruction at the cursor (which moves past it); throws WasmFormatError on what it cannot read. */
export function readInstruction(cursor: WasmCursor): Instruction {
  const start = cursor.offset;
  const opcode = cursor.u8();
  skipImmediates(cursor, opcode);
  return { opcode, start, end: cursor.offset };
}

function skipImmediates(cursor: WasmCursor, opcode: number): void {
  if (opcode in UNSUPPORTED) cursor.fail(`unsupported instruction 0x${opcode.toString(16)}: ${UNSUPPORTED[opcode]}`);
  if (opcode === Opcode.block || opcode === Opcode.loop || opcode === Opcode.if) return skipBlockType(cursor);
  if (opcode === 0x0c || opcode === 0x0d) return void cursor.u32(); // br, br_if
  if (opcode === Opcode.brTable) {
    const labels = cursor.count();
    for (let label = 0; label <= labels; label++) cursor.u32();
    return;
  }
  if (opcode === Opcode.call) return void cursor.u32();
  if (opcode === Opcode.callIndirect) {
    cursor.u32();
    cursor.u32();
    return;
  }
  if (opcode === Opcode.selectTyped) {
    const types = cursor.count();
    for (let type = 0; type < types; type++) cursor.u8();
    return;
  }
  if (opcode >= 0x20 && opcode <= 0x26) return void cursor.u32(); // locals, globals, table.get/set
  if (opcode >= 0x28 && opcode <= 0x3e) {
    // memarg: alignment (bit 6 would name another memory: multi-memory, refused) and offset.
    if (cursor.u32() >= 0x40) cursor.fail('multi-memory instructions are not supported');
    cursor.u32();
    return;
  }
  if (opcode === 0x3f || opcode === 0x40) return void cursor.u32(); // memory.size, memory.grow: memory index
  if (opcode === 0x41) return cursor.skipSigned(32);
  if (opcode === Opcode.i64Const) return cursor.skipSigned(64);
  if (opcode === 0x43) return cursor.skip(4);
  if (opcode === 0x44) return cursor.skip(8);
  if (opcode >= 0x45 && opcode <= 0xc4) return; // numeric, conversions, sign extension
  if (opcode === 0xd0) return void cursor.u8(); // ref.null
  if (opcode === 0xd1) return; // ref.is_null
  if (opcode === 0xd2) return void cursor.u32(); // ref.func
  if (opcode === Opcode.prefixFc) return skipPrefixed(cursor);
  if (IMMEDIATE_FREE.has(opcode)) return;
  cursor.fail(`unknown instruction 0x${opcode.toString(16)}`);
}

function skipBlockType(cursor: WasmCursor): void {
  const first = cursor.bytes[cursor.offset];
  // 0x40 (empty) or a value type is one byte; otherwise a type index as a signed LEB128 (s33).
  if (first === 0x40 || (first >= 0x6f && first <= 0x7f)) return void cursor.u8();
  cursor.skipSigned(64);
}

function skipPrefixed(cursor: WasmCursor): void {
  const sub = cursor.u32();
  if (sub <= 7) return; // non-trapping float-to-int
  switch (sub) {
    case 8: // memory.init data, memory
      cursor.u32();
      cursor.u32();
      return;
    case 9: // data.drop
    case 11: // memory.fill memory
    case 13: // elem.drop
    case 15: // table.grow
    case 16: // table.size
    case 17: // table.fill
      cursor.u32();
      return;
    case 10: // memory.copy dst, src
    case 12: // table.init elem, table
    case 14: // table.copy dst, src
      cursor.u32();
      cursor.u32();
      return;
    default:
      cursor.fail(`unknown instruction 0xfc ${sub}`);
  }
}
