/** Sparse snapshots: a coordinator sends a copy what settled and what was issued since its last sync, and the copy puts the whole together again. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import * as DagCbor from '@ipld/dag-cbor';
import fc from 'fast-check';
import { JobCoordinator, type CoordinatorOptions } from '../../../../src/services/compute/grid/job-coordinator.ts';
import { mergeSnapshot, type HeldSnapshot } from '../../../../src/services/compute/grid/snapshot-merge.ts';
import { parseJobSpec } from '../../../../src/services/compute/jobs/job-spec.ts';

const PROGRAM = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
const hashHex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const ADVERT = { cores: 2, memoryMiB: 1024, speed: 100, domain: '', uptimeMs: 0 };
const OPTIONS: CoordinatorOptions = { leaseMs: 1000, stragglerAfterMs: 60_000, failuresMax: 2, askersWindowMs: 5000 };

function coordinator(units: number): JobCoordinator {
  const parsed = parseJobSpec({ name: 'sparse', program: PROGRAM, units: { sweep: { from: 0, to: units, step: 1 }, template: '{from}' }, validation: { replicas: 2, quorum: 2 }, deadlineSeconds: 600 });
  assert.ok(parsed.ok);
  return new JobCoordinator('job', { spec: parsed.spec, submitter: 'owner', submittedAtUnixMs: 0 }, 0, OPTIONS);
}

/** Workers take `count` leases and report them (a worker's outputs may be wrong: then units need a third replica). */
function work(job: JobCoordinator, worker: string, count: number, nowMs: number, wrong = false): void {
  const answer = job.grant(worker, ADVERT, count, nowMs);
  if (!answer.ok) return;
  job.report(worker, answer.leases.map((lease) => ({ lease: lease.lease, status: 'ok' as const, output: new TextEncoder().encode(wrong ? `lie${lease.unit}` : `u${lease.unit}`), fuel: 3, wallMs: 1 })), [], hashHex, nowMs);
}

const carried = (value: unknown): unknown => DagCbor.decode(DagCbor.encode(value));

/** What a copy of `job` shows: status and results. */
function view(job: JobCoordinator, units: number) {
  return { status: job.status(), results: job.results(0, units).entries, receipts: ['a', 'b', 'c', 'd'].map((worker) => job.receiptsFor(worker, 0)) };
}

