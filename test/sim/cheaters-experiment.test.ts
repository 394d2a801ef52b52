/**
 * The cheaters experiment, small (200 workers): the report's shape, determinism for a seed, the
 * naive quorum fooled by colluders as arithmetic says, and adaptive replication accepting no more
 * wrong results than it. The 10^4-worker run is bench/compute/cheaters.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCheatersExperiment, type CheatersReport } from '../../src/sim/experiments/cheaters-experiment.ts';
import { colluderLies, furtherNeededAdaptive } from '../../src/sim/experiments/cheaters/colluders.ts';

const SMALL = { nodes: 200, units: 4000, unitsPerJob: 200, coordinators: 10 } as const;

/** The report without what the wall clock decides. */
function simulated(report: CheatersReport): unknown {
  const strip = ({ wallMs: _wallMs, ...rest }: CheatersReport['naive']) => rest;
  return { ...report, adaptive: strip(report.adaptive), adaptiveAlways: strip(report.adaptiveAlways), naive: strip(report.naive), persistent: strip(report.persistent), persistentVsSmart: strip(report.persistentVsSmart) };
}

describe('the cheaters experiment', () => {
  const report = runCheatersExperiment({ seed: 7, ...SMALL });

  it('reports the documented figures for each scheme, every unit delivered', () => {
    assert.equal(report.nodes, 200);
    assert.equal(report.cheatersFraction, 0.2);
    for (const run of [report.adaptive, report.adaptiveAlways, report.naive, report.persistent, report.persistentVsSmart]) {
      for (const key of ['units', 'wrongAccepted', 'wrongAcceptedRate', 'redundancyMean', 'spotChecks', 'cheatersCaught', 'leasesExpired', 'simHours']) assert.equal(typeof (run as unknown as Record<string, unknown>)[key], 'number', key);
      assert.equal(run.finishedAllJobs, true);
      assert.equal(run.units, 4000);
      assert.equal(run.unitsAccepted + run.unitsFailed, run.units);
      assert.ok(run.leasesExpired > 0, 'churn took leases away');
    }
    assert.equal(report.naive.spotChecks, 0);
    assert.ok(report.adaptive.spotChecks > 0);
  });

  it('is deterministic for a seed, and another seed gives another run', () => {
    assert.deepEqual(simulated(runCheatersExperiment({ seed: 7, ...SMALL })), simulated(report));
    assert.notDeepEqual(simulated(runCheatersExperiment({ seed: 8, ...SMALL })), simulated(report));
  });

  it('the naive 2-of-2 quorum accepts about f² + 2f(1−f)·f ≈ 10% wrong results against colluders who always lie', () => {
    assert.ok(report.naive.wrongAcceptedRate > 0.06 && report.naive.wrongAcceptedRate < 0.15, `${report.naive.wrongAcceptedRate}`);
    assert.equal(report.naive.cheatersCaught, 0, 'a fixed quorum punishes nobody');
  });

  it('adaptive replication accepts no more wrong results than the naive quorum, and catches colluders who always lie', () => {
    assert.ok(report.adaptive.wrongAccepted <= report.naive.wrongAccepted);
    assert.ok(report.adaptiveAlways.wrongAccepted < report.naive.wrongAccepted / 10, `${report.adaptiveAlways.wrongAccepted} vs ${report.naive.wrongAccepted}`);
    assert.ok(report.adaptiveAlways.cheatersCaught >= 40, 'every one of the 40 colluders is caught at least once');
    assert.equal(report.adaptiveAlways.honestBlacklisted, 0);
  });

  it('a policy assuming persistent cheaters pays far less against them, accepts none of their lies, and lets smart colluders through', () => {
    assert.equal(report.persistentPolicy.lieRateMin, 1);
    assert.equal(report.persistent.wrongAccepted, 0);
    assert.ok(report.persistent.redundancyMean < report.adaptiveAlways.redundancyMean / 2, `${report.persistent.redundancyMean} vs ${report.adaptiveAlways.redundancyMean}`);
    assert.ok(report.persistent.colluderWorkPerUnit > 0 && report.persistent.colluderWorkPerUnit < report.persistent.redundancyMean - 1, 'the colluders answer their own probation checks');
    assert.ok(report.persistentVsSmart.wrongAccepted > report.adaptive.wrongAccepted, `${report.persistentVsSmart.wrongAccepted} vs ${report.adaptive.wrongAccepted}: the assumption is what the smart ones exploit`);
  });
});

describe('the colluders', () => {
  const view = { fellowLied: false, seenBefore: false, resultsBefore: 0, landedLie: false, furtherNeeded: 1 };
  it('smart ones copy a fellow, lie only on a fresh unit when few fellows are needed, and once landed stay honest', () => {
    assert.equal(colluderLies('smart', view, 1), true);
    assert.equal(colluderLies('smart', { ...view, furtherNeeded: 2 }, 1), false);
    assert.equal(colluderLies('smart', { ...view, seenBefore: true }, 1), false, 'a rerun may be a spot check');
    assert.equal(colluderLies('smart', { ...view, resultsBefore: 1 }, 1), false, 'an honest result is in');
    assert.equal(colluderLies('smart', { ...view, landedLie: true }, 1), false);
    assert.equal(colluderLies('smart', { ...view, landedLie: true, seenBefore: true, fellowLied: true }, 1), true);
    assert.equal(colluderLies('always', { ...view, seenBefore: true, furtherNeeded: 9 }, 1), true);
  });

  it('count the fellows the judge would want: none for a lie bound under the target, one more per factor f', () => {
    assert.equal(furtherNeededAdaptive(1e-5, 0.2, 1e-4, 10), 0);
    assert.equal(furtherNeededAdaptive(4e-4, 0.2, 1e-4, 10), 1);
    assert.equal(furtherNeededAdaptive(0.2, 0.2, 1e-4, 10), 5);
  });
});
