/**
 * Work lost when a worker departs (issue 5's workLostPerDepartureMsP50; target: median ≤ 2.5 s of
 * computation). One process runs the real coordinator (JobHost), volunteers (Volunteer, each with a
 * UnitPool of one worker) and protocol codec; only the network is replaced, by calls that encode
 * and decode every message. The job's units loop for about `unitSeconds` and save a checkpoint
 * every `checkpointEveryMs` of work. Volunteers depart abruptly at random points of their units —
 * from then on every request of theirs fails like a dial to a dead peer, and their pool closes — and
 * fresh volunteers take their place. The job must still complete with every output right.
 *
 * Work lost by a departure = the computation that must be redone: for each lease the volunteer held,
 * what its unit had computed when it departed (with the checkpoint the lease started from) minus
 * what the unit's next lease resumes from (observed in the grant). For a unit that started afresh
 * that is the time since the last checkpoint the coordinator received was *saved*.
 *
 * Wall time stands for computation: at most one busy volunteer per core (`volunteers`, default the
 * core count), and the checkpoint interval measured on the grid is reported beside the calibrated one.
 *
 * Run alone: `node bench/compute/work-lost.ts [departures]`.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import wabtInit from 'wabt';
import type { ComputeClient } from '../../src/runtime/compute/compute-client.ts';
import { JobHost } from '../../src/runtime/compute/job-host.ts';
import { UnitPool } from '../../src/runtime/compute/unit-pool.ts';
import { runUnit, type UnitOutcome, type UnitRun } from '../../src/runtime/compute/unit-sandbox.ts';
import { Volunteer, VolunteerTuning } from '../../src/runtime/compute/volunteer.ts';
import {
  decodeComputeRequest, decodeComputeResponse, encodeComputeMessage, type ComputeRequest, type ComputeResponse, type JobStatusReport,
} from '../../src/services/compute/grid/compute-messages.ts';
import type { JobAdvert } from '../../src/services/compute/grid/job-advert.ts';
import { encodeManifest } from '../../src/services/compute/grid/job-manifest.ts';
import { parseJobSpec } from '../../src/services/compute/jobs/job-spec.ts';
import { Codec, cidOf } from '../../src/services/storage/dag/cids.ts';
import { randomBelow } from '../../src/core/random.ts';
import { Prng } from '../../src/sim/prng.ts';
import { quantileSorted } from '../../src/sim/stats.ts';
import { CryptoRandom } from '../../src/runtime/crypto-random.ts';

type Say = (line: string) => void;

const COORDINATOR = 'coordinator';
const SUBMITTER = 'submitter';
/** Loop iterations per call of the unit's kernel: short calls, so V8 tiers the kernel up within the first chunk. */
const ITERATIONS_PER_CALL = 1_000_000;

// ---------------------------------------------------------------------------------------------
// The unit: sum of (3i + seed) for i below chunks × callsPerChunk × 10^6, seed = the unit's
// arguments. Resumes from its checkpoint (chunks done, sum so far: two i64) and saves one after
// every chunk but the last. Its output is the sum (8 bytes), known in closed form.

export interface UnitShape {
  readonly callsPerChunk: number;
  readonly chunks: number;
}

