/** A simulation too large for V8's default heap cap runs itself again with a larger one (src/cli/sim-lookup/heap.ts). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { heapCapToRelaunchMb, RELAUNCHED_ENV, splitMemoryProblem, workerHeapCapMb } from '../../src/cli/sim-lookup/heap.ts';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const BIN = fileURLToPath(new URL('../../bin/peergrid.js', import.meta.url));

/** `peergrid sim lookup` of 200 nodes in a process started with a 256 MiB heap cap, with `extraArgs`. */
async function simLookupWithSmallCap(extraArgs: readonly string[]): Promise<{ status: number | null; out: string; err: string }> {
  const args = ['--max-old-space-size=256', BIN, 'sim', 'lookup', '--nodes', '200', '--lookups', '20', '--seed', '3', ...extraArgs, '--json'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, [RELAUNCHED_ENV]: '' } });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { status, out, err };
}

describe('heap cap for large simulations', () => {
  it('keeps the default cap when it suffices', () => {
    assert.equal(heapCapToRelaunchMb(10_000, 4 * GIB, 24 * GIB, {}), null);
  });

  it('asks for twice the estimate, within 80% of the machine', () => {
    const mb = heapCapToRelaunchMb(100_000, 4 * GIB, 24 * GIB, {});
    assert.ok(mb !== null && mb * MIB > 100_000 * 80 * 1024, `${mb} MiB`);
    assert.ok(mb !== null && mb * MIB <= 0.8 * 24 * GIB);
    assert.equal(heapCapToRelaunchMb(1_000_000, 4 * GIB, 24 * GIB, {}), Math.floor((0.8 * 24 * GIB) / MIB), 'capped by the machine');
  });

  it('never relaunches twice, nor when the machine has no more to give', () => {
    assert.equal(heapCapToRelaunchMb(100_000, 4 * GIB, 24 * GIB, { [RELAUNCHED_ENV]: '1' }), null);
    assert.equal(heapCapToRelaunchMb(100_000, 4 * GIB, 4 * GIB, {}), null);
  });

  it('lets a split run start only when every worker\'s part of the overlay fits in the machine', () => {
    assert.equal(splitMemoryProblem(100_000, 1, 24 * GIB), null, 'one thread: the heap cap decides');
    assert.equal(splitMemoryProblem(10_000, 2, 24 * GIB), null);
    assert.equal(splitMemoryProblem(100_000, 2, 24 * GIB), null, 'each of two workers holds half the overlay');
    assert.match(splitMemoryProblem(100_000, 2, 12 * GIB) ?? '', /each worker holds its part of the overlay \(about 7\.1 GiB at 100000 nodes\); 2 of them need more than 80% of this machine's 12\.0 GiB/);
    // More workers hold less each, but every one keeps a record of every node.
    assert.equal(splitMemoryProblem(100_000, 4, 24 * GIB), null);
    assert.notEqual(splitMemoryProblem(100_000, 4, 16 * GIB), null);
  });

  it('counts a churn run\'s departed identities too', () => {
    assert.equal(splitMemoryProblem(10_000, 2, 24 * GIB, true), null);
    assert.equal(splitMemoryProblem(40_000, 2, 24 * GIB, true), null);
    assert.match(splitMemoryProblem(100_000, 2, 24 * GIB, true) ?? '', /about 17\.8 GiB at 100000 nodes under churn\); 2 of them need more than 80%/);
  });

  it('gives each worker of a large split run a cap for its own part, not the whole overlay\'s', () => {
    const defaultCap = 4288 * MIB;
    assert.equal(workerHeapCapMb(100_000, 1, 20, defaultCap, 24 * GIB), null, 'one thread: relaunched instead');
    assert.equal(workerHeapCapMb(10_000, 2, 20, defaultCap, 24 * GIB), null, 'the default suffices');
    assert.equal(workerHeapCapMb(100_000, 4, 20, defaultCap, 24 * GIB), null, 'a quarter of 10^5 fits the default');
    const cap = workerHeapCapMb(100_000, 2, 20, defaultCap, 24 * GIB);
    assert.ok(cap !== null && cap * MIB > defaultCap, `${cap} MiB`);
    // The part's estimate with its headroom, well under the whole run's relaunch cap.
    assert.ok(cap !== null && cap < (heapCapToRelaunchMb(100_000, defaultCap, 24 * GIB, {}) ?? 0) / 2, `${cap} MiB`);
    assert.ok((workerHeapCapMb(100_000, 2, 40, defaultCap, 24 * GIB) ?? 0) > cap, 'a larger k, larger tables');
    assert.ok((workerHeapCapMb(40_000, 2, 20, defaultCap, 24 * GIB, true) ?? 0) > defaultCap / MIB, 'churn keeps departed identities');
    // Never more than the workers' share of the machine's share.
    assert.equal(workerHeapCapMb(100_000, 2, 20, defaultCap, 8 * GIB), Math.floor((0.8 * 8 * GIB) / 2 / MIB));
  });

  it('end to end: a run started with a small cap relaunches itself and prints its result', async () => {
    const { status, out, err } = await simLookupWithSmallCap([]);
    assert.equal(status, 0, err);
    assert.match(err, /raising the heap cap to \d+ MiB/);
    const result = JSON.parse(out) as { nodes: number; seed: number };
    assert.equal(result.nodes, 200);
    assert.equal(result.seed, 3);
  });

  it('end to end: a split run is not relaunched (its workers get caps of their own)', async () => {
    const { status, out, err } = await simLookupWithSmallCap(['--workers', '2']);
    assert.equal(status, 0, err);
    assert.doesNotMatch(err, /raising the heap cap/);
    const result = JSON.parse(out) as { nodes: number; workers: number };
    assert.equal(result.nodes, 200);
    assert.equal(result.workers, 2);
  });
});
