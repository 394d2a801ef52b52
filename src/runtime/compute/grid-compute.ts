/**
 * Computation on the grid, as one node runs it (issue 5; docs/COMPUTE.md, "Jobs on the grid"):
 *
 * - as a submitter: a job (job.json with its program and inputs already stored as CIDs) becomes a
 *   manifest whose CID is the job's id; the job goes to the node closest to that id's key (a
 *   lookup), which coordinates it — this node, if it is the closest. Status, results and cancel
 *   find the coordinator the same way. The jobs submitted here are remembered in jobs.json.
 * - as a coordinator: JobHost (job-host.ts) runs the jobs given to it and announces them by gossip.
 * - as a volunteer: Volunteer (volunteer.ts) hears those adverts and pulls units for its sandbox.
 *
 * NodeRuntime composes it as `compute`; the HTTP API calls submit, status, results, cancel and list.
 */
import { availableParallelism, totalmem } from 'node:os';
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub';
import { compareDistance, idEquals, type Id } from '../../core/id.ts';
import type { PeerRef } from '../../core/peer.ts';
import type { ComputeRequest, ComputeResponse, JobStatusReport, UnitResultEntry } from '../../services/compute/grid/compute-messages.ts';
import { ComputeLimits, ComputeRefusal } from '../../services/compute/grid/compute-messages.ts';
import { decodeJobAdvert, encodeJobAdvert, JOBS_TOPIC, type JobAdvert } from '../../services/compute/grid/job-advert.ts';
import { encodeManifest, jobIdOf } from '../../services/compute/grid/job-manifest.ts';
import type { ResourceAdvert } from '../../services/compute/grid/resource-advert.ts';
import { parseJobSpec } from '../../services/compute/jobs/job-spec.ts';
import { parseStorageCid } from '../../services/storage/dag/cids.ts';
import { blockKeyOf } from '../../services/storage/placement/block-key.ts';
import type { PeerGuard } from '../../transport/peer-guard.ts';
import type { RequestTarget } from '../../transport/libp2p/request-response/request-client.ts';
import type { RequestServer } from '../../transport/libp2p/request-response/request-server.ts';
import type { ComputeConfig } from '../compute-config.ts';
import { ContentRequestError } from '../content-store-errors.ts';
import { targetOf } from '../exchange/exchange-client.ts';
import { kernelIdOfPeerId } from '../../transport/libp2p/kernel-id.ts';
import type { ClosestNodes } from '../exchange/holder-discovery.ts';
import { ComputeClient } from './compute-client.ts';
import { serveCompute } from './compute-server.ts';
import { JobNotFoundError, JobRefusedError } from './job-errors.ts';
import { JobHost, STANDING_CONFIG } from './job-host.ts';
import { StandingFile } from './standing-file.ts';
import { SubmittedJobs, type SubmittedJob } from './submitted-jobs.ts';
import { UnitPool } from './unit-pool.ts';
import { runUnitsHere } from './local-unit.ts';
import { signerOf, verifySignature } from '../peer-signatures.ts';
import { CryptoRandom } from '../crypto-random.ts';
import { Volunteer, type VolunteerStats } from './volunteer.ts';
import { measureSpeed } from './speed-benchmark.ts';
import { WorkLedger, type LedgerEntry } from './work-ledger.ts';
import { sha256 } from '../content/content-hash.ts';


export interface GridComputeParts {
  readonly libp2p: Libp2p;
  /** This node's identity key: it signs reports and receipts (services/compute/grid/receipts.ts). */
  readonly privateKey: PrivateKey;
  readonly guard: PeerGuard;
  readonly self: PeerRef;
  readonly dataDir: string;
  readonly closestNodes: ClosestNodes;
  /** A stored file's bytes by CID, fetched from the grid when not here; at most bytesMax. */
  readonly fetchFile: (cid: string, bytesMax: number) => Promise<Uint8Array>;
  /** Stores a unit's output too big for a report on the grid, as plain content; its CID. */
  readonly storeOutput?: (jobId: string, bytes: Uint8Array) => Promise<string>;
  readonly config: ComputeConfig;
  readonly nowMs: () => number;
  readonly log: (record: Record<string, unknown>) => void;
}

