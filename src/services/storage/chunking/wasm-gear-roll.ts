/**
 * The Gear loop of gear-roll.ts again, in WebAssembly written by hand (wasm-encoding.ts), because V8
 * does not keep the JavaScript loop tight: it re-checks the table's map and the buffers' detachment
 * inside the loop and spills to the stack, where WebAssembly loads need no bounds checks at all on
 * 64-bit hosts (guard pages) and the loop compiles to a few instructions a byte. docs/STORAGE.md has the figures.
 * The JavaScript loop stays the reference and the fallback: the chunker uses this one only when
 * WebAssembly is available, and tests check that both find the same cut points.
 *
 * The module does only the roll; the chunker's bookkeeping stays in TypeScript. Bytes are copied into
 * the module's memory in steps (memcpy is many times faster than the roll), starting small and
 * doubling, so that a cut found early does not pay for copying a whole window.
 *
 * Memory layout: the Gear table as 256 little-endian i32 at [0, 1024); the data window at
 * [WINDOW_BASE, WINDOW_BASE + WINDOW_BYTES).
 */
import { GEAR } from './gear-table.ts';
import type { GearRoller, RollState } from './gear-roll.ts';
import { ExportKind, MODULE_HEADER, Op, Section, Type, name, section, signed, unsigned, vector } from './wasm-encoding.ts';

const WINDOW_BASE = 1024;
const WINDOW_BYTES = 256 * 1024;
/** The first copy step; later steps double up to WINDOW_BYTES. */
const STEP_BYTES_MIN = 8 * 1024;
const PAGE_BYTES = 65536;
const MEMORY_PAGES = Math.ceil((WINDOW_BASE + WINDOW_BYTES) / PAGE_BYTES);

/** The function's parameters and locals, by index. */
const FROM = 0;
const TO = 1;
const FP = 2;
const MASK = 3;
const I = 4;
const FP0 = 5;
const FP1 = 6;
const FP2 = 7;
const UNROLLED_END = 8;
/** The table terms of one pair of bytes: gear[b0], and (gear[b0] << 1) + gear[b1]. */
const PAIR_FIRST = 9;
const PAIR_BOTH = 10;

/** `(local.get previous) << 1 + gear[load8_u(i + offset)]`: one Gear step, leaving the new fingerprint on the stack. */
function gearStep(previous: number, offset: number): number[] {
  return [Op.localGet, previous, Op.i32Const, ...signed(1), Op.i32Shl, ...gearOf(offset), Op.i32Add];
}

/** `gear[load8_u(i + offset)]`, on the stack. */
function gearOf(offset: number): number[] {
  return [
    Op.localGet, I, Op.i32Load8U, 0, ...unsigned(offset),  // the byte (alignment 2^0)
    Op.i32Const, ...signed(2), Op.i32Shl,
    Op.i32Load, 2, 0,                                       // gear[byte] (alignment 2^2, offset 0)
  ];
}

/**
 * Two Gear steps from `previous`, the fingerprints after bytes i + offset and i + offset + 1 left
 * in `first` and `second`. The same sums regrouped (Xia et al., TPDS 2020, roll two bytes at a
 * time): fp' = (fp << 1) + g0 and fp'' = (fp << 2) + ((g0 << 1) + g1), where the bracket does
 * not depend on fp. The fingerprint then waits on one shift and one add per two bytes rather than
 * per byte, and the table terms of the next pair are worked out meanwhile. Every fingerprint is
 * still computed and tested, so the cut points are those of the byte-at-a-time loop (arithmetic
 * modulo 2^32 regroups exactly); tested against it.
 */
function gearPair(previous: number, offset: number, first: number, second: number): number[] {
  return [
    ...gearOf(offset), Op.localSet, PAIR_FIRST,
    Op.localGet, PAIR_FIRST, Op.i32Const, ...signed(1), Op.i32Shl, ...gearOf(offset + 1), Op.i32Add, Op.localSet, PAIR_BOTH,
    Op.localGet, previous, Op.i32Const, ...signed(1), Op.i32Shl, Op.localGet, PAIR_FIRST, Op.i32Add, Op.localSet, first,
    Op.localGet, previous, Op.i32Const, ...signed(2), Op.i32Shl, Op.localGet, PAIR_BOTH, Op.i32Add, Op.localSet, second,
  ];
}

/** `(local.get fp) & mask == 0`, as 0 or 1. */
function isCut(fp: number): number[] {
  return [Op.localGet, fp, Op.localGet, MASK, Op.i32And, Op.i32Eqz];
}

/** `return i + offset`. */
function returnIndex(offset: number): number[] {
  return [Op.localGet, I, ...(offset === 0 ? [] : [Op.i32Const, ...signed(offset), Op.i32Add]), Op.return];
}

/**
 * (func $roll (param $from i32) (param $to i32) (param $fp i32) (param $mask i32) (result i32)
 *   (local $i i32) (local $fp0 i32) (local $fp1 i32) (local $fp2 i32) (local $unrolledEnd i32)
 *   (local $pairFirst i32) (local $pairBoth i32)
 * Same contract as rollToCut: the index of the first cut, or −1 with the fingerprint in $fingerprint.
 */
