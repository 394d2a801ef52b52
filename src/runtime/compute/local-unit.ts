/**
 * One unit of a job run on this node's sandbox pool: the limits the job sets (capped by what the
 * grid carries), shared by the volunteer (volunteer.ts) and the known answers a coordinator computes
 * for an adaptive job's spot checks (issue 5, item 6; job-host.ts).
 */
import { ComputeLimits } from '../../services/compute/grid/compute-messages.ts';
import type { JobManifest } from '../../services/compute/grid/job-manifest.ts';
import type { JobLimits } from '../../services/compute/jobs/job-spec.ts';
import { unitAt } from '../../services/compute/jobs/unit-plan.ts';
import { DEFAULT_MODULE_POLICY } from '../../services/compute/wasm/module-policy.ts';
import { sha256Hex } from '../content/content-hash.ts';
import type { UnitPool } from './unit-pool.ts';
import type { UnitLimits } from './unit-sandbox.ts';

/** The sandbox limits of a job's units. */
export function unitLimitsOf(limits: JobLimits): Partial<UnitLimits> {
  return {
    fuelMax: limits.fuelMax, wallTimeMs: limits.wallTimeSeconds * 1000,
    // Outputs above ComputeLimits.inlineOutputBytesMax go to the grid as content (volunteer.ts).
    outputBytesMax: limits.outputBytesMax,
    checkpointBytesMax: ComputeLimits.checkpointBytesMax,
    policy: { ...DEFAULT_MODULE_POLICY, memoryPagesMax: Math.min(limits.memoryPagesMax, DEFAULT_MODULE_POLICY.memoryPagesMax) },
  };
}

export interface LocalUnitParts {
  readonly pool: UnitPool;
  readonly fetchFile: (cid: string, bytesMax: number) => Promise<Uint8Array>;
}

/**
 * Units of the job, run here from their start, all queued on the pool at once (the program fetched
 * once): each one's output hash and the fuel it burnt, or null for one that did not end with an
 * output or whose input could not be fetched. `onEach` hears each unit's answer as soon as it is
 * in (by its index in `units`), so a caller can use the first while the rest still run.
 */
export async function runUnitsHere(
  parts: LocalUnitParts, manifest: JobManifest, units: readonly number[],
  onEach: (index: number, answer: LocalAnswer | null) => void = () => {},
): Promise<(LocalAnswer | null)[]> {
  const program = await parts.fetchFile(manifest.spec.program, DEFAULT_MODULE_POLICY.moduleBytesMax);
  const limits = unitLimitsOf(manifest.spec.limits);
  return Promise.all(units.map(async (unit, index) => {
    const answer = await runUnit(parts, program, limits, manifest, unit);
    onEach(index, answer);
    return answer;
  }));
}

/** A unit's output hash and the fuel it burnt. */
export interface LocalAnswer {
  readonly outputHash: string;
  readonly fuel: bigint;
}

async function runUnit(parts: LocalUnitParts, program: Uint8Array, limits: Partial<UnitLimits>, manifest: JobManifest, unit: number): Promise<LocalAnswer | null> {
  const planned = unitAt(manifest.spec.units, unit);
  let input: Uint8Array = new Uint8Array(0);
  if (planned.input !== null) {
    try {
      input = await parts.fetchFile(planned.input, ComputeLimits.messageBytesMax);
    } catch {
      return null;
    }
  }
  // Ahead of the units this node runs as a volunteer: its job's spot checks wait for these answers.
  const outcome = await parts.pool.run({ program, input, args: planned.args, checkpoint: null, limits }, { urgent: true });
  // A stored output is compared by its CID, which this node would have to import it to know: such
  // a unit is not a known answer.
  if (outcome.status !== 'ok' || outcome.fuelUsed === null || outcome.output.length > ComputeLimits.inlineOutputBytesMax) return null;
  return { outputHash: sha256Hex(outcome.output), fuel: outcome.fuelUsed };
}