export interface ComputeStatus {
  readonly volunteer: (VolunteerStats & { readonly workers: number; readonly advert: ResourceAdvert }) | null;
  readonly coordinating: readonly { readonly jobId: string; readonly phase: string; readonly name: string }[];
  /** Jobs this node keeps a copy of, for their coordinators. */
  readonly copies: readonly string[];
  /** The workers this node coordinated lately, with their standing. */
  readonly workers: readonly { readonly worker: string; readonly resultsAgreed: number; readonly resultsWrong: number; readonly blacklisted: boolean }[];
}

export class GridCompute {
  private readonly parts: GridComputeParts;
  private readonly peerId: string;
  private readonly host: JobHost;
  private readonly client: ComputeClient;
  private readonly pool: UnitPool | null;
  /** A node that does not volunteer still runs the known units of the adaptive jobs it coordinates: on a pool of one, made when first needed. */
  private knownAnswersPool: UnitPool | null = null;
  private readonly volunteer: Volunteer | null;
  private readonly submitted: SubmittedJobs;
  private readonly ledger: WorkLedger;
  private readonly startedAtMs: number;
  private readonly advert: ResourceAdvert;
  private readonly pubsub: GossipSub | undefined;
  private server: RequestServer | null = null;
  /** Where each job was last found (the most recent last). */
  private readonly coordinators = new Map<string, Candidate>();
  private readonly onMessage: (event: CustomEvent) => void;

  private readonly standingFile: StandingFile;

  private constructor(parts: GridComputeParts, submitted: SubmittedJobs, ledger: WorkLedger, standingFile: StandingFile, speed: number) {
    this.parts = parts;
    this.standingFile = standingFile;
    this.peerId = parts.libp2p.peerId.toString();
    this.submitted = submitted;
    this.ledger = ledger;
    const sign = signerOf(parts.privateKey);
    this.startedAtMs = parts.nowMs();
    this.pubsub = (parts.libp2p.services as { pubsub?: GossipSub }).pubsub;
    const workers = parts.config.workers > 0 ? parts.config.workers : Math.max(1, availableParallelism() - 1);
    this.advert = { cores: workers, memoryMiB: Math.floor(totalmem() / (1024 * 1024) / Math.max(1, workers)), speed, domain: parts.config.domain, uptimeMs: 0 };
    this.client = new ComputeClient(parts.libp2p, { peerId: this.peerId, answer: async (peerId, request) => this.answer(peerId, request) });
    this.host = new JobHost({
      nowMs: parts.nowMs, log: parts.log, coordinator: { leaseMs: parts.config.leaseMs },
      multiaddrs: () => parts.libp2p.getMultiaddrs().map(String),
      publish: (bytes) => this.publish(bytes),
      compareNearness: nearnessToJob,
      backupsFor: async (jobId) => (await this.candidates(jobId)).filter((candidate) => candidate.peerId !== this.peerId),
      ask: (target, request) => this.client.ask(target, request),
      self: this.peerId, sign, verify: verifySignature,
      random: new CryptoRandom(), standing: standingFile.book,
      knownAnswers: (manifest, units, onEach) => runUnitsHere({ pool: this.poolForKnownAnswers(), fetchFile: parts.fetchFile }, manifest, units, onEach),
    });
    this.pool = parts.config.volunteer ? new UnitPool({ size: workers }) : null;
    this.volunteer = this.pool === null ? null : new Volunteer({
      client: this.client, pool: this.pool, workers, fetchFile: parts.fetchFile, nowMs: parts.nowMs, log: parts.log, leaseMs: parts.config.leaseMs,
      ...(parts.storeOutput === undefined ? {} : { storeOutput: parts.storeOutput }),
      wrongOutputs: parts.config.faultWrongOutputs,
      self: this.peerId, sign, verify: verifySignature,
      onReceipts: (submitter, receipts) => {
        for (const receipt of receipts) ledger.given(submitter, receipt);
      },
      advert: () => ({ ...this.advert, uptimeMs: Math.max(0, Math.round(parts.nowMs() - this.startedAtMs)) }),
    });
    this.onMessage = (event) => this.heard(event.detail as { type: string; topic: string; data: Uint8Array; from?: { toString(): string } });
  }

