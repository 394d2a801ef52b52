/**
 * Issue 5's validation figures from the simulator: 10^4 workers, 20% colluding cheaters, churn —
 * `wrongAcceptedRate` and `redundancyMean` of adaptive replication by credibility with spot checks
 * against the colluders' smart play (src/sim/experiments/cheaters/model.ts), beside the same scheme
 * against colluders who always lie and a naive fixed 2-of-2 quorum against colluders who always
 * lie (their best play there), all in one run of one seed. Targets: wrongAcceptedRate ≤ 1e-4 at
 * redundancyMean ≤ 1.5. Run alone: `node bench/compute/cheaters.ts [seed]`.
 */
import { runCheatersExperiment } from '../../src/sim/experiments/cheaters-experiment.ts';

type Say = (line: string) => void;

export async function cheatersBenchmark(say: Say, seed = 1): Promise<Record<string, unknown>> {
  say(`cheaters: seed=${seed}`);
  const started = performance.now();
  const report = runCheatersExperiment({ seed, nodes: 10_000, cheatersFraction: 0.2, units: 200_000, progress: say });
  const wallMs = Math.round(performance.now() - started);
  const { adaptive, adaptiveAlways, naive } = report;
  return {
    nodes: report.nodes,
    cheatersFraction: report.cheatersFraction,
    units: report.units,
    wrongAccepted: adaptive.wrongAccepted,
    wrongAcceptedRate: adaptive.wrongAcceptedRate,
    redundancyMean: adaptive.redundancyMean,
    spotChecks: adaptive.spotChecks,
    cheatersCaught: adaptive.cheatersCaught,
    targetsMet: { wrongAcceptedRate: adaptive.wrongAcceptedRate <= 1e-4 && adaptiveAlways.wrongAcceptedRate <= 1e-4, redundancyMean: adaptive.redundancyMean <= 1.5 },
    naive: { wrongAccepted: naive.wrongAccepted, wrongAcceptedRate: naive.wrongAcceptedRate, redundancyMean: naive.redundancyMean },
    policy: report.policy,
    adaptive,
    adaptiveAlways,
    naiveRun: naive,
    wallMs,
  };
}

if (import.meta.main) {
  const seed = process.argv[2] === undefined ? 1 : Number(process.argv[2]);
  process.stdout.write(`${JSON.stringify(await cheatersBenchmark((line) => process.stderr.write(`${line}\n`), seed), null, 2)}\n`);
}
