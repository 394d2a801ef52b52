/**
 * `npm run bench -- compute` (issue 5): one JSON object with the figures —
 * dispatchUnitsPerSec and efficiency1s on a loopback devnet (bench/compute/dispatch.ts),
 * meteringOverhead (bench/compute/metering.ts), wrongAcceptedRate and redundancyMean from the
 * simulator's cheaters (bench/compute/cheaters.ts), with the sandbox's own unit rate beside them
 * (bench/compute/sandbox-rate.ts). workLostPerDepartureMsP50 is not measured yet: it is null, and
 * `notMeasured` says why, rather than a number nobody measured.
 */
import { cheatersBenchmark } from './cheaters.ts';
import { dispatchBenchmark } from './dispatch.ts';
import { meteringBenchmark } from './metering.ts';
import { sandboxRateBenchmark } from './sandbox-rate.ts';

type Say = (line: string) => void;

export async function computeBenchmark(say: Say): Promise<Record<string, unknown>> {
  say('metering overhead: the same kernels with and without fuel');
  const metering = await meteringBenchmark(say);
  say('the sandbox: trivial units on warm workers and with a worker each');
  const sandbox = await sandboxRateBenchmark(say);
  say('jobs on a loopback devnet of 3 nodes: trivial units, then units of about a second, against a local pool');
  const dispatch = await dispatchBenchmark(say);
  say('the simulator: 10^4 nodes, 20% colluding cheaters, churn (about two minutes)');
  const cheaters = await cheatersBenchmark(say);
  return {
    dispatchUnitsPerSec: dispatch.dispatchUnitsPerSec,
    efficiency1s: dispatch.efficiency,
    meteringOverhead: metering.meteringOverhead,
    workLostPerDepartureMsP50: null,
    wrongAcceptedRate: cheaters.wrongAcceptedRate,
    redundancyMean: cheaters.redundancyMean,
    metering,
    sandbox,
    dispatch,
    cheaters,
    notMeasured: {
      workLostPerDepartureMsP50: 'needs a devnet run that kills workers running checkpointing units and sums the work redone: not built yet (docs/COMPUTE.md)',
    },
  };
}