export function checkpointingUnitText(shape: UnitShape): string {
  const { callsPerChunk, chunks } = shape;
  return `(module
  (import "peergrid" "args_read" (func $args_read (param i32 i32 i32) (result i32)))
  (import "peergrid" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "peergrid" "progress" (func $progress (param f64)))
  (import "peergrid" "checkpoint_save" (func $checkpoint_save (param i32 i32) (result i32)))
  (import "peergrid" "checkpoint_size" (func $checkpoint_size (result i32)))
  (import "peergrid" "checkpoint_read" (func $checkpoint_read (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func $kernel (param $i i64) (param $seed i64) (param $sum i64) (result i64) (local $end i64)
    (local.set $end (i64.add (local.get $i) (i64.const ${ITERATIONS_PER_CALL})))
    (loop $next
      (local.set $sum (i64.add (local.get $sum) (i64.add (i64.mul (local.get $i) (i64.const 3)) (local.get $seed))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.lt_u (local.get $i) (local.get $end))))
    (local.get $sum))
  (func (export "run") (result i32)
    (local $seed i64) (local $chunk i64) (local $sum i64) (local $i i64)
    (local $call i32) (local $at i32) (local $length i32) (local $digit i32)
    ;; The seed: the decimal digits of the arguments (read to byte 16 on).
    (local.set $length (call $args_read (i32.const 16) (i32.const 0) (i32.const 256)))
    (block $parsed (loop $next
      (br_if $parsed (i32.ge_s (local.get $at) (local.get $length)))
      (local.set $digit (i32.sub (i32.load8_u offset=16 (local.get $at)) (i32.const 48)))
      (if (i32.lt_u (local.get $digit) (i32.const 10))
        (then (local.set $seed (i64.add (i64.mul (local.get $seed) (i64.const 10)) (i64.extend_i32_u (local.get $digit))))))
      (local.set $at (i32.add (local.get $at) (i32.const 1)))
      (br $next)))
    (if (i32.eq (call $checkpoint_size) (i32.const 16))
      (then
        (drop (call $checkpoint_read (i32.const 0) (i32.const 0) (i32.const 16)))
        (local.set $chunk (i64.load (i32.const 0)))
        (local.set $sum (i64.load (i32.const 8)))))
    (block $done (loop $chunks
      (call $progress (f64.div (f64.convert_i64_u (local.get $chunk)) (f64.const ${chunks})))
      (br_if $done (i64.ge_u (local.get $chunk) (i64.const ${chunks})))
      (local.set $i (i64.mul (local.get $chunk) (i64.const ${callsPerChunk * ITERATIONS_PER_CALL})))
      (local.set $call (i32.const 0))
      (loop $calls
        (local.set $sum (call $kernel (local.get $i) (local.get $seed) (local.get $sum)))
        (local.set $i (i64.add (local.get $i) (i64.const ${ITERATIONS_PER_CALL})))
        (local.set $call (i32.add (local.get $call) (i32.const 1)))
        (br_if $calls (i32.lt_u (local.get $call) (i32.const ${callsPerChunk}))))
      (local.set $chunk (i64.add (local.get $chunk) (i64.const 1)))
      (if (i64.lt_u (local.get $chunk) (i64.const ${chunks}))
        (then
          (i64.store (i32.const 0) (local.get $chunk))
          (i64.store (i32.const 8) (local.get $sum))
          (drop (call $checkpoint_save (i32.const 0) (i32.const 16)))))
      (br $chunks)))
    (i64.store (i32.const 0) (local.get $sum))
    (drop (call $output_write (i32.const 0) (i32.const 8)))
    (i32.const 0)))`;
}

export async function checkpointingUnit(shape: UnitShape): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat('work-lost.wat', checkpointingUnitText(shape));
  try {
    module.resolveNames();
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** The output of unit `seed`: Σ (3i + seed) over its iterations, mod 2^64, little-endian. */
export function expectedOutput(shape: UnitShape, seed: number): Uint8Array {
  const n = BigInt(shape.chunks * shape.callsPerChunk * ITERATIONS_PER_CALL);
  const sum = ((3n * n * (n - 1n)) / 2n + BigInt(seed) * n) % (1n << 64n);
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, sum, true);
  return bytes;
}

/** Chunks done, as a checkpoint says (0 for none). */
export function chunkOf(checkpoint: Uint8Array | null | undefined): number {
  if (checkpoint === null || checkpoint === undefined || checkpoint.length < 8) return 0;
  return Number(new DataView(checkpoint.buffer, checkpoint.byteOffset, 8).getBigUint64(0, true));
}

// ---------------------------------------------------------------------------------------------
// Calibration and a resume check, on the sandbox alone.