  static async start(parts: GridComputeParts): Promise<GridCompute> {
    const submitted = await SubmittedJobs.open(parts.dataDir, parts.log);
    const ledger = await WorkLedger.open(parts.dataDir, parts.log);
    const standing = await StandingFile.open(parts.dataDir, STANDING_CONFIG, parts.log);
    const compute = new GridCompute(parts, submitted, ledger, standing, await measureSpeed());
    compute.server = await serveCompute(parts.libp2p, (peerId, request) => compute.answer(peerId, request), { guard: parts.guard, nowMs: parts.nowMs, log: parts.log });
    compute.host.start();
    standing.start();
    compute.volunteer?.start();
    if (compute.pubsub !== undefined) {
      // Malformed adverts are rejected, which gossipsub's peer score counts against their sender.
      compute.pubsub.topicValidators.set(JOBS_TOPIC, (_peer, message) => (decodeJobAdvert(message.data).ok ? TopicValidatorResult.Accept : TopicValidatorResult.Reject));
      compute.pubsub.addEventListener('message', compute.onMessage);
      compute.pubsub.subscribe(JOBS_TOPIC);
    }
    return compute;
  }

  async stop(): Promise<void> {
    if (this.pubsub !== undefined) {
      this.pubsub.removeEventListener('message', this.onMessage);
      this.pubsub.topicValidators.delete(JOBS_TOPIC);
    }
    await this.volunteer?.stop();
    this.host.stop();
    await this.server?.unregister();
    await this.pool?.close();
    await this.knownAnswersPool?.close();
    await this.ledger.flush();
    await this.standingFile.stop();
  }

  private poolForKnownAnswers(): UnitPool {
    if (this.pool !== null) return this.pool;
    this.knownAnswersPool ??= new UnitPool({ size: 1 });
    return this.knownAnswersPool;
  }

  /**
   * Submits a job: `job` is job.json's value with its program (and inputs) as CIDs of content
   * already on the grid. Throws ContentRequestError for a job that is not valid.
   */
  async submit(job: unknown): Promise<{ readonly jobId: string; readonly coordinator: string }> {
    const parsed = parseJobSpec(job);
    if (!parsed.ok) throw new ContentRequestError(`job.json: ${parsed.problems.join('; ')}`);
    const { spec } = parsed;
    if (parseStorageCid(spec.program) === null) throw new ContentRequestError('job.json: program: store the program first and give its CID (the CLI does this)');
    if (spec.units.kind === 'inputs' && spec.units.inputs.some((input) => parseStorageCid(input) === null)) throw new ContentRequestError('job.json: units.inputs: each input must be a CID of stored content (the CLI stores them)');
    let manifest: Uint8Array;
    try {
      manifest = encodeManifest({ spec, submitter: this.peerId, submittedAtUnixMs: Date.now() });
    } catch (error) {
      throw new ContentRequestError(`job.json: ${(error as Error).message}`);
    }
    const jobId = jobIdOf(manifest, sha256);
    const refusals: string[] = [];
    for (const candidate of await this.candidates(jobId)) {
      try {
        const answer = await this.askCandidate(candidate, { kind: 'submit', manifest });
        if (answer.kind === 'submitted') {
          this.rememberCoordinator(jobId, candidate);
          // The job is submitted: a list of them that could not be written is no refusal of this
          // candidate's (which would submit it again to the next one).
          await this.submitted.add({ jobId, name: spec.name, submittedAtUnixMs: Date.now() })
            .catch((error: Error) => this.parts.log({ level: 'warn', event: 'submittedJobNotSaved', jobId, error: error.message }));
          return { jobId, coordinator: candidate.peerId };
        }
        if (answer.kind === 'refused' && answer.reason === ComputeRefusal.invalid) throw new ContentRequestError(`the coordinator refused the job: ${answer.message}`);
        refusals.push(`${candidate.peerId}: ${answer.kind === 'refused' ? answer.message : answer.kind}`);
      } catch (error) {
        if (error instanceof ContentRequestError) throw error;
        refusals.push(`${candidate.peerId}: ${(error as Error).message}`);
      }
    }
    throw new JobRefusedError('unavailable', `no node took the job: ${refusals.slice(0, 4).join('; ') || 'no nodes known'}`);
  }

  /** The job's state from its coordinator, and who that is (a libp2p peer id). */
  async status(jobId: string): Promise<{ readonly status: JobStatusReport; readonly coordinator: string }> {
    const { answer, peerId } = await this.askCoordinator(jobId, { kind: 'status', jobId });
    if (answer.kind !== 'jobStatus') throw new JobRefusedError('protocol', `a ${answer.kind} answer to a status request`);
    return { status: answer.status, coordinator: peerId };
  }

