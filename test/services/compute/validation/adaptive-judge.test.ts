/** The adaptive judge: credibility decides how many replicas a unit needs; blacklisted and new workers' words never suffice alone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobState } from '../../../../src/services/compute/jobs/job-state.ts';
import { AdaptiveJudge } from '../../../../src/services/compute/validation/adaptive-judge.ts';
import { adaptiveJobValidation, DEFAULT_ADAPTIVE_POLICY } from '../../../../src/services/compute/validation/adaptive-policy.ts';
import { CredibilityBook } from '../../../../src/services/compute/validation/credibility-book.ts';
import { AcceptanceLedger } from '../../../../src/services/compute/validation/acceptance-ledger.ts';

const policy = DEFAULT_ADAPTIVE_POLICY;
const result = (worker: string, outputHash = 'h') => ({ worker, outputHash, fuel: 7n });

/** A worker with `spotChecks` spot checks passed. */
function veteran(book: CredibilityBook, worker: string, spotChecks: number): void {
  for (let index = 0; index < spotChecks; index++) book.recordSpotCheck(worker, true);
}

describe('AdaptiveJudge', () => {
  it("accepts one result of a worker trusted enough (lie bound ≤ errorRateMax), and not a newcomer's", () => {
    const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 });
    veteran(book, 'trusted', 1000);
    const judge = new AdaptiveJudge(policy, book);
    assert.deepEqual(judge.judge(0, [result('trusted')], 1), { state: 'accepted', outputHash: 'h', fuel: 7n, agreeing: ['trusted'], disagreeing: [] });
    assert.deepEqual(judge.judge(1, [result('newcomer')], 1), { state: 'waiting', replicasToAdd: 1 });
  });

  it('assuming cheaters lie on every unit, trusts a worker that passed one check, alone or behind a newcomer', () => {
    const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 });
    veteran(book, 'checked', 1);
    const persistent = new AdaptiveJudge({ ...policy, lieRateMin: 1 }, book);
    assert.deepEqual(persistent.judge(0, [result('checked')], 1), { state: 'accepted', outputHash: 'h', fuel: 7n, agreeing: ['checked'], disagreeing: [] });
    assert.deepEqual(persistent.judge(1, [result('newcomer')], 1), { state: 'waiting', replicasToAdd: 1 });
    assert.equal(persistent.judge(1, [result('newcomer'), result('checked')], 2).state, 'accepted', 'a checked worker is no copier');
    assert.equal(persistent.judge(2, [result('newcomer'), result('another')], 2).state, 'waiting', 'two newcomers are 0.2 · 0.2');
    const wary = new AdaptiveJudge(policy, book);
    assert.equal(wary.judge(0, [result('checked')], 1).state, 'waiting', 'assuming nothing, one check is far from enough');
    assert.equal(wary.judge(1, [result('newcomer'), result('checked')], 2).state, 'waiting', 'and a checked worker may still copy a lie');
  });

  it("never counts a blacklisted worker's result, however trusted it was", () => {
    const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 });
    veteran(book, 'fallen', 1000);
    book.recordSpotCheck('fallen', false);
    const judge = new AdaptiveJudge(policy, book);
    assert.deepEqual(judge.judge(0, [result('fallen')], 1), { state: 'waiting', replicasToAdd: 1 });
  });

  it('asks for one replica at a time, only once none is running', () => {
    const judge = new AdaptiveJudge(policy, new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 }));
    assert.deepEqual(judge.judge(0, [result('a')], 2), { state: 'waiting', replicasToAdd: 0 });
    assert.deepEqual(judge.judge(0, [result('a'), result('b')], 2), { state: 'waiting', replicasToAdd: 1 });
  });

  it('needs six agreeing newcomers at f = 0.2 and errorRateMax = 1e-4 (0.2^6 = 6.4e-5), as voting alone would', () => {
    const judge = new AdaptiveJudge(policy, new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 }));
    const five = ['a', 'b', 'c', 'd', 'e'].map((worker) => result(worker));
    assert.equal(judge.judge(0, five, 5).state, 'waiting');
    assert.equal(judge.judge(0, [...five, result('f')], 6).state, 'accepted');
  });

  it('weighs disagreement: a veteran outvoted by one newcomer is not, and the outvoted are named', () => {
    const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 });
    veteran(book, 'v', 400);
    const judge = new AdaptiveJudge(policy, book);
    const results = [result('v', 'right'), result('x', 'wrong')];
    assert.equal(judge.judge(0, results, 2).state, 'waiting', 'one dissent is enough to ask again');
    const credibilities = judge.credibilities(results);
    assert.ok(credibilities[0].credibility > credibilities[1].credibility);
    const settled = judge.judge(0, [...results, result('y', 'right'), result('z', 'right')], 4);
    assert.equal(settled.state, 'accepted');
    assert.deepEqual(settled.state === 'accepted' ? [settled.agreeing, settled.disagreeing] : null, [['v', 'y', 'z'], ['x']]);
  });

  it('gives up as inconclusive past replicasMax', () => {
    const judge = new AdaptiveJudge({ ...policy, replicasMax: 6 }, new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 }));
    const split = ['a', 'b', 'c', 'd', 'e', 'f'].map((worker, index) => result(worker, index % 2 === 0 ? 'x' : 'y'));
    assert.deepEqual(judge.judge(0, split, 6), { state: 'inconclusive', distinctResults: 2 });
  });

  it("keeps a verdict until the unit's next result, so JobState never holds an open unit nobody is asked to run", () => {
    const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 });
    const judge = new AdaptiveJudge(policy, book);
    const job = new JobState({ units: 1, validation: adaptiveJobValidation(policy), leaseMs: 1000, stragglerAfterMs: Number.MAX_SAFE_INTEGER, failuresMax: 3, judge: judge.judge });
    const first = job.lease('a', 0)!;
    job.report(first.id, { outputHash: 'h', fuel: 7n });
    veteran(book, 'a', 1000); // a's standing rises before anyone else asks for work
    const second = job.lease('b', 1);
    assert.equal(second?.unit, 0, 'the unit still gets its replica');
    assert.equal(job.report(second!.id, { outputHash: 'h', fuel: 7n }).verdict?.state, 'accepted');
    assert.ok(job.finished);
  });

  it('drives JobState: a newcomer alone is never enough, a trusted worker alone is', () => {
    const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 });
    veteran(book, 't', 1000);
    const judge = new AdaptiveJudge(policy, book);
    const job = new JobState({ units: 2, validation: adaptiveJobValidation(policy), leaseMs: 1000, stragglerAfterMs: Number.MAX_SAFE_INTEGER, failuresMax: 3, judge: judge.judge });
    const byTrusted = job.lease('t', 0)!;
    const byNewcomer = job.lease('n', 0)!;
    job.report(byTrusted.id, { outputHash: 'h', fuel: 7n });
    job.report(byNewcomer.id, { outputHash: 'h', fuel: 7n });
    assert.equal(job.phaseOf(byTrusted.unit), 'done');
    assert.equal(job.phaseOf(byNewcomer.unit), 'open');
    assert.equal(job.lease('m', 1)?.unit, byNewcomer.unit);
  });
});

