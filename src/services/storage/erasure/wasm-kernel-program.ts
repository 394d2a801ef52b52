/**
 * The WebAssembly SIMD program of the fast kernel, generated with our assembler.
 *
 * Method: the split-nibble table lookup of J. S. Plank, K. M. Greenan and E. L. Miller, "Screaming
 * Fast Galois Field Arithmetic Using Intel SIMD Instructions" (FAST 2013, §5.1), which Intel ISA-L
 * and klauspost/reedsolomon also use. Multiplying 16 bytes x by a constant c takes two 16-entry
 * tables, c·n and c·(n<<4) for n < 16 (`nibbleTables`), and two byte shuffles:
 *
 *   c·x = shuffle(lowTable, x & 0x0f) ⊕ shuffle(highTable, (x >> 4) & 0x0f)
 *
 * WebAssembly's shuffle is i8x16.swizzle (one PSHUFB plus a saturating add on x64, to zero lanes
 * whose index is 16 or more) or, where the engine has relaxed SIMD, i8x16.relaxed_swizzle (one
 * PSHUFB). Our indexes are always below 16, so the two give the same bytes. WebAssembly has no 8-bit
 * shift, so the high nibble is a 16-bit shift by 4 and the same 0x0f mask.
 *
 * One function per group size G (1 … KERNEL_GROUP_MAX), `multiply_G`: it computes G output regions
 * at once, keeping the G running sums of two 16-byte columns in registers (locals) while it walks
 * the inputs, so each input byte is loaded once per group and each output byte stored once. The
 * nibble tables of the group are laid out input by input: tables + (i·G + j)·32 holds the 32 bytes
 * for input i and output j (low table, then high table), so the walk reads them sequentially. Each
 * pair of tables is loaded once per input and used for both columns.
 *
 * Inputs are at inputs + i·inputStride, outputs at outputs + j·outputStride; `length` is a
 * positive multiple of KERNEL_STEP_BYTES (the driver pads), inputCount ≥ 1. The listing of
 * `multiply_1` with relaxed swizzles, as `kernelProgram('relaxed').listing` prints it (the tests
 * check that this comment matches the generated program):
 *
 * LISTING multiply_1
 *   (func $multiply_1 (export "multiply_1") (param $tables i32) (param $inputs i32) (param $inputStride i32) (param $inputCount i32) (param $outputs i32) (param $outputStride i32) (param $length i32)
 *     (local $column i32)
 *     (local $source i32)
 *     (local $table i32)
 *     (local $remaining i32)
 *     (local $target i32)
 *     (local $mask v128)
 *     (local $x v128)
 *     (local $tableLow v128)
 *     (local $tableHigh v128)
 *     (local $low0 v128)
 *     (local $high0 v128)
 *     (local $low1 v128)
 *     (local $high1 v128)
 *     (local $sum0_0 v128)
 *     (local $sum0_1 v128)
 *     v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15
 *     local.set $mask
 *     i32.const 0
 *     local.set $column
 *     loop $columns
 *       v128.const i8x16 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 *       local.tee $sum0_0
 *       local.set $sum0_1
 *       local.get $inputs
 *       local.get $column
 *       i32.add
 *       local.set $source
 *       local.get $tables
 *       local.set $table
 *       local.get $inputCount
 *       local.set $remaining
 *       loop $inputs
 *         local.get $source
 *         v128.load offset=0 align=16
 *         local.tee $x
 *         local.get $mask
 *         v128.and
 *         local.set $low0
 *         local.get $x
 *         i32.const 4
 *         i16x8.shr_u
 *         local.get $mask
 *         v128.and
 *         local.set $high0
 *         local.get $source
 *         v128.load offset=16 align=16
 *         local.tee $x
 *         local.get $mask
 *         v128.and
 *         local.set $low1
 *         local.get $x
 *         i32.const 4
 *         i16x8.shr_u
 *         local.get $mask
 *         v128.and
 *         local.set $high1
 *         local.get $table
 *         v128.load offset=0 align=16
 *         local.set $tableLow
 *         local.get $table
 *         v128.load offset=16 align=16
 *         local.set $tableHigh
 *         local.get $sum0_0
 *         local.get $tableLow
 *         local.get $low0
 *         i8x16.relaxed_swizzle
 *         v128.xor
 *         local.get $tableHigh
 *         local.get $high0
 *         i8x16.relaxed_swizzle
 *         v128.xor
 *         local.set $sum0_0
 *         local.get $sum0_1
 *         local.get $tableLow
 *         local.get $low1
 *         i8x16.relaxed_swizzle
 *         v128.xor
 *         local.get $tableHigh
 *         local.get $high1
 *         i8x16.relaxed_swizzle
 *         v128.xor
 *         local.set $sum0_1
 *         local.get $table
 *         i32.const 32
 *         i32.add
 *         local.set $table
 *         local.get $source
 *         local.get $inputStride
 *         i32.add
 *         local.set $source
 *         local.get $remaining
 *         i32.const 1
 *         i32.sub
 *         local.tee $remaining
 *         br_if $inputs
 *       end ;; $inputs
 *       local.get $outputs
 *       local.get $column
 *       i32.add
 *       local.tee $target
 *       local.get $sum0_0
 *       v128.store offset=0 align=16
 *       local.get $target
 *       local.get $sum0_1
 *       v128.store offset=16 align=16
 *       local.get $column
 *       i32.const 32
 *       i32.add
 *       local.tee $column
 *       local.get $length
 *       i32.lt_u
 *       br_if $columns
 *     end ;; $columns
 *   )
 * END LISTING
 *
 * The larger groups differ only in carrying G pairs of sums and storing G outputs, advancing
 * $target by $outputStride between them.
 */
