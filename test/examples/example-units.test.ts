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
    const args = '-2 -1.25 0.5 1.25 64 48 200';
    const first = await runUnit({ program, input: new Uint8Array(0), args });
    assert.equal(first.status, 'ok', first.detail);
    assert.equal(first.output.length, 64 * 48);
    // The origin (column 51, row 24 of this tile) is in the set; the far corner is not.
    assert.equal(first.output[24 * 64 + 51], 0);
    assert.ok(first.output[0] > 0);
    const second = await runUnit({ program, input: new Uint8Array(0), args });
    assert.equal(createHash('sha256').update(second.output).digest('hex'), createHash('sha256').update(first.output).digest('hex'));
    assert.equal(second.fuelUsed, first.fuelUsed);
  });
});
