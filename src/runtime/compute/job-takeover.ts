/**
 * A copy of a job watching its coordinator, and taking the job over when the coordinator has gone
 * (issue 5, item 4: "the job goes on while its submitter is offline"; seed §4.7). JobHost calls
 * `probeSilentCoordinator` for each copy whose coordinator has not synced it for its rank's turn
 * (job-replicas.ts, `silent`).
 *
 * - The coordinator is asked for the job's status; two failed asks in a row (an answer from a node
 *   that keeps only a copy counts as failed) and it is taken for gone.
 * - Another copy may have taken over already and not synced this one yet: the nodes near the job's
 *   key are asked first, and a coordinator found there is followed instead.
 * - A stale copy (its coordinator had stopped syncing it well before it went silent: it chose
 *   other nodes) waits `staleCopyWaitsMs` × its rank longer, so that a fresher copy goes first.
 * - Otherwise the copy goes on as the job's coordinator, one generation later
 *   (JobCoordinator.takeOver): should another node also coordinate the job, the later generation
 *   wins (JobHost.acceptSync).
 */
import { JobCoordinator, type CoordinatorOptions } from '../../services/compute/grid/job-coordinator.ts';
import type { ComputeRequest, ComputeResponse } from '../../services/compute/grid/compute-messages.ts';
import type { RequestTarget } from '../../transport/libp2p/request-response/request-client.ts';
import { ReplicaLimits, type JobReplicas, type ReplicaJob } from './job-replicas.ts';
import { sha256 } from '../content/content-hash.ts';

export const TakeoverLimits = {
  /** Probes of a silent coordinator that must fail, in a row, before a copy takes over. */
  probesToTakeOver: 2,
  /** A copy this long past its turn when its coordinator went silent had been dropped by it: it is stale. */
  copyStaleAfterMs: 15_000,
  /** A stale copy takes over only this long × its rank after its first failed probe, if no other node has by then. */
  staleCopyWaitsMs: 30_000,
  /** Nodes near a job's key asked, before a takeover, whether one coordinates the job already. */
  nodesAskedBeforeTakeover: 8,
  /** A silent coordinator's failed probes are logged for the first few, then every this many. */
  probesLoggedEvery: 20,
} as const;

/** What watching copies needs of the node that keeps them (JobHost). */
export interface CopyWatch {
  readonly nowMs: () => number;
  readonly log: (record: Record<string, unknown>) => void;
  readonly ask: (target: RequestTarget, request: ComputeRequest) => Promise<ComputeResponse>;
  /** The nodes next closest to a job's key (not us), closest first. */
  readonly backupsFor: (jobId: string) => Promise<readonly { readonly peerId: string; readonly target: RequestTarget }[]>;
  /** This node's peer id. */
  readonly self: string;
  /** A copy of rank r takes over after r × this long without a sync. */
  readonly takeoverAfterMs: number;
  readonly options: CoordinatorOptions;
  readonly replicas: JobReplicas;
  /** Whether this node coordinates the job itself. */
  readonly coordinates: (jobId: string) => boolean;
  /** Goes on with the job of a copy, as its coordinator (restored and a generation on). */
  readonly goOn: (replica: ReplicaJob, coordinator: JobCoordinator) => void;
}

