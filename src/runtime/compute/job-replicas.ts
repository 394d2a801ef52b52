/**
 * Copies of jobs that other nodes coordinate (issue 5, item 4: "a job's coordination state is
 * replicated on the nodes closest to the job's key"). A coordinator sends the next closest nodes
 * its job's manifest, state and newly accepted outputs about once a second (JobHost.syncJobs). A
 * whole snapshot (the first, or after the coordinator's order changed) is restored into a
 * JobCoordinator at once, so a bad one is refused when it comes; a part (what settled since) is
 * checked for its shape and merged (snapshot-merge.ts), and the whole restored only when asked for
 * — status, results, a takeover — since restoring a big job costs time in proportion to its units
 * (0.4 s for 200,000). The copy is kept idle: it answers status and results, grants nothing.
 *
 * When syncs stop for `takeoverAfterMs` × its rank, the copy asks the coordinator whether it is
 * still there; if not, it is handed to the host to coordinate (`due`). Ranks stagger the copies,
 * and the one that takes over syncs to the others, which then follow it instead.
 */
import * as DagCbor from '@ipld/dag-cbor';
import { ComputeLimits, type ComputeRequest } from '../../services/compute/grid/compute-messages.ts';
import { JobCoordinator, type CoordinatorOptions } from '../../services/compute/grid/job-coordinator.ts';
import { decodeManifest, jobIdOf, type JobManifest } from '../../services/compute/grid/job-manifest.ts';
import { mergeSnapshot, type HeldSnapshot } from '../../services/compute/grid/snapshot-merge.ts';
import { checkSnapshot } from '../../services/compute/jobs/job-state-snapshot.ts';
import { unitCount } from '../../services/compute/jobs/unit-plan.ts';
import { sha256 } from '../content/content-hash.ts';

export interface ReplicaJob {
  readonly jobId: string;
  /** The job restored from `snapshot`, once asked for (status, results): null until then, and again after each sync. */
  restored: JobCoordinator | null;
  manifestBytes: Uint8Array;
  manifest: JobManifest;
  /** The whole snapshot as of the last sync (its parts merged, snapshot-merge.ts): a takeover restores it again, so that its leases count from then. */
  snapshot: unknown;
  /** The same with the coordinator's log and how many settled units and receipts it holds. */
  held: HeldSnapshot;
  /** Accepted outputs by unit, and how many of the coordinator's accepted outputs (in its order) we hold. */
  readonly outputs: Map<number, Uint8Array>;
  readonly acceptedOrder: number[];
  /** The libp2p peer id of the node that coordinates it. */
  primary: string;
  rank: number;
  lastSyncAtMs: number;
  probing: boolean;
  /** Probes of the silent coordinator that failed in a row. */
  probesFailed: number;
  /** How long the coordinator had been silent when the first of those probes began, and when it failed. */
  silentAtFirstProbeMs: number;
  firstProbeFailedAtMs: number;
}

export type SyncRequest = Extract<ComputeRequest, { kind: 'sync' }>;

/** What a copy holds after a sync, each in its coordinator's order. */
export interface SyncHeld {
  readonly outputsHeld: number;
  readonly settledHeld: number;
  readonly receiptsHeld: number;
}

export const ReplicaLimits = {
  /** Copies kept at once; a sync of a further job is refused. */
  replicasMax: 256,
  /** A copy whose coordinator is alive but no longer syncs it (it chose other nodes) is dropped after this long. */
  orphanedAfterMs: 120_000,
} as const;

export class JobReplicas {
  private readonly replicas = new Map<string, ReplicaJob>();
  private readonly options: CoordinatorOptions;

  constructor(options: CoordinatorOptions) {
    this.options = options;
  }

  get(jobId: string): ReplicaJob | undefined {
    return this.replicas.get(jobId);
  }

  delete(jobId: string): void {
    this.replicas.delete(jobId);
  }

  get size(): number {
    return this.replicas.size;
  }

  jobIds(): string[] {
    return [...this.replicas.keys()];
  }

