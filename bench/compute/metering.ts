/**
 * `meteringOverhead` (issue 5: ≤ 20%): the same WebAssembly work run with and without fuel
 * metering (src/services/compute/wasm/fuel-meter.ts), in this process, alternating, the best of
 * several runs each. Two workloads, each a unit-like kernel written in the text format:
 *   primes  counting primes below N by trial division (nested loops, arithmetic: the prime-count example's kernel)
 *   calls   a loop making one small function call per iteration (metering's worst case: a charge per call and per iteration)
 * The overhead is metered time over plain time, minus 1. Run alone: `node bench/compute/metering.ts`.
 */
import wabtInit from 'wabt';
import { FUEL_EXPORT, meterModule } from '../../src/services/compute/wasm/fuel-meter.ts';

type Say = (line: string) => void;

interface Engine {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
}
const engine = (globalThis as unknown as { WebAssembly: Engine }).WebAssembly;

const PRIMES = `(module
  (func (export "work") (param $limit i32) (result i32) (local $n i32) (local $d i32) (local $count i32) (local $prime i32)
    (local.set $n (i32.const 2))
    (block $done (loop $numbers
      (br_if $done (i32.ge_u (local.get $n) (local.get $limit)))
      (local.set $prime (i32.const 1))
      (local.set $d (i32.const 2))
      (block $checked (loop $divisors
        (br_if $checked (i32.gt_u (i32.mul (local.get $d) (local.get $d)) (local.get $n)))
        (if (i32.eqz (i32.rem_u (local.get $n) (local.get $d))) (then (local.set $prime (i32.const 0)) (br $checked)))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $divisors)))
      (local.set $count (i32.add (local.get $count) (local.get $prime)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $numbers)))
    (local.get $count)))`;

const CALLS = `(module
  (func $step (param i32) (result i32) (i32.xor (i32.mul (local.get 0) (i32.const 1103515245)) (i32.const 12345)))
  (func (export "work") (param $n i32) (result i32) (local $x i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $x (call $step (local.get $x)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $x)))`;

const WORKLOADS = [
  { name: 'primes', text: PRIMES, argument: 3_000_000 },
  { name: 'calls', text: CALLS, argument: 100_000_000 },
] as const;

export async function meteringBenchmark(say: Say, repetitions = 5): Promise<{ meteringOverhead: number; workloads: Record<string, unknown>[] }> {
  const wabt = await wabtInit();
  const workloads: Record<string, unknown>[] = [];
  for (const workload of WORKLOADS) {
    const module = wabt.parseWat(`${workload.name}.wat`, workload.text);
    const plainBytes = new Uint8Array(module.toBinary({}).buffer);
    module.destroy();
    const metered = meterModule(plainBytes);
    if (!metered.ok) throw new Error(metered.problem);
    const plain = (await engine.instantiate(plainBytes, {})).instance.exports;
    const withFuel = (await engine.instantiate(metered.bytes, {})).instance.exports;
    const fuel = withFuel[FUEL_EXPORT] as { value: bigint };
    const best = { plain: Infinity, metered: Infinity };
    let fuelBurnt = 0n;
    for (let round = 0; round < repetitions; round++) {
      let started = performance.now();
      const expected = (plain.work as (n: number) => number)(workload.argument);
      best.plain = Math.min(best.plain, performance.now() - started);
      fuel.value = 1n << 62n;
      started = performance.now();
      const got = (withFuel.work as (n: number) => number)(workload.argument);
      best.metered = Math.min(best.metered, performance.now() - started);
      if (got !== expected) throw new Error(`${workload.name}: metered ${got}, plain ${expected}`);
      fuelBurnt = (1n << 62n) - fuel.value;
    }
    const overhead = best.metered / best.plain - 1;
    say(`  ${workload.name}: plain ${best.plain.toFixed(1)} ms, metered ${best.metered.toFixed(1)} ms, overhead ${(overhead * 100).toFixed(1)}%, fuel ${fuelBurnt}`);
    workloads.push({ name: workload.name, plainMs: round1(best.plain), meteredMs: round1(best.metered), overhead: round3(overhead), fuel: Number(fuelBurnt) });
  }
  // The figure: the unit-like kernel (primes); the call-heavy worst case is reported beside it.
  return { meteringOverhead: workloads[0].overhead as number, workloads };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

if (import.meta.main) {
  const result = await meteringBenchmark((line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
