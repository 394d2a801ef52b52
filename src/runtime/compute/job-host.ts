/**
 * The jobs this node coordinates, and its copies of jobs others coordinate (issue 5, item 4).
 *
 * As a coordinator: each job is a JobCoordinator (pure, services/compute/grid/job-coordinator.ts)
 * with the outputs its quorums accepted. The host answers the compute protocol's requests about
 * them, expires silent leases, announces every running job on the jobs topic (so that volunteers
 * come and pull, and know whom to report to), and about once a second syncs each job — manifest, state snapshot and
 * the outputs accepted since — to the nodes next closest to its key (`backupsFor`).
 *
 * As a copy (job-replicas.ts): it keeps what a coordinator syncs, answers status and results from
 * it, and takes the job over when the coordinator has gone silent and does not answer.
 */
import * as DagCbor from '@ipld/dag-cbor';
import type { ComputeRequest, ComputeResponse, UnitResultEntry } from '../../services/compute/grid/compute-messages.ts';
import { ComputeLimits, ComputeRefusal, JobPhase } from '../../services/compute/grid/compute-messages.ts';
import type { JobAdvert } from '../../services/compute/grid/job-advert.ts';
import { DEFAULT_COORDINATOR_OPTIONS, JobCoordinator, type CoordinatorOptions } from '../../services/compute/grid/job-coordinator.ts';
import { decodeManifest, jobIdOf, type JobManifest } from '../../services/compute/grid/job-manifest.ts';
import type { Random } from '../../core/random.ts';
import { CredibilityBook, type WorkerStanding } from '../../services/compute/validation/credibility-book.ts';
import type { RequestTarget } from '../../transport/libp2p/request-response/request-client.ts';
import { receiptBatchBytes, reportClaimBytes } from '../../services/compute/grid/receipts.ts';
import { JobReplicas, type SyncHeld } from './job-replicas.ts';
import { probeSilentCoordinator, type CopyWatch } from './job-takeover.ts';
import { sha256, sha256Hex } from '../content/content-hash.ts';
import type { LocalAnswer } from './local-unit.ts';

export interface JobHostParts {
  readonly nowMs: () => number;
  /** Sends a job advert to the grid (gossip). */
  readonly publish: (advert: JobAdvert) => void;
  /** Our dialable multiaddrs (with /p2p/), for the adverts. */
  readonly multiaddrs: () => readonly string[];
  /**
   * Orders two nodes by their distance to a job's key: negative when `a` is nearer. Of two nodes
   * that coordinate one job at once, the later generation goes on, and of equals the nearer.
   */
  readonly compareNearness: (jobId: string, a: string, b: string) => number;
  /** The nodes that keep copies of a job: the next closest to its key, closest first (not us). */
  readonly backupsFor: (jobId: string) => Promise<readonly { readonly peerId: string; readonly target: RequestTarget }[]>;
  /** Sends a compute request to another node. */
  readonly ask: (target: RequestTarget, request: ComputeRequest) => Promise<ComputeResponse>;
  readonly log: (record: Record<string, unknown>) => void;
  /** This node's libp2p peer id, the signer of its receipts. */
  readonly self: string;
  /** Signs with this node's key; checks a peer's signature by its peer id (receipts.ts). */
  readonly sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  readonly verify: (peerId: string, bytes: Uint8Array, signature: Uint8Array) => Promise<boolean>;
  readonly coordinator?: Partial<CoordinatorOptions>;
  /** How often jobs with waiting replicas are announced (default 2 s). */
  readonly advertIntervalMs?: number;
  /** How often each job is synced to its copies (default 1 s). */
  readonly syncIntervalMs?: number;
  /** A copy of rank r takes over after r × this long without a sync (default 5 s). */
  readonly takeoverAfterMs?: number;
  /** Draws which units of an adaptive job are known and which leases are spot checks. */
  readonly random: Random;
  /** The standing of workers this node remembers (standing-file.ts keeps it across restarts); a fresh book by default. */
  readonly standing?: CredibilityBook;
  /**
   * Runs units of a job on this node and gives each one's output hash and fuel (null for one that
   * did not end with an output): the known answers of an adaptive job's spot checks. Without it,
   * adaptive jobs run without spot checks (their workers' standing grows only from confirmed results).
   */
  readonly knownAnswers?: (manifest: JobManifest, units: readonly number[], onEach: (index: number, answer: LocalAnswer | null) => void) => Promise<unknown>;
}