/** Kernel calls in a chunk of about `checkpointEveryMs`, from a warm worker's checkpoint intervals. */
async function calibrate(checkpointEveryMs: number): Promise<number> {
  const probe = { callsPerChunk: 150, chunks: 5 };
  const program = await checkpointingUnit(probe);
  const pool = new UnitPool({ size: 1 });
  try {
    let intervals: number[] = [];
    // The second round, on a worker that has compiled and tiered up the kernel, is the one measured.
    for (let round = 0; round < 2; round++) {
      const saves: number[] = [];
      const outcome = await pool.run({ program, input: new Uint8Array(0), args: '1', limits: { fuelMax: 10n ** 13n }, onCheckpoint: () => saves.push(performance.now()) });
      if (outcome.status !== 'ok') throw new Error(`calibration unit: ${outcome.status} ${outcome.detail}`);
      intervals = saves.slice(1).map((at, index) => at - saves[index]);
    }
    const msPerCall = median(intervals) / probe.callsPerChunk;
    return Math.max(1, Math.round(checkpointEveryMs / msPerCall));
  } finally {
    await pool.close();
  }
}

interface ResumeCheck {
  readonly unitMs: number;
  readonly checkpointEveryMs: number;
  readonly resumedFromChunk: number;
  /** Fuel of the resumed run over a whole run's. */
  readonly resumedFuelRatio: number;
}

/**
 * A whole run (its outputs and checkpoint intervals), and a run resumed from its checkpoint half
 * way, started as soon as that checkpoint is saved: same output, less fuel. Throws when not so.
 */
export async function checkResume(program: Uint8Array, shape: UnitShape, seed = 1): Promise<ResumeCheck> {
  const resumedFromChunk = Math.max(1, Math.floor(shape.chunks / 2));
  const saves: number[] = [];
  const limits = { fuelMax: 10n ** 13n };
  const pending: { resumed?: Promise<UnitOutcome> } = {};
  const whole = await runUnit({
    program, input: new Uint8Array(0), args: String(seed), limits,
    onCheckpoint: (bytes) => {
      saves.push(performance.now());
      if (chunkOf(bytes) === resumedFromChunk) pending.resumed = runUnit({ program, input: new Uint8Array(0), args: String(seed), limits, checkpoint: bytes.slice() });
    },
  });
  const fromCheckpoint = await (pending.resumed ?? Promise.reject(new Error(`the unit saved no checkpoint at chunk ${resumedFromChunk}`)));
  const expected = expectedOutput(shape, seed);
  for (const [name, outcome] of [['whole', whole], ['resumed', fromCheckpoint]] as const) {
    if (outcome.status !== 'ok' || !sameBytes(outcome.output, expected)) throw new Error(`the ${name} run of the unit: ${outcome.status} ${outcome.detail}, output ${hex(outcome.output)} (expected ${hex(expected)})`);
  }
  const wholeFuel = Number(whole.fuelUsed ?? 0n);
  const resumedFuel = Number(fromCheckpoint.fuelUsed ?? 0n);
  if (!(resumedFuel < wholeFuel)) throw new Error(`the resumed run burnt ${resumedFuel} fuel, the whole one ${wholeFuel}: it did not resume`);
  return {
    unitMs: whole.wallMs, checkpointEveryMs: median(saves.slice(1).map((at, index) => at - saves[index])),
    resumedFromChunk, resumedFuelRatio: resumedFuel / wholeFuel,
  };
}

// ---------------------------------------------------------------------------------------------
// The grid in one process.

interface RunRecord {
  readonly unit: number;
  /** Chunks done by the checkpoint it started from. */
  readonly startChunk: number;
  /** When the unit began computing (its first progress call): after queueing, worker start and compile. */
  startedAtMs: number | null;
  finishedAtMs: number | null;
  readonly saves: { readonly chunk: number; readonly atMs: number }[];
}

/** A UnitPool that notes when each unit starts computing and when it saves each checkpoint. */
class WatchedPool extends UnitPool {
  readonly runs: RunRecord[] = [];

  override run(run: UnitRun): Promise<UnitOutcome> {
    const record: RunRecord = { unit: Number(run.args), startChunk: chunkOf(run.checkpoint), startedAtMs: null, finishedAtMs: null, saves: [] };
    this.runs.push(record);
    const outcome = super.run({
      ...run,
      onProgress: (fraction) => {
        record.startedAtMs ??= performance.now();
        run.onProgress?.(fraction);
      },
      onCheckpoint: (bytes) => {
        record.saves.push({ chunk: chunkOf(bytes), atMs: performance.now() });
        run.onCheckpoint?.(bytes);
      },
    });
    void outcome.then(() => {
      record.finishedAtMs ??= performance.now();
    });
    return outcome;
  }

