/**
 * `npm run bench -- compute` (issue 5): one JSON object with the figures. Only
 * `meteringOverhead` can be measured so far (bench/compute/metering.ts), with the sandbox's own
 * unit rate beside it (bench/compute/sandbox-rate.ts); the others need devnet jobs and the
 * simulator's cheaters, which are not built yet — they are null, and `notMeasured` says why,
 * rather than a number nobody measured.
 */
import { meteringBenchmark } from './metering.ts';
import { sandboxRateBenchmark } from './sandbox-rate.ts';

type Say = (line: string) => void;

export async function computeBenchmark(say: Say): Promise<Record<string, unknown>> {
  say('metering overhead: the same kernels with and without fuel');
  const metering = await meteringBenchmark(say);
  say('the sandbox: trivial units on warm workers and with a worker each');
  const sandbox = await sandboxRateBenchmark(say);
  const notBuilt = 'not built yet (docs/COMPUTE.md, "Not built yet")';
  return {
    dispatchUnitsPerSec: null,
    efficiency1s: null,
    meteringOverhead: metering.meteringOverhead,
    workLostPerDepartureMsP50: null,
    wrongAcceptedRate: null,
    redundancyMean: null,
    metering,
    sandbox,
    notMeasured: {
      dispatchUnitsPerSec: `jobs on a devnet: ${notBuilt} (sandbox.poolUnitsPerSec is one node's sandbox alone, the ceiling under it)`,
      efficiency1s: `the sandbox and jobs: ${notBuilt}`,
      workLostPerDepartureMsP50: `leases and checkpoints: ${notBuilt}`,
      wrongAcceptedRate: `replicated validation in the simulator: ${notBuilt}`,
      redundancyMean: `replicated validation in the simulator: ${notBuilt}`,
    },
  };
}