export const JobHostLimits = {
  /** Jobs running here at once; a further submission is refused as busy (the submitter tries the next node). */
  runningJobsMax: 64,
  /** Running jobs of one submitter at once here, so that one node cannot take every slot. */
  runningJobsPerSubmitterMax: 16,
  /** Finished jobs kept for their results; the oldest is dropped beyond it. */
  finishedJobsMax: 256,
  tickIntervalMs: 500,
  /** Workers whose standing this node remembers (the least recently seen forgotten first). */
  workersRemembered: 100_000,
  /** Nodes that keep a copy of each job. */
  copies: 2,
  /** Accepted outputs sent in one sync, at most (the rest follow in the next). */
  syncOutputBytesMax: 4 * 1024 * 1024,
  /** A node whose sync failed is passed over as a copy for this long. */
  copyRetryAfterMs: 30_000,
  /** The nodes keeping a job's copies are looked up again this often (or when one fails). */
  copiesRechosenAfterMs: 30_000,
  /** A job is synced at most every (time its snapshot took) × this… */
  syncCostFactor: 50,
  /** …and at least this often, well within TakeoverLimits.copyStaleAfterMs. */
  syncIntervalMaxMs: 4000,
  /**
   * A coordinator yields a job only to a node among this many nearest its key: the copies and the
   * node it went to, with room for the dead ones a lookup still lists for a while (a coordinator
   * that died is why there are two).
   */
  yieldToNearestNodes: 8,
  /** A node that coordinates a job we coordinate too is sent our state at most this often. */
  rivalToldAgainAfterMs: 5000,
} as const;

interface HostedJob {
  readonly coordinator: JobCoordinator;
  readonly manifestBytes: Uint8Array;
  readonly outputs: Map<number, Uint8Array>;
  /** Units in the order their outputs were accepted: copies receive them in this order. */
  readonly acceptedOrder: number[];
  /** Each copy's node and what it holds of the outputs, settled units and receipts (each in our order): its next sync starts there. */
  readonly copies: Map<string, SyncHeld>;
  /** Names our order of settling and issuing for this job (snapshot-merge.ts): this node, and its turn at the job. */
  readonly log: string;
  /** When a sync to a node last failed: it is passed over for a while. */
  readonly copyFailedAtMs: Map<string, number>;
  readonly syncsInFlight: Set<string>;
  /** Nodes that coordinate the job too, and when we last sent them our state so that they yield. */
  readonly rivalsToldAtMs: Map<string, number>;
  finishLogged: boolean;
  /** Its copies' nodes are being looked up. */
  choosing: boolean;
  chosenCopies: readonly { readonly peerId: string; readonly target: RequestTarget }[];
  copiesChosenAtMs: number;
  nextSyncAtMs: number;
  /** The job ended and every copy has its final state. */
  finalSynced: boolean;
}

/** The standing book's configuration: the share of cheaters a worker's own record is weighed against, and how many workers are remembered. */
export const STANDING_CONFIG = { cheatersFraction: 0.2, workersMax: JobHostLimits.workersRemembered } as const;

export type HostAnswer = { readonly ok: true; readonly jobId: string } | { readonly ok: false; readonly reason: ComputeRefusal; readonly message: string };