  async results(jobId: string, fromUnit: number, unitsMax: number): Promise<{ readonly entries: readonly UnitResultEntry[]; readonly nextUnit: number | null }> {
    const { answer } = await this.askCoordinator(jobId, { kind: 'results', jobId, fromUnit, unitsMax: Math.min(unitsMax, ComputeLimits.resultsPerPageMax) });
    if (answer.kind !== 'results') throw new JobRefusedError('protocol', `a ${answer.kind} answer to a results request`);
    // Work others did for a job submitted here: the ledger's "received" side.
    if (this.submitted.has(jobId)) {
      for (const entry of answer.entries) {
        if (entry.state !== 'done' || entry.outputHash === null) continue;
        for (const worker of entry.workers) this.ledger.received({ jobId, unit: entry.unit, worker: worker.worker, fuel: worker.fuel, wallMs: worker.wallMs, outputHash: entry.outputHash });
      }
    }
    return { entries: answer.entries, nextUnit: answer.nextUnit };
  }

  async cancel(jobId: string): Promise<void> {
    const { answer } = await this.askCoordinator(jobId, { kind: 'cancel', jobId });
    if (answer.kind !== 'cancelled') throw new JobRefusedError('protocol', `a ${answer.kind} answer to a cancel request`);
  }

  /** Work given to and received from each peer (`peergrid ledger`). */
  ledgerEntries(): LedgerEntry[] {
    return this.ledger.entries();
  }

  /** The jobs submitted from this node, newest first. */
  list(): readonly SubmittedJob[] {
    return this.submitted.list();
  }

  /** What this node does for the grid's computation: its volunteer's counts and the jobs it coordinates. */
  computeStatus(): ComputeStatus {
    return {
      volunteer: this.volunteer === null ? null : { ...this.volunteer.status(), workers: this.advert.cores, advert: this.advert },
      coordinating: this.host.list(),
      copies: this.host.copiesKept(),
      workers: this.host.standings(50).map(({ worker, standing }) => ({ worker, resultsAgreed: standing.resultsAgreed, resultsWrong: standing.resultsWrong, blacklisted: standing.blacklisted })),
    };
  }

  /** Answers a compute request from `peerId` (or from this node itself). */
  private async answer(peerId: string, request: ComputeRequest): Promise<ComputeResponse> {
    if (request.kind === 'submit') {
      const hosted = this.host.host(peerId, request.manifest);
      return hosted.ok ? { kind: 'submitted', jobId: hosted.jobId } : { kind: 'refused', reason: hosted.reason, message: hosted.message };
    }
    return this.host.answer(peerId, request);
  }

  /**
   * The answer of the job's coordinator (or, if none answers, of a node keeping a copy), and who
   * gave it. The node it was last found at is asked first, alone: a job's status is polled, and a
   * lookup for each poll would cost every node near the key CPU that units could use. Only when
   * that node fails, refuses or keeps no more than a copy are the nodes closest to the key asked in
   * turn.
   */
  private async askCoordinator(jobId: string, request: ComputeRequest): Promise<{ readonly answer: ComputeResponse; readonly peerId: string }> {
    if (parseStorageCid(jobId) === null) throw new ContentRequestError(`job id: not a CID: ${jobId}`);
    const problems: string[] = [];
    const known = this.coordinators.get(jobId);
    if (known !== undefined) {
      try {
        const answer = await this.askCandidate(known, request);
        if (answer.kind === 'refused' && answer.reason === ComputeRefusal.forbidden) throw new JobRefusedError(answer.reason, answer.message);
        if (answer.kind !== 'refused' && !isFromCopy(answer)) return { answer, peerId: known.peerId };
        if (answer.kind === 'refused') problems.push(answer.message);
      } catch (error) {
        if (error instanceof JobRefusedError) throw error;
        problems.push(`${known.peerId}: ${(error as Error).message}`);
      }
      this.coordinators.delete(jobId);
    }
    const candidates = (await this.candidates(jobId)).filter((candidate) => candidate.peerId !== known?.peerId);
    // A copy's answer (as of its last sync) is kept only in case no coordinator answers: after a
    // takeover, a copy nearer the key than the new coordinator must not hide it.
    let fromCopy: { readonly answer: ComputeResponse; readonly peerId: string } | null = null;
    for (const candidate of candidates.slice(0, 8)) {
      try {
        const answer = await this.askCandidate(candidate, request);
        if (answer.kind === 'refused') {
          if (answer.reason === ComputeRefusal.forbidden) throw new JobRefusedError(answer.reason, answer.message);
          problems.push(answer.message);
          continue;
        }
        if (isFromCopy(answer)) {
          fromCopy ??= { answer, peerId: candidate.peerId };
          continue;
        }
        this.rememberCoordinator(jobId, candidate);
        return { answer, peerId: candidate.peerId };
      } catch (error) {
        if (error instanceof JobRefusedError) throw error;
        problems.push(`${candidate.peerId}: ${(error as Error).message}`);
      }
    }
    if (fromCopy !== null) return fromCopy;
    throw new JobNotFoundError(jobId, problems.slice(0, 3).join('; ') || 'no nodes known');
  }