describe('sparse snapshots', () => {
  it('leave out untouched open units and send only what settled since', () => {
    const job = coordinator(1000);
    work(job, 'a', 10, 1);
    work(job, 'b', 10, 2);
    const whole = job.snapshot(3) as { state: { open: unknown[]; settled: unknown[] }; receipts: unknown[] };
    assert.equal(whole.state.open.length, 0, 'ten units settled, the 990 others untouched');
    assert.equal(whole.state.settled.length, 10);
    assert.equal(whole.receipts.length, 20);
    const end = job.snapshotEnd;
    work(job, 'a', 5, 4);
    const part = job.snapshot(5, end) as { settledFrom: number; state: { open: unknown[]; settled: unknown[] }; receipts: unknown[] };
    assert.equal(part.settledFrom, 10);
    assert.deepEqual({ open: part.state.open.length, settled: part.state.settled.length, receipts: part.receipts.length }, { open: 5, settled: 0, receipts: 0 });
    assert.ok(DagCbor.encode(part).length < DagCbor.encode(whole).length / 2);
  });

  it('merged on a copy, give the same coordinator as a whole snapshot, whatever the order of work and syncs', () => {
    fc.assert(fc.property(fc.array(fc.record({ worker: fc.constantFrom('a', 'b', 'c', 'd'), count: fc.integer({ min: 1, max: 6 }), wrong: fc.boolean(), sync: fc.boolean(), lost: fc.boolean() }), { minLength: 1, maxLength: 25 }), (steps) => {
      const units = 30;
      const job = coordinator(units);
      let held: HeldSnapshot | undefined;
      let from = { settled: 0, receipts: 0 };
      let nowMs = 1;
      for (const step of steps) {
        work(job, step.worker, step.count, nowMs++, step.wrong && step.worker === 'd');
        if (!step.sync) continue;
        const merged = mergeSnapshot(held, carried({ ...job.snapshot(nowMs, from), log: 'coordinator/0/1' }));
        assert.ok(!('problem' in merged));
        if ('gap' in merged) continue;
        // A lost answer: the copy merged, but the coordinator still sends from where it was.
        held = merged.held;
        if (!step.lost) from = { settled: held.settled, receipts: held.receipts };
      }
      const last = mergeSnapshot(held, carried({ ...job.snapshot(nowMs, from), log: 'coordinator/0/1' }));
      assert.ok('held' in last);
      const copy = JobCoordinator.restore('job', job.manifest, last.held.value, nowMs, OPTIONS);
      const whole = JobCoordinator.restore('job', job.manifest, carried(job.snapshot(nowMs)), nowMs, OPTIONS);
      assert.ok(typeof copy !== 'string', String(copy));
      assert.ok(typeof whole !== 'string', String(whole));
      assert.deepEqual(view(copy, units), view(whole, units));
      assert.deepEqual(view(copy, units), view(job, units));
    }), { numRuns: 100 });
  });

  it('are not merged past a gap or from another coordinator\'s order: the copy says what it holds', () => {
    const job = coordinator(100);
    work(job, 'a', 8, 1);
    work(job, 'b', 8, 2);
    const first = mergeSnapshot(undefined, carried({ ...job.snapshot(3), log: 'x/0/1' }));
    assert.ok('held' in first);
    assert.equal(first.held.settled, 8);
    work(job, 'a', 8, 4);
    work(job, 'b', 8, 5);
    const end = job.snapshotEnd;
    work(job, 'a', 8, 6);
    work(job, 'b', 8, 7);
    assert.deepEqual(mergeSnapshot(first.held, carried({ ...job.snapshot(8, end), log: 'x/0/1' })), { gap: { settled: 8, receipts: 16 } }, 'units 8 to 15 were never sent: send from 8');
    assert.deepEqual(mergeSnapshot(first.held, carried({ ...job.snapshot(8, { settled: 8, receipts: 16 }), log: 'y/1/1' })), { gap: { settled: 0, receipts: 0 } }, 'another coordinator counts in its own order: send the whole');
    assert.deepEqual(mergeSnapshot(undefined, carried({ ...job.snapshot(8, { settled: 8, receipts: 16 }), log: 'x/0/1' })), { gap: { settled: 0, receipts: 0 } }, 'nothing held to follow on from');
    const next = mergeSnapshot(first.held, carried({ ...job.snapshot(8, { settled: 8, receipts: 16 }), log: 'x/0/1' }));
    assert.ok('held' in next);
    assert.equal(next.held.settled, 24);
    for (const bad of [null, 7, {}, { state: {} }, { state: { settled: [] }, receipts: [], settledFrom: -1, receiptsFrom: 0, log: 'x' }, { state: { settled: [] }, receipts: [], settledFrom: 0, receiptsFrom: 0 }]) {
      assert.ok('problem' in mergeSnapshot(first.held, bad), JSON.stringify(bad));
    }
    fc.assert(fc.property(fc.anything(), (value) => {
      mergeSnapshot(first.held, value);
    }), { numRuns: 300 });
  });

  it('do not grow a copy past the job\'s bounds, however many parts follow on', () => {
    // Each part passes on its own (a message's worth, its units unique within it); a sender that
    // keeps sending parts that follow on from what is held once grew the copy by that much per sync.
    const job = coordinator(4);
    work(job, 'a', 4, 1);
    work(job, 'b', 4, 2);
    const bounds = { settledMax: 4, receiptsMax: 4 * 16 };
    const whole = mergeSnapshot(undefined, carried({ ...job.snapshot(3), log: 'x/0/1' }), bounds);
    assert.ok('held' in whole);
    assert.ok(whole.held.settled > 0 && whole.held.receipts > 0);
    let held = whole.held;
    let refused = '';
    for (let sync = 0; sync < 100 && refused === ''; sync++) {
      const part = carried({ ...job.snapshot(3, { settled: 0, receipts: 0 }), settledFrom: held.settled, receiptsFrom: held.receipts, log: 'x/0/1' });
      const merged = mergeSnapshot(held, part, bounds);
      if ('problem' in merged) refused = merged.problem;
      else if ('held' in merged) held = merged.held;
    }
    assert.match(refused, /over the job's 4 and 64/);
    assert.ok(held.settled <= bounds.settledMax && held.receipts <= bounds.receiptsMax, `held ${held.settled} settled, ${held.receipts} receipts`);
    assert.ok('problem' in mergeSnapshot(undefined, carried({ ...job.snapshot(3), log: 'x/0/1' }), { settledMax: whole.held.settled - 1, receiptsMax: 64 }), 'a whole over the bounds too');
  });
});