/** Asks a copy's silent coordinator whether it is there; takes the job over when it is not (see above). */
export async function probeSilentCoordinator(watch: CopyWatch, replica: ReplicaJob): Promise<void> {
  replica.probing = true;
  const probeStartedAtMs = watch.nowMs();
  let problem: string | null = null;
  try {
    const answer = await watch.ask({ peerId: replica.primary }, { kind: 'status', jobId: replica.jobId });
    if (answer.kind !== 'jobStatus') problem = answer.kind === 'refused' ? answer.message : `a ${answer.kind} answer`;
    else if (answer.status.fromCopy) problem = 'it keeps only a copy of the job now';
  } catch (error) {
    problem = (error as Error).message;
  }
  replica.probing = false;
  const nowMs = watch.nowMs();
  const silentMs = nowMs - replica.lastSyncAtMs;
  const takeoverAfterMs = watch.takeoverAfterMs * replica.rank;
  if (problem === null) {
    replica.probesFailed = 0;
    // It runs, but syncs to other nodes now: our copy is stale, and in time, forgotten.
    if (silentMs > ReplicaLimits.orphanedAfterMs) watch.replicas.delete(replica.jobId);
    return;
  }
  replica.probesFailed++;
  if (replica.probesFailed === 1) {
    replica.silentAtFirstProbeMs = probeStartedAtMs - replica.lastSyncAtMs;
    replica.firstProbeFailedAtMs = nowMs;
  }
  if (replica.probesFailed <= TakeoverLimits.probesToTakeOver || replica.probesFailed % TakeoverLimits.probesLoggedEvery === 0) {
    watch.log({ level: 'info', event: 'jobCoordinatorSilent', jobId: replica.jobId, coordinator: replica.primary, silentMs, probesFailed: replica.probesFailed, problem });
  }
  if (replica.probesFailed < TakeoverLimits.probesToTakeOver) return;
  // Stale is judged by the silence when probing began: a slow probe (a dial that times out)
  // must not make a fresh copy look stale.
  const stale = replica.silentAtFirstProbeMs > takeoverAfterMs + TakeoverLimits.copyStaleAfterMs;
  if (stale && nowMs - replica.firstProbeFailedAtMs < TakeoverLimits.staleCopyWaitsMs * replica.rank) return;
  if (!stillOurs(watch, replica)) return;
  replica.probing = true;
  const elsewhere = await coordinatorElsewhere(watch, replica).finally(() => (replica.probing = false));
  if (elsewhere !== null) {
    replica.primary = elsewhere;
    replica.probesFailed = 0;
    replica.lastSyncAtMs = watch.nowMs();
    watch.log({ level: 'info', event: 'jobCoordinatorFound', jobId: replica.jobId, coordinator: elsewhere });
    return;
  }
  if (!stillOurs(watch, replica)) return;
  const restored = JobCoordinator.restore(replica.jobId, replica.manifest, replica.snapshot, watch.nowMs(), watch.options);
  if (typeof restored === 'string') return;
  restored.takeOver(leaseIdFloor(restored.generation + 1, watch.self));
  watch.replicas.delete(replica.jobId);
  watch.log({ level: 'warn', event: 'jobTakenOver', jobId: replica.jobId, from: replica.primary, generation: restored.generation, phase: restored.currentPhase, units: restored.status().units, silentMs });
  watch.goOn(replica, restored);
}

/**
 * Where the lease numbers of a coordinator of `generation` start: apart from every other
 * coordinator's of the job (a range of 2^20 per node and generation, the node's taken from the
 * hash of its peer id), so that two copies taking over at once do not collide either.
 */
export function leaseIdFloor(generation: number, self: string): number {
  const salt = sha256(new TextEncoder().encode(self));
  const node = ((salt[0] << 12) | (salt[1] << 4) | (salt[2] >> 4)) >>> 0;
  return Math.min(generation, 8191) * 2 ** 40 + node * 2 ** 20;
}

/** The copy is still kept here (no sync replaced it meanwhile) and the job not coordinated here. */
function stillOurs(watch: CopyWatch, replica: ReplicaJob): boolean {
  return watch.replicas.get(replica.jobId) === replica && !watch.coordinates(replica.jobId);
}

/** A node near the job's key, other than the silent one, that answers as its coordinator; null if none does. */
async function coordinatorElsewhere(watch: CopyWatch, replica: ReplicaJob): Promise<string | null> {
  let nodes: readonly { readonly peerId: string; readonly target: RequestTarget }[];
  try {
    nodes = (await watch.backupsFor(replica.jobId)).filter((node) => node.peerId !== replica.primary).slice(0, TakeoverLimits.nodesAskedBeforeTakeover);
  } catch {
    return null;
  }
  const answers = await Promise.all(nodes.map(async (node) => {
    try {
      const answer = await watch.ask(node.target, { kind: 'status', jobId: replica.jobId });
      return answer.kind === 'jobStatus' && !answer.status.fromCopy ? node.peerId : null;
    } catch {
      return null;
    }
  }));
  return answers.find((peerId) => peerId !== null) ?? null;
}
