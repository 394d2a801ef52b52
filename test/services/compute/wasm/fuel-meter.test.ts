/** Fuel metering by rewriting: the same results, a deterministic count, and runaway units stopped. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FUEL_EXPORT, meterModule } from '../../../../src/services/compute/wasm/fuel-meter.ts';
import { checkModule } from '../../../../src/services/compute/wasm/module-policy.ts';
import { wat } from './wat.ts';

interface Engine {
  validate(bytes: Uint8Array): boolean;
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const engine = (globalThis as unknown as { WebAssembly: Engine }).WebAssembly;

/** `run(n)`: the sum 1..n in a loop, through a helper function, keeping a running total in a global of its own. */
const SUM = `(module
  (global $calls (mut i32) (i32.const 0))
  (func $add (param i32 i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.add (local.get 0) (local.get 1)))
  (func (export "sum") (param $n i32) (result i32) (local $total i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $total (call $add (local.get $total) (local.get $n)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $total))
  (func (export "calls") (result i32) (global.get $calls)))`;

async function metered(text: string, features: Record<string, boolean> = {}): Promise<Record<string, unknown>> {
  const result = meterModule(await wat(text, features));
  assert.ok(result.ok, result.ok ? '' : result.problem);
  assert.equal(engine.validate(result.bytes), true, 'the metered module is valid');
  return (await engine.instantiate(result.bytes, {})).instance.exports;
}

function fuelOf(exports: Record<string, unknown>): { value: bigint } {
  return exports[FUEL_EXPORT] as { value: bigint };
}

describe('meterModule', () => {
  it('keeps what the module computes, and burns the same fuel for the same work, more for more', async () => {
    const exports = await metered(SUM);
    const fuel = fuelOf(exports);
    const sum = exports.sum as (n: number) => number;
    const burnt = (n: number): bigint => {
      fuel.value = 1_000_000n;
      const result = sum(n);
      assert.equal(result, (n * (n + 1)) / 2);
      return 1_000_000n - fuel.value;
    };
    const ten = burnt(10);
    assert.equal(burnt(10), ten, 'deterministic');
    const hundred = burnt(100);
    assert.ok(hundred > ten * 9n && hundred < ten * 11n, `linear in the work: ${ten} for 10, ${hundred} for 100`);
    assert.equal((exports.calls as () => number)(), 120, 'the module\'s own global counts its 10 + 10 + 100 calls, untouched by the new one');
  });

  it('stops an infinite loop and an endless recursion once their fuel is gone', async () => {
    const exports = await metered(`(module
      (func (export "spin") (loop $forever (br $forever)))
      (func $deeper (export "recurse") (param i32) (call $deeper (i32.add (local.get 0) (i32.const 1))))
      (func (export "run") (result i32) (i32.const 0)))`);
    const fuel = fuelOf(exports);
    fuel.value = 100_000n;
    assert.throws(() => (exports.spin as () => void)(), /unreachable/);
    assert.ok(fuel.value < 0n, 'out of fuel, not some other trap');
    fuel.value = 1_000n;
    assert.throws(() => (exports.recurse as (start: number) => void)(0), /unreachable/);
    assert.ok(fuel.value < 0n);
  });

  it('meters a module with no globals and no loops, charging at function entry', async () => {
    const exports = await metered('(module (func (export "run") (result i32) (i32.add (i32.const 2) (i32.const 3))))');
    const fuel = fuelOf(exports);
    fuel.value = 10n;
    assert.equal((exports.run as () => number)(), 5);
    assert.equal(fuel.value, 6n, '4 instructions: two consts, add, end');
    fuel.value = 3n;
    assert.throws(() => (exports.run as () => number)(), /unreachable/);
  });

  it('refuses what it cannot account for, with a reason', async () => {
    const simd = meterModule(await wat('(module (func (export "run") (result i32) (drop (v128.const i32x4 0 0 0 0)) (i32.const 0)))', { simd: true }));
    assert.deepEqual(simd.ok, false);
    assert.match(simd.ok ? '' : simd.problem, /unsupported instruction 0xfd: SIMD/);
    const taken = meterModule(await wat(`(module (global (export "${FUEL_EXPORT}") i32 (i32.const 0)) (func (export "run") (result i32) (i32.const 0)))`));
    assert.match(taken.ok ? '' : taken.problem, /already exports __peergrid_fuel/);
    assert.equal(meterModule(new Uint8Array([0, 0x61, 0x73, 0x6d])).ok, false);
  });

  it('never throws on mutated modules, and what it meters is valid', async () => {
    const good = await wat(SUM.replace('(func (export "calls")', '(func (export "run") (result i32) (i32.const 0)) (func (export "calls")'));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 6 }), (flips) => {
        const bytes = Uint8Array.from(good);
        for (const [at, value] of flips) bytes[at] = value;
        if (!checkModule(bytes).ok) return;
        const result = meterModule(bytes);
        if (result.ok) assert.equal(engine.validate(result.bytes), true);
      }),
      { numRuns: 2000 },
    );
  });
});
