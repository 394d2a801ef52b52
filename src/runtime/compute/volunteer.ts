/**
 * This node as a volunteer (issue 5, items 4–5; seed §3.3, SETI@home's pull model): it hears job
 * adverts (gossip), pulls leases from a job's coordinator when its sandbox has room, runs the units
 * on warm workers (unit-pool.ts) with the job's limits, and reports results in batches, with
 * heartbeats (and each unit's latest checkpoint) for the leases it still runs — so a unit it cannot
 * finish resumes elsewhere from that checkpoint.
 *
 * - Room: enough leases to keep every worker busy for about `queueMs` (measured from the job's
 *   units so far), at least one per worker: trivial units come in batches, long ones one at a time.
 * - At a job's end its coordinator may answer "none now, ask once a core is free" (no leases,
 *   `retryAfterMs` 0: its last units go to free cores): then the next ask waits for one of our units
 *   to end, and from then on a result is reported before the next lease is asked for.
 * - A job's manifest is fetched from its coordinator once and checked against the job's id (its
 *   CID); its program and inputs come from the grid and are checked against their CIDs there.
 * - A coordinator that refuses (not qualified, finished) or fails is left alone for a while.
 * - A lease the coordinator calls lost (expired, or its unit settled by others) is not reported.
 */
import type { Multiaddr } from '@multiformats/multiaddr';
import { multiaddr } from '@multiformats/multiaddr';
import { ComputeLimits, type Heartbeat, type LeaseGrant, type ReportedStatus, type UnitReport } from '../../services/compute/grid/compute-messages.ts';
import type { JobAdvert } from '../../services/compute/grid/job-advert.ts';
import { receiptBatchBytes, reportClaimBytes, type Receipt } from '../../services/compute/grid/receipts.ts';
import { decodeManifest, jobIdOf, type JobManifest } from '../../services/compute/grid/job-manifest.ts';
import { unsuitability, type ResourceAdvert } from '../../services/compute/grid/resource-advert.ts';
import { DEFAULT_MODULE_POLICY } from '../../services/compute/wasm/module-policy.ts';
import type { RequestTarget } from '../../transport/libp2p/request-response/request-client.ts';
import type { ComputeClient } from './compute-client.ts';
import type { UnitPool } from './unit-pool.ts';
import { unitLimitsOf } from './local-unit.ts';
import type { UnitOutcome } from './unit-sandbox.ts';
import { sha256, sha256Hex } from '../content/content-hash.ts';

export interface VolunteerParts {
  readonly client: ComputeClient;
  readonly pool: UnitPool;
  /** Workers in the pool. */
  readonly workers: number;
  readonly advert: () => ResourceAdvert;
  /** A stored file's bytes by CID, from the grid if not here (verified there), at most `bytesMax`. */
  readonly fetchFile: (cid: string, bytesMax: number) => Promise<Uint8Array>;
  /**
   * Stores an output too big to travel in a report (over ComputeLimits.inlineOutputBytesMax) on the
   * grid as plain content, and gives its CID. Without it, such a unit is reported failed.
   */
  readonly storeOutput?: (jobId: string, bytes: Uint8Array) => Promise<string>;
  readonly nowMs: () => number;
  readonly log: (record: Record<string, unknown>) => void;
  /** The coordinators' lease time (heartbeats go at a third of it). */
  readonly leaseMs?: number;
  /** Fault injection (compute-config.ts, faultWrongOutputs): report a wrong output for every unit, as a cheater would. */
  readonly wrongOutputs?: boolean;
  /** This node's libp2p peer id. */
  readonly self: string;
  /** Signs our reports; checks a coordinator's countersignature by its peer id (receipts.ts). */
  readonly sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  readonly verify: (peerId: string, bytes: Uint8Array, signature: Uint8Array) => Promise<boolean>;
  /** Receipts for work this node did for `submitter`'s job, checked: for the ledger. */
  readonly onReceipts: (submitter: string, receipts: readonly Receipt[]) => void;
}

