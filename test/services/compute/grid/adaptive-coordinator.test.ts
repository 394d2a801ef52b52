/** A job in adaptive mode as its coordinator runs it: judged by the workers' credibility, with spot checks of known units. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import * as DagCbor from '@ipld/dag-cbor';
import { JobCoordinator, type CoordinatorOptions } from '../../../../src/services/compute/grid/job-coordinator.ts';
import { decodeManifest, encodeManifest, type JobManifest } from '../../../../src/services/compute/grid/job-manifest.ts';
import type { UnitReport } from '../../../../src/services/compute/grid/compute-messages.ts';
import { parseJobSpec } from '../../../../src/services/compute/jobs/job-spec.ts';
import { CredibilityBook } from '../../../../src/services/compute/validation/credibility-book.ts';
import { evidenceFor } from '../../../../src/services/compute/validation/lie-bound.ts';
import type { Random } from '../../../../src/core/random.ts';

const PROGRAM = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
const hashHex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
/** Cores enough for every lease these tests ask for at once (a worker gets no more leases than free cores at a job's end). */
const ADVERT = { cores: 8, memoryMiB: 1024, speed: 100, domain: '', uptimeMs: 0 };
const output = (text: string) => new TextEncoder().encode(text);
const ok = (lease: number, text: string): UnitReport => ({ lease, status: 'ok', output: output(text), fuel: 10, wallMs: 1 });

/** A Random that always draws `float` (so a spot check is offered whenever the rate is above it), and counts up for integers. */
function fixedRandom(float: number): Random {
  let next = 0;
  return { nextFloat: () => float, nextUint32: () => next++ };
}

function manifest(validation: Record<string, unknown>, units: number): JobManifest {
  const parsed = parseJobSpec({ name: 'adaptive', program: PROGRAM, units: { sweep: { from: 0, to: units, step: 1 }, template: 'n={from}' }, validation, deadlineSeconds: 60 });
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
  return { spec: parsed.spec, submitter: 'owner', submittedAtUnixMs: 0 };
}

function options(standing: CredibilityBook, random: Random = fixedRandom(0.99)): CoordinatorOptions {
  return { leaseMs: 1000, stragglerAfterMs: 10, failuresMax: 2, askersWindowMs: 5000, standing, random };
}

const newBook = () => new CredibilityBook({ cheatersFraction: 0.2, workersMax: 1000 });

function leasesOf(job: JobCoordinator, worker: string, slots: number, nowMs = 0) {
  const answer = job.grant(worker, ADVERT, slots, nowMs);
  assert.ok(answer.ok, answer.ok ? '' : answer.message);
  return answer.leases;
}

describe('job.json in adaptive mode', () => {
  it('is read, travels in the manifest, and its mistakes are named', () => {
    const spec = manifest({ mode: 'adaptive', errorRateMax: 1e-3, spotCheckRate: 0.1 }, 4).spec;
    assert.equal(spec.adaptive?.errorRateMax, 1e-3);
    assert.deepEqual({ replicas: spec.validation.replicas, quorum: spec.validation.quorum }, { replicas: 1, quorum: 1 });
    const decoded = decodeManifest(encodeManifest({ spec, submitter: 'owner', submittedAtUnixMs: 0 }));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.manifest.spec.adaptive, spec.adaptive);
    assert.equal(manifest({ mode: 'quorum', replicas: 3 }, 1).spec.validation.replicas, 3);
    assert.equal(manifest({ replicas: 2 }, 1).spec.adaptive, null);
    const wrong = parseJobSpec({ program: PROGRAM, units: { args: ['a'] }, validation: { mode: 'trust-me' } });
    assert.ok(!wrong.ok);
    assert.match(wrong.problems.join('\n'), /validation\.mode: must be "quorum" \(the default\) or "adaptive"/);
    const tooFew = parseJobSpec({ program: PROGRAM, units: { args: ['a'] }, validation: { mode: 'adaptive', replicasMax: 2 } });
    assert.ok(!tooFew.ok);
    assert.match(tooFew.problems.join('\n'), /validation\.replicasMax: 2 newcomers agreeing/);
  });
});

