/**
 * Issue 5's validation figures from the simulator: 10^4 workers, 20% colluding cheaters, churn, all
 * in one run of one seed (src/sim/experiments/cheaters-experiment.ts; the model in
 * src/sim/experiments/cheaters/model.ts). Targets: wrongAcceptedRate ≤ 1e-4 at redundancyMean ≤ 1.5.
 *
 * The headline figures are those of the issue's adversary — colluders who lie on every unit, the
 * play behind its "naive 2-of-2 accepts about 10%" (`naive` here) — against an adaptive policy that
 * assumes it (`lieRateMin` 1, spot checks at 1%). Beside them: the default policy, which assumes
 * nothing of the cheaters' lie rate, against the same colluders and against smart ones (who lie
 * rarely, and only where a lie would be accepted), and the first policy against the smart ones —
 * what its assumption risks. Run alone: `node bench/compute/cheaters.ts [seed]`.
 */
import { runCheatersExperiment } from '../../src/sim/experiments/cheaters-experiment.ts';

type Say = (line: string) => void;

export async function cheatersBenchmark(say: Say, seed = 1): Promise<Record<string, unknown>> {
  say(`cheaters: seed=${seed}`);
  const started = performance.now();
  const report = runCheatersExperiment({ seed, nodes: 10_000, cheatersFraction: 0.2, units: 200_000, progress: say });
  const wallMs = Math.round(performance.now() - started);
  const { adaptive, adaptiveAlways, naive, persistent, persistentVsSmart } = report;
  const figures = (run: typeof adaptive) => ({ wrongAccepted: run.wrongAccepted, wrongAcceptedRate: run.wrongAcceptedRate, redundancyMean: run.redundancyMean });
  return {
    nodes: report.nodes,
    cheatersFraction: report.cheatersFraction,
    units: report.units,
    adversary: 'colluders who lie on every unit (the issue\'s, behind its naive 2-of-2 figure)',
    wrongAccepted: persistent.wrongAccepted,
    wrongAcceptedRate: persistent.wrongAcceptedRate,
    redundancyMean: persistent.redundancyMean,
    /** Of redundancyMean: the colluders' own answers (their failed probation checks and lies), which cost honest workers nothing. */
    colluderWorkPerUnit: persistent.colluderWorkPerUnit,
    spotChecks: persistent.spotChecks,
    cheatersCaught: persistent.cheatersCaught,
    targetsMet: { wrongAcceptedRate: persistent.wrongAcceptedRate <= 1e-4, redundancyMean: persistent.redundancyMean <= 1.5 },
    naive: figures(naive),
    defaultPolicy: { alwaysLying: figures(adaptiveAlways), smart: figures(adaptive) },
    persistentPolicyVsSmart: figures(persistentVsSmart),
    policy: report.persistentPolicy,
    defaultPolicyDetails: report.policy,
    persistent,
    persistentVsSmart,
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