  lastRunOf(unit: number): RunRecord | undefined {
    return this.runs.findLast((record) => record.unit === unit);
  }
}

export interface Grant {
  readonly lease: number;
  readonly unit: number;
  readonly worker: string;
  /** Chunks done by the checkpoint handed out with it; null when the unit starts afresh. */
  readonly checkpointChunk: number | null;
  readonly atMs: number;
}

export interface Member {
  readonly name: string;
  readonly volunteer: Volunteer;
  readonly pool: WatchedPool;
  /** Leases granted to it whose end the coordinator has not heard (no result, not named lost). */
  readonly held: Map<number, Grant>;
  /** The latest checkpoint the coordinator received for each of its leases. */
  readonly received: Map<number, { readonly chunk: number; readonly atMs: number }>;
  dead: boolean;
}

/** What a departed volunteer held, as it was at the moment it departed. */
export interface Departure {
  readonly member: string;
  readonly atMs: number;
  readonly leases: readonly { readonly grant: Grant; readonly run: RunRecord | null; readonly lastReceivedAtMs: number | null }[];
}

/** Signatures that only the named peer makes: a keyed hash stands in for its Ed25519 key. */
function signer(peerId: string) {
  const mac = (peer: string, bytes: Uint8Array): Uint8Array => createHash('sha256').update(peer).update(bytes).digest();
  return {
    sign: async (bytes: Uint8Array) => mac(peerId, bytes),
    verify: async (peer: string, bytes: Uint8Array, signature: Uint8Array) => sameBytes(mac(peer, bytes), signature),
  };
}