import { assembleModule, FunctionBody, valueType, type FunctionSpec, type NamedValue } from './wasm-assembler.ts';

/**
 * The most outputs one call computes. Four outputs of two columns are 8 running sums; with the mask,
 * the input, the two tables and the four nibble vectors that is 16 vectors, x64's register count.
 * More outputs take more calls (RS 10+4 needs exactly one; measured, two calls of 2 were about 10%
 * slower).
 */
export const KERNEL_GROUP_MAX = 4;

/** Columns of 16 bytes per loop iteration; the table pair loaded per input serves all of them. */
export const KERNEL_COLUMNS_PER_ITERATION = 2;

/** `length` must be a multiple of this. */
export const KERNEL_STEP_BYTES = 16 * KERNEL_COLUMNS_PER_ITERATION;

/** Bytes of nibble tables per coefficient. */
export const TABLE_BYTES_PER_COEFFICIENT = 32;

export const swizzleFlavour = { plain: 'plain', relaxed: 'relaxed' } as const;
export type SwizzleFlavour = (typeof swizzleFlavour)[keyof typeof swizzleFlavour];

const i32 = (name: string): NamedValue => ({ name, type: valueType.i32 });
const v128 = (name: string): NamedValue => ({ name, type: valueType.v128 });

export function kernelFunctionName(groupSize: number): string {
  return `multiply_${groupSize}`;
}

function kernelFunction(groupSize: number, flavour: SwizzleFlavour): FunctionSpec {
  const columns = KERNEL_COLUMNS_PER_ITERATION;
  const outputs = Array.from({ length: groupSize }, (_, j) => j);
  const lanes = Array.from({ length: columns }, (_, k) => k);
  const sum = (j: number, k: number): string => `sum${j}_${k}`;
  const params = ['tables', 'inputs', 'inputStride', 'inputCount', 'outputs', 'outputStride', 'length'].map(i32);
  const locals = [
    ...['column', 'source', 'table', 'remaining', 'target'].map(i32),
    ...['mask', 'x', 'tableLow', 'tableHigh'].map(v128),
    ...lanes.flatMap((k) => [v128(`low${k}`), v128(`high${k}`)]),
    ...outputs.flatMap((j) => lanes.map((k) => v128(sum(j, k)))),
  ];
  const body = new FunctionBody(params, locals);
  const shuffle = (): FunctionBody => (flavour === swizzleFlavour.relaxed ? body.i8x16RelaxedSwizzle() : body.i8x16Swizzle());

  body.v128ConstSplatBytes(0x0f).localSet('mask');
  body.i32Const(0).localSet('column');
  body.loop('columns');
  {
    body.v128ConstSplatBytes(0);
    const sums = outputs.flatMap((j) => lanes.map((k) => sum(j, k)));
    sums.forEach((name, index) => (index < sums.length - 1 ? body.localTee(name) : body.localSet(name)));
    body.localGet('inputs').localGet('column').i32Add().localSet('source');
    body.localGet('tables').localSet('table');
    body.localGet('inputCount').localSet('remaining');
    body.loop('inputs');
    {
      // Split each 16-byte column of this input into its low and high nibbles.
      for (const k of lanes) {
        body.localGet('source').v128Load(16 * k).localTee('x').localGet('mask').v128And().localSet(`low${k}`);
        body.localGet('x').i32Const(4).i16x8ShrU().localGet('mask').v128And().localSet(`high${k}`);
      }
      // For each output of the group: sum ^= lowTable[low] ^ highTable[high], for every column.
      for (const j of outputs) {
        body.localGet('table').v128Load(32 * j).localSet('tableLow');
        body.localGet('table').v128Load(32 * j + 16).localSet('tableHigh');
        for (const k of lanes) {
          body.localGet(sum(j, k)).localGet('tableLow').localGet(`low${k}`);
          shuffle();
          body.v128Xor().localGet('tableHigh').localGet(`high${k}`);
          shuffle();
          body.v128Xor().localSet(sum(j, k));
        }
      }
      body.localGet('table').i32Const(TABLE_BYTES_PER_COEFFICIENT * groupSize).i32Add().localSet('table');
      body.localGet('source').localGet('inputStride').i32Add().localSet('source');
      body.localGet('remaining').i32Const(1).i32Sub().localTee('remaining').brIf('inputs');
    }
    body.end();
    body.localGet('outputs').localGet('column').i32Add();
    for (const j of outputs) {
      if (j > 0) body.localGet('target').localGet('outputStride').i32Add();
      body.localTee('target');
      for (const k of lanes) {
        if (k > 0) body.localGet('target');
        body.localGet(sum(j, k)).v128Store(16 * k);
      }
    }
    body.localGet('column').i32Const(KERNEL_STEP_BYTES).i32Add().localTee('column').localGet('length').i32LtU().brIf('columns');
  }
  body.end();
  return { name: kernelFunctionName(groupSize), params, locals, body };
}

/** The kernel module: multiply_1 … multiply_KERNEL_GROUP_MAX over an imported memory "env" "memory". */
export function kernelProgram(flavour: SwizzleFlavour): { bytes: Uint8Array; listing: string } {
  const functions = Array.from({ length: KERNEL_GROUP_MAX }, (_, index) => kernelFunction(index + 1, flavour));
  return assembleModule({ memoryImport: { module: 'env', field: 'memory', minimumPages: 1 }, functions });
}