const ROLL_BODY: number[] = [
  ...vector([[7, Type.i32]]),                                       // seven i32 locals
  Op.localGet, FROM, Op.localSet, I,                                 // i = from
  Op.localGet, TO, Op.i32Const, ...signed(3), Op.i32Sub, Op.localSet, UNROLLED_END,
  Op.block, Type.emptyBlock,
  Op.loop, Type.emptyBlock,                                          // four bytes an iteration, as two pairs
  Op.localGet, I, Op.localGet, UNROLLED_END, Op.i32GeS, Op.brIf, 1,  // i >= to − 3: leave
  ...gearPair(FP, 0, FP0, FP1),
  ...gearPair(FP1, 2, FP2, FP),
  ...isCut(FP0), ...isCut(FP1), Op.i32Or, ...isCut(FP2), Op.i32Or, ...isCut(FP), Op.i32Or,
  Op.if, Type.emptyBlock,                                            // a cut among the four: which?
  ...isCut(FP0), Op.if, Type.emptyBlock, ...returnIndex(0), Op.end,
  ...isCut(FP1), Op.if, Type.emptyBlock, ...returnIndex(1), Op.end,
  ...isCut(FP2), Op.if, Type.emptyBlock, ...returnIndex(2), Op.end,
  ...returnIndex(3),
  Op.end,
  Op.localGet, I, Op.i32Const, ...signed(4), Op.i32Add, Op.localSet, I,
  Op.br, 0,
  Op.end,
  Op.end,
  Op.block, Type.emptyBlock,
  Op.loop, Type.emptyBlock,                                          // the last 0 … 3 bytes, one at a time
  Op.localGet, I, Op.localGet, TO, Op.i32GeS, Op.brIf, 1,
  ...gearStep(FP, 0), Op.localTee, FP,
  Op.localGet, MASK, Op.i32And, Op.i32Eqz,
  Op.if, Type.emptyBlock, ...returnIndex(0), Op.end,
  Op.localGet, I, Op.i32Const, ...signed(1), Op.i32Add, Op.localSet, I,
  Op.br, 0,
  Op.end,
  Op.end,
  Op.localGet, FP, Op.globalSet, 0,                                  // no cut: leave the fingerprint
  Op.i32Const, ...signed(-1),
  Op.end,
];

/** The module: one function type, one function, one memory, one mutable global, three exports. */
export function gearRollModuleBytes(): Uint8Array {
  return new Uint8Array([
    ...MODULE_HEADER,
    ...section(Section.type, vector([[Type.function, ...vector([[Type.i32], [Type.i32], [Type.i32], [Type.i32]]), ...vector([[Type.i32]])]])),
    ...section(Section.function, vector([unsigned(0)])),
    ...section(Section.memory, vector([[0x00, ...unsigned(MEMORY_PAGES)]])),  // limits: minimum only
    ...section(Section.global, vector([[Type.i32, 0x01, Op.i32Const, ...signed(0), Op.end]])),  // mutable, 0
    ...section(Section.export, vector([
      [...name('roll'), ExportKind.function, 0],
      [...name('memory'), ExportKind.memory, 0],
      [...name('fingerprint'), ExportKind.global, 0],
    ])),
    ...section(Section.code, vector([[...unsigned(ROLL_BODY.length), ...ROLL_BODY]])),
  ]);
}

/** The little of the WebAssembly JavaScript API used here (this project's TypeScript libraries do not declare it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

interface GearRollInstance {
  readonly roll: (from: number, to: number, fingerprint: number, mask: number) => number;
  readonly fingerprint: { value: number };
  readonly window: Uint8Array;
}

/** Compiles and instantiates the module, or null where WebAssembly is missing or refuses it. */
function instantiate(): GearRollInstance | null {
  const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (api === undefined) return null;
  try {
    const instance = new api.Instance(new api.Module(gearRollModuleBytes()), {});
    const exports = instance.exports as { roll: GearRollInstance['roll']; memory: { buffer: ArrayBuffer }; fingerprint: { value: number } };
    const table = new DataView(exports.memory.buffer, 0, 1024);
    for (let byte = 0; byte < 256; byte++) table.setInt32(byte * 4, GEAR[byte], true);
    return { roll: exports.roll, fingerprint: exports.fingerprint, window: new Uint8Array(exports.memory.buffer, WINDOW_BASE, WINDOW_BYTES) };
  } catch {
    return null;
  }
}

const wasm = instantiate();

/** Whether this runtime has the WebAssembly loop; when not, rollToCutWasm is null and the chunker uses JavaScript. */
export const wasmAvailable = wasm !== null;

function rollInWasm(instance: GearRollInstance, data: Uint8Array, from: number, to: number, fingerprint: number, mask: number, state: RollState): number {
  const { roll, window } = instance;
  let fp = fingerprint | 0;
  let start = from;
  let step = STEP_BYTES_MIN;
  while (start < to) {
    const count = Math.min(to - start, step);
    window.set(data.subarray(start, start + count));
    const hit = roll(WINDOW_BASE, WINDOW_BASE + count, fp, mask);
    if (hit >= 0) return start + hit - WINDOW_BASE;
    fp = instance.fingerprint.value;
    start += count;
    if (step < WINDOW_BYTES) step *= 2;
  }
  state.fingerprint = fp;
  return -1;
}

/** rollToCut (gear-roll.ts) in WebAssembly, with the same contract and results; null when unavailable. */
export const rollToCutWasm: GearRoller | null =
  wasm === null ? null : (data, from, to, fingerprint, mask, state) => rollInWasm(wasm, data, from, to, fingerprint, mask, state);