  private rememberCoordinator(jobId: string, candidate: Candidate): void {
    this.coordinators.delete(jobId);
    this.coordinators.set(jobId, candidate);
    if (this.coordinators.size > COORDINATORS_REMEMBERED) this.coordinators.delete(this.coordinators.keys().next().value as string);
  }

  private askCandidate(candidate: Candidate, request: ComputeRequest): Promise<ComputeResponse> {
    if (candidate.peerId === this.peerId) return this.answer(this.peerId, request);
    return this.client.ask(candidate.target, request);
  }

  /** This node and the nodes a lookup finds, closest to the job's key first. */
  private async candidates(jobId: string): Promise<Candidate[]> {
    const cid = parseStorageCid(jobId);
    const key: Id | null = cid === null ? null : blockKeyOf(cid);
    if (key === null) return [];
    const seen = new Set<string>();
    const peers: PeerRef[] = [this.parts.self];
    for (const peer of await this.parts.closestNodes(key)) {
      if (idEquals(peer, this.parts.self)) continue;
      peers.push(peer);
    }
    peers.sort((a, b) => compareDistance(key, a, b));
    const candidates: Candidate[] = [];
    for (const peer of peers) {
      if (idEquals(peer, this.parts.self)) {
        candidates.push({ peerId: this.peerId, target: { peerId: this.peerId } });
        continue;
      }
      try {
        const target = targetOf(peer);
        const peerId = target.peerId.toString();
        if (seen.has(peerId)) continue;
        seen.add(peerId);
        candidates.push({ peerId, target });
      } catch {
        // A contact without a usable address: skipped.
      }
    }
    return candidates;
  }

  private publish(advert: JobAdvert): void {
    // Our own volunteer hears our adverts directly: gossip does not deliver to its sender.
    this.volunteer?.offer(this.peerId, advert);
    this.pubsub?.publish(JOBS_TOPIC, encodeJobAdvert(advert)).catch((error: unknown) => this.parts.log({ level: 'debug', event: 'advertNotPublished', error: String(error) }));
  }

  private heard(message: { type: string; topic: string; data: Uint8Array; from?: { toString(): string } }): void {
    if (message.topic !== JOBS_TOPIC || message.type !== 'signed' || message.from === undefined) return;
    const decoded = decodeJobAdvert(message.data);
    if (decoded.ok) this.volunteer?.offer(message.from.toString(), decoded.value);
  }
}

/** Jobs whose coordinator this node remembers, at most (the least recently found forgotten first). */
const COORDINATORS_REMEMBERED = 4096;

/** An answer from a node that keeps only a copy of the job (as of its last sync). */
function isFromCopy(answer: ComputeResponse): boolean {
  return (answer.kind === 'jobStatus' && answer.status.fromCopy) || (answer.kind === 'results' && answer.fromCopy);
}

interface Candidate {
  readonly peerId: string;
  readonly target: RequestTarget;
}

/**
 * Orders two peers by the distance of their kernel ids to a job's key (negative: `a` is nearer).
 * A peer whose id cannot be read counts as the farthest; two of those by their text.
 */
function nearnessToJob(jobId: string, a: string, b: string): number {
  const cid = parseStorageCid(jobId);
  const key = cid === null ? null : blockKeyOf(cid);
  const idOf = (peerId: string): Id | null => {
    try {
      return kernelIdOfPeerId(peerIdFromString(peerId));
    } catch {
      return null;
    }
  };
  const [idA, idB] = [idOf(a), idOf(b)];
  if (key === null || idA === null || idB === null) return idA !== null ? -1 : idB !== null ? 1 : a < b ? -1 : a > b ? 1 : 0;
  return compareDistance(key, idA, idB);
}

