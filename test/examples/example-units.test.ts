/**
 * The AssemblyScript examples (examples/*): each compiles with its build flags, passes admission
 * and metering, and computes what it should in the sandbox; replicas agree byte for byte.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileExample } from '../../examples/build-example.ts';
import { runUnit } from '../../src/runtime/compute/unit-sandbox.ts';
import { parseJobSpec } from '../../src/services/compute/jobs/job-spec.ts';
import { unitCount } from '../../src/services/compute/jobs/unit-plan.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'peergrid-examples-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function built(example: string, source: string): Promise<Uint8Array> {
  const output = join(work, `${example}.wasm`);
  await compileExample(fileURLToPath(new URL(`../../examples/${example}/${source}`, import.meta.url)), output);
  return new Uint8Array(await readFile(output));
}

async function runText(program: Uint8Array, args: string): Promise<string> {
  const outcome = await runUnit({ program, input: new Uint8Array(0), args });
  assert.equal(outcome.status, 'ok', `${args}: ${outcome.status} ${outcome.detail}`);
  return new TextDecoder().decode(outcome.output);
}

describe('the example work units', { timeout: 120_000 }, () => {
  it('monte-carlo-pi: about π·n/4 points inside, the same on every replica, different per arguments', async () => {
    const program = await built('monte-carlo-pi', 'pi.ts');
    const inside = Number(await runText(program, '200000'));
    assert.notEqual(await runText(program, '200000 7'), String(inside), 'a tag draws other points');
    assert.ok(Math.abs((4 * inside) / 200000 - Math.PI) < 0.02, `π ≈ ${(4 * inside) / 200000}`);
    assert.equal(await runText(program, '200000'), String(inside));
    assert.notEqual(await runText(program, '200001'), String(inside));
    const bad = await runUnit({ program, input: new Uint8Array(0), args: 'many' });
    assert.deepEqual([bad.status, bad.exitCode], ['failed', 2]);
  });

  it('prime-count: the primes in a range, which add up over a split range', async () => {
    const program = await built('prime-count', 'primes.ts');
    assert.equal(await runText(program, '0 100000'), '9592');
    const halves = Number(await runText(program, '0 50000')) + Number(await runText(program, '50000 100000'));
    assert.equal(halves, 9592);
    assert.equal(await runText(program, '1000000000 1000000100'), '7', 'seven primes in 10^9 … 10^9 + 99');
  });

  it('mandelbrot: a tile of grey levels, black inside the set, deterministic', async () => {
    const program = await built('mandelbrot', 'tile.ts');
    // The whole region as one tile of a 1 × 1 grid.
    const args = '0 0 1 1 -2 -1.25 0.5 1.25 64 48 200';
    const first = await runUnit({ program, input: new Uint8Array(0), args });
    assert.equal(first.status, 'ok', first.detail);
    assert.equal(first.output.length, 64 * 48);
    // The origin (column 51, row 24 of this tile) is in the set; the far corner is not.
    assert.equal(first.output[24 * 64 + 51], 0);
    assert.ok(first.output[0] > 0);
    const second = await runUnit({ program, input: new Uint8Array(0), args });
    assert.equal(createHash('sha256').update(second.output).digest('hex'), createHash('sha256').update(first.output).digest('hex'));
    assert.equal(second.fuelUsed, first.fuelUsed);
    // Tile (1, 0) of a 2 × 1 grid is the right half of the same image.
    const right = await runUnit({ program, input: new Uint8Array(0), args: '1 0 2 1 -2 -1.25 0.5 1.25 32 48 200' });
    assert.equal(right.status, 'ok', right.detail);
    for (let row = 0; row < 48; row += 7) assert.deepEqual(right.output.subarray(row * 32, row * 32 + 32), first.output.subarray(row * 64 + 32, row * 64 + 64));
  });

  it('each example\'s job.json is a valid job over its own program', async () => {
    for (const [example, program] of [['monte-carlo-pi', 'pi.wasm'], ['prime-count', 'primes.wasm'], ['mandelbrot', 'tile.wasm']]) {
      const parsed = parseJobSpec(await readFile(fileURLToPath(new URL(`../../examples/${example}/job.json`, import.meta.url)), 'utf8'));
      assert.ok(parsed.ok, `${example}: ${parsed.ok ? '' : parsed.problems.join('; ')}`);
      assert.equal(parsed.spec.program, program);
      assert.ok(unitCount(parsed.spec.units) > 1);
    }
  });
});