export const VolunteerTuning = {
  /** Work queued per worker, by the job's measured unit time. */
  queueMs: 1000,
  leasesPerRequestMax: ComputeLimits.leasesPerRequestMax,
  /** Results are sent this long after the first one is ready (or at once when this many wait)… */
  reportDelayMs: 20,
  /**
   * …and this long for a job whose units take less than shortUnitMs: such units finish by the
   * hundred, and a report each 20 ms would cost the coordinator a request per few units.
   */
  shortUnitsReportDelayMs: 100,
  shortUnitMs: 10,
  reportBatchMax: 256,
  /** A coordinator that refused or failed is asked again after this long. */
  backoffMs: 5000,
  /** Adverts not repeated within this long are forgotten. */
  advertTtlMs: 15_000,
  programsCachedMax: 8,
  /** Results a coordinator did not take (it failed) are sent again after this long. */
  reportRetryMs: 1000,
  /** How long after our last results of a job we keep asking its coordinator for receipts due. */
  receiptsCollectedForMs: 60_000,
  /** A checkpoint a unit saved reaches its coordinator within this long. */
  checkpointDelayMs: 1000,
} as const;

interface KnownJob {
  readonly jobId: string;
  coordinator: string;
  multiaddrs: readonly Multiaddr[];
  advert: JobAdvert;
  heardAtMs: number;
  backoffUntilMs: number;
  manifest: JobManifest | null;
  /** Mean wall time of this job's units run here (ms), 0 before the first. */
  meanUnitMs: number;
  unitsRun: number;
  asking: boolean;
  /** Its coordinator said it is over: no more asking for work. */
  finished: boolean;
  /** Receipts of this job we hold: the next answer brings those after. */
  receiptsHeld: number;
  /** Ask this job again only once we hold fewer leases than this (its coordinator keeps its last units for free cores). */
  askBelowHeld: number;
  /**
   * The job is in its end game (its coordinator said so): a finished unit's result is reported
   * before the next lease is asked for, since the coordinator counts the lease as held until then.
   */
  reportBeforeAsking: boolean;
}

interface HeldLease {
  readonly jobId: string;
  readonly grant: LeaseGrant;
  checkpoint: Uint8Array | null;
  checkpointSent: boolean;
  progress: number;
  lost: boolean;
}

export interface VolunteerStats {
  readonly unitsRun: number;
  readonly unitsReported: number;
  readonly leasesLost: number;
  readonly leasesHeld: number;
  readonly jobsKnown: number;
}

export class Volunteer {
  private readonly parts: VolunteerParts;
  private readonly jobs = new Map<string, KnownJob>();
  private readonly held = new Map<string, HeldLease>();
  private readonly reports = new Map<string, UnitReport[]>();
  /** Jobs with a report or heartbeat request on its way. */
  private readonly reporting = new Set<string>();
  private readonly beating = new Set<string>();
  /** When we last reported results of each job: receipts may still be due. */
  private readonly lastResultsAtMs = new Map<string, number>();
  private readonly programs = new Map<string, Promise<Uint8Array>>();
  private reportTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private checkpointTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private roundRobin = 0;
  private stats = { unitsRun: 0, unitsReported: 0, leasesLost: 0 };

  constructor(parts: VolunteerParts) {
    this.parts = parts;
  }

  start(): void {
    const leaseMs = this.parts.leaseMs ?? 15_000;
    this.heartbeatTimer = setInterval(() => this.sendHeartbeats(), Math.max(200, Math.floor(leaseMs / 3)));
    this.heartbeatTimer.unref();
  }

  /** Stops asking for work; what runs is given back (reported unavailable) so others take it at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    if (this.reportTimer !== null) clearTimeout(this.reportTimer);
    if (this.checkpointTimer !== null) clearTimeout(this.checkpointTimer);
    for (const [key, lease] of this.held) {
      if (lease.lost) continue;
      lease.lost = true;
      this.queueReport(lease.jobId, { lease: lease.grant.lease, status: 'unavailable', output: null, fuel: 0, wallMs: 0 });
      this.held.delete(key);
    }
    await this.flushReports();
  }

  status(): VolunteerStats {
    return { ...this.stats, leasesHeld: this.held.size, jobsKnown: this.jobs.size };
  }

  /** An advert heard by gossip, from the coordinator that signed it. */
  offer(from: string, advert: JobAdvert): void {
    if (this.stopped) return;
    const nowMs = this.parts.nowMs();
    const unsuitable = unsuitability(advert.requirements, this.parts.advert());
    if (unsuitable !== null) return;
    const multiaddrs = parseMultiaddrs(advert.multiaddrs);
    const known = this.jobs.get(advert.jobId);
    if (known === undefined) {
      this.jobs.set(advert.jobId, {
        jobId: advert.jobId, coordinator: from, multiaddrs, advert, heardAtMs: nowMs, backoffUntilMs: 0, manifest: null, meanUnitMs: 0, unitsRun: 0, asking: false, finished: false, receiptsHeld: 0, askBelowHeld: Infinity, reportBeforeAsking: false,
      });
    } else {
      known.coordinator = from;
      known.multiaddrs = multiaddrs;
      known.advert = advert;
      known.heardAtMs = nowMs;
      known.askBelowHeld = Infinity;
    }
    this.pump();
  }

