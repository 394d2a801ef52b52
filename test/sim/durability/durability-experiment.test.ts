/**
 * The durability simulation, small: determinism, the invariant checkers, repair against no repair,
 * and the oracle baseline's accounting where it can be worked out by hand. The 10^6-object year is
 * bench/storage/durability.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRepairPolicy, type RepairPolicy } from '../../../src/services/storage/durability/repair-policy.ts';
import { piecesTarget, type Redundancy } from '../../../src/services/storage/durability/redundancy.ts';
import { runDurabilityExperiment, type DurabilityExperimentOptions, type DurabilityScheme } from '../../../src/sim/experiments/durability-experiment.ts';
import { availabilityModel, DAY_MS } from '../../../src/sim/experiments/durability/availability-model.ts';
import { DurabilityRun } from '../../../src/sim/experiments/durability/durability-run.ts';
import { checkDurabilityInvariants } from '../../../src/sim/experiments/durability/invariants.ts';
import { Prng } from '../../../src/sim/prng.ts';

const MIB = 1 << 20;
const three: Redundancy = { kind: 'replicate', copies: 3 };
const sixPlusSix: Redundancy = { kind: 'erasure', dataFragments: 6, parityFragments: 6 };

function scheme(redundancy: Redundancy, overrides: Partial<RepairPolicy> = {}): DurabilityScheme {
  return { redundancy, policy: { ...defaultRepairPolicy(redundancy), ...overrides } };
}

function options(overrides: Partial<DurabilityExperimentOptions>): DurabilityExperimentOptions {
  return {
    seed: 1, objects: 2000, nodes: 200, days: 30, objectBytes: MIB, schemes: [scheme(three), scheme(sixPlusSix)],
    permanentLossPerMonth: 0.1, offlineFraction: 0.3, downtime: 'weibull:0.5:8', availabilitySamplesPerHour: 50,
    ...overrides,
  };
}

/** The result without what the wall clock decides. */
function simulated(result: ReturnType<typeof runDurabilityExperiment>): unknown {
  return result.schemes.map(({ wallMs: _wallMs, ...rest }) => rest);
}

describe('determinism', () => {
  it('one seed gives the same run, to the trace hash and every figure', () => {
    const first = runDurabilityExperiment(options({}));
    const second = runDurabilityExperiment(options({}));
    assert.deepEqual(simulated(first), simulated(second));
  });

  it('different seeds give different runs', () => {
    const first = runDurabilityExperiment(options({ seed: 1 }));
    const second = runDurabilityExperiment(options({ seed: 2 }));
    for (let k = 0; k < first.schemes.length; k++) {
      assert.notEqual(first.schemes[k].traceHash, second.schemes[k].traceHash);
      assert.notEqual(first.schemes[k].repairBytes, second.schemes[k].repairBytes);
    }
  });

  it('progress reports do not change the run', () => {
    const lines: string[] = [];
    const quiet = runDurabilityExperiment(options({ days: 65 }));
    const chatty = runDurabilityExperiment(options({ days: 65, progress: (line) => lines.push(line) }));
    assert.deepEqual(simulated(chatty), simulated(quiet));
    assert.ok(lines.some((line) => /day 30/.test(line)));
  });

  it('every scheme runs over the same churn', () => {
    const result = runDurabilityExperiment(options({}));
    assert.equal(result.schemes[0].departures, result.schemes[1].departures);
    assert.ok(result.schemes[0].departures > 0);
  });
});

describe('invariants', () => {
  it('hold at the end of runs with churn, repairs, re-integration, drops and forgetting', () => {
    const result = runDurabilityExperiment(options({
      days: 90,
      schemes: [
        scheme(three),
        scheme(sixPlusSix),
        // Small extras and a short memory, so that surpluses are dropped and holders forgotten.
        scheme(three, { graceMs: DAY_MS / 4, extraPiecesMax: 0, recordedPiecesMax: 4, forgetAfterMs: 5 * DAY_MS }),
        scheme({ kind: 'erasure', dataFragments: 4, parityFragments: 2 }, { graceMs: DAY_MS, forgetAfterMs: 3 * DAY_MS }),
      ],
      checkInvariants: true,
    }));
    for (const s of result.schemes) {
      assert.deepEqual(s.invariantViolations, [], s.scheme);
      assert.ok(s.repairs > 0 && s.reintegratedPieces > 0, s.scheme);
    }
    const busy = result.schemes[2];
    assert.ok(busy.ledger.dropped > 0, 'surplus pieces were dropped');
    assert.ok(busy.ledger.forgottenLive + busy.ledger.forgottenDeparted > 0, 'holders were forgotten');
  });

  it('pieces never exceed what was created minus what was lost', () => {
    for (const redundancy of [three, sixPlusSix]) {
      const run = new DurabilityRun({
        objects: 1000, nodes: 150, durationMs: 60 * DAY_MS, objectBytes: MIB, redundancy, policy: defaultRepairPolicy(redundancy),
        model: availabilityModel('weibull:0.5:8', 0.3, 0.1), availabilitySamplesPerHour: 10, prng: Prng.fromSeed(3),
      });
      run.run();
      let live = 0;
      for (let object = 0; object < run.records.objects; object++) live += run.records.livePieces(object);
      const { createdAtStart, createdByRepair, lostToDepartures } = run.ledger;
      assert.equal(createdAtStart, 1000 * piecesTarget(redundancy));
      assert.ok(lostToDepartures > 0 && createdByRepair > 0);
      assert.ok(live <= createdAtStart + createdByRepair - lostToDepartures, `${live} pieces`);
    }
  });

  it('the checker catches a broken ledger and a broken record', () => {
    const run = new DurabilityRun({
      objects: 300, nodes: 100, durationMs: 10 * DAY_MS, objectBytes: MIB, redundancy: three, policy: defaultRepairPolicy(three),
      model: availabilityModel('exp:8', 0.3, 0.1), availabilitySamplesPerHour: 10, prng: Prng.fromSeed(5),
    });
    run.run();
    assert.deepEqual(checkDurabilityInvariants(run), []);
    run.ledger.dropped++;
    assert.match(checkDurabilityInvariants(run).join('\n'), /conservation/);
    run.ledger.dropped--;
    const records = run.records;
    records.holders[1] = records.holders[0];
    assert.match(checkDurabilityInvariants(run).join('\n'), /recorded twice/);
  });
});