export class JobHost {
  private readonly parts: JobHostParts;
  private readonly options: CoordinatorOptions;
  private readonly jobs = new Map<string, HostedJob>();
  private readonly replicas: JobReplicas;
  /**
   * The standing of the workers that ran units of the jobs coordinated here (issue 5, item 6): a
   * worker outvoted by an accepted result is blacklisted and gets no more work from this node.
   */
  private readonly standing: CredibilityBook;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  /** Jobs taken on so far (each gets a log name of its own). */
  private adopted = 0;
  /** What watching the copies kept here needs of this host (job-takeover.ts). */
  private readonly watch: CopyWatch;

  constructor(parts: JobHostParts) {
    this.parts = parts;
    this.standing = parts.standing ?? new CredibilityBook(STANDING_CONFIG);
    this.options = { ...DEFAULT_COORDINATOR_OPTIONS, ...parts.coordinator, standing: this.standing, random: parts.random };
    this.replicas = new JobReplicas(this.options);
    this.watch = {
      nowMs: parts.nowMs, log: parts.log, ask: parts.ask, backupsFor: parts.backupsFor, self: parts.self,
      takeoverAfterMs: parts.takeoverAfterMs ?? 5000, options: this.options, replicas: this.replicas,
      coordinates: (jobId) => this.jobs.has(jobId),
      goOn: (replica, coordinator) => {
        this.adopt(replica.jobId, coordinator, replica.manifestBytes, replica.outputs, replica.acceptedOrder);
        this.announce();
        void this.syncJobs();
      },
    };
  }

