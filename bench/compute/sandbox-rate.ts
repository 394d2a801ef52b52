/**
 * How many trivial units a second one node's sandbox runs: a warm pool (unit-pool.ts) against a
 * worker per unit (runUnit), the same unit, in the same run. Not the issue's dispatchUnitsPerSec,
 * which is measured over a devnet with matching and results (bench/compute/dispatch.ts): this is the ceiling
 * the sandbox itself puts under it. Run alone: `node bench/compute/sandbox-rate.ts`.
 */
import wabtInit from 'wabt';
import { UnitPool } from '../../src/runtime/compute/unit-pool.ts';
import { runUnit } from '../../src/runtime/compute/unit-sandbox.ts';

type Say = (line: string) => void;

const TRIVIAL = '(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))';

export async function sandboxRateBenchmark(say: Say, units = 2000, oneShotUnits = 20): Promise<Record<string, number>> {
  const wabt = await wabtInit();
  const module = wabt.parseWat('trivial.wat', TRIVIAL);
  const program = new Uint8Array(module.toBinary({}).buffer);
  module.destroy();
  const pool = new UnitPool();
  try {
    await Promise.all(Array.from({ length: 8 }, () => pool.run({ program, input: new Uint8Array(0) })));
    let started = performance.now();
    const outcomes = await Promise.all(Array.from({ length: units }, () => pool.run({ program, input: new Uint8Array(0) })));
    const poolSeconds = (performance.now() - started) / 1000;
    if (outcomes.some((outcome) => outcome.status !== 'ok')) throw new Error('a trivial unit failed in the pool');
    started = performance.now();
    for (let index = 0; index < oneShotUnits; index++) {
      const outcome = await runUnit({ program, input: new Uint8Array(0) });
      if (outcome.status !== 'ok') throw new Error(`a trivial unit failed alone: ${outcome.detail}`);
    }
    const oneShotSeconds = (performance.now() - started) / 1000;
    const poolUnitsPerSec = Math.round(units / poolSeconds);
    const oneShotUnitsPerSec = Math.round((oneShotUnits / oneShotSeconds) * 10) / 10;
    say(`  sandbox: ${poolUnitsPerSec} trivial units/s on warm workers, ${oneShotUnitsPerSec}/s with a worker each`);
    return { poolUnitsPerSec, oneShotUnitsPerSec, poolOverOneShot: Math.round((poolUnitsPerSec / oneShotUnitsPerSec) * 10) / 10 };
  } finally {
    await pool.close();
  }
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(await sandboxRateBenchmark((line) => process.stderr.write(`${line}\n`)), null, 2)}\n`);
}
