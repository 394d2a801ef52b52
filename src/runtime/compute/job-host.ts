/**
 * The jobs this node coordinates (issue 5, item 4): each a JobCoordinator (pure,
 * services/compute/grid/job-coordinator.ts) with the outputs its quorums accepted. The host answers
 * the compute protocol's requests about them, expires silent leases, and announces every job with
 * units waiting on the jobs topic, so that volunteers come and pull.
 *
 * Kept in memory: a restarted coordinator has lost its jobs (docs/COMPUTE.md, "Not built yet":
 * replicating a job's state on the nodes next closest to its key).
 */
import { createHash } from 'node:crypto';
import type { ComputeRequest, ComputeResponse, UnitResultEntry } from '../../services/compute/grid/compute-messages.ts';
import { ComputeLimits, ComputeRefusal, JobPhase } from '../../services/compute/grid/compute-messages.ts';
import { encodeJobAdvert } from '../../services/compute/grid/job-advert.ts';
import { DEFAULT_COORDINATOR_OPTIONS, JobCoordinator, type CoordinatorOptions } from '../../services/compute/grid/job-coordinator.ts';
import { decodeManifest, jobIdOf } from '../../services/compute/grid/job-manifest.ts';
import { CredibilityBook, type WorkerStanding } from '../../services/compute/validation/credibility-book.ts';

export interface JobHostParts {
  readonly nowMs: () => number;
  /** Sends a job advert to the grid (gossip). */
  readonly publish: (advert: Uint8Array) => void;
  /** Our dialable multiaddrs (with /p2p/), for the adverts. */
  readonly multiaddrs: () => readonly string[];
  readonly log: (record: Record<string, unknown>) => void;
  readonly coordinator?: Partial<CoordinatorOptions>;
  /** How often jobs with waiting units are announced (default 2 s). */
  readonly advertIntervalMs?: number;
}

export const JobHostLimits = {
  /** Jobs running here at once; a further submission is refused as busy (the submitter tries the next node). */
  runningJobsMax: 64,
  /** Finished jobs kept for their results; the oldest is dropped beyond it. */
  finishedJobsMax: 256,
  tickIntervalMs: 500,
  /** Workers whose standing this node remembers (the least recently seen forgotten first). */
  workersRemembered: 100_000,
} as const;

interface HostedJob {
  readonly coordinator: JobCoordinator;
  readonly manifestBytes: Uint8Array;
  readonly outputs: Map<number, Uint8Array>;
  finishLogged: boolean;
}

export type HostAnswer = { readonly ok: true; readonly jobId: string } | { readonly ok: false; readonly reason: ComputeRefusal; readonly message: string };

export class JobHost {
  private readonly parts: JobHostParts;
  private readonly options: CoordinatorOptions;
  private readonly jobs = new Map<string, HostedJob>();
  /**
   * The standing of the workers that ran units of the jobs coordinated here (issue 5, item 6): a
   * worker outvoted by an accepted result is blacklisted and gets no more work from this node.
   */
  private readonly standing = new CredibilityBook({ cheatersFraction: 0.2, workersMax: JobHostLimits.workersRemembered });
  private tickTimer: ReturnType<typeof setInterval> | null = null;
  private advertTimer: ReturnType<typeof setInterval> | null = null;

  constructor(parts: JobHostParts) {
    this.parts = parts;
    this.options = { ...DEFAULT_COORDINATOR_OPTIONS, ...parts.coordinator };
  }

  start(): void {
    this.tickTimer = setInterval(() => this.tick(), JobHostLimits.tickIntervalMs);
    this.tickTimer.unref();
    this.advertTimer = setInterval(() => this.announce(), this.parts.advertIntervalMs ?? 2000);
    this.advertTimer.unref();
  }

