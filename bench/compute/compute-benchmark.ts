/**
 * `npm run bench -- compute` (issue 5): one JSON object with the figures. Only
 * `meteringOverhead` can be measured so far (bench/compute/metering.ts); the others need the
 * sandbox, the devnet jobs and the simulator's cheaters, which are not built yet — they are null,
 * and `notMeasured` says why, rather than a number nobody measured.
 */
import { meteringBenchmark } from './metering.ts';

type Say = (line: string) => void;

export async function computeBenchmark(say: Say): Promise<Record<string, unknown>> {
  say('metering overhead: the same kernels with and without fuel');
  const metering = await meteringBenchmark(say);
  const notBuilt = 'not built yet (docs/COMPUTE.md, "Not built yet")';
  return {
    dispatchUnitsPerSec: null,
    efficiency1s: null,
    meteringOverhead: metering.meteringOverhead,
    workLostPerDepartureMsP50: null,
    wrongAcceptedRate: null,
    redundancyMean: null,
    metering,
    notMeasured: {
      dispatchUnitsPerSec: `jobs on a devnet: ${notBuilt}`,
      efficiency1s: `the sandbox and jobs: ${notBuilt}`,
      workLostPerDepartureMsP50: `leases and checkpoints: ${notBuilt}`,
      wrongAcceptedRate: `replicated validation in the simulator: ${notBuilt}`,
      redundancyMean: `replicated validation in the simulator: ${notBuilt}`,
    },
  };
}