  /**
   * Takes a sync from `peerId`; returns what is now held (outputs, settled units and receipts, each
   * in the coordinator's order), or the problem. A snapshot that does not follow on from what is
   * held (a lost sync, or another coordinator's order) changes nothing but the time last heard:
   * the answer tells the coordinator where to send from.
   */
  accept(peerId: string, sync: SyncRequest, nowMs: number): SyncHeld | { readonly problem: string } {
    if (jobIdOf(sync.manifest, sha256) !== sync.jobId) return { problem: 'the manifest does not match the job id' };
    let replica = this.replicas.get(sync.jobId);
    if (replica === undefined && this.replicas.size >= ReplicaLimits.replicasMax) return { problem: `this node keeps ${this.replicas.size} copies already` };
    const decoded = decodeManifest(sync.manifest);
    if (!decoded.ok) return { problem: decoded.error };
    let part: unknown;
    try {
      part = DagCbor.decode(sync.snapshot);
    } catch (error) {
      return { problem: `the snapshot is not dag-cbor: ${(error as Error).message}` };
    }
    const units = unitCount(decoded.manifest.spec.units);
    // The bounds restore holds a whole snapshot to, so that parts that follow on cannot grow a copy without end.
    const merged = mergeSnapshot(replica?.held, part, { settledMax: units, receiptsMax: units * ComputeLimits.workersPerUnitMax });
    if ('problem' in merged) return { problem: merged.problem };
    if ('gap' in merged) {
      // The coordinator is there; it sends from what we hold next time (the whole, for another log).
      if (replica !== undefined && replica.primary === peerId) replica.lastSyncAtMs = nowMs;
      return { outputsHeld: replica?.acceptedOrder.length ?? 0, settledHeld: merged.gap.settled, receiptsHeld: merged.gap.receipts };
    }
    const snapshot = merged.held.value;
    let restored: JobCoordinator | null = null;
    if (merged.held.value === part) {
      const whole = JobCoordinator.restore(sync.jobId, decoded.manifest, snapshot, nowMs, this.options);
      if (typeof whole === 'string') return { problem: whole };
      restored = whole;
    } else {
      const problem = partProblem(part as { state: unknown }, units);
      if (problem !== null) return { problem };
    }
    if (replica === undefined) {
      replica = {
        jobId: sync.jobId, restored, manifestBytes: sync.manifest, manifest: decoded.manifest, snapshot, held: merged.held,
        outputs: new Map(), acceptedOrder: [], primary: peerId, rank: sync.rank, lastSyncAtMs: nowMs, probing: false, probesFailed: 0, silentAtFirstProbeMs: 0, firstProbeFailedAtMs: 0,
      };
      this.replicas.set(sync.jobId, replica);
    }
    replica.restored = restored;
    replica.snapshot = snapshot;
    replica.held = merged.held;
    replica.primary = peerId;
    replica.rank = sync.rank;
    replica.lastSyncAtMs = nowMs;
    replica.probesFailed = 0;
    // Outputs come in the coordinator's order; a gap (a lost sync) is refilled from what we report.
    if (sync.outputsFrom <= replica.acceptedOrder.length) {
      for (const [index, output] of sync.outputs.entries()) {
        if (sync.outputsFrom + index < replica.acceptedOrder.length) continue;
        replica.acceptedOrder.push(output.unit);
        replica.outputs.set(output.unit, output.output);
      }
    }
    return { outputsHeld: replica.acceptedOrder.length, settledHeld: merged.held.settled, receiptsHeld: merged.held.receipts };
  }

  /** The job as of the copy's last sync, restored now if it was not yet; the problem if it does not restore. */
  coordinatorOf(replica: ReplicaJob): JobCoordinator | string {
    if (replica.restored !== null) return replica.restored;
    const restored = JobCoordinator.restore(replica.jobId, replica.manifest, replica.snapshot, replica.lastSyncAtMs, this.options);
    if (typeof restored === 'string') return restored;
    replica.restored = restored;
    return restored;
  }

  /** The generation of the job's coordinator as of the copy's last sync (-1 if unknown). */
  generationOf(jobId: string): number {
    const generation = (this.replicas.get(jobId)?.snapshot as { generation?: unknown } | undefined)?.generation;
    return typeof generation === 'number' && Number.isSafeInteger(generation) ? generation : -1;
  }

  /** Copies whose coordinator has been silent past their rank's turn and that are not being probed. */
  silent(nowMs: number, takeoverAfterMs: number): ReplicaJob[] {
    return [...this.replicas.values()].filter((replica) => !replica.probing && nowMs - replica.lastSyncAtMs > takeoverAfterMs * replica.rank);
  }
}

/** What is wrong with the shape of a part of a snapshot, or null (its units and leases are checked; the whole is checked when restored). */
function partProblem(part: { state: unknown }, units: number): string | null {
  const state = checkSnapshot(part.state, units);
  return typeof state === 'string' ? `snapshot.state: ${state}` : null;
}