  start(): void {
    const every = (intervalMs: number, run: () => void): void => {
      const timer = setInterval(run, intervalMs);
      timer.unref();
      this.timers.push(timer);
    };
    every(JobHostLimits.tickIntervalMs, () => this.tick());
    every(this.parts.advertIntervalMs ?? 2000, () => this.announce());
    every(this.parts.syncIntervalMs ?? 1000, () => this.syncJobs());
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  /**
   * Takes on a job `peerId` submits, from its manifest's bytes (checked: the manifest must name the
   * sender as its submitter, the one who may cancel it); the same job again is not an error.
   */
  host(peerId: string, manifestBytes: Uint8Array): HostAnswer {
    const jobId = jobIdOf(manifestBytes, sha256);
    if (this.jobs.has(jobId)) return { ok: true, jobId };
    const decoded = decodeManifest(manifestBytes);
    if (!decoded.ok) return { ok: false, reason: ComputeRefusal.invalid, message: decoded.error };
    if (decoded.manifest.submitter !== peerId) return { ok: false, reason: ComputeRefusal.invalid, message: 'the manifest names another node as its submitter' };
    const running = [...this.jobs.values()].filter((job) => job.coordinator.currentPhase === JobPhase.running).length;
    if (running >= JobHostLimits.runningJobsMax) return { ok: false, reason: ComputeRefusal.busy, message: `this node coordinates ${running} jobs already` };
    const ofSubmitter = [...this.jobs.values()].filter((job) => job.coordinator.currentPhase === JobPhase.running && job.coordinator.manifest.submitter === peerId).length;
    if (ofSubmitter >= JobHostLimits.runningJobsPerSubmitterMax) {
      return { ok: false, reason: ComputeRefusal.busy, message: `this node coordinates ${ofSubmitter} running jobs of yours already` };
    }
    const coordinator = new JobCoordinator(jobId, decoded.manifest, this.parts.nowMs(), this.options);
    this.adopt(jobId, coordinator, manifestBytes, new Map(), []);
    this.parts.log({ level: 'info', event: 'jobHosted', jobId, name: decoded.manifest.spec.name, units: coordinator.status().units.total });
    this.announce();
    void this.syncJobs();
    return { ok: true, jobId };
  }

  /** Answers a request about a job coordinated here, or kept here as a copy (submit is the caller's: it may forward). */
  async answer(peerId: string, request: Exclude<ComputeRequest, { kind: 'submit' }>): Promise<ComputeResponse> {
    if (request.kind === 'sync') return this.acceptSync(peerId, request);
    const job = this.jobs.get(request.jobId);
    if (job === undefined) return this.answerFromCopy(request);
    const { coordinator } = job;
    const nowMs = this.parts.nowMs();
    switch (request.kind) {
      case 'manifest':
        return { kind: 'manifest', manifest: job.manifestBytes };
      case 'lease': {
        if (this.standing.isBlacklisted(peerId)) return refused(ComputeRefusal.forbidden, 'a result of yours was proven wrong (outvoted by an accepted one, or a failed spot check): this node gives you no more work');
        const answer = coordinator.grant(peerId, request.advert, request.slots, nowMs);
        if (!answer.ok) return refused(answer.reason, answer.message);
        // No leases with no wait: units remain, kept for free cores (the end game); ask once one of yours is free.
        return { kind: 'leases', leases: answer.leases, retryAfterMs: answer.leases.length === 0 && answer.whenFree !== true ? 1000 : 0 };
      }
      case 'report': {
        // Each output is hashed once, for the claim and for the quorum alike.
        const outputHash = hashOnce();
        // The worker's signed claim: a report its sender does not stand behind is refused, unread.
        if (!(await this.parts.verify(peerId, reportClaimBytes(request.jobId, request.results, outputHash), request.signature))) {
          this.parts.log({ level: 'info', event: 'reportRefused', jobId: request.jobId, from: peerId, reason: 'a signature that does not match its sender' });
          return refused(ComputeRefusal.invalid, 'the report\'s signature does not match its sender');
        }
        const answer = coordinator.report(peerId, request.results, request.heartbeats, outputHash, this.parts.nowMs());
        for (const accepted of answer.accepted) {
          job.outputs.set(accepted.unit, accepted.output);
          job.acceptedOrder.push(accepted.unit);
        }
        for (const verdict of answer.verdicts) {
          for (const worker of this.standing.recordAccepted(verdict.agreeing, verdict.disagreeing)) {
            this.parts.log({ level: 'warn', event: 'workerBlacklisted', worker, jobId: request.jobId, unit: verdict.unit, reason: 'its result was outvoted' });
            this.backtrack(worker);
          }
        }
        for (const check of answer.spotChecks) {
          if (check.outcome !== 'failed') continue;
          this.parts.log({ level: 'warn', event: 'workerBlacklisted', worker: check.worker, jobId: request.jobId, unit: check.unit, reason: 'it failed a spot check' });
          this.backtrack(check.worker);
        }
        if (coordinator.currentPhase !== JobPhase.running) this.finished(job);
        const receipts = coordinator.receiptsFor(peerId, request.receiptsFrom);
        const signature = receipts.length === 0 ? null : await this.parts.sign(receiptBatchBytes(this.parts.self, request.receiptsFrom, receipts));
        return { kind: 'reported', lost: answer.lost, receiptsFrom: request.receiptsFrom, receipts, signature };
      }
      case 'status':
        return { kind: 'jobStatus', status: coordinator.status() };
      case 'results':
        return resultsPage(coordinator, job.outputs, request.fromUnit, request.unitsMax);
      case 'cancel':
        if (!coordinator.cancel(peerId)) return refused(ComputeRefusal.forbidden, 'only the node that submitted a job may cancel it');
        this.finished(job);
        return { kind: 'cancelled' };
    }
  }

  /** A worker was blacklisted: every running job here reopens the units that stood on its word (JobCoordinator.backtrack). */
  private backtrack(worker: string): void {
    for (const [jobId, job] of this.jobs) {
      const reopened = job.coordinator.backtrack(worker, (other) => this.standing.isBlacklisted(other));
      if (reopened.length === 0) continue;
      for (const unit of reopened) job.outputs.delete(unit);
      this.parts.log({ level: 'warn', event: 'unitsReopened', jobId, worker, units: reopened.length });
    }
  }

  /** Jobs coordinated here, newest first. */
  list(): { readonly jobId: string; readonly phase: JobPhase; readonly name: string }[] {
    return [...this.jobs.entries()].reverse().map(([jobId, job]) => ({ jobId, phase: job.coordinator.currentPhase, name: job.coordinator.manifest.spec.name }));
  }

  /** The jobs this node keeps copies of. */
  copiesKept(): string[] {
    return this.replicas.jobIds();
  }

  /** The standing of the workers seen lately, most recent first (at most `count`). */
  standings(count: number): { readonly worker: string; readonly standing: WorkerStanding }[] {
    const snapshot = this.standing.snapshot();
    return snapshot.workers.slice(-count).reverse().map(([worker]) => ({ worker, standing: this.standing.standingOf(worker) as WorkerStanding }));
  }

  /** A copy answers what it can read; what would change the job goes to its coordinator. */
  private answerFromCopy(request: Exclude<ComputeRequest, { kind: 'submit' | 'sync' }>): ComputeResponse {
    const replica = this.replicas.get(request.jobId);
    if (replica === undefined) return refused(ComputeRefusal.unknownJob, `no job ${request.jobId} here`);
    if (request.kind === 'manifest') return { kind: 'manifest', manifest: replica.manifestBytes };
    if (request.kind === 'status' || request.kind === 'results') {
      const coordinator = this.replicas.coordinatorOf(replica);
      if (typeof coordinator === 'string') return refused(ComputeRefusal.unavailable, `this node's copy of the job does not restore (${coordinator}); ${replica.primary} coordinates it`);
      if (request.kind === 'status') return { kind: 'jobStatus', status: { ...coordinator.status(), fromCopy: true } };
      return resultsPage(coordinator, replica.outputs, request.fromUnit, request.unitsMax, true);
    }
    return refused(ComputeRefusal.unavailable, `this node keeps a copy of the job; ${replica.primary} coordinates it`);
  }

  /**
   * A copy's sync. When this node coordinates the job too (two copies took over at once, or a
   * coordinator thought gone came back), one of the two must yield, and both must pick the same
   * one: the later generation goes on, and of equal generations the node nearer the job's key.
   * The one that yields keeps a copy of the other's state; its own progress since is redone.
   * Only a node among the nearest to the job's key is yielded to: one far from it, claiming a
   * later generation, would otherwise take any job from its coordinator.
   */
  private async acceptSync(peerId: string, sync: Extract<ComputeRequest, { kind: 'sync' }>): Promise<ComputeResponse> {
    const hosted = this.jobs.get(sync.jobId);
    const accepted = this.replicas.accept(peerId, sync, this.parts.nowMs());
    if ('problem' in accepted) {
      this.parts.log({ level: 'info', event: 'jobSyncRefused', jobId: sync.jobId, from: peerId, problem: accepted.problem });
      return refused(ComputeRefusal.invalid, accepted.problem);
    }
    if (hosted !== undefined) {
      const theirs = this.replicas.generationOf(sync.jobId);
      const yields = this.yieldsTo(sync.jobId, hosted.coordinator.generation, peerId, theirs) && await this.isNearKey(sync.jobId, peerId);
      if (this.jobs.get(sync.jobId) !== hosted) return { kind: 'synced', ...accepted };
      if (!yields) {
        this.replicas.delete(sync.jobId);
        // The other node learns it must yield from our state, sent to it at once (not again and
        // again: should it not yield, the two would bounce syncs between them).
        const nowMs = this.parts.nowMs();
        if (nowMs - (hosted.rivalsToldAtMs.get(peerId) ?? -Infinity) < JobHostLimits.rivalToldAgainAfterMs) return refused(ComputeRefusal.busy, 'this node coordinates the job itself');
        if (hosted.rivalsToldAtMs.size >= 64) hosted.rivalsToldAtMs.clear();
        hosted.rivalsToldAtMs.set(peerId, nowMs);
        void this.syncCopy(sync.jobId, hosted, { peerId, target: { peerId } }, JobHostLimits.copies + 1);
        return refused(ComputeRefusal.busy, 'this node coordinates the job itself');
      }
      this.jobs.delete(sync.jobId);
      this.parts.log({ level: 'warn', event: 'jobYielded', jobId: sync.jobId, to: peerId, generation: hosted.coordinator.generation, theirs, units: hosted.coordinator.status().units });
    }
    return { kind: 'synced', ...accepted };
  }

  /** Whether `peerId` is among the nodes nearest the job's key that this node finds (yieldToNearestNodes). */
  private async isNearKey(jobId: string, peerId: string): Promise<boolean> {
    try {
      const nearest = (await this.parts.backupsFor(jobId)).slice(0, JobHostLimits.yieldToNearestNodes);
      if (nearest.some((node) => node.peerId === peerId)) return true;
    } catch {
      // No lookup, no proof: the job stays here.
    }
    this.parts.log({ level: 'info', event: 'jobSyncRefused', jobId, from: peerId, problem: 'it claims the job but is not among the nodes nearest its key' });
    return false;
  }

  /** Whether this node, coordinating a job at `generation`, must leave it to `peerId`, which coordinates it at `theirs`. */
  private yieldsTo(jobId: string, generation: number, peerId: string, theirs: number): boolean {
    if (theirs !== generation) return theirs > generation;
    return this.parts.compareNearness(jobId, peerId, this.parts.self) < 0;
  }

  private adopt(jobId: string, coordinator: JobCoordinator, manifestBytes: Uint8Array, outputs: Map<number, Uint8Array>, acceptedOrder: number[]): void {
    this.jobs.set(jobId, {
      coordinator, manifestBytes, outputs, acceptedOrder, copies: new Map(), copyFailedAtMs: new Map(), syncsInFlight: new Set(), rivalsToldAtMs: new Map(),
      log: `${this.parts.self}/${coordinator.generation}/${++this.adopted}`,
      finishLogged: coordinator.currentPhase !== JobPhase.running, choosing: false, finalSynced: false,
      chosenCopies: [], copiesChosenAtMs: -Infinity, nextSyncAtMs: -Infinity,
    });
    this.dropOldFinished();
    void this.computeKnownAnswers(jobId, coordinator);
  }

  /**
   * The answers of an adaptive job's spot checks, computed here (a job taken over brings those its
   * predecessor computed, in its snapshot). They are queued on the pool together, and each goes to
   * the spot checks as soon as it is in, so that checks start while the job is young (a short job
   * can end before the last is computed); until the first, the job runs without spot checks.
   */
  private async computeKnownAnswers(jobId: string, coordinator: JobCoordinator): Promise<void> {
    const knownAnswers = this.parts.knownAnswers;
    if (knownAnswers === undefined || coordinator.currentPhase !== JobPhase.running) return;
    const units = coordinator.knownUnitsWanted();
    if (units.length === 0) return;
    // The job may end, or go to another node, while they run.
    const stillHere = (): boolean => this.jobs.get(jobId)?.coordinator === coordinator && coordinator.currentPhase === JobPhase.running;
    try {
      await knownAnswers(coordinator.manifest, units, (index, answer) => {
        if (answer === null || !stillHere()) return;
        coordinator.addKnownAnswer(units[index], answer.outputHash, answer.fuel);
        if (coordinator.knownAnswers === 1) this.parts.log({ level: 'info', event: 'spotChecksReady', jobId, knownUnits: 1, wanted: units.length });
      });
    } catch (error) {
      this.parts.log({ level: 'info', event: 'knownAnswersFailed', jobId, error: (error as Error).message });
      return;
    }
    if (stillHere()) this.parts.log({ level: 'info', event: 'knownAnswersComputed', jobId, knownUnits: coordinator.knownAnswers });
  }

  private tick(): void {
    const nowMs = this.parts.nowMs();
    for (const job of this.jobs.values()) {
      if (job.coordinator.currentPhase !== JobPhase.running) continue;
      job.coordinator.tick(nowMs);
      if (job.coordinator.currentPhase !== JobPhase.running) this.finished(job);
    }
    for (const replica of this.replicas.silent(nowMs, this.parts.takeoverAfterMs ?? 5000)) void probeSilentCoordinator(this.watch, replica);
  }

  private announce(): void {
    const multiaddrs = this.parts.multiaddrs();
    for (const [jobId, job] of this.jobs) {
      // Announced even with nothing waiting: the adverts also tell volunteers who coordinates the
      // job now (after a takeover, their reports and heartbeats must come here).
      if (job.coordinator.currentPhase !== JobPhase.running) continue;
      this.parts.publish({ jobId, unitsWaiting: job.coordinator.unitsWaiting, requirements: job.coordinator.manifest.spec.requirements, multiaddrs });
    }
  }

  /**
   * Sends each job's state and new outputs to the nodes that keep its copies: the closest to its
   * key but for nodes whose last sync failed lately (a dead node must not cost the job a copy).
   * Each copy's sync runs on its own, so a slow one holds up none of the others.
   */
  private async syncJobs(): Promise<void> {
    const nowMs = this.parts.nowMs();
    await Promise.all([...this.jobs.entries()].map(async ([jobId, job]) => {
      if (job.choosing || job.finalSynced || nowMs < job.nextSyncAtMs) return;
      let copies = job.chosenCopies;
      if (nowMs - job.copiesChosenAtMs > JobHostLimits.copiesRechosenAfterMs || copies.some((copy) => job.copyFailedAtMs.has(copy.peerId))) {
        job.choosing = true;
        try {
          copies = (await this.parts.backupsFor(jobId)).filter((copy) => nowMs - (job.copyFailedAtMs.get(copy.peerId) ?? -Infinity) > JobHostLimits.copyRetryAfterMs).slice(0, JobHostLimits.copies);
          job.chosenCopies = copies;
          job.copiesChosenAtMs = nowMs;
        } catch (error) {
          this.parts.log({ level: 'debug', event: 'jobSyncFailed', jobId, error: (error as Error).message });
          return;
        } finally {
          job.choosing = false;
        }
      }
      const ended = job.coordinator.currentPhase !== JobPhase.running;
      // Each copy's snapshot is built before its send's first wait, so the cost is known here.
      let encodeMs = 0;
      const pending = copies.map((copy, index) => this.syncCopy(jobId, job, copy, index + 1, (ms) => (encodeMs += ms)));
      // A sync costs what changed since the last (a sparse snapshot), but a job with many units in
      // flight still costs: sync it less often, so that copies never take more than a few per cent
      // of the coordinator's time. Never rarer than syncIntervalMaxMs, though: on a loaded machine the
      // cost measured can be large, and a copy synced less often than TakeoverLimits.copyStaleAfterMs
      // would count itself stale.
      const costMs = encodeMs * JobHostLimits.syncCostFactor;
      job.nextSyncAtMs = nowMs + Math.min(JobHostLimits.syncIntervalMaxMs, Math.max(this.parts.syncIntervalMs ?? 1000, costMs));
      const synced = await Promise.all(pending);
      if (ended && copies.length > 0 && synced.every(Boolean)) job.finalSynced = true;
    }));
  }

  /**
   * One sync to one copy, of what it does not hold yet; true when the copy holds everything now.
   * What building its snapshot cost goes to `onEncoded`, before the first wait.
   */
  private async syncCopy(jobId: string, job: HostedJob, copy: { readonly peerId: string; readonly target: RequestTarget }, rank: number, onEncoded: (ms: number) => void = () => {}): Promise<boolean> {
    if (job.syncsInFlight.has(copy.peerId)) return false;
    job.syncsInFlight.add(copy.peerId);
    const held = job.copies.get(copy.peerId) ?? { outputsHeld: 0, settledHeld: 0, receiptsHeld: 0 };
    const from = held.outputsHeld;
    const end = job.coordinator.snapshotEnd;
    const startedMs = performance.now();
    // Units reopened by backtracking were final: a new log name, so that copies take the whole again.
    const snapshot = DagCbor.encode({ ...job.coordinator.snapshot(this.parts.nowMs(), { settled: held.settledHeld, receipts: held.receiptsHeld }), log: `${job.log}/${job.coordinator.reopens}` });
    onEncoded(performance.now() - startedMs);
    const outputs: { unit: number; output: Uint8Array }[] = [];
    let bytes = 0;
    for (const unit of job.acceptedOrder.slice(from, from + ComputeLimits.resultsPerPageMax)) {
      const output = job.outputs.get(unit) ?? new Uint8Array(0);
      if (outputs.length > 0 && bytes + output.length > JobHostLimits.syncOutputBytesMax) break;
      bytes += output.length;
      outputs.push({ unit, output });
    }
    try {
      const answer = await this.parts.ask(copy.target, { kind: 'sync', jobId, manifest: job.manifestBytes, rank, snapshot, outputsFrom: from, outputs });
      if (answer.kind !== 'synced') throw new Error(answer.kind === 'refused' ? answer.message : `a ${answer.kind} answer`);
      job.copies.set(copy.peerId, { outputsHeld: answer.outputsHeld, settledHeld: answer.settledHeld, receiptsHeld: answer.receiptsHeld });
      job.copyFailedAtMs.delete(copy.peerId);
      return answer.outputsHeld >= job.acceptedOrder.length && answer.settledHeld >= end.settled && answer.receiptsHeld >= end.receipts;
    } catch (error) {
      job.copyFailedAtMs.set(copy.peerId, this.parts.nowMs());
      this.parts.log({ level: 'debug', event: 'jobCopyNotSynced', jobId, copy: copy.peerId, error: (error as Error).message });
      return false;
    } finally {
      job.syncsInFlight.delete(copy.peerId);
    }
  }

  private finished(job: HostedJob): void {
    if (job.finishLogged) return;
    job.finishLogged = true;
    const status = job.coordinator.status();
    const spotChecks = job.coordinator.spotCheckCounts();
    this.parts.log({ level: 'info', event: 'jobFinished', jobId: status.jobId, phase: status.phase, units: status.units, ...(spotChecks === null ? {} : { spotChecks }) });
  }

  private dropOldFinished(): void {
    const finished = [...this.jobs.entries()].filter(([, job]) => job.coordinator.currentPhase !== JobPhase.running);
    for (const [jobId] of finished.slice(0, Math.max(0, finished.length - JobHostLimits.finishedJobsMax))) this.jobs.delete(jobId);
  }
}

/** A page of units with their accepted outputs inline, as many as fit in one answer; the rest on the next page. */
function resultsPage(coordinator: JobCoordinator, outputs: ReadonlyMap<number, Uint8Array>, fromUnit: number, unitsMax: number, fromCopy = false): ComputeResponse {
  const page = coordinator.results(fromUnit, unitsMax);
  const entries: UnitResultEntry[] = [];
  let bytes = 0;
  const budget = ComputeLimits.messageBytesMax - 256 * 1024;
  for (const entry of page.entries) {
    // Only an accepted unit's inline output (a copy may still hold one of a unit reopened since; a
    // stored output is fetched by its CID).
    const output = entry.outputHash === null || entry.outputCid !== null ? null : outputs.get(entry.unit) ?? null;
    const size = (output?.length ?? 0) + entry.args.length + 128;
    if (entries.length > 0 && bytes + size > budget) return { kind: 'results', entries, nextUnit: entry.unit, fromCopy };
    bytes += size;
    entries.push({ ...entry, output });
  }
  return { kind: 'results', entries, nextUnit: page.nextUnit, fromCopy };
}

/** sha2-256 hex that remembers what it hashed: one report's outputs are hashed for two purposes. */
function hashOnce(): (bytes: Uint8Array) => string {
  const hashes = new Map<Uint8Array, string>();
  return (bytes) => {
    let hash = hashes.get(bytes);
    if (hash === undefined) hashes.set(bytes, hash = sha256Hex(bytes));
    return hash;
  };
}

function refused(reason: ComputeRefusal, message: string): ComputeResponse {
  return { kind: 'refused', reason, message };
}
