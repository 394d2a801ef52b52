/**
 * Deterministic instruction metering ("fuel", issue 5 item 3) by rewriting a unit's module: a
 * mutable i64 global, exported as `__peergrid_fuel`, is lowered at the entry of every function and
 * at the head of every loop by the number of instructions of that region (the function's body, or
 * the loop's, nested loops excluded — they pay on their own entry); when it drops below zero the
 * unit traps (`unreachable`), and the host, seeing the fuel negative, reports it out of fuel.
 *
 * So every call and every iteration pays for the code it may run, an infinite loop or an endless
 * recursion runs out, and two replicas of a unit burn exactly the same fuel — the count the
 * validator compares along with the output hash. Charging per region rather than per instruction
 * keeps the cost of metering to one check per call and per iteration (the technique of
 * wasm-instrument's and Wasmtime's fuel, written here from the specification). Straight-line code
 * after a loop is charged with its function, before the loop runs: fuel is an upper bound of
 * the instructions executed, never less.
 */
import { Opcode, readInstruction, skipLocals } from './instruction-reader.ts';
import { ExternalKind, readModuleSections, SectionId, ValueType, type ModuleSections } from './module-sections.ts';
import { WasmCursor, WasmFormatError } from './wasm-cursor.ts';
import { concat, nameBytes, section, signedLeb, unsignedLeb } from './wasm-encoding.ts';

export const FUEL_EXPORT = '__peergrid_fuel';

export type MeterResult = { readonly ok: true; readonly bytes: Uint8Array; readonly fuelGlobal: number } | { readonly ok: false; readonly problem: string };

/**
 * The module with fuel metering added; a problem (never a throw) when it cannot be metered.
 * `initialFuel` is the global's starting value, so that a start function, which runs while the
 * module is instantiated (before the host could set the global), is metered too.
 */
export function meterModule(bytes: Uint8Array, initialFuel = 0n): MeterResult {
  try {
    return { ok: true, ...meter(bytes, initialFuel) };
  } catch (error) {
    if (error instanceof WasmFormatError) return { ok: false, problem: `cannot meter the module: ${error.message}` };
    throw error;
  }
}

function meter(bytes: Uint8Array, initialFuel: bigint): { bytes: Uint8Array; fuelGlobal: number } {
  const sections = readModuleSections(bytes);
  if (sections.exports.some((entry) => entry.name === FUEL_EXPORT)) throw new WasmFormatError(0, `the module already exports ${FUEL_EXPORT}`);
  const importedGlobals = sections.imports.filter((entry) => entry.kind === ExternalKind.global).length;
  const fuelGlobal = importedGlobals + sections.globalCount;
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let globalsWritten = false;
  for (const range of sections.sections) {
    // A module without globals gets a global section, in its place before exports.
    if (!globalsWritten && range.id !== SectionId.custom && range.id > SectionId.global) {
      parts.push(section(SectionId.global, concat([Uint8Array.from(unsignedLeb(1)), fuelGlobalEntry(initialFuel)])));
      globalsWritten = true;
    }
    const contents = bytes.subarray(range.start, range.end);
    if (range.id === SectionId.global) {
      parts.push(section(SectionId.global, appendToVector(contents, fuelGlobalEntry(initialFuel))));
      globalsWritten = true;
    } else if (range.id === SectionId.export) {
      parts.push(section(SectionId.export, appendToVector(contents, Uint8Array.from([...nameBytes(FUEL_EXPORT), ExternalKind.global, ...unsignedLeb(fuelGlobal)]))));
    } else if (range.id === SectionId.code) {
      parts.push(section(SectionId.code, meteredCode(bytes, sections, fuelGlobal)));
    } else {
      parts.push(section(range.id, contents));
    }
  }
  if (!sections.sections.some((range) => range.id === SectionId.export)) throw new WasmFormatError(0, 'the module exports nothing');
  return { bytes: concat(parts), fuelGlobal };
}

/** `(global (mut i64) (i64.const initialFuel))`. */
function fuelGlobalEntry(initialFuel: bigint): Uint8Array {
  return Uint8Array.from([ValueType.i64, 1, Opcode.i64Const, ...signedLeb(initialFuel), Opcode.end]);
}

/** A vector's contents with one more element at its end. */
function appendToVector(contents: Uint8Array, element: Uint8Array): Uint8Array {
  const cursor = new WasmCursor(contents);
  const count = cursor.u32();
  return concat([Uint8Array.from(unsignedLeb(count + 1)), contents.subarray(cursor.offset), element]);
}

function meteredCode(bytes: Uint8Array, sections: ModuleSections, fuelGlobal: number): Uint8Array {
  const bodies = sections.code.map((body) => meteredBody(bytes, body.start, body.end, fuelGlobal));
  return concat([Uint8Array.from(unsignedLeb(bodies.length)), ...bodies.flatMap((body) => [Uint8Array.from(unsignedLeb(body.length)), body])]);
}

interface Frame {
  /** Loops and the function body are metered regions; blocks and ifs only match their end. */
  readonly region: boolean;
  /** Where its charge goes: right after the loop instruction, or after the locals. */
  readonly chargeAt: number;
  cost: number;
}

/** One function body with a charge at its entry and at the head of each of its loops. */
function meteredBody(bytes: Uint8Array, start: number, end: number, fuelGlobal: number): Uint8Array {
  const cursor = new WasmCursor(bytes, start, end);
  skipLocals(cursor);
  const frames: Frame[] = [{ region: true, chargeAt: cursor.offset, cost: 0 }];
  const charges: { readonly at: number; readonly cost: number }[] = [];
  while (frames.length > 0) {
    if (cursor.atEnd) cursor.fail('a function body ends inside a block');
    const instruction = readInstruction(cursor);
    innermostRegion(frames).cost++;
    if (instruction.opcode === Opcode.loop) frames.push({ region: true, chargeAt: instruction.end, cost: 0 });
    else if (instruction.opcode === Opcode.block || instruction.opcode === Opcode.if) frames.push({ region: false, chargeAt: 0, cost: 0 });
    else if (instruction.opcode === Opcode.end) {
      const frame = frames.pop() as Frame;
      if (frame.region) charges.push({ at: frame.chargeAt, cost: frame.cost });
    }
  }
  if (!cursor.atEnd) cursor.fail('bytes after the end of a function body');
  charges.sort((a, b) => a.at - b.at);
  const parts: Uint8Array[] = [];
  let copied = start;
  for (const charge of charges) {
    parts.push(bytes.subarray(copied, charge.at), chargeSequence(fuelGlobal, charge.cost));
    copied = charge.at;
  }
  parts.push(bytes.subarray(copied, end));
  return concat(parts);
}

function innermostRegion(frames: readonly Frame[]): Frame {
  for (let index = frames.length - 1; index >= 0; index--) if (frames[index].region) return frames[index];
  return frames[0];
}

/** fuel -= cost; if (fuel < 0) unreachable. */
function chargeSequence(fuelGlobal: number, cost: number): Uint8Array {
  const global = unsignedLeb(fuelGlobal);
  return Uint8Array.from([
    Opcode.globalGet, ...global, Opcode.i64Const, ...signedLeb(BigInt(cost)), Opcode.i64Sub, Opcode.globalSet, ...global,
    Opcode.globalGet, ...global, Opcode.i64Const, 0, Opcode.i64LtS, Opcode.if, 0x40, Opcode.unreachable, Opcode.end,
  ]);
}
