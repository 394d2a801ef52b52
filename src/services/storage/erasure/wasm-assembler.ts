/**
 * A tiny WebAssembly assembler: just the instructions and sections the erasure kernel needs, so
 * that the kernel can be written in TypeScript without a wasm toolchain and built at load time.
 *
 * Each instruction appends its binary encoding and one line of text-format listing, so the bytes
 * can always be read back as a .wat-like program (`FunctionBody.listing`, `ModuleSpec` →
 * `assembleModule(...).listing`). Encodings follow the WebAssembly core specification 2.0, §5
 * (binary format) and the fixed-width SIMD proposal's opcode table (prefix 0xfd, then the opcode
 * as an unsigned LEB128); the relaxed-SIMD proposal adds i8x16.relaxed_swizzle (0xfd 0x100).
 */

import { MODULE_HEADER, section, signedLeb128, unsignedLeb128, utf8Name, vector } from '../wasm-binary.ts';

export { signedLeb128, unsignedLeb128 } from '../wasm-binary.ts';

export const valueType = { i32: 0x7f, v128: 0x7b } as const;
export type ValueType = (typeof valueType)[keyof typeof valueType];

const valueTypeName: Record<ValueType, string> = { 0x7f: 'i32', 0x7b: 'v128' };

function simd(opcode: number): number[] {
  return [0xfd, ...unsignedLeb128(opcode)];
}

export interface NamedValue {
  readonly name: string;
  readonly type: ValueType;
}

/**
 * The instructions of one function body. Locals are referred to by name (params first, then
 * locals, in declaration order, as the spec numbers them); blocks and loops by label, so the
 * listing reads like hand-written text format and branch depths are computed, not counted by hand.
 */
export class FunctionBody {
  readonly bytes: number[] = [];
  readonly lines: string[] = [];
  private readonly localIndex = new Map<string, number>();
  private readonly labels: string[] = [];

  constructor(params: readonly NamedValue[], locals: readonly NamedValue[]) {
    [...params, ...locals].forEach((value, index) => {
      if (this.localIndex.has(value.name)) throw new Error(`FunctionBody: local $${value.name} declared twice`);
      this.localIndex.set(value.name, index);
    });
  }

  private emit(text: string, bytes: readonly number[]): this {
    this.lines.push(`${'  '.repeat(this.labels.length + 1)}${text}`);
    this.bytes.push(...bytes);
    return this;
  }

  private local(name: string): number[] {
    const index = this.localIndex.get(name);
    if (index === undefined) throw new Error(`FunctionBody: no local $${name}`);
    return unsignedLeb128(index);
  }

  private depthOf(label: string): number[] {
    const position = this.labels.lastIndexOf(label);
    if (position < 0) throw new Error(`FunctionBody: no enclosing block $${label}`);
    return unsignedLeb128(this.labels.length - 1 - position);
  }

  // Control (spec §5.4.1). Blocks take and give no values (block type 0x40).
  block(label: string): this {
    this.emit(`block $${label}`, [0x02, 0x40]);
    this.labels.push(label);
    return this;
  }

  loop(label: string): this {
    this.emit(`loop $${label}`, [0x03, 0x40]);
    this.labels.push(label);
    return this;
  }

  end(): this {
    const label = this.labels.pop();
    if (label === undefined) throw new Error('FunctionBody: end without block');
    return this.emit(`end ;; $${label}`, [0x0b]);
  }

  br(label: string): this {
    return this.emit(`br $${label}`, [0x0c, ...this.depthOf(label)]);
  }

  brIf(label: string): this {
    return this.emit(`br_if $${label}`, [0x0d, ...this.depthOf(label)]);
  }

  /** Leaves the function (its results, if any, on the stack). */
  return(): this {
    return this.emit('return', [0x0f]);
  }

  // Variables (§5.4.4).
  localGet(name: string): this {
    return this.emit(`local.get $${name}`, [0x20, ...this.local(name)]);
  }

  localSet(name: string): this {
    return this.emit(`local.set $${name}`, [0x21, ...this.local(name)]);
  }

  localTee(name: string): this {
    return this.emit(`local.tee $${name}`, [0x22, ...this.local(name)]);
  }

  // Numeric, i32 (§5.4.7).
  i32Const(value: number): this {
    return this.emit(`i32.const ${value}`, [0x41, ...signedLeb128(value)]);
  }

  i32Eqz(): this {
    return this.emit('i32.eqz', [0x45]);
  }

  i32Ne(): this {
    return this.emit('i32.ne', [0x47]);
  }

  i32LtU(): this {
    return this.emit('i32.lt_u', [0x49]);
  }

  i32Add(): this {
    return this.emit('i32.add', [0x6a]);
  }

  i32Sub(): this {
    return this.emit('i32.sub', [0x6b]);
  }