  /** Asks for work while there is room. */
  private pump(): void {
    if (this.stopped) return;
    const nowMs = this.parts.nowMs();
    const candidates = [...this.jobs.values()].filter((job) => {
      if (nowMs - job.heardAtMs > VolunteerTuning.advertTtlMs) {
        this.jobs.delete(job.jobId);
        return false;
      }
      return !job.asking && !job.finished && job.backoffUntilMs <= nowMs && job.advert.unitsWaiting > 0 && this.held.size < job.askBelowHeld;
    });
    if (candidates.length === 0) return;
    // Jobs in turn, so that one big job does not starve the others.
    const job = candidates[this.roundRobin++ % candidates.length];
    const room = this.roomFor(job);
    if (room > 0) void this.askLeases(job, room);
  }

  /**
   * Leases to ask for now: up to what keeps the workers busy for queueMs, asked once the queue is
   * down to half of it (one request per half-queue, not one per finished unit).
   */
  private roomFor(job: KnownJob): number {
    const perWorker = job.meanUnitMs > 0 ? Math.max(1, Math.round(VolunteerTuning.queueMs / job.meanUnitMs)) : 1;
    const wanted = Math.min(VolunteerTuning.leasesPerRequestMax, this.parts.workers * perWorker + this.parts.workers);
    if (this.held.size > Math.floor(wanted / 2)) return 0;
    return wanted - this.held.size;
  }

  private async askLeases(job: KnownJob, slots: number): Promise<void> {
    job.asking = true;
    try {
      const manifest = job.manifest ?? await this.loadManifest(job);
      const answer = await this.parts.client.ask(this.targetOf(job), { kind: 'lease', jobId: job.jobId, advert: this.parts.advert(), slots });
      if (answer.kind === 'refused') {
        job.backoffUntilMs = this.parts.nowMs() + VolunteerTuning.backoffMs;
        // A finished job is kept (not asked for work) while receipts may still be due for it.
        if (answer.reason === 'finished') job.finished = true;
        else if (answer.reason === 'unknownJob' || answer.reason === 'notQualified' || answer.reason === 'forbidden') this.jobs.delete(job.jobId);
        return;
      }
      if (answer.kind !== 'leases') throw new Error(`a ${answer.kind} answer to a lease request`);
      job.askBelowHeld = Infinity;
      if (answer.leases.length === 0 && answer.retryAfterMs === 0) {
        // Units wait, but the coordinator keeps them for workers with a free core (the job's end
        // game): ask again once one of ours has finished (or at the job's next advert) — or, holding
        // none, shortly: the coordinator had not yet taken in our last result.
        job.reportBeforeAsking = true;
        if (this.held.size > 0) job.askBelowHeld = this.held.size;
        else this.pumpLater(job, VolunteerTuning.reportDelayMs);
        return;
      }
      if (answer.leases.length === 0) {
        job.backoffUntilMs = this.parts.nowMs() + Math.max(answer.retryAfterMs, 200);
        job.advert = { ...job.advert, unitsWaiting: 0 };
        return;
      }
      for (const grant of answer.leases) this.run(job, manifest, grant);
    } catch (error) {
      job.backoffUntilMs = this.parts.nowMs() + VolunteerTuning.backoffMs;
      this.parts.log({ level: 'debug', event: 'leaseRequestFailed', jobId: job.jobId, error: (error as Error).message });
    } finally {
      job.asking = false;
    }
    this.pump();
  }