describe('JobCoordinator in adaptive mode', () => {
  it("asks for replicas behind a newcomer's result one at a time, and accepts a veteran's alone", () => {
    const book = newBook();
    for (let check = 0; check < Math.ceil(evidenceFor(1e-4, 0.2)); check++) book.recordSpotCheck('veteran', true);
    const job = new JobCoordinator('job', manifest({ mode: 'adaptive', spotCheckRate: 0 }, 3), 0, options(book));
    const [first] = leasesOf(job, 'newcomer', 1);
    assert.deepEqual(leasesOf(job, 'other', 1).map((lease) => lease.unit), [1], 'unit 0 gets no second replica while its first runs');
    const [alone] = leasesOf(job, 'veteran', 8, 1);
    assert.equal(alone.unit, 2);
    assert.deepEqual(job.report('veteran', [ok(alone.lease, 'right')], [], hashHex, 2).verdicts, [{ unit: 2, agreeing: ['veteran'], disagreeing: [] }], "a veteran's word is enough");
    job.report('newcomer', [ok(first.lease, 'right')], [], hashHex, 3);
    assert.equal(job.status().units.done, 1, "a newcomer's word alone is not enough");
    const [second] = leasesOf(job, 'veteran', 8, 4);
    assert.equal(second.unit, 0);
    assert.deepEqual(job.report('veteran', [ok(second.lease, 'right')], [], hashHex, 5).verdicts, []);
    // A colluder copies a fellow's lie whatever its own record (lie-bound.ts): each agreeing worker
    // after the first counts f = 0.2, so the newcomer's result needs 0.2 x 0.2^m <= 1e-4: m = 5 more.
    for (const [index, worker] of ['w2', 'w3', 'w4', 'w5'].entries()) {
      const [lease] = leasesOf(job, worker, 1, 6 + index);
      assert.equal(lease.unit, 0);
      const verdicts = job.report(worker, [ok(lease.lease, 'right')], [], hashHex, 6 + index).verdicts;
      assert.deepEqual(verdicts.length, worker === 'w5' ? 1 : 0, worker);
    }
    assert.equal(job.status().units.done, 2);
  });

  it('outvotes a lie against a credible result, and gives no straggler backups', () => {
    const book = newBook();
    // Alone, v1's bound (about 9e-5) leaves a newcomer's disagreeing result too likely; with v2 agreeing it does not.
    for (let check = 0; check < 1000; check++) book.recordSpotCheck('v1', true);
    const job = new JobCoordinator('job', manifest({ mode: 'adaptive', spotCheckRate: 0 }, 1), 0, options(book));
    const [lie] = leasesOf(job, 'liar', 1);
    job.report('liar', [ok(lie.lease, 'wrong')], [], hashHex, 1);
    const [first] = leasesOf(job, 'v1', 1, 2);
    assert.equal(leasesOf(job, 'other', 1, 100).length, 0, 'no backup of a long-running replica: replicas go out one at a time');
    job.report('v1', [ok(first.lease, 'right')], [], hashHex, 3);
    const [second] = leasesOf(job, 'v2', 1, 4);
    const answer = job.report('v2', [ok(second.lease, 'right')], [], hashHex, 5);
    assert.deepEqual(answer.verdicts, [{ unit: 0, agreeing: ['v1', 'v2'], disagreeing: ['liar'] }]);
  });

  it('spot-checks workers on units the node computed itself: a right answer is evidence and earns a receipt, a wrong one blacklists', () => {
    const book = newBook();
    const job = new JobCoordinator('job', manifest({ mode: 'adaptive', spotCheckRate: 0.999 }, 40), 0, options(book, fixedRandom(0.5)));
    const known = job.knownUnitsWanted();
    assert.equal(known.length, 32, 'about the rate of the job, capped');
    assert.equal(leasesOf(job, 'early', 1).some((lease) => known.includes(lease.unit) && lease.unit !== 0), false, 'no spot checks before answers are known');
    for (const unit of known) job.addKnownAnswer(unit, hashHex(output(`u${unit}`)), 10n);
    assert.deepEqual(job.knownUnitsWanted(), [], 'computed once');
    const [honestCheck, honestWork] = leasesOf(job, 'honest', 2, 1);
    assert.ok(known.includes(honestCheck.unit), 'the first lease is a spot check');
    assert.ok(known.includes(honestWork.unit) && honestWork.unit !== honestCheck.unit, 'each lease of a request is a check with the rate, each of another known unit');
    // A heartbeat keeps a spot lease alive past leaseMs.
    assert.deepEqual(job.report('honest', [], [{ lease: honestCheck.lease, progress: 0.5, checkpoint: null }], hashHex, 900).lost, []);
    job.tick(1500);
    const passed = job.report('honest', [ok(honestCheck.lease, `u${honestCheck.unit}`)], [], hashHex, 1600);
    assert.deepEqual(passed.spotChecks, [{ unit: honestCheck.unit, worker: 'honest', outcome: 'passed' }]);
    assert.deepEqual(passed.lost, []);
    assert.equal(book.standingOf('honest')?.spotChecksPassed, 1);
    assert.deepEqual(job.receiptsFor('honest', 0).map((receipt) => receipt.unit), [honestCheck.unit]);
    assert.equal(job.status().units.done, 0, "a spot check settles nothing of the job's own units");

    const [cheaterCheck] = leasesOf(job, 'cheater', 1, 1700);
    assert.ok(known.includes(cheaterCheck.unit));
    const failed = job.report('cheater', [ok(cheaterCheck.lease, 'a lie')], [], hashHex, 1800);
    assert.deepEqual(failed.spotChecks, [{ unit: cheaterCheck.unit, worker: 'cheater', outcome: 'failed' }]);
    assert.equal(book.isBlacklisted('cheater'), true);
    assert.deepEqual(job.receiptsFor('cheater', 0), []);
    assert.deepEqual(job.spotCheckCounts(), { known: 32, issued: 3, passed: 1, failed: 1 });
  });

  it('puts a newcomer on probation: its first lease is a spot check whatever the rate, and only its first', () => {
    const book = newBook();
    // A rate so low that no draw would ever make a check: only probation does.
    const job = new JobCoordinator('job', manifest({ mode: 'adaptive', spotCheckRate: 1e-9 }, 40), 0, options(book, fixedRandom(0.5)));
    const known = job.knownUnitsWanted();
    for (const unit of known) job.addKnownAnswer(unit, hashHex(output(`u${unit}`)), 10n);
    const [check, ...work] = leasesOf(job, 'newcomer', 3, 1);
    assert.ok(known.includes(check.unit), 'the first lease is a spot check');
    assert.equal(work.length, 2);
    assert.equal(job.spotCheckCounts()?.issued, 1, 'the rest of the request is ordinary work: one check pending is enough');
    const passed = job.report('newcomer', [ok(check.lease, `u${check.unit}`)], [], hashHex, 2);
    assert.deepEqual(passed.spotChecks, [{ unit: check.unit, worker: 'newcomer', outcome: 'passed' }]);
    assert.equal(leasesOf(job, 'newcomer', 3, 3).length, 3);
    assert.equal(job.spotCheckCounts()?.issued, 1, 'past probation, checks come at the rate');
    leasesOf(job, 'another', 1, 4);
    assert.equal(job.spotCheckCounts()?.issued, 2, 'every newcomer is checked first');
  });

  it('keeps its known answers through a snapshot, and forgets a silent spot lease', () => {
    const book = newBook();
    const job = new JobCoordinator('job', manifest({ mode: 'adaptive', spotCheckRate: 0.999 }, 4), 0, options(book, fixedRandom(0.5)));
    const known = job.knownUnitsWanted();
    assert.equal(known.length, 4);
    for (const unit of known) job.addKnownAnswer(unit, hashHex(output(`u${unit}`)), 10n);
    const snapshot = DagCbor.decode(DagCbor.encode(job.snapshot(0)));
    const restored = JobCoordinator.restore('job', job.manifest, snapshot, 0, options(newBook(), fixedRandom(0.5)));
    assert.ok(restored instanceof JobCoordinator, String(restored));
    assert.equal(restored.knownAnswers, 4);
    assert.deepEqual(restored.knownUnitsWanted(), []);
    const [check] = leasesOf(restored, 'w', 1, 0);
    restored.tick(5000);
    assert.deepEqual(restored.report('w', [ok(check.lease, `u${check.unit}`)], [], hashHex, 5001).lost, [check.lease], 'expired: named lost');
    const bad = { ...(snapshot as Record<string, unknown>), knownAnswers: [{ unit: 0, outputHash: 'x', fuel: '-1' }] };
    assert.match(String(JobCoordinator.restore('job', job.manifest, bad, 0, options(newBook()))), /fuel is not a count/);
  });
});

