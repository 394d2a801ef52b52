/** A job's coordination state: replicas on distinct workers, quorum verdicts, expired leases reoffered, stragglers backed up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { JobState, type JobStateOptions } from '../../../../src/services/compute/jobs/job-state.ts';

const OPTIONS: JobStateOptions = { units: 3, validation: { replicas: 2, quorum: 2, replicasMax: 5 }, leaseMs: 1000, stragglerAfterMs: 5000, failuresMax: 2 };
const ok = (outputHash: string) => ({ outputHash, fuel: 10n });

describe('JobState', () => {
  it('gives each unit its replicas on distinct workers, and accepts it when they agree', () => {
    const job = new JobState(OPTIONS);
    const leases = [job.lease('a', 0), job.lease('a', 0), job.lease('a', 0), job.lease('b', 0), job.lease('b', 0), job.lease('b', 0)];
    assert.deepEqual(leases.map((lease) => lease?.unit), [0, 1, 2, 0, 1, 2], 'a worker never gets two replicas of one unit');
    assert.equal(job.lease('c', 0), null, 'every replica is out, and nothing straggles yet');
    for (const lease of leases) job.report(lease!.id, ok(`unit-${lease!.unit}`));
    assert.ok(job.finished);
    assert.deepEqual(job.progress(), { total: 3, done: 3, failed: 0, running: 0 });
    const verdict = job.verdictOf(1);
    assert.equal(verdict?.state, 'accepted');
  });

  it('asks another worker when two replicas disagree, and names the one outvoted', () => {
    const job = new JobState({ ...OPTIONS, units: 1 });
    const a = job.lease('a', 0)!;
    const b = job.lease('b', 0)!;
    job.report(a.id, ok('right'));
    assert.equal(job.report(b.id, ok('wrong')).verdict, null);
    const c = job.lease('c', 0)!;
    assert.equal(c.unit, 0);
    const settled = job.report(c.id, ok('right')).verdict;
    assert.deepEqual(settled, { state: 'accepted', outputHash: 'right', fuel: 10n, agreeing: ['a', 'c'], disagreeing: ['b'] });
  });

  it('offers the unit of a lease whose heartbeats stopped to another worker', () => {
    const job = new JobState({ ...OPTIONS, units: 1 });
    const a = job.lease('a', 0)!;
    const b = job.lease('b', 0)!;
    assert.equal(job.lease('c', 0), null);
    assert.equal(job.heartbeat(b.id, 900), true);
    assert.deepEqual(job.tick(1000).map((lease) => lease.worker), ['a'], 'a went silent; b was heard at 900');
    assert.equal(job.heartbeat(a.id, 1001), false);
    assert.equal(job.report(a.id, ok('late')).accepted, false, 'a lost lease reports nothing');
    const c = job.lease('c', 1001)!;
    assert.equal(c.unit, 0);
    job.report(b.id, ok('h'));
    assert.equal(job.report(c.id, ok('h')).verdict?.state, 'accepted');
  });

  it('backs up a straggler once, when nothing else needs a worker', () => {
    const job = new JobState({ ...OPTIONS, units: 2, validation: { replicas: 1, quorum: 1, replicasMax: 3 } });
    const slow = job.lease('a', 0)!;
    const fast = job.lease('b', 100)!;
    job.report(fast.id, ok('done'));
    assert.equal(job.lease('c', 4000), null, 'not yet a straggler');
    job.heartbeat(slow.id, 4500);
    const backup = job.lease('c', 5000)!;
    assert.deepEqual([backup.unit, backup.speculative], [slow.unit, true]);
    assert.equal(job.lease('d', 6000), null, 'one backup per unit');
    job.report(backup.id, ok('x'));
    assert.equal(job.phaseOf(slow.unit), 'done', 'the backup settled it');
    assert.equal(job.report(slow.id, ok('x')).accepted, true, 'the slow replica reports into a settled unit harmlessly');
  });

  it('fails a unit whose replicas keep failing, and one whose replicas never agree', () => {
    const job = new JobState({ ...OPTIONS, units: 2 });
    for (const worker of ['a', 'b']) job.report(job.lease(worker, 0)!.id, { failed: 'trapped' });
    assert.equal(job.phaseOf(0), 'failed');
    const disagreeing = new JobState({ ...OPTIONS, units: 1, validation: { replicas: 2, quorum: 2, replicasMax: 3 } });
    for (const [worker, hash] of [['a', 'h1'], ['b', 'h2'], ['c', 'h3']]) disagreeing.report(disagreeing.lease(worker, 0)!.id, ok(hash));
    assert.equal(disagreeing.phaseOf(0), 'failed');
    assert.deepEqual(disagreeing.verdictOf(0), { state: 'inconclusive', distinctResults: 3 });
  });

  it('never accepts a wrong result when cheaters do not collude, and always finishes (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }), (units, seed) => {
      let state = seed;
      const random = (): number => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
      const workers = Array.from({ length: 10 }, (_, index) => ({ name: `w${index}`, cheater: index < 2 }));
      const job = new JobState({ ...OPTIONS, units, validation: { replicas: 2, quorum: 2, replicasMax: 8 } });
      for (let round = 0; round < 1000 && !job.finished; round++) {
        const worker = workers[Math.floor(random() * workers.length)];
        const lease = job.lease(worker.name, round);
        if (lease === null) continue;
        job.report(lease.id, ok(worker.cheater ? `wrong-${worker.name}-${lease.unit}` : `right-${lease.unit}`));
      }
      assert.ok(job.finished);
      for (let unit = 0; unit < units; unit++) {
        const verdict = job.verdictOf(unit);
        if (verdict?.state === 'accepted') assert.equal(verdict.outputHash, `right-${unit}`);
      }
    }), { numRuns: 300 });
  });
});