  private async loadManifest(job: KnownJob): Promise<JobManifest> {
    const answer = await this.parts.client.ask(this.targetOf(job), { kind: 'manifest', jobId: job.jobId });
    if (answer.kind !== 'manifest') throw new Error(`no manifest for ${job.jobId}: ${answer.kind === 'refused' ? answer.message : answer.kind}`);
    if (jobIdOf(answer.manifest, sha256) !== job.jobId) throw new Error(`the manifest of ${job.jobId} does not match its id`);
    const decoded = decodeManifest(answer.manifest);
    if (!decoded.ok) throw new Error(`the manifest of ${job.jobId}: ${decoded.error}`);
    job.manifest = decoded.manifest;
    return decoded.manifest;
  }

  private run(job: KnownJob, manifest: JobManifest, grant: LeaseGrant): void {
    const key = `${job.jobId}/${grant.lease}`;
    const held: HeldLease = { jobId: job.jobId, grant, checkpoint: null, checkpointSent: true, progress: 0, lost: false };
    this.held.set(key, held);
    void this.execute(manifest, grant, held).then((report) => this.storedIfBig(job.jobId, report)).then((report) => {
      this.held.delete(key);
      if (held.lost) return;
      if (report.status !== 'unavailable') {
        this.stats.unitsRun++;
        job.unitsRun++;
        job.meanUnitMs += (Math.max(1, report.wallMs) - job.meanUnitMs) / Math.min(job.unitsRun, 20);
      }
      this.queueReport(job.jobId, report);
      if (job.reportBeforeAsking) void this.flushReports().then(() => this.pump(), () => this.pump());
      else this.pump();
    });
  }

  /** Asks `job` for work again after `delayMs` (and not before). */
  private pumpLater(job: KnownJob, delayMs: number): void {
    job.backoffUntilMs = this.parts.nowMs() + delayMs;
    setTimeout(() => this.pump(), delayMs).unref();
  }

  private async execute(manifest: JobManifest, grant: LeaseGrant, held: HeldLease): Promise<UnitReport> {
    const { limits } = manifest.spec;
    let program: Uint8Array;
    let input: Uint8Array;
    try {
      program = await this.program(manifest.spec.program);
      input = grant.input === null ? new Uint8Array(0) : await this.parts.fetchFile(grant.input, ComputeLimits.messageBytesMax);
    } catch (error) {
      this.parts.log({ level: 'info', event: 'unitUnavailable', lease: grant.lease, error: (error as Error).message });
      return { lease: grant.lease, status: 'unavailable', output: null, fuel: 0, wallMs: 0 };
    }
    if (held.lost || this.stopped) return { lease: grant.lease, status: 'unavailable', output: null, fuel: 0, wallMs: 0 };
    const outcome = await this.parts.pool.run({
      program, input, args: grant.args, checkpoint: grant.checkpoint,
      limits: unitLimitsOf(limits),
      onProgress: (fraction) => {
        held.progress = Math.min(1, Math.max(0, fraction));
      },
      onCheckpoint: (bytes) => {
        held.checkpoint = bytes;
        held.checkpointSent = false;
        this.checkpointSoon();
      },
    });
    const report = reportOf(grant.lease, outcome);
    if (this.parts.wrongOutputs !== true || report.output === null) return report;
    return { ...report, output: new Uint8Array([...report.output, 0x21]) };
  }

  /** A report whose output is too big to travel in it names the output's CID instead, once stored on the grid. */
  private async storedIfBig(jobId: string, report: UnitReport): Promise<UnitReport> {
    if (report.output === null || report.output.length <= ComputeLimits.inlineOutputBytesMax) return report;
    const { output, ...rest } = report;
    if (this.parts.storeOutput === undefined) return { ...rest, status: 'failed', output: null };
    try {
      return { ...rest, output: null, outputCid: await this.parts.storeOutput(jobId, output) };
    } catch (error) {
      this.parts.log({ level: 'warn', event: 'outputNotStored', jobId, lease: report.lease, bytes: output.length, error: (error as Error).message });
      // Not the unit's failure: the lease goes back, and another worker (or this one) runs it again.
      return { ...rest, status: 'unavailable', output: null };
    }
  }

  private program(cid: string): Promise<Uint8Array> {
    let program = this.programs.get(cid);
    if (program === undefined) {
      program = this.parts.fetchFile(cid, DEFAULT_MODULE_POLICY.moduleBytesMax);
      // A failed fetch is not remembered: the next unit tries again.
      program.catch(() => this.programs.delete(cid));
      this.programs.set(cid, program);
      while (this.programs.size > VolunteerTuning.programsCachedMax) this.programs.delete(this.programs.keys().next().value as string);
    }
    return program;
  }