describe('AcceptanceLedger (backtracking)', () => {
  it('reopens the units a caught worker was needed for, with the results that still count, and keeps the others', () => {
    const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 });
    veteran(book, 't', 1000);
    const judge = new AdaptiveJudge(policy, book);
    const ledger = new AcceptanceLedger();
    ledger.record(0, ['c', 'x'], 'h', 7n); // rested on c
    ledger.record(1, ['t', 'c'], 'h', 7n); // t alone suffices
    book.blacklist('c');
    const reopened = ledger.backtrack('c', judge, policy.errorRateMax, (worker) => book.isBlacklisted(worker));
    assert.deepEqual(reopened, [{ unit: 0, kept: [{ worker: 'x', outputHash: 'h', fuel: 7n }] }]);
    assert.equal(ledger.agreeingOf(0), undefined);
    assert.deepEqual(ledger.agreeingOf(1), ['t', 'c']);
    assert.deepEqual(ledger.backtrack('c', judge, policy.errorRateMax, (worker) => book.isBlacklisted(worker)), [], 'once');
  });

  it("a rerun's judge counts the kept results first", () => {
    const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 });
    const kept = ['a', 'b', 'c', 'd', 'e'].map((worker) => result(worker));
    const judge = new AdaptiveJudge(policy, book, () => kept);
    assert.equal(judge.judge(0, [result('f')], 1).state, 'accepted', 'five kept and one new: six agreeing newcomers');
  });
});

describe('AdaptiveJudge and resumed replicas', () => {
  it("counts a replica resumed from a fellow group member's checkpoint as no new vote, and matches it by output alone", () => {
    const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100 });
    const judge = new AdaptiveJudge(policy, book);
    const five = ['a', 'b', 'c', 'd', 'e'].map((worker) => result(worker));
    const resumedFromA = { worker: 'f', outputHash: 'h', fuel: 3n, resumedFrom: 'a' };
    assert.equal(judge.judge(0, [...five, resumedFromA], 6).state, 'waiting', "f's vote rests on a's word, already counted");
    const resumedFromG = { worker: 'f', outputHash: 'h', fuel: 3n, resumedFrom: 'g' };
    assert.equal(judge.judge(1, [...five, resumedFromG], 6).state, 'accepted', 'f and g are new: one more vote, whatever the fuel');
  });
});