describe('repair against no repair', () => {
  it('without repair objects are lost; with it, none', () => {
    const result = runDurabilityExperiment(options({
      days: 120,
      schemes: [scheme(three, { repairBelowPieces: 0 }), scheme(three, { graceMs: DAY_MS })],
    }));
    const [none, repaired] = result.schemes;
    // A copy's node leaves within 120 days with probability 1 - e^-0.4 = 0.33, so all three with 0.036.
    assert.ok(none.lost > 20, `no repair lost ${none.lost}`);
    assert.equal(none.repairs, 0);
    assert.equal(repaired.lost, 0);
    assert.ok(repaired.repairs > 0);
  });
});

describe('the oracle baseline', () => {
  it('without transient failures and with no grace, the policy is the oracle: every lost piece re-created once', () => {
    const result = runDurabilityExperiment(options({
      days: 120, offlineFraction: 0, objects: 3000,
      schemes: [scheme(three, { graceMs: 0, extraPiecesMax: 0 }), scheme({ kind: 'erasure', dataFragments: 4, parityFragments: 2 }, { graceMs: 0, repairBelowPieces: 6, extraPiecesMax: 0 })],
      checkInvariants: true,
    }));
    for (const s of result.schemes) {
      assert.deepEqual(s.invariantViolations, []);
      assert.equal(s.lost, 0, s.scheme);
      // Departures are detected at once and repaired at once: exactly the pieces lost are created...
      assert.equal(s.ledger.createdByRepair, s.ledger.lostToDepartures, s.scheme);
      assert.equal(s.reintegratedPieces, 0);
      assert.equal(s.blockedRepairs, 0);
      // ...one at a time, each moving one object's worth (a copy, or K fragments read).
      assert.equal(s.repairs, s.piecesCreated);
      assert.equal(s.repairBytes, s.piecesCreated * MIB);
      // The oracle counts the same thing on its own placement: departures × pieces per node, on average.
      const expected = (s.departures * s.objects * piecesTarget(s.scheme.startsWith('replicate') ? three : { kind: 'erasure', dataFragments: 4, parityFragments: 2 })) / result.nodes;
      assert.ok(Math.abs(s.permanentPiecesLost - expected) / expected < 0.15, `${s.permanentPiecesLost} vs ${expected}`);
      assert.equal(s.permanentOnlyBytes, s.permanentPiecesLost * MIB);
      assert.ok(Math.abs(s.repairOverPermanentOnly - 1) < 0.15, `${s.scheme}: ${s.repairOverPermanentOnly}`);
    }
  });

  it('with no departures there is nothing to repair for the oracle', () => {
    const result = runDurabilityExperiment(options({ permanentLossPerMonth: 0, days: 20, schemes: [scheme(three, { graceMs: 7 * DAY_MS })] }));
    const [s] = result.schemes;
    assert.equal(s.departures, 0);
    assert.equal(s.permanentPiecesLost, 0);
    assert.equal(s.permanentOnlyBytes, 0);
    assert.equal(s.lost, 0);
  });
});

describe('the availability model', () => {
  it('gives downtimes the mean asked for, and sessions the mean that makes the offline fraction', () => {
    for (const spec of ['exp:8', 'weibull:0.5:8', 'weibull:2:8']) {
      const model = availabilityModel(spec, 0.3, 0.1);
      assert.ok(Math.abs((model.downtime?.meanMs ?? 0) - 8 * 3_600_000) < 1, spec);
      const offline = (model.downtime?.meanMs ?? 0) / ((model.downtime?.meanMs ?? 0) + (model.session?.meanMs ?? 0));
      assert.ok(Math.abs(offline - 0.3) < 1e-9, spec);
    }
    // Lifetimes: rate 0.1 a month, a mean of ten months.
    assert.ok(Math.abs((availabilityModel('exp:8', 0.3, 0.1).lifetime?.meanMs ?? 0) - 10 * 365 * DAY_MS / 12) < 1);
    const still = availabilityModel('exp:8', 0, 0);
    assert.equal(still.session, null);
    assert.equal(still.lifetime, null);
    assert.throws(() => availabilityModel('weibull:0.5', 0.3, 0.1), /bad downtime model/);
    assert.throws(() => availabilityModel('exp:8', 1, 0.1), /offline fraction/);
  });
});

describe('availability', () => {
  it('a single copy is unavailable about the offline fraction of the time', () => {
    const result = runDurabilityExperiment(options({
      permanentLossPerMonth: 0, days: 60, downtime: 'exp:8', availabilitySamplesPerHour: 100,
      schemes: [scheme({ kind: 'replicate', copies: 1 })],
    }));
    const [s] = result.schemes;
    assert.ok(Math.abs(s.unavailability - 0.3) < 0.03, `unavailability ${s.unavailability}`);
    assert.equal(result.downtimeMeanHours, 8);
    assert.equal(result.sessionMeanHours, 18.667, 'sessions: 8 h × 0.7 / 0.3');
  });
});