  private queueReport(jobId: string, report: UnitReport): void {
    let queued = this.reports.get(jobId);
    if (queued === undefined) this.reports.set(jobId, queued = []);
    queued.push(report);
    if (queued.length >= VolunteerTuning.reportBatchMax) void this.flushReports();
    else this.reportTimer ??= setTimeout(() => void this.flushReports(), this.reportDelayFor(jobId));
  }

  private reportDelayFor(jobId: string): number {
    const meanUnitMs = this.jobs.get(jobId)?.meanUnitMs ?? 0;
    return meanUnitMs > 0 && meanUnitMs < VolunteerTuning.shortUnitMs ? VolunteerTuning.shortUnitsReportDelayMs : VolunteerTuning.reportDelayMs;
  }

  /**
   * Sends what each job has queued, one request per job at a time: results that come while a job's
   * report is on its way wait for the next (a coordinator caps the streams a peer may open).
   */
  private async flushReports(): Promise<void> {
    if (this.reportTimer !== null) clearTimeout(this.reportTimer);
    this.reportTimer = null;
    const batches = [...this.reports.entries()].filter(([jobId]) => !this.reporting.has(jobId));
    for (const [jobId] of batches) this.reports.delete(jobId);
    await Promise.all(batches.map(async ([jobId, results]) => {
      this.reporting.add(jobId);
      try {
        await this.send(jobId, results, []);
      } finally {
        this.reporting.delete(jobId);
      }
      if ((this.reports.get(jobId)?.length ?? 0) > 0) this.reportTimer ??= setTimeout(() => void this.flushReports(), this.reportDelayFor(jobId));
    }));
  }

  /**
   * A new checkpoint goes to the coordinator within checkpointDelayMs rather than at the next
   * periodic heartbeat: what a departure loses is the work since the last checkpoint the
   * coordinator has, so it should have each one soon (and at most one beat per delay is sent).
   */
  private checkpointSoon(): void {
    if (this.checkpointTimer !== null || this.stopped) return;
    this.checkpointTimer = setTimeout(() => {
      this.checkpointTimer = null;
      this.sendHeartbeats();
    }, VolunteerTuning.checkpointDelayMs);
    this.checkpointTimer.unref();
  }

  private sendHeartbeats(): void {
    const byJob = new Map<string, Heartbeat[]>();
    // A job whose results we reported lately gets a beat even without leases: receipts for results
    // accepted after our last report (when a later replica agreed) come back with its answer.
    const nowMs = this.parts.nowMs();
    for (const [jobId, atMs] of this.lastResultsAtMs) {
      if (nowMs - atMs > VolunteerTuning.receiptsCollectedForMs || !this.jobs.has(jobId)) this.lastResultsAtMs.delete(jobId);
      else byJob.set(jobId, []);
    }
    for (const lease of this.held.values()) {
      // A job with a beat on its way is left for the next round, its checkpoints still unsent.
      if (lease.lost || this.beating.has(lease.jobId)) continue;
      const beats = byJob.get(lease.jobId) ?? [];
      beats.push({ lease: lease.grant.lease, progress: lease.progress, checkpoint: lease.checkpointSent ? null : lease.checkpoint });
      lease.checkpointSent = true;
      byJob.set(lease.jobId, beats);
    }
    for (const [jobId, beats] of byJob) {
      // One heartbeat request per job at a time; the next beat carries what this one could not.
      if (this.beating.has(jobId)) continue;
      this.beating.add(jobId);
      void (async () => {
        try {
          // At least one request, also with no beats: it collects the receipts due.
          for (let start = 0; start === 0 || start < beats.length; start += ComputeLimits.reportsPerRequestMax) await this.send(jobId, [], beats.slice(start, start + ComputeLimits.reportsPerRequestMax));
        } finally {
          this.beating.delete(jobId);
        }
      })();
    }
  }