  i32Mul(): this {
    return this.emit('i32.mul', [0x6c]);
  }

  // Vector (§5.4.8). Memory arguments are (alignment as a power of two, offset).
  v128Load(offset = 0, alignLog2 = 4): this {
    return this.emit(`v128.load offset=${offset} align=${1 << alignLog2}`, [...simd(0x00), ...unsignedLeb128(alignLog2), ...unsignedLeb128(offset)]);
  }

  v128Store(offset = 0, alignLog2 = 4): this {
    return this.emit(`v128.store offset=${offset} align=${1 << alignLog2}`, [...simd(0x0b), ...unsignedLeb128(alignLog2), ...unsignedLeb128(offset)]);
  }

  /** A 16-byte constant, every lane the same byte. */
  v128ConstSplatBytes(byte: number): this {
    if (!Number.isInteger(byte) || byte < 0 || byte > 255) throw new RangeError(`v128ConstSplatBytes: ${byte}`);
    return this.emit(`v128.const i8x16 ${Array(16).fill(byte).join(' ')}`, [...simd(0x0c), ...Array<number>(16).fill(byte)]);
  }

  /** i8x16.swizzle(table, indexes): lane i = table[indexes[i]], or 0 when indexes[i] ≥ 16. */
  i8x16Swizzle(): this {
    return this.emit('i8x16.swizzle', simd(0x0e));
  }

  /** As i8x16.swizzle for indexes below 16 (the only ones the kernel makes); maps to one PSHUFB on x64. */
  i8x16RelaxedSwizzle(): this {
    return this.emit('i8x16.relaxed_swizzle', simd(0x100));
  }

  v128And(): this {
    return this.emit('v128.and', simd(0x4e));
  }

  v128Xor(): this {
    return this.emit('v128.xor', simd(0x51));
  }

  /** Shifts each 16-bit lane right by the i32 on top of the stack, filling with zeros. */
  i16x8ShrU(): this {
    return this.emit('i16x8.shr_u', simd(0x8d));
  }
}

export interface FunctionSpec {
  readonly name: string;
  readonly params: readonly NamedValue[];
  readonly locals: readonly NamedValue[];
  /** Results are not needed by the kernel: every function returns nothing. */
  readonly body: FunctionBody;
}

export interface ModuleSpec {
  /** The module imports one memory, `(import "<module>" "<field>" (memory <minimumPages>))`. */
  readonly memoryImport: { readonly module: string; readonly field: string; readonly minimumPages: number };
  /** Each function is exported under its own name. */
  readonly functions: readonly FunctionSpec[];
}

/** Runs of equal types, as the code section declares locals (§5.5.13). */
function localDeclarations(locals: readonly NamedValue[]): number[][] {
  const runs: number[][] = [];
  let i = 0;
  while (i < locals.length) {
    let j = i;
    while (j < locals.length && locals[j].type === locals[i].type) j++;
    runs.push([...unsignedLeb128(j - i), locals[i].type]);
    i = j;
  }
  return runs;
}

/** The binary module (§5.5) and its text listing. */
export function assembleModule(spec: ModuleSpec): { bytes: Uint8Array; listing: string } {
  const { memoryImport, functions } = spec;
  const types = functions.map((fn) => [0x60, ...vector(fn.params.map((p) => [p.type])), ...vector([])]);
  const imports = [[...utf8Name(memoryImport.module), ...utf8Name(memoryImport.field), 0x02, 0x00, ...unsignedLeb128(memoryImport.minimumPages)]];
  const functionTypes = functions.map((_, index) => unsignedLeb128(index));
  const exports = functions.map((fn, index) => [...utf8Name(fn.name), 0x00, ...unsignedLeb128(index)]);
  const bodies = functions.map((fn) => {
    const body = [...vector(localDeclarations(fn.locals)), ...fn.body.bytes, 0x0b];
    return [...unsignedLeb128(body.length), ...body];
  });
  const bytes = Uint8Array.from([
    ...MODULE_HEADER,
    ...section(1, vector(types)),
    ...section(2, vector(imports)),
    ...section(3, vector(functionTypes)),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies)),
  ]);
  const lines = ['(module', `  (import "${memoryImport.module}" "${memoryImport.field}" (memory ${memoryImport.minimumPages}))`];
  for (const fn of functions) {
    const params = fn.params.map((p) => ` (param $${p.name} ${valueTypeName[p.type]})`).join('');
    lines.push(`  (func $${fn.name} (export "${fn.name}")${params}`);
    for (const local of fn.locals) lines.push(`    (local $${local.name} ${valueTypeName[local.type]})`);
    lines.push(...fn.body.lines.map((line) => `  ${line}`));
    lines.push('  )');
  }
  lines.push(')');
  return { bytes, listing: lines.join('\n') };
}