  stop(): void {
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.advertTimer !== null) clearInterval(this.advertTimer);
  }

  /** Takes on a job from its manifest's bytes (checked); the same job again is not an error. */
  host(manifestBytes: Uint8Array): HostAnswer {
    const jobId = jobIdOf(manifestBytes, sha256);
    if (this.jobs.has(jobId)) return { ok: true, jobId };
    const decoded = decodeManifest(manifestBytes);
    if (!decoded.ok) return { ok: false, reason: ComputeRefusal.invalid, message: decoded.error };
    if (decoded.manifest.spec.limits.outputBytesMax > ComputeLimits.inlineOutputBytesMax) {
      return { ok: false, reason: ComputeRefusal.invalid, message: `limits.outputBytesMax: at most ${ComputeLimits.inlineOutputBytesMax} bytes on the grid for now` };
    }
    const running = [...this.jobs.values()].filter((job) => job.coordinator.currentPhase === JobPhase.running).length;
    if (running >= JobHostLimits.runningJobsMax) return { ok: false, reason: ComputeRefusal.busy, message: `this node coordinates ${running} jobs already` };
    const coordinator = new JobCoordinator(jobId, decoded.manifest, this.parts.nowMs(), this.options);
    this.jobs.set(jobId, { coordinator, manifestBytes, outputs: new Map(), finishLogged: false });
    this.dropOldFinished();
    this.parts.log({ level: 'info', event: 'jobHosted', jobId, name: decoded.manifest.spec.name, units: coordinator.status().units.total });
    this.announce();
    return { ok: true, jobId };
  }

  has(jobId: string): boolean {
    return this.jobs.has(jobId);
  }

  /** Answers a request about a job hosted here (submit is the caller's: it may forward). */
  answer(peerId: string, request: Exclude<ComputeRequest, { kind: 'submit' }>): ComputeResponse {
    const job = this.jobs.get(request.jobId);
    if (job === undefined) return refused(ComputeRefusal.unknownJob, `no job ${request.jobId} here`);
    const { coordinator } = job;
    const nowMs = this.parts.nowMs();
    switch (request.kind) {
      case 'manifest':
        return { kind: 'manifest', manifest: job.manifestBytes };
      case 'lease': {
        if (this.standing.isBlacklisted(peerId)) return refused(ComputeRefusal.forbidden, 'a result of yours was outvoted by an accepted one: this node gives you no more work');
        const answer = coordinator.grant(peerId, request.advert, request.slots, nowMs);
        if (!answer.ok) return refused(answer.reason, answer.message);
        return { kind: 'leases', leases: answer.leases, retryAfterMs: answer.leases.length === 0 ? 1000 : 0 };
      }
      case 'report': {
        const answer = coordinator.report(peerId, request.results, request.heartbeats, hashHex, nowMs);
        for (const accepted of answer.accepted) job.outputs.set(accepted.unit, accepted.output);
        for (const verdict of answer.verdicts) {
          for (const worker of this.standing.recordAccepted(verdict.agreeing, verdict.disagreeing)) {
            this.parts.log({ level: 'warn', event: 'workerBlacklisted', worker, jobId: request.jobId, unit: verdict.unit, reason: 'its result was outvoted' });
          }
        }
        if (coordinator.currentPhase !== JobPhase.running) this.finished(job);
        return { kind: 'reported', lost: answer.lost };
      }
      case 'status':
        return { kind: 'jobStatus', status: coordinator.status() };
      case 'results':
        return this.resultsPage(job, request.fromUnit, request.unitsMax);
      case 'cancel':
        if (!coordinator.cancel(peerId)) return refused(ComputeRefusal.forbidden, 'only the node that submitted a job may cancel it');
        this.finished(job);
        return { kind: 'cancelled' };
    }
  }

  /** Jobs coordinated here, newest first. */
  list(): { readonly jobId: string; readonly phase: JobPhase; readonly name: string }[] {
    return [...this.jobs.entries()].reverse().map(([jobId, job]) => ({ jobId, phase: job.coordinator.currentPhase, name: job.coordinator.manifest.spec.name }));
  }

  /** The standing of the workers seen lately, most recent first (at most `count`). */
  standings(count: number): { readonly worker: string; readonly standing: WorkerStanding }[] {
    const snapshot = this.standing.snapshot();
    return snapshot.workers.slice(-count).reverse().map(([worker]) => ({ worker, standing: this.standing.standingOf(worker) as WorkerStanding }));
  }

  private resultsPage(job: HostedJob, fromUnit: number, unitsMax: number): ComputeResponse {
    const page = job.coordinator.results(fromUnit, unitsMax);
    const entries: UnitResultEntry[] = [];
    // Outputs inline, as many as fit in one answer; the rest on the next page.
    let bytes = 0;
    const budget = ComputeLimits.messageBytesMax - 256 * 1024;
    for (const entry of page.entries) {
      const output = job.outputs.get(entry.unit) ?? null;
      const size = (output?.length ?? 0) + entry.args.length + 128;
      if (entries.length > 0 && bytes + size > budget) return { kind: 'results', entries, nextUnit: entry.unit };
      bytes += size;
      entries.push({ ...entry, output });
    }
    return { kind: 'results', entries, nextUnit: page.nextUnit };
  }

  private tick(): void {
    const nowMs = this.parts.nowMs();
    for (const job of this.jobs.values()) {
      if (job.coordinator.currentPhase !== JobPhase.running) continue;
      job.coordinator.tick(nowMs);
      if (job.coordinator.currentPhase !== JobPhase.running) this.finished(job);
    }
  }

  private announce(): void {
    const multiaddrs = this.parts.multiaddrs();
    for (const [jobId, job] of this.jobs) {
      if (job.coordinator.currentPhase !== JobPhase.running || job.coordinator.unitsWaiting === 0) continue;
      this.parts.publish(encodeJobAdvert({ jobId, unitsWaiting: job.coordinator.unitsWaiting, requirements: job.coordinator.manifest.spec.requirements, multiaddrs }));
    }
  }

  private finished(job: HostedJob): void {
    if (job.finishLogged) return;
    job.finishLogged = true;
    const status = job.coordinator.status();
    this.parts.log({ level: 'info', event: 'jobFinished', jobId: status.jobId, phase: status.phase, units: status.units });
  }

  private dropOldFinished(): void {
    const finished = [...this.jobs.entries()].filter(([, job]) => job.coordinator.currentPhase !== JobPhase.running);
    for (const [jobId] of finished.slice(0, Math.max(0, finished.length - JobHostLimits.finishedJobsMax))) this.jobs.delete(jobId);
  }
}

function refused(reason: ComputeRefusal, message: string): ComputeResponse {
  return { kind: 'refused', reason, message };
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

function hashHex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