/** One turn of the event loop each way, as a network hop would take at least. */
const hop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class LoopbackGrid {
  readonly host: JobHost;
  readonly members: Member[] = [];
  /** Every lease granted, in order. */
  readonly grants: Grant[] = [];
  /** Age of each checkpoint when it reached the coordinator (ms since the unit saved it). */
  readonly checkpointAgesMs: number[] = [];
  private readonly program: Uint8Array;
  private readonly programCid: string;
  private readonly leaseMs: number;
  private latestAdvert: JobAdvert | null = null;
  private jobId = '';

  constructor(program: Uint8Array, leaseMs: number) {
    this.program = program;
    this.programCid = cidOf(Codec.raw, program, sha256).toString();
    this.leaseMs = leaseMs;
    const parts = {
      nowMs: now, multiaddrs: () => [], log: () => {}, coordinator: { leaseMs },
      publish: (advert: JobAdvert) => this.publish(advert),
      backupsFor: async () => [],
      compareNearness: () => 0,
      ask: async (): Promise<ComputeResponse> => {
        throw new Error('no other node in this grid');
      },
      self: COORDINATOR, ...signer(COORDINATOR),
      random: new CryptoRandom(),
    };
    this.host = new JobHost(parts);
    this.host.start();
  }

  /** Submits a job of `units` units (their arguments 0, 1, …), one replica each. */
  async submit(units: number, wallTimeSeconds: number): Promise<string> {
    const parsed = parseJobSpec({
      name: 'work-lost', program: this.programCid, units: { sweep: { from: 0, to: units, step: 1 }, template: '{from}' },
      validation: { replicas: 1, quorum: 1, replicasMax: 3 }, limits: { fuelMax: 1e13, wallTimeSeconds, outputBytesMax: 64 },
    });
    if (!parsed.ok) throw new Error(`job.json: ${parsed.problems.join('; ')}`);
    const hosted = await this.host.host(SUBMITTER, encodeManifest({ spec: parsed.spec, submitter: SUBMITTER, submittedAtUnixMs: Date.now() }));
    if (!hosted.ok) throw new Error(`the job was refused: ${hosted.message}`);
    this.jobId = hosted.jobId;
    return hosted.jobId;
  }

  addVolunteer(): Member {
    const name = `volunteer-${this.members.length + 1}`;
    const pool = new WatchedPool({ size: 1 });
    const startedAtMs = now();
    // The client is only used once the volunteer has started, by which time `member` exists.
    const client: Pick<ComputeClient, 'ask'> = { ask: async (_target, request) => this.carry(member, request) };
    const parts = {
      client: client as ComputeClient, pool, workers: 1, nowMs: now, log: () => {}, leaseMs: this.leaseMs,
      advert: () => ({ cores: 1, memoryMiB: 1024, speed: 1, domain: '', uptimeMs: Math.round(now() - startedAtMs) }),
      fetchFile: async (cid: string) => {
        if (cid !== this.programCid) throw new Error(`no file ${cid} on this grid`);
        return this.program.slice();
      },
      self: name, ...signer(name), onReceipts: () => {},
    };
    const member: Member = { name, pool, volunteer: new Volunteer(parts), held: new Map(), received: new Map(), dead: false };
    member.volunteer.start();
    this.members.push(member);
    const advert = this.latestAdvert;
    if (advert !== null) setImmediate(() => member.volunteer.offer(COORDINATOR, advert));
    return member;
  }

  /** The volunteer vanishes: nothing it sends arrives any more, and its sandbox stops. */
  async depart(member: Member): Promise<Departure> {
    const atMs = now();
    member.dead = true;
    const leases = [...member.held.values()].map((grant) => {
      const run = member.pool.lastRunOf(grant.unit);
      return {
        grant, lastReceivedAtMs: member.received.get(grant.lease)?.atMs ?? null,
        run: run === undefined ? null : { ...run, saves: [...run.saves] },
      };
    });
    await member.pool.close();
    // Stops its timers; the leases it gives back go nowhere (its client fails like a dead peer's).
    await member.volunteer.stop();
    return { member: member.name, atMs, leases };
  }

  liveMembers(): Member[] {
    return this.members.filter((member) => !member.dead);
  }

  async status(): Promise<JobStatusReport> {
    const answer = await this.host.answer(SUBMITTER, { kind: 'status', jobId: this.jobId });
    if (answer.kind !== 'jobStatus') throw new Error(`status: a ${answer.kind} answer`);
    return answer.status;
  }

  async outputs(): Promise<Map<number, Uint8Array | null>> {
    const outputs = new Map<number, Uint8Array | null>();
    let from: number | null = 0;
    while (from !== null) {
      const answer: ComputeResponse = await this.host.answer(SUBMITTER, { kind: 'results', jobId: this.jobId, fromUnit: from, unitsMax: 1024 });
      if (answer.kind !== 'results') throw new Error(`results: a ${answer.kind} answer`);
      for (const entry of answer.entries) outputs.set(entry.unit, entry.output);
      from = answer.nextUnit;
    }
    return outputs;
  }

  async close(): Promise<void> {
    for (const member of this.liveMembers()) {
      member.dead = true;
      await member.volunteer.stop();
      await member.pool.close();
    }
    this.host.stop();
  }

  private publish(advert: JobAdvert): void {
    this.latestAdvert = advert;
    setImmediate(() => {
      for (const member of this.liveMembers()) member.volunteer.offer(COORDINATOR, advert);
    });
  }

  /** A request from a volunteer to the coordinator and its answer, as bytes, noting what passes. */
  private async carry(member: Member, request: ComputeRequest): Promise<ComputeResponse> {
    await hop();
    if (member.dead) throw new Error(`dial to ${COORDINATOR} failed: ${member.name} is gone`);
    const arrived = decodeComputeRequest(encodeComputeMessage(request));
    if (!arrived.ok) throw new Error(`undecodable request: ${arrived.error}`);
    if (arrived.value.kind === 'submit') throw new Error('volunteers do not submit');
    this.noteRequest(member, arrived.value);
    const answer: ComputeResponse = await this.host.answer(member.name, arrived.value);
    this.noteAnswer(member, answer);
    const back = decodeComputeResponse(encodeComputeMessage(answer));
    if (!back.ok) throw new Error(`undecodable answer: ${back.error}`);
    await hop();
    if (member.dead) throw new Error(`the stream to ${COORDINATOR} was reset: ${member.name} is gone`);
    return back.value;
  }

  private noteRequest(member: Member, request: Exclude<ComputeRequest, { kind: 'submit' }>): void {
    if (request.kind !== 'report') return;
    const atMs = now();
    for (const result of request.results) member.held.delete(result.lease);
    for (const beat of request.heartbeats) {
      if (beat.checkpoint === null) continue;
      const chunk = chunkOf(beat.checkpoint);
      member.received.set(beat.lease, { chunk, atMs });
      const unit = member.held.get(beat.lease)?.unit;
      const saved = unit === undefined ? undefined : member.pool.lastRunOf(unit)?.saves.find((save) => save.chunk === chunk);
      if (saved !== undefined) this.checkpointAgesMs.push(atMs - saved.atMs);
    }
  }

  private noteAnswer(member: Member, answer: ComputeResponse): void {
    if (answer.kind === 'reported') for (const lease of answer.lost) member.held.delete(lease);
    if (answer.kind !== 'leases') return;
    for (const lease of answer.leases) {
      const grant: Grant = { lease: lease.lease, unit: lease.unit, worker: member.name, checkpointChunk: lease.checkpoint === null ? null : chunkOf(lease.checkpoint), atMs: now() };
      this.grants.push(grant);
      member.held.set(lease.lease, grant);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Work lost, from a departure and the grants that followed it.

/** How the unit the volunteer was computing went on. */
export type LossCase = 'resumedFromItsCheckpoint' | 'noCheckpointYet' | 'resumedUnitRestarted' | 'idle';

export interface Loss {
  readonly lostMs: number;
  /** Of which, checkpoints of queued leases that the coordinator did not keep. */
  readonly queuedLostMs: number;
  readonly runningCase: LossCase;
  /** How far the running unit was (0 to 1), counting the checkpoint it started from. */
  readonly unitFraction: number | null;
  /** Departure time minus when the coordinator last received a checkpoint of the running lease (or its start). */
  readonly sinceCheckpointReceivedMs: number | null;
}

export function lossOf(departure: Departure, grants: readonly Grant[], chunkMs: number, unitMs: number): Loss {
  let lostMs = 0;
  let queuedLostMs = 0;
  let runningCase: LossCase = 'idle';
  let unitFraction: number | null = null;
  let sinceCheckpointReceivedMs: number | null = null;
  for (const { grant, run, lastReceivedAtMs } of departure.leases) {
    const startChunk = grant.checkpointChunk ?? 0;
    const startedAtMs = run?.startedAtMs ?? null;
    const endMs = Math.min(departure.atMs, run?.finishedAtMs ?? departure.atMs);
    const doneMs = startChunk * chunkMs + (startedAtMs === null ? 0 : endMs - startedAtMs);
    const next = grants.find((later) => later.unit === grant.unit && later.atMs > departure.atMs);
    if (next === undefined) throw new Error(`unit ${grant.unit}, held by ${departure.member} when it departed, was never leased again`);
    let keptMs: number;
    if (next.checkpointChunk === null) keptMs = 0;
    else if (next.checkpointChunk === startChunk) keptMs = startChunk * chunkMs;
    else {
      const saved = run?.saves.find((save) => save.chunk === next.checkpointChunk);
      if (saved === undefined || startedAtMs === null) throw new Error(`unit ${grant.unit} resumed from chunk ${next.checkpointChunk}, which ${departure.member} did not save`);
      keptMs = startChunk * chunkMs + (saved.atMs - startedAtMs);
    }
    const lost = Math.max(0, doneMs - keptMs);
    lostMs += lost;
    if (startedAtMs === null) {
      queuedLostMs += lost;
      continue;
    }
    runningCase = next.checkpointChunk !== null ? 'resumedFromItsCheckpoint' : startChunk > 0 ? 'resumedUnitRestarted' : 'noCheckpointYet';
    unitFraction = Math.min(1, doneMs / unitMs);
    sinceCheckpointReceivedMs = departure.atMs - (lastReceivedAtMs ?? startedAtMs);
  }
  return { lostMs, queuedLostMs, runningCase, unitFraction, sinceCheckpointReceivedMs };
}

// ---------------------------------------------------------------------------------------------

export interface WorkLostOptions {
  readonly departures?: number;
  readonly unitSeconds?: number;
  readonly checkpointEveryMs?: number;
  readonly leaseMs?: number;
  /** Volunteers at work at once (each one worker); by default one per core. */
  readonly volunteers?: number;
  /** Departures come at random intervals between these; by default 0.6 and 1.4 times a unit's time. */
  readonly gapMinMs?: number;
  readonly gapMaxMs?: number;
  readonly seed?: number;
}

export async function workLostBenchmark(say: Say, options: WorkLostOptions = {}): Promise<Record<string, unknown>> {
  const departuresWanted = options.departures ?? 24;
  const unitSeconds = options.unitSeconds ?? 3;
  const checkpointEveryMs = options.checkpointEveryMs ?? 400;
  const leaseMs = options.leaseMs ?? 3000;
  const active = options.volunteers ?? availableParallelism();
  const seed = options.seed ?? 1;

  const shape: UnitShape = { callsPerChunk: await calibrate(checkpointEveryMs), chunks: Math.max(2, Math.round((unitSeconds * 1000) / checkpointEveryMs)) };
  const program = await checkpointingUnit(shape);
  const alone = await checkResume(program, shape);
  // Departures in proportion to the units' time, so that the churn per unit is the same on a
  // slower or busier machine: each volunteer lives about `active` units' time.
  const gapMinMs = options.gapMinMs ?? Math.round(0.6 * alone.unitMs);
  const gapMaxMs = options.gapMaxMs ?? Math.round(1.4 * alone.unitMs);
  say(`  unit: ${shape.chunks} chunks of ${shape.callsPerChunk}·10^6 iterations, ${(alone.unitMs / 1000).toFixed(2)} s alone, a checkpoint every ${alone.checkpointEveryMs.toFixed(0)} ms; resumed from chunk ${alone.resumedFromChunk}: same output, ${(alone.resumedFuelRatio * 100).toFixed(0)}% of the fuel`);

  // About as many units as `active` volunteers get through while the departures go on: they are
  // busy about two thirds of the time (lost work, a new volunteer's start, leases of the departed
  // waiting to expire), and every unit left when the departures end only lengthens the run.
  const units = Math.ceil((0.65 * departuresWanted * ((gapMinMs + gapMaxMs) / 2) * active) / alone.unitMs);
  const grid = new LoopbackGrid(program, leaseMs);
  const departures: Departure[] = [];
  const startedAtMs = now();
  try {
    await grid.submit(units, Math.ceil(unitSeconds * 10));
    for (let index = 0; index < active; index++) grid.addVolunteer();
    say(`  job: ${units} units, ${active} volunteers at once, leases of ${leaseMs} ms; ${departuresWanted} departures, one every ${gapMinMs}–${gapMaxMs} ms (seed ${seed})`);
    const random = Prng.fromSeed(seed);
    while (departures.length < departuresWanted && (await grid.status()).phase === 'running') {
      await sleep(gapMinMs + random.nextFloat() * (gapMaxMs - gapMinMs));
      const computing = grid.liveMembers().filter((member) => member.pool.runs.some((run) => run.startedAtMs !== null && run.finishedAtMs === null));
      if (computing.length === 0 || (await grid.status()).phase !== 'running') continue;
      const departure = await grid.depart(computing[randomBelow(random, computing.length)]);
      departures.push(departure);
      grid.addVolunteer();
      say(`  departure ${departures.length}/${departuresWanted}: ${departure.member} at ${((departure.atMs - startedAtMs) / 1000).toFixed(1)} s, holding ${departure.leases.length} lease(s)`);
    }
    const status = await waitForEnd(grid, say);
    const outputs = await grid.outputs();
    const wrong = [...outputs].filter(([unit, output]) => output === null || !sameBytes(output, expectedOutput(shape, unit))).map(([unit]) => unit);
    if (status.phase !== 'done' || status.units.done !== units || wrong.length > 0) {
      throw new Error(`the job ended ${status.phase} with ${status.units.done} of ${units} units done; wrong or missing outputs: ${wrong.join(', ')}`);
    }
    const jobSeconds = (now() - startedAtMs) / 1000;
    const losses = departures.map((departure) => lossOf(departure, grid.grants, alone.checkpointEveryMs, alone.unitMs));
    const lost = sorted(losses.map((loss) => loss.lostMs));
    const byCase = (name: LossCase) => losses.filter((loss) => loss.runningCase === name);
    const freshLost = sorted([...byCase('resumedFromItsCheckpoint'), ...byCase('noCheckpointYet')].map((loss) => loss.lostMs - loss.queuedLostMs));
    const gridIntervals = grid.members.flatMap((member) => member.pool.runs.flatMap((run) => run.saves.slice(1).map((save, index) => save.atMs - run.saves[index].atMs)));
    say(`  work lost per departure (ms, case): ${losses.map((loss) => `${Math.round(loss.lostMs)} ${loss.runningCase}${loss.queuedLostMs > 0 ? ` (queued ${Math.round(loss.queuedLostMs)})` : ''}`).join('; ')}`);
    say(`  ${units} units done in ${jobSeconds.toFixed(1)} s, every output right; work lost per departure: p50 ${quantileSorted(lost, 0.5).toFixed(0)} ms, p90 ${quantileSorted(lost, 0.9).toFixed(0)} ms`);
    return {
      workLostPerDepartureMsP50: Math.round(quantileSorted(lost, 0.5)),
      workLostPerDepartureMsP90: Math.round(quantileSorted(lost, 0.9)),
      workLostPerDepartureMsMean: Math.round(lost.reduce((sum, value) => sum + value, 0) / Math.max(1, lost.length)),
      workLostPerDepartureMsMax: Math.round(lost[lost.length - 1] ?? 0),
      departures: departures.length,
      departuresByCase: {
        resumedFromItsCheckpoint: byCase('resumedFromItsCheckpoint').length,
        noCheckpointYet: byCase('noCheckpointYet').length,
        resumedUnitRestarted: byCase('resumedUnitRestarted').length,
        idle: byCase('idle').length,
      },
      // What light churn would see: the running unit's loss when it had started afresh (a unit's
      // first interruption), without what chains of departures throw away.
      workLostOnFreshUnitsMsP50: Math.round(quantileSorted(freshLost, 0.5)),
      workLostOnFreshUnitsMsP90: Math.round(quantileSorted(freshLost, 0.9)),
      queuedCheckpointsDropped: losses.filter((loss) => loss.queuedLostMs > 0).length,
      sinceCheckpointReceivedMsP50: Math.round(quantileSorted(sorted(losses.flatMap((loss) => loss.sinceCheckpointReceivedMs ?? [])), 0.5)),
      checkpointAgeAtCoordinatorMsP50: Math.round(quantileSorted(sorted(grid.checkpointAgesMs), 0.5)),
      departurePointP50: round2(quantileSorted(sorted(losses.flatMap((loss) => loss.unitFraction ?? [])), 0.5)),
      unitSeconds: round2(alone.unitMs / 1000),
      checkpointEveryMs: Math.round(alone.checkpointEveryMs),
      checkpointEveryMsOnGrid: Math.round(median(gridIntervals)),
      checkpointDelayMs: VolunteerTuning.checkpointDelayMs,
      heartbeatEveryMs: Math.max(200, Math.floor(leaseMs / 3)),
      leaseMs,
      volunteersAtOnce: active,
      volunteersInAll: grid.members.length,
      units,
      jobSeconds: round2(jobSeconds),
      seed,
    };
  } finally {
    await grid.close();
  }
}

/** Waits for the job to end; throws if it stops making progress. */
async function waitForEnd(grid: LoopbackGrid, say: Say): Promise<JobStatusReport> {
  let status = await grid.status();
  let done = status.units.done;
  let progressAtMs = now();
  while (status.phase === 'running') {
    await sleep(100);
    status = await grid.status();
    if (status.units.done !== done) {
      done = status.units.done;
      progressAtMs = now();
    }
    if (now() - progressAtMs > 60_000) throw new Error(`the job made no progress for a minute: ${JSON.stringify(status.units)}`);
  }
  say(`  job ${status.phase}: ${JSON.stringify(status.units)}`);
  return status;
}

function now(): number {
  return performance.now();
}

function sha256(bytes: Uint8Array): Uint8Array {
  return createHash('sha256').update(bytes).digest();
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function median(values: readonly number[]): number {
  return quantileSorted(sorted(values), 0.5);
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

if (import.meta.main) {
  const departures = Number(process.argv[2]);
  const result = await workLostBenchmark((line) => process.stderr.write(`${line}\n`), departures > 0 ? { departures } : {});
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