  private async send(jobId: string, results: readonly UnitReport[], heartbeats: readonly Heartbeat[]): Promise<void> {
    const job = this.jobs.get(jobId);
    if (job === undefined) return;
    for (let start = 0; start < Math.max(results.length, 1); start += ComputeLimits.reportsPerRequestMax) {
      const slice = results.slice(start, start + ComputeLimits.reportsPerRequestMax);
      try {
        const signature = await this.parts.sign(reportClaimBytes(jobId, slice, sha256Hex));
        const coordinator = job.coordinator;
        const answer = await this.parts.client.ask(this.targetOf(job), { kind: 'report', jobId, results: slice, heartbeats: start === 0 ? heartbeats : [], signature, receiptsFrom: job.receiptsHeld });
        if (answer.kind === 'reported') {
          this.stats.unitsReported += slice.length;
          if (slice.length > 0) this.lastResultsAtMs.set(jobId, this.parts.nowMs());
          for (const lease of answer.lost) this.markLost(jobId, lease);
          await this.takeReceipts(job, coordinator, answer.receiptsFrom, answer.receipts, answer.signature);
        } else if (answer.kind === 'refused') {
          this.parts.log({ level: 'info', event: 'reportRefused', jobId, coordinator, results: slice.length, reason: answer.reason, message: answer.message });
        }
      } catch (error) {
        this.parts.log({ level: 'debug', event: 'reportFailed', jobId, error: (error as Error).message });
        // Kept and sent again (to whoever coordinates the job by then: a copy takes over from a
        // coordinator that went), until the job's adverts stop and it is forgotten.
        if (slice.length > 0) this.retryReports(jobId, slice);
      }
    }
  }

  /**
   * Receipts the coordinator countersigned for our accepted results: checked against its peer id
   * and kept in the ledger as work given to the job's submitter. Unsigned or forged ones are
   * dropped (and logged): the work may have been done, but nobody vouched for it.
   */
  private async takeReceipts(job: KnownJob, coordinator: string, from: number, receipts: readonly Receipt[], signature: Uint8Array | null): Promise<void> {
    // Only the batch that follows what we hold (two answers may bring the same one).
    if (receipts.length === 0 || from !== job.receiptsHeld) return;
    const valid = signature !== null && await this.parts.verify(coordinator, receiptBatchBytes(coordinator, from, receipts), signature);
    if (!valid) {
      this.parts.log({ level: 'warn', event: 'receiptsRefused', jobId: job.jobId, coordinator, receipts: receipts.length, reason: 'the countersignature does not match the coordinator' });
      return;
    }
    let manifest = job.manifest;
    try {
      manifest ??= await this.loadManifest(job);
    } catch (error) {
      this.parts.log({ level: 'info', event: 'receiptsNotKept', jobId: job.jobId, receipts: receipts.length, reason: (error as Error).message });
      return;
    }
    if (from !== job.receiptsHeld) return;
    job.receiptsHeld += receipts.length;
    this.parts.onReceipts(manifest.submitter, receipts.filter((receipt) => receipt.worker === this.parts.self && receipt.jobId === job.jobId));
  }

  private retryReports(jobId: string, results: readonly UnitReport[]): void {
    if (this.stopped) return;
    let queued = this.reports.get(jobId);
    if (queued === undefined) this.reports.set(jobId, queued = []);
    queued.push(...results);
    if (this.reportTimer !== null) clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => void this.flushReports(), VolunteerTuning.reportRetryMs);
  }

  private markLost(jobId: string, lease: number): void {
    const held = this.held.get(`${jobId}/${lease}`);
    if (held === undefined || held.lost) return;
    held.lost = true;
    this.stats.leasesLost++;
  }

  private targetOf(job: KnownJob): RequestTarget {
    return { peerId: job.coordinator, multiaddrs: job.multiaddrs };
  }
}

function reportOf(lease: number, outcome: UnitOutcome): UnitReport {
  const status: ReportedStatus = outcome.status === 'exited' ? 'failed' : outcome.status;
  return {
    lease, status,
    output: status === 'ok' ? outcome.output : null,
    fuel: outcome.fuelUsed === null ? 0 : Number(outcome.fuelUsed),
    wallMs: Math.max(0, Math.round(outcome.wallMs)),
  };
}

function parseMultiaddrs(texts: readonly string[]): Multiaddr[] {
  const parsed: Multiaddr[] = [];
  for (const text of texts) {
    try {
      parsed.push(multiaddr(text));
    } catch {
      // An advert with an address we cannot read: the others may do.
    }
  }
  return parsed;
}