describe('JobCoordinator backtracking', () => {
  it('reopens the units that stood on a worker caught lying since, reruns them, and sends copies the whole state again', () => {
    const book = newBook();
    for (let check = 0; check < Math.ceil(evidenceFor(1e-4, 0.2)); check++) book.recordSpotCheck('veteran', true);
    const job = new JobCoordinator('job', manifest({ mode: 'adaptive', spotCheckRate: 0 }, 4), 0, options(book));
    const leases = leasesOf(job, 'veteran', 3);
    job.report('veteran', leases.map((lease) => ok(lease.lease, lease.unit === 1 ? 'lie' : 'right')), [], hashHex, 1);
    assert.equal(job.status().units.done, 3, "a veteran's word was enough, its lie on unit 1 too");
    const before = job.snapshotEnd;
    assert.deepEqual(job.backtrack('someone-else', () => false), []);
    // Caught elsewhere (a spot check, another job): its word is worth nothing now.
    book.blacklist('veteran');
    assert.deepEqual(job.backtrack('veteran', (worker) => book.isBlacklisted(worker)), [0, 1, 2]);
    assert.equal(job.reopens, 3);
    assert.deepEqual(job.status().units, { total: 4, done: 0, failed: 0, running: 0 });
    assert.equal(job.results(1, 1).entries[0].outputHash, null);
    assert.deepEqual(job.results(1, 1).entries[0].workers, [], "the liar's receipt is not listed with the unit");
    const whole = DagCbor.decode(DagCbor.encode(job.snapshot(2))) as { state: { settled: unknown[] } };
    assert.equal(whole.state.settled.length, 0);
    assert.ok(job.snapshotEnd.settled < before.settled);
    // Rerun by newcomers: six agreeing each at 1e-4.
    for (const worker of ['n1', 'n2', 'n3', 'n4', 'n5', 'n6']) {
      const again = leasesOf(job, worker, 4, 10);
      job.report(worker, again.map((lease) => ok(lease.lease, 'right')), [], hashHex, 11);
    }
    assert.equal(job.status().units.done, 4);
    assert.equal(job.currentPhase, 'done');
    const restored = JobCoordinator.restore('job', job.manifest, DagCbor.decode(DagCbor.encode(job.snapshot(12))), 12, options(newBook()));
    assert.ok(restored instanceof JobCoordinator, String(restored));
    assert.deepEqual(restored.results(0, 4).entries.map((entry) => entry.outputHash), job.results(0, 4).entries.map((entry) => entry.outputHash));
    assert.deepEqual(job.backtrack('n1', () => true), [], 'once the job is over, its results are final');
  });

  it('in a fixed quorum, reopens a unit whose agreeing workers fall below the quorum', () => {
    const job = new JobCoordinator('job', manifest({ replicas: 2, quorum: 2 }, 2), 0, options(newBook()));
    for (const worker of ['a', 'b']) {
      const [lease] = leasesOf(job, worker, 1);
      job.report(worker, [ok(lease.lease, 'right')], [], hashHex, 1);
    }
    assert.equal(job.status().units.done, 1);
    assert.deepEqual(job.backtrack('c', (worker) => worker === 'c'), [], 'c was behind no verdict');
    assert.deepEqual(job.backtrack('a', (worker) => worker === 'a'), [0], 'b alone is not a quorum of two');
    const [again] = leasesOf(job, 'b', 1, 2);
    assert.equal(again.unit, 0, 'unit 0 is offered again, from scratch (so a small grid can still run it)');
  });
});
