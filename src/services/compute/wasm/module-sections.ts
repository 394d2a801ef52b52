/**
 * Reads the parts of a WebAssembly module that the sandbox's policy looks at (Core Specification
 * 2.0, §5.5 "Modules"): function types, imports, memories, tables, exports, the start function and
 * where each function body is. Instructions are not decoded here (the fuel meter does that); the
 * engine's own validation (WebAssembly.validate) checks everything else.
 */
import { WasmCursor, WasmFormatError } from './wasm-cursor.ts';

export const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;
export const WASM_VERSION = [0x01, 0x00, 0x00, 0x00] as const;

export const ValueType = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  v128: 0x7b,
  funcref: 0x70,
  externref: 0x6f,
} as const;

export const ExternalKind = {
  function: 0,
  table: 1,
  memory: 2,
  global: 3,
} as const;
export type ExternalKind = (typeof ExternalKind)[keyof typeof ExternalKind];

export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
} as const;

export interface FunctionType {
  readonly params: readonly number[];
  readonly results: readonly number[];
}

export interface Limits {
  readonly min: number;
  /** Undefined when the module declares no maximum. */
  readonly max: number | undefined;
  readonly shared: boolean;
  readonly memory64: boolean;
}

export type Import =
  | { readonly module: string; readonly name: string; readonly kind: 0; readonly typeIndex: number }
  | { readonly module: string; readonly name: string; readonly kind: 1; readonly limits: Limits }
  | { readonly module: string; readonly name: string; readonly kind: 2; readonly limits: Limits }
  | { readonly module: string; readonly name: string; readonly kind: 3; readonly valueType: number; readonly mutable: boolean };

export interface Export {
  readonly name: string;
  readonly kind: number;
  readonly index: number;
}

/** A function body's bytes: [start, end) in the module, locals included. */
export interface CodeBody {
  readonly start: number;
  readonly end: number;
}

export interface ModuleSections {
  readonly types: readonly FunctionType[];
  readonly imports: readonly Import[];
  /** Type index of each function the module defines (not the imported ones). */
  readonly functionTypes: readonly number[];
  readonly tables: readonly Limits[];
  readonly memories: readonly Limits[];
  readonly globalCount: number;
  readonly exports: readonly Export[];
  readonly start: number | undefined;
  readonly code: readonly CodeBody[];
  /** The sections present, in order: their id and where their contents are (custom sections too). */
  readonly sections: readonly SectionRange[];
}

export interface SectionRange {
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

/** Reads the sections; throws WasmFormatError on a malformed module. */
export function readModuleSections(bytes: Uint8Array): ModuleSections {
  const cursor = new WasmCursor(bytes);
  const header = cursor.bytesOf(8);
  if (!WASM_MAGIC.every((byte, index) => header[index] === byte)) throw new WasmFormatError(0, 'not a WebAssembly module (no \\0asm magic)');
  if (!WASM_VERSION.every((byte, index) => header[4 + index] === byte)) throw new WasmFormatError(4, 'not WebAssembly version 1');
  const sections: { -readonly [K in keyof ModuleSections]: ModuleSections[K] } = {
    types: [], imports: [], functionTypes: [], tables: [], memories: [], globalCount: 0, exports: [], start: undefined, code: [], sections: [],
  };
  const ranges: SectionRange[] = [];
  let lastOrdered = 0;
  while (!cursor.atEnd) {
    const id = cursor.u8();
    const size = cursor.u32();
    if (size > cursor.remaining) cursor.fail(`section ${id} of ${size} bytes in ${cursor.remaining}`);
    const body = new WasmCursor(bytes, cursor.offset, cursor.offset + size);
    ranges.push({ id, start: cursor.offset, end: cursor.offset + size });
    cursor.skip(size);
    if (id !== SectionId.custom) {
      if (id > SectionId.dataCount) body.fail(`unknown section ${id}`);
      // The data count section (12) sits between import-ish and code sections; the rest go in id order.
      const order = id === SectionId.dataCount ? 9.5 : id;
      if (order <= lastOrdered) body.fail(`section ${id} out of order or repeated`);
      lastOrdered = order;
    }
    readSection(id, body, sections);
    if (id !== SectionId.custom && !body.atEnd) body.fail(`section ${id} has ${body.remaining} bytes left over`);
  }
  sections.sections = ranges;
  return sections;
}

function readSection(id: number, body: WasmCursor, into: { -readonly [K in keyof ModuleSections]: ModuleSections[K] }): void {
  switch (id) {
    case SectionId.type:
      into.types = vector(body, () => functionType(body));
      return;
    case SectionId.import:
      into.imports = vector(body, () => importEntry(body));
      return;
    case SectionId.function:
      into.functionTypes = vector(body, () => body.u32());
      return;
    case SectionId.table:
      into.tables = vector(body, () => {
        body.u8();
        return limits(body);
      });
      return;
    case SectionId.memory:
      into.memories = vector(body, () => limits(body));
      return;
    case SectionId.global:
      // Counted only: a global's initialiser is a constant expression the engine validates.
      into.globalCount = body.count();
      body.skip(body.remaining);
      return;
    case SectionId.export:
      into.exports = vector(body, () => ({ name: body.name(), kind: body.u8(), index: body.u32() }));
      return;
    case SectionId.start:
      into.start = body.u32();
      return;
    case SectionId.code:
      into.code = vector(body, () => {
        const size = body.u32();
        const start = body.offset;
        body.skip(size);
        return { start, end: start + size };
      });
      return;
    default:
      // Custom, element, data and data count sections: nothing the policy needs.
      body.skip(body.remaining);
  }
}

function vector<T>(body: WasmCursor, read: () => T): T[] {
  const count = body.count();
  const items: T[] = [];
  for (let index = 0; index < count; index++) items.push(read());
  return items;
}

function functionType(body: WasmCursor): FunctionType {
  if (body.u8() !== 0x60) body.fail('a function type must start with 0x60');
  const params = vector(body, () => body.u8());
  const results = vector(body, () => body.u8());
  return { params, results };
}

function limits(body: WasmCursor): Limits {
  const flags = body.u8();
  if (flags > 0x07) body.fail(`unknown limits flags ${flags}`);
  const memory64 = (flags & 0x04) !== 0;
  const min = memory64 ? u64AsNumber(body) : body.u32();
  const max = (flags & 0x01) !== 0 ? (memory64 ? u64AsNumber(body) : body.u32()) : undefined;
  return { min, max, shared: (flags & 0x02) !== 0, memory64 };
}

/** A 64-bit memory's limit, as a number (large ones lose precision, which only matters for refusing them). */
function u64AsNumber(body: WasmCursor): number {
  let result = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    const byte = body.u8();
    result += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return result;
  }
  return body.fail('u64 longer than 10 bytes');
}

function importEntry(body: WasmCursor): Import {
  const module = body.name();
  const name = body.name();
  const kind = body.u8();
  switch (kind) {
    case ExternalKind.function:
      return { module, name, kind, typeIndex: body.u32() };
    case ExternalKind.table:
      body.u8();
      return { module, name, kind, limits: limits(body) };
    case ExternalKind.memory:
      return { module, name, kind, limits: limits(body) };
    case ExternalKind.global: {
      const valueType = body.u8();
      const mutable = body.u8() === 1;
      return { module, name, kind, valueType, mutable };
    }
    default:
      return body.fail(`unknown import kind ${kind}`);
  }
}
