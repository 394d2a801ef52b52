/**
 * `npm run bench -- compute` (issue 5): one JSON object with the figures —
 * dispatchUnitsPerSec and efficiency1s on a loopback devnet (bench/compute/dispatch.ts),
 * meteringOverhead (bench/compute/metering.ts), wrongAcceptedRate and redundancyMean from the
 * simulator's cheaters (bench/compute/cheaters.ts), with the sandbox's own unit rate beside them
 * (bench/compute/sandbox-rate.ts), and workLostPerDepartureMsP50 from volunteers that depart mid-unit
 * (bench/compute/work-lost.ts: the real coordinator, volunteers and sandbox in one process, the
 * network replaced by the protocol's codec).
 */
import { cheatersBenchmark } from './cheaters.ts';
import { dispatchBenchmark } from './dispatch.ts';
import { meteringBenchmark } from './metering.ts';
import { sandboxRateBenchmark } from './sandbox-rate.ts';
import { workLostBenchmark } from './work-lost.ts';

type Say = (line: string) => void;

export async function computeBenchmark(say: Say): Promise<Record<string, unknown>> {
  say('metering overhead: the same kernels with and without fuel');
  const metering = await meteringBenchmark(say);
  say('the sandbox: trivial units on warm workers and with a worker each');
  const sandbox = await sandboxRateBenchmark(say);
  say('jobs on a loopback devnet of 3 nodes: trivial units, then units of about a second, against a local pool');
  const dispatch = await dispatchBenchmark(say);
  say('work lost when volunteers depart mid-unit (about a minute and a half)');
  const workLost = await workLostBenchmark(say);
  say('the simulator: 10^4 nodes, 20% colluding cheaters, churn (about two minutes)');
  const cheaters = await cheatersBenchmark(say);
  return {
    dispatchUnitsPerSec: dispatch.dispatchUnitsPerSec,
    efficiency1s: dispatch.efficiency,
    meteringOverhead: metering.meteringOverhead,
    workLostPerDepartureMsP50: workLost.workLostPerDepartureMsP50,
    wrongAcceptedRate: cheaters.wrongAcceptedRate,
    redundancyMean: cheaters.redundancyMean,
    metering,
    sandbox,
    dispatch,
    workLost,
    cheaters,
  };
}
