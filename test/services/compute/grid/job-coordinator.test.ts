/** One job as its coordinator runs it: requirements, leases, results, checkpoints of departed workers, rank, cancel, deadline. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import * as DagCbor from '@ipld/dag-cbor';
import fc from 'fast-check';
import { JobCoordinator, type CoordinatorOptions } from '../../../../src/services/compute/grid/job-coordinator.ts';
import type { JobManifest } from '../../../../src/services/compute/grid/job-manifest.ts';
import type { UnitReport } from '../../../../src/services/compute/grid/compute-messages.ts';
import { parseJobSpec } from '../../../../src/services/compute/jobs/job-spec.ts';
import { judgeUnit } from '../../../../src/services/compute/jobs/validation-policy.ts';
import { receiptBatchBytes, reportClaimBytes } from '../../../../src/services/compute/grid/receipts.ts';

const PROGRAM = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
const hashHex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
const ADVERT = { cores: 2, memoryMiB: 1024, speed: 100, domain: '', uptimeMs: 0 };
const OPTIONS: CoordinatorOptions = { leaseMs: 1000, stragglerAfterMs: 60_000, failuresMax: 2, askersWindowMs: 5000 };

function manifest(extra: Record<string, unknown> = {}, units = 3): JobManifest {
  const parsed = parseJobSpec({ name: 'test', program: PROGRAM, units: { sweep: { from: 0, to: units, step: 1 }, template: 'n={from}' }, deadlineSeconds: 60, ...extra });
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
  return { spec: parsed.spec, submitter: 'owner', submittedAtUnixMs: 0 };
}

const output = (text: string) => new TextEncoder().encode(text);
const ok = (lease: number, text: string): UnitReport => ({ lease, status: 'ok', output: output(text), fuel: 10, wallMs: 1 });

function leasesOf(job: JobCoordinator, worker: string, slots: number, nowMs = 0, advert = ADVERT) {
  const answer = job.grant(worker, advert, slots, nowMs);
  assert.ok(answer.ok, answer.ok ? '' : answer.message);
  return answer.leases;
}

describe('JobCoordinator', () => {
  it('hands units with their arguments to qualified workers, and gives the accepted outputs to the host', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 2, quorum: 2 } }), 0, OPTIONS);
    const eightCores = { ...ADVERT, cores: 8 };
    const a = leasesOf(job, 'a', 8, 0, eightCores);
    const b = leasesOf(job, 'b', 8, 0, eightCores);
    assert.deepEqual(a.map((lease) => lease.args), ['n=0', 'n=1', 'n=2']);
    assert.deepEqual(b.map((lease) => lease.unit), [0, 1, 2]);
    job.report('a', a.map((lease) => ok(lease.lease, `out${lease.unit}`)), [], hashHex, 1);
    const answer = job.report('b', b.map((lease) => ok(lease.lease, `out${lease.unit}`)), [], hashHex, 1);
    assert.deepEqual(answer.accepted.map((accepted) => new TextDecoder().decode(accepted.output)), ['out0', 'out1', 'out2']);
    assert.equal(job.currentPhase, 'done');
    const page = job.results(0, 10);
    assert.deepEqual(page.entries.map((entry) => [entry.state, entry.outputHash]), [0, 1, 2].map((unit) => ['done', hashHex(output(`out${unit}`))]));
    assert.equal(job.status().unitStates, 'ddd');
  });

  it("keeps a job's last units for free cores: no lease queued behind a busy core while another could start it", () => {
    const one = { ...ADVERT, cores: 1 };
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 1, quorum: 1 } }, 8), 0, OPTIONS);
    assert.equal(leasesOf(job, 'a', 2, 0, one).length, 2, 'plenty waiting: a unit queued ahead');
    assert.equal(leasesOf(job, 'b', 2, 0, one).length, 2);
    assert.equal(leasesOf(job, 'c', 2, 0, one).length, 2, '2 left for 3 cores from here on');
    const busy = job.grant('a', one, 1, 1);
    assert.deepEqual(busy, { ok: true, leases: [], whenFree: true }, 'a holds as many leases as it has cores, and more');
    const [first] = leasesOf(job, 'd', 2, 1, one);
    assert.ok(first !== undefined);
    assert.equal(leasesOf(job, 'd', 2, 1, one).length, 0, 'd now holds one lease per core');
    job.report('d', [ok(first.lease, 'x')], [], hashHex, 2);
    assert.equal(leasesOf(job, 'd', 2, 2, one).length, 1, 'a core free again: the last unit');
  });

  it('refuses a volunteer that does not meet the requirements, with the reason', () => {
    const job = new JobCoordinator('job', manifest({ requirements: { cores: 4, memoryMiB: 0 } }), 0, OPTIONS);
    const answer = job.grant('small', ADVERT, 1, 0);
    assert.deepEqual(answer, { ok: false, reason: 'notQualified', message: 'needs 4 cores, offered 2' });
  });

  it('names leases a worker does not hold as lost, and ignores reports on them', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 1, quorum: 1 } }, 1), 0, OPTIONS);
    const [lease] = leasesOf(job, 'a', 1);
    const forged = job.report('mallory', [ok(lease.lease, 'forged')], [], hashHex, 1);
    assert.deepEqual(forged, { lost: [lease.lease], accepted: [], verdicts: [], spotChecks: [] });
    assert.equal(job.status().units.done, 0);
    const real = job.report('a', [ok(lease.lease, 'real')], [], hashHex, 2);
    assert.equal(real.accepted.length, 1);
    assert.deepEqual(real.verdicts, [{ unit: 0, agreeing: ['a'], disagreeing: [] }]);
  });

  it("gives a departed worker's checkpoint to the next worker, never to a concurrent replica, and counts the resumed result with its maker", () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 2, quorum: 2 } }, 1), 0, OPTIONS);
    const [a] = leasesOf(job, 'a', 1);
    job.report('a', [], [{ lease: a.lease, progress: 0.5, checkpoint: output('half') }], hashHex, 100);
    const [b] = leasesOf(job, 'b', 1, 200);
    assert.equal(b.checkpoint, null, 'a running replica\'s checkpoint is not shared');
    job.report('b', [], [{ lease: b.lease, progress: 0.1, checkpoint: null }], hashHex, 1500);
    job.tick(1500);
    const [c] = leasesOf(job, 'c', 1, 1600);
    assert.deepEqual(c.checkpoint, output('half'), 'a\'s lease expired: c resumes from its checkpoint');
    // c's result rests on a's word too; with b it makes two independent votes.
    job.report('c', [{ ...ok(c.lease, 'result'), fuel: 3 }], [], hashHex, 1700);
    assert.equal(job.status().units.done, 0);
    job.report('b', [ok(b.lease, 'result')], [], hashHex, 1800);
    assert.equal(job.status().units.done, 1, 'the resumed replica agrees by its output, whatever its fuel');
  });

  it('never counts a checkpoint\'s maker and the replica resumed from it as two votes, nor gives the maker another replica', () => {
    const maker = { worker: 'b', outputHash: 'wrong', fuel: 10n };
    const resumed = { worker: 'c', outputHash: 'wrong', fuel: 4n, resumedFrom: 'b' };
    assert.equal(judgeUnit([maker, resumed], { replicas: 2, quorum: 2, replicasMax: 5 }, 2).state, 'waiting');
    assert.equal(judgeUnit([{ ...maker, worker: 'a' }, resumed], { replicas: 2, quorum: 2, replicasMax: 5 }, 2).state, 'accepted');
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 2, quorum: 2 } }, 1), 0, OPTIONS);
    const [a] = leasesOf(job, 'a', 1);
    const [b] = leasesOf(job, 'b', 1);
    job.report('b', [], [{ lease: b.lease, progress: 0.5, checkpoint: output('poisoned') }], hashHex, 100);
    job.report('a', [], [{ lease: a.lease, progress: 0.5, checkpoint: null }], hashHex, 1000);
    job.tick(1500);
    const [c] = leasesOf(job, 'c', 1, 1600);
    assert.deepEqual(c.checkpoint, output('poisoned'));
    job.report('a', [ok(a.lease, 'wrong')], [], hashHex, 1700);
    job.report('c', [ok(c.lease, 'wrong')], [], hashHex, 1800);
    // a and c agree; c's result rests on b's checkpoint, and a and {b, c} are independent.
    assert.equal(job.status().units.done, 1);
    const second = new JobCoordinator('job2', manifest({ validation: { replicas: 2, quorum: 2 } }, 1), 0, OPTIONS);
    const [x] = leasesOf(second, 'x', 1);
    second.report('x', [], [{ lease: x.lease, progress: 0.5, checkpoint: output('mine') }], hashHex, 100);
    second.tick(1200);
    const [y] = leasesOf(second, 'y', 1, 1300);
    assert.deepEqual(y.checkpoint, output('mine'));
    assert.deepEqual(leasesOf(second, 'x', 1, 1300), [], 'the checkpoint maker gets no replica of the unit it is behind');
  });

  it('gives the last unit to the best-ranked volunteer around, and never keeps one waiting for a volunteer that cannot take it', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 1, quorum: 1 }, rank: 'speed' }, 2), 0, OPTIONS);
    const fast = { ...ADVERT, speed: 1000 };
    const slow = { ...ADVERT, speed: 1 };
    const [first] = leasesOf(job, 'fast', 1, 0, fast);
    job.report('fast', [ok(first.lease, 'x')], [], hashHex, 10);
    // One unit left; fast (idle, asked lately, able to run it) is better: slow waits.
    assert.deepEqual(leasesOf(job, 'slow', 1, 20, slow), []);
    assert.equal(leasesOf(job, 'fast', 1, 21, fast).length, 1, 'the better volunteer gets it');
    // A volunteer that ran the unit waiting does not count.
    const replicated = new JobCoordinator('job2', manifest({ validation: { replicas: 2, quorum: 2 }, rank: 'speed' }, 1), 0, OPTIONS);
    const [mine] = leasesOf(replicated, 'fast', 1, 0, fast);
    replicated.report('fast', [ok(mine.lease, 'x')], [], hashHex, 10);
    assert.equal(leasesOf(replicated, 'slow', 1, 20, slow).length, 1, 'fast ran its replica: slow is the only one who can');
  });

  it('lets only the submitter cancel, and expires at the deadline', () => {
    const job = new JobCoordinator('job', manifest(), 0, OPTIONS);
    assert.equal(job.cancel('someone'), false);
    assert.equal(job.currentPhase, 'running');
    assert.equal(job.cancel('owner'), true);
    assert.equal(job.currentPhase, 'cancelled');
    assert.equal(job.grant('a', ADVERT, 1, 0).ok, false);
    const late = new JobCoordinator('late', manifest(), 0, OPTIONS);
    late.tick(59_999);
    assert.equal(late.currentPhase, 'running');
    late.tick(60_000);
    assert.equal(late.currentPhase, 'expired');
  });
});

describe('JobCoordinator snapshots', () => {
  it('go on where the coordinator was: leases, results, checkpoints, verdicts and the time left', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 2, quorum: 2 } }, 3), 0, OPTIONS);
    const a = leasesOf(job, 'a', 3);
    const b = leasesOf(job, 'b', 1);
    job.report('a', [ok(a[0].lease, 'x0')], [{ lease: a[1].lease, progress: 0.5, checkpoint: output('half') }], hashHex, 100);
    job.report('b', [ok(b[0].lease, 'x0')], [], hashHex, 110);
    const snapshot = job.snapshot(10_000);
    // Through dag-cbor, as a sync carries it.
    const carried = DagCbor.decode(DagCbor.encode(snapshot));
    const copy = JobCoordinator.restore('job', job.manifest, carried, 500, OPTIONS);
    assert.ok(typeof copy !== 'string', String(copy));
    assert.deepEqual(copy.status(), job.status());
    assert.deepEqual(copy.results(0, 3).entries, job.results(0, 3).entries);
    // a's lease on unit 2 goes on with the copy; a report on it counts there.
    job.tick(1000);
    const answer = copy.report('a', [ok(a[2].lease, 'x2')], [], hashHex, 600);
    assert.deepEqual(answer.lost, []);
    // The deadline is what was left: 60 s from 0, snapshotted at 10 s, restored at 500 ms.
    copy.tick(500 + 49_999);
    assert.equal(copy.currentPhase, 'running');
    copy.tick(500 + 50_000);
    assert.equal(copy.currentPhase, 'expired');
  });

  it('number a taken-over job\'s leases from the floor given, through the codec and another snapshot', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 1, quorum: 1 } }, 4), 0, OPTIONS);
    const [first] = leasesOf(job, 'a', 1);
    const taken = JobCoordinator.restore('job', job.manifest, DagCbor.decode(DagCbor.encode(job.snapshot(1))), 1, OPTIONS);
    assert.ok(typeof taken !== 'string');
    const floor = 3 * 2 ** 40 + 12_345 * 2 ** 20;
    taken.takeOver(floor);
    assert.equal(taken.generation, 1);
    const [next] = leasesOf(taken, 'b', 1);
    assert.ok(next.lease >= floor && next.lease !== first.lease, `lease ${next.lease}`);
    const again = JobCoordinator.restore('job', job.manifest, DagCbor.decode(DagCbor.encode(taken.snapshot(2))), 2, OPTIONS);
    assert.ok(typeof again !== 'string', String(again));
    assert.equal(again.generation, 1);
    assert.deepEqual(again.report('b', [ok(next.lease, 'out')], [], hashHex, 3).lost, [], 'the big lease number survives the snapshot');
  });

  it('refuses a snapshot that is not one, with the reason, and never throws', () => {
    const job = new JobCoordinator('job', manifest({}, 3), 0, OPTIONS);
    const good = DagCbor.decode(DagCbor.encode(job.snapshot(0))) as Record<string, unknown>;
    const state = good.state as Record<string, unknown>;
    const settled = { phase: 'failed', verdict: null };
    const open = { started: 1, failures: 0, speculated: false, workers: ['a'], results: [] };
    const cases: unknown[] = [
      null, 7, 'text', {}, { ...good, phase: 'won' }, { ...good, orphanCheckpoints: [{ unit: 99, worker: 'a', bytes: new Uint8Array(1) }] },
      { ...good, state: { ...state, version: 1 } },
      { ...good, state: { ...state, settled: [[3, settled]] } },
      { ...good, state: { ...state, settled: [[1, settled], [1, settled]] } },
      { ...good, state: { ...state, settled: [[1, settled]], open: [[1, open]] } },
      { ...good, state: { ...state, open: [[0, { ...open, started: -1 }]] } },
      { ...good, settledFrom: 2 },
    ];
    for (const value of cases) assert.equal(typeof JobCoordinator.restore('job', job.manifest, value, 0, OPTIONS), 'string', JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? String(item) : item)));
    assert.equal(typeof JobCoordinator.restore('job', job.manifest, { ...good, state: { ...state, settled: [[1, settled]], open: [[0, open]] } }, 0, OPTIONS), 'object', 'a sparse state is whole');
    fc.assert(fc.property(fc.anything(), (value) => {
      JobCoordinator.restore('job', job.manifest, value, 0, OPTIONS);
    }), { numRuns: 500 });
  });
});

describe('JobCoordinator receipts', () => {
  it('issues a receipt to each worker whose result was accepted, hands them out from what the worker holds, and names them with the unit', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 2, quorum: 2 } }, 1), 0, OPTIONS);
    const [a] = leasesOf(job, 'a', 1);
    const [b] = leasesOf(job, 'b', 1);
    job.report('a', [{ ...ok(a.lease, 'right'), wallMs: 40 }], [], hashHex, 1);
    job.report('b', [{ ...ok(b.lease, 'wrong'), wallMs: 41 }], [], hashHex, 2);
    const [c] = leasesOf(job, 'c', 1, 3);
    job.report('c', [{ ...ok(c.lease, 'right'), wallMs: 42 }], [], hashHex, 4);
    const outputHash = hashHex(output('right'));
    assert.deepEqual(job.receiptsFor('a', 0), [{ jobId: 'job', unit: 0, worker: 'a', fuel: 10, wallMs: 40, outputHash }]);
    assert.deepEqual(job.receiptsFor('c', 0), [{ jobId: 'job', unit: 0, worker: 'c', fuel: 10, wallMs: 42, outputHash }]);
    assert.deepEqual(job.receiptsFor('b', 0), [], 'the outvoted worker gets none');
    assert.deepEqual(job.receiptsFor('a', 1), [], 'a worker that holds its one receipt is given none');
    assert.deepEqual(job.receiptsFor('a', 0).length, 1, 'asked again from 0 (an answer was lost): given again');
    assert.deepEqual(job.results(0, 1).entries[0].workers, [{ worker: 'a', fuel: 10, wallMs: 40 }, { worker: 'c', fuel: 10, wallMs: 42 }]);
  });

  it('settles a unit once: a replica that reports after the quorum was reached gets a receipt if it agrees and is outvoted if not', () => {
    // Three units, the third never run: the job is still running when the late replica reports.
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 3, quorum: 2 } }, 3), 0, OPTIONS);
    const [a0, a1] = leasesOf(job, 'a', 2);
    const [b0, b1] = leasesOf(job, 'b', 2);
    const [c0, c1] = leasesOf(job, 'c', 2);
    job.report('a', [ok(a0.lease, 'right0'), ok(a1.lease, 'right1')], [], hashHex, 1);
    const settling = job.report('b', [ok(b0.lease, 'right0'), ok(b1.lease, 'right1')], [], hashHex, 2);
    assert.equal(settling.accepted.length, 2);
    const late = job.report('c', [ok(c0.lease, 'right0'), ok(c1.lease, 'wrong1')], [], hashHex, 3);
    assert.deepEqual(late.accepted, [], 'no output is accepted again');
    assert.deepEqual(late.verdicts, [{ unit: 0, agreeing: ['c'], disagreeing: [] }, { unit: 1, agreeing: [], disagreeing: ['c'] }]);
    assert.deepEqual(['a', 'b', 'c'].map((worker) => job.receiptsFor(worker, 0).map((receipt) => receipt.unit)), [[0, 1], [0, 1], [0]], 'one receipt per unit and agreeing worker');
    assert.deepEqual(job.results(0, 2).entries.map((entry) => entry.workers.map((worker) => worker.worker)), [['a', 'b', 'c'], ['a', 'b']]);
    assert.deepEqual(job.report('c', [ok(c0.lease, 'right0')], [], hashHex, 4).lost, [c0.lease], 'a lease reported once is gone');
  });

  it('judges a late replica resumed from a checkpoint by its output alone, as the quorum does', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 3, quorum: 2 } }, 2), 0, { ...OPTIONS, leaseMs: 100 });
    const [a] = leasesOf(job, 'a', 1);
    const [b] = leasesOf(job, 'b', 1);
    const [c] = leasesOf(job, 'c', 1);
    job.report('c', [], [{ lease: c.lease, progress: 0.5, checkpoint: output('half') }], hashHex, 10);
    for (const [worker, lease] of [['a', a], ['b', b]] as const) job.report(worker, [], [{ lease: lease.lease, progress: 0.5, checkpoint: null }], hashHex, 150);
    job.tick(200);
    const [d] = leasesOf(job, 'd', 1, 200);
    assert.deepEqual(d.checkpoint, output('half'), 'd resumes from c\'s checkpoint');
    job.report('a', [ok(a.lease, 'right')], [], hashHex, 201);
    job.report('b', [ok(b.lease, 'right')], [], hashHex, 202);
    const late = job.report('d', [{ ...ok(d.lease, 'right'), fuel: 4 }], [], hashHex, 203);
    assert.deepEqual(late.verdicts, [{ unit: 0, agreeing: ['d'], disagreeing: [] }], 'less fuel, burnt after the checkpoint, is no disagreement');
  });

  it('takes no more results once the job is over: late replicas are named lost and earn no receipt', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 3, quorum: 2 } }, 1), 0, OPTIONS);
    const [a] = leasesOf(job, 'a', 1);
    const [b] = leasesOf(job, 'b', 1);
    const [c] = leasesOf(job, 'c', 1);
    job.report('a', [ok(a.lease, 'right')], [], hashHex, 1);
    job.report('b', [ok(b.lease, 'right')], [], hashHex, 2);
    assert.equal(job.currentPhase, 'done');
    const late = job.report('c', [ok(c.lease, 'right')], [], hashHex, 3);
    assert.deepEqual(late, { lost: [c.lease], accepted: [], verdicts: [], spotChecks: [] });
    assert.deepEqual(job.receiptsFor('c', 0), []);
    assert.deepEqual(job.results(0, 1).entries[0].workers.map((worker) => worker.worker), ['a', 'b'], 'the results are as they were when the job ended');
  });

  it('signs claims and receipts over canonical bytes: any field changed, other bytes', () => {
    const receipt = { jobId: 'job', unit: 1, worker: 'w', fuel: 5, wallMs: 6, outputHash: 'ab' };
    const bytes = receiptBatchBytes('coordinator', 0, [receipt]);
    assert.deepEqual(receiptBatchBytes('coordinator', 0, [{ ...receipt }]), bytes);
    for (const changed of [{ ...receipt, fuel: 6 }, { ...receipt, worker: 'x' }, { ...receipt, outputHash: 'ac' }]) assert.notDeepEqual(receiptBatchBytes('coordinator', 0, [changed]), bytes);
    assert.notDeepEqual(receiptBatchBytes('another', 0, [receipt]), bytes);
    assert.notDeepEqual(receiptBatchBytes('coordinator', 1, [receipt]), bytes);
    const report = ok(1, 'x');
    assert.notDeepEqual(reportClaimBytes('job', [report], hashHex), reportClaimBytes('job', [{ ...report, fuel: 11 }], hashHex));
  });
});

describe('JobCoordinator checkpoints across departures', () => {
  it('gives a checkpoint back when the lease that resumed from it ends before saving its own, and drops one resting on two workers', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 1, quorum: 1 } }, 1), 0, OPTIONS);
    const [a] = leasesOf(job, 'a', 1);
    job.report('a', [], [{ lease: a.lease, progress: 0.5, checkpoint: output('from-a') }], hashHex, 100);
    job.tick(1200);
    const [b] = leasesOf(job, 'b', 1, 1300);
    assert.deepEqual(b.checkpoint, output('from-a'));
    // b leaves before saving anything: c resumes from a's checkpoint, not from scratch.
    job.tick(2400);
    const [c] = leasesOf(job, 'c', 1, 2500);
    assert.deepEqual(c.checkpoint, output('from-a'));
    // c saves its own (resting on a and c) and leaves: d starts afresh.
    job.report('c', [], [{ lease: c.lease, progress: 0.8, checkpoint: output('from-c') }], hashHex, 2600);
    job.tick(3700);
    const [d] = leasesOf(job, 'd', 1, 3800);
    assert.equal(d.checkpoint, null);
  });
});

describe('JobCoordinator with outputs stored on the grid', () => {
  const CID_A = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
  const CID_B = 'bafkreibmu6gekxy7zasi47zaephbhqbf43aa43ppzkhhdgw3dx7vn5byau';
  const stored = (lease: number, cid: string): UnitReport => ({ lease, status: 'ok', output: null, outputCid: cid, fuel: 10, wallMs: 1 });

  it('compares replicas by the CID they name, and gives the CID with the result', () => {
    const job = new JobCoordinator('job', manifest({ validation: { replicas: 2, quorum: 2 }, limits: { outputBytesMax: 64 * 1024 * 1024 } }, 2), 0, OPTIONS);
    const a = leasesOf(job, 'a', 2);
    const b = leasesOf(job, 'b', 2);
    job.report('a', a.map((lease) => stored(lease.lease, CID_A)), [], hashHex, 1);
    const answer = job.report('b', b.map((lease) => stored(lease.lease, lease.unit === 0 ? CID_A : CID_B)), [], hashHex, 2);
    assert.deepEqual(answer.verdicts.map((verdict) => verdict.unit), [0], 'unit 1: the CIDs differ');
    const [entry] = job.results(0, 1).entries;
    assert.deepEqual({ outputHash: entry.outputHash, outputCid: entry.outputCid }, { outputHash: `cid:${CID_A}`, outputCid: CID_A });
    assert.deepEqual(job.receiptsFor('a', 0).map((receipt) => receipt.outputHash), [`cid:${CID_A}`]);
    assert.equal(job.results(1, 1).entries[0].outputCid, null);
    // An inline output and a stored one are different results, even of the same bytes.
    const [c] = leasesOf(job, 'c', 1, 3);
    assert.equal(c.unit, 1);
    job.report('c', [ok(c.lease, 'inline')], [], hashHex, 4);
    assert.equal(job.status().units.done, 1);
  });
});
