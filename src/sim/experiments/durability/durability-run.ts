/**
 * One scheme's year: N nodes under transient and permanent churn, `objects` objects stored at time 0,
 * and the repair policy (services/storage/durability) run by each object's responsible node.
 *
 * Event-driven, per node rather than per object: an object is looked at only when something that can
 * change its decision happens to one of its holders —
 * - a holder has been offline for the grace period (it is now presumed gone: maybe repair),
 * - a holder has been offline for forgetAfterMs (forget it),
 * - a holder presumed gone comes back (re-integrate it: maybe drop a surplus),
 * - or a blocked repair's retry comes round —
 * which is exactly when a real node's plan would say to look again (`nextCheckAtMs`), so between
 * events every decision would be "nothing". Going offline and coming back within the grace period
 * costs O(1). Detection is immediate at the end of the grace period: a real node notices at its next
 * check, so its effective grace is longer by up to one check interval.
 *
 * Repairs are instantaneous and placed on uniformly chosen online nodes outside the record; a repair
 * needs `needed` reachable pieces to read from (else it is blocked and retried). An object is lost
 * when fewer than `needed` of its pieces remain on nodes that have not left for good.
 */
import { MinHeap, type Scheduled } from '../../../core/min-heap.ts';
import { randomBelow } from '../../../core/random.ts';
import { RepairPlanner } from '../../../services/storage/durability/repair-planner.ts';
import { RepairAction, type RepairPolicy } from '../../../services/storage/durability/repair-policy.ts';
import {
  formatRedundancy, pieceBytes, piecesNeeded, piecesTarget, repairTransferBytes, type Redundancy,
} from '../../../services/storage/durability/redundancy.ts';
import type { Prng } from '../../prng.ts';
import { TraceHash } from '../../trace-hash.ts';
import type { AvailabilityModel } from './availability-model.ts';
import { HOUR_MS, MONTH_MS } from './availability-model.ts';
import { NodePopulation } from './node-population.ts';
import { PieceRecords } from './piece-records.ts';

export interface SchemeRunOptions {
  readonly objects: number;
  readonly nodes: number;
  readonly durationMs: number;
  readonly objectBytes: number;
  readonly redundancy: Redundancy;
  readonly policy: RepairPolicy;
  readonly model: AvailabilityModel;
  /** Objects sampled each simulated hour to estimate unavailability. */
  readonly availabilitySamplesPerHour: number;
  /** Streams: churn (one per identity), placement, availability samples, oracle placement. */
  readonly prng: Prng;
  readonly progress?: (line: string) => void;
}

/** What happened to one scheme's pieces over the run (every count is in pieces). */
export interface PieceLedger {
  createdAtStart: number;
  createdByRepair: number;
  /** Pieces on nodes when they left for good. */
  lostToDepartures: number;
  /** Forgotten (or evicted) pieces on nodes that had not left: deleted by their holders. */
  forgottenLive: number;
  /** Forgotten entries naming nodes that had left. */
  forgottenDeparted: number;
  dropped: number;
}

export interface SchemeRunCounters {
  lost: number;
  /** Of the lost: lost when forgetting a long-silent holder left too few live pieces. */
  lostByForgetting: number;
  repairs: number;
  blockedRepairs: number;
  /** Repairs that could not place every piece (too few online nodes outside the record). */
  placementShortfalls: number;
  repairBytes: number;
  /** Oracle baseline: pieces a system keeping exactly the target would have lost to departures. */
  permanentPiecesLost: number;
  /** Pieces whose holder crossed the grace period (presumed gone). */
  presumedGonePieces: number;
  /** Pieces whose holder came back after being presumed gone, and counted again. */
  reintegratedPieces: number;
  availabilitySamples: number;
  unavailableSamples: number;
  departures: number;
  events: number;
}

/** Near misses are histogrammed up to this surplus of live pieces over those needed (the last bin is "or more"). */
export const SURPLUS_BINS = 8;

export const EventKind = Object.freeze({
  /** A node's session or downtime ends. */
  transition: 0,
  departure: 1,
  graceExpiry: 2,
  forgetExpiry: 3,
  retry: 4,
  sample: 5,
  progress: 6,
} as const);
type EventKind = (typeof EventKind)[keyof typeof EventKind];

/** Mutable so that handled events can be reused (see `pool`). */
interface DurabilityEvent extends Scheduled {
  atMs: number;
  sequence: number;
  kind: EventKind;
  /** An identity, or an object for retries. */
  subject: number;
  /** For grace and forget expiries: the downtime they belong to. */
  epoch: number;
}

const STREAM_CHURN = 1;
const STREAM_PLACEMENT = 2;
const STREAM_SAMPLES = 3;
const STREAM_ORACLE = 4;
/** Rejection draws allowed per piece placed before the repair settles for fewer. */
const PLACEMENT_ATTEMPTS_PER_PIECE = 64;

export class DurabilityRun {
  readonly options: SchemeRunOptions;
  readonly population: NodePopulation;
  readonly records: PieceRecords;
  readonly ledger: PieceLedger = {
    createdAtStart: 0, createdByRepair: 0, lostToDepartures: 0, forgottenLive: 0, forgottenDeparted: 0, dropped: 0,
  };
  readonly counters: SchemeRunCounters = {
    lost: 0, lostByForgetting: 0, repairs: 0, blockedRepairs: 0, placementShortfalls: 0, repairBytes: 0, permanentPiecesLost: 0,
    presumedGonePieces: 0, reintegratedPieces: 0, availabilitySamples: 0, unavailableSamples: 0, departures: 0, events: 0,
  };
  readonly trace = new TraceHash();
  nowMs = 0;
  private readonly planner: RepairPlanner;
  private readonly needed: number;
  private readonly target: number;
  private readonly queue = new MinHeap<DurabilityEvent>();
  /**
   * Handled events, for reuse. A year brings millions of events, each pending for simulated hours,
   * so each outlives the young generation and would pile up as old garbage (hundreds of MB of RSS);
   * recycled, the events allocated are only as many as are ever pending at once.
   */
  private readonly pool: DurabilityEvent[] = [];
  private sequence = 0;
  private readonly placementRandom: Prng;
  private readonly sampleRandom: Prng;
  private readonly oracleRandom: Prng;
  private scratch = new Int32Array(1024);
  private readonly removeMask: Uint8Array;
  private stampValue = 0;
  /** Per object: the fewest live pieces beyond those needed it has had (capped at SURPLUS_BINS - 1). */
  readonly surplusMin: Uint8Array;

  constructor(options: SchemeRunOptions) {
    this.options = options;
    this.planner = new RepairPlanner(options.redundancy, options.policy);
    this.needed = piecesNeeded(options.redundancy);
    this.target = piecesTarget(options.redundancy);
    if (options.nodes < this.options.policy.recordedPiecesMax * 2) {
      throw new RangeError(`${options.nodes} nodes are too few for records of up to ${options.policy.recordedPiecesMax} holders`);
    }
    this.population = new NodePopulation(options.nodes, options.prng.stream(STREAM_CHURN));
    this.records = new PieceRecords(options.objects, options.policy.recordedPiecesMax, this.population);
    this.placementRandom = options.prng.stream(STREAM_PLACEMENT);
    this.sampleRandom = options.prng.stream(STREAM_SAMPLES);
    this.oracleRandom = options.prng.stream(STREAM_ORACLE);
    this.removeMask = new Uint8Array(options.policy.recordedPiecesMax);
    this.surplusMin = new Uint8Array(options.objects).fill(Math.min(SURPLUS_BINS - 1, this.target - this.needed));
  }

  /** Runs to the end. */
  run(): void {
    this.startPopulation();
    this.placeObjects();
    this.push(HOUR_MS, EventKind.sample, 0, 0);
    if (this.options.progress !== undefined) this.push(MONTH_MS, EventKind.progress, 0, 0);
    const endMs = this.options.durationMs;
    for (;;) {
      const event = this.queue.peek();
      if (event === undefined || event.atMs > endMs) break;
      this.queue.pop();
      this.nowMs = event.atMs;
      this.handle(event);
      this.pool.push(event);
    }
    this.nowMs = endMs;
  }

  private push(atMs: number, kind: EventKind, subject: number, epoch: number): void {
    if (atMs > this.options.durationMs) return;
    const event = this.pool.pop();
    if (event === undefined) {
      this.queue.push({ atMs, sequence: this.sequence++, kind, subject, epoch });
      return;
    }
    event.atMs = atMs;
    event.sequence = this.sequence++;
    event.kind = kind;
    event.subject = subject;
    event.epoch = epoch;
    this.queue.push(event);
  }

  private handle(event: DurabilityEvent): void {
    const { kind, subject } = event;
    const population = this.population;
    switch (kind) {
      case EventKind.transition:
        if (population.online[subject] === 1) this.goOffline(subject);
        else this.comeBack(subject);
        break;
      case EventKind.departure:
        this.depart(subject);
        break;
      case EventKind.graceExpiry:
      case EventKind.forgetExpiry: {
        // Stale if the node came back (or went down again) since the event was scheduled.
        if (population.downtimeEpoch[subject] !== event.epoch || population.online[subject] === 1) return;
        const held = this.collectHeld(subject);
        if (kind === EventKind.graceExpiry) this.counters.presumedGonePieces += held;
        for (let k = 0; k < held; k++) this.evaluate(this.scratch[k]);
        if (kind === EventKind.graceExpiry) {
          // Only a downtime that outlasts the grace period can outlast forgetAfterMs: schedule that look now,
          // rather than one per downtime (most end within hours, and each pending event costs memory).
          this.push(population.offlineSinceMs[subject] + this.options.policy.forgetAfterMs, EventKind.forgetExpiry, subject, event.epoch);
        } else if (population.departed[subject] === 1) {
          population.releaseList(subject);
        }
        break;
      }
      case EventKind.retry:
        this.records.retryPending[subject] = 0;
        this.evaluate(subject);
        break;
      case EventKind.sample:
        this.sampleAvailability();
        this.push(this.nowMs + HOUR_MS, EventKind.sample, 0, 0);
        return;
      case EventKind.progress:
        this.reportProgress();
        this.push(this.nowMs + MONTH_MS, EventKind.progress, 0, 0);
        return;
    }
    this.counters.events++;
    this.trace.addInt(kind);
    this.trace.addInt(subject);
    this.trace.addNumber(this.nowMs);
  }

  // --- churn -----------------------------------------------------------------------------------

  /** Every slot starts in its stationary state: online with probability 1 − f, for the residual time of that state. */
  private startPopulation(): void {
    const { model } = this.options;
    const population = this.population;
    for (let slot = 0; slot < this.options.nodes; slot++) {
      const identity = population.addIdentity(slot, 0);
      const random = population.randomOf(identity);
      const online = model.session === null || random.nextFloat() >= model.offlineFraction;
      if (online) population.setOnline(identity);
      const untilMs = model.session === null ? Infinity
        : wholeMs(online ? model.session.sampleResidual(random) : (model.downtime as NonNullable<typeof model.downtime>).sampleResidual(random));
      population.departureAtMs[identity] = model.lifetime === null ? Infinity : wholeMs(model.lifetime.sample(random));
      this.scheduleNext(identity, untilMs);
    }
  }

  /** Schedules the identity's next transition `afterMs` from now, or its departure if that comes first. */
  private scheduleNext(identity: number, afterMs: number): void {
    const departureAtMs = this.population.departureAtMs[identity];
    const nextAtMs = this.nowMs + afterMs;
    if (departureAtMs <= nextAtMs) this.push(departureAtMs, EventKind.departure, identity, 0);
    else this.push(nextAtMs, EventKind.transition, identity, 0);
  }

  private goOffline(identity: number): void {
    const population = this.population;
    population.setOffline(identity, this.nowMs);
    this.scheduleExpiries(identity);
    const downtime = this.options.model.downtime as NonNullable<AvailabilityModel['downtime']>;
    this.scheduleNext(identity, wholeMs(downtime.sample(population.randomOf(identity))));
  }

  /** The grace expiry of the downtime that starts now (it schedules the forget expiry in turn). */
  private scheduleExpiries(identity: number): void {
    this.push(this.nowMs + this.options.policy.graceMs, EventKind.graceExpiry, identity, this.population.downtimeEpoch[identity]);
  }

  private comeBack(identity: number): void {
    const population = this.population;
    const silentMs = this.nowMs - population.offlineSinceMs[identity];
    population.setOnline(identity);
    if (silentMs >= this.options.policy.graceMs) {
      // Its records presumed it gone: each now counts it again, and may have a surplus to drop.
      const held = this.collectHeld(identity);
      this.counters.reintegratedPieces += held;
      for (let k = 0; k < held; k++) this.evaluate(this.scratch[k]);
    }
    const session = this.options.model.session as NonNullable<AvailabilityModel['session']>;
    this.scheduleNext(identity, wholeMs(session.sample(population.randomOf(identity))));
  }

  /** A node leaves for good: its pieces are gone, and a new empty node takes its slot. */
  private depart(identity: number): void {
    const population = this.population;
    const records = this.records;
    this.counters.departures++;
    const wasOnline = population.online[identity] === 1;
    if (wasOnline) {
      population.setOffline(identity, this.nowMs);
      this.scheduleExpiries(identity);
    }
    population.setDeparted(identity);
    const held = this.collectHeld(identity);
    this.ledger.lostToDepartures += held;
    for (let k = 0; k < held; k++) {
      const object = this.scratch[k];
      if (records.lost[object] === 1) continue;
      const live = records.livePieces(object);
      if (live < this.needed) this.markLost(object, false);
      else if (live - this.needed < this.surplusMin[object]) this.surplusMin[object] = live - this.needed;
    }
    // A node long gone already had its forget expiry: nothing will read its list again.
    if (!wasOnline && this.nowMs - population.offlineSinceMs[identity] >= this.options.policy.forgetAfterMs) population.releaseList(identity);

    const slot = population.slotOf[identity];
    const fresh = population.addIdentity(slot, this.nowMs);
    population.setOnline(fresh);
    const random = population.randomOf(fresh);
    population.departureAtMs[fresh] = this.nowMs + wholeMs((this.options.model.lifetime as NonNullable<AvailabilityModel['lifetime']>).sample(random));
    const { session } = this.options.model;
    this.scheduleNext(fresh, session === null ? Infinity : wholeMs(session.sample(random)));

    // The oracle baseline keeps exactly the target per object and knows which failures are permanent:
    // it re-creates each piece the departed node held, once, on a uniformly chosen live node.
    const oracleLost = population.oracleLoad[identity];
    population.oracleLoad[identity] = 0;
    this.counters.permanentPiecesLost += oracleLost;
    for (let k = 0; k < oracleLost; k++) population.oracleLoad[population.randomLive(this.oracleRandom)]++;
  }

  // --- objects ---------------------------------------------------------------------------------

  /** Stores every object at time 0 on `target` distinct online nodes (an upload places pieces on nodes that answer). */
  private placeObjects(): void {
    const population = this.population;
    for (let object = 0; object < this.options.objects; object++) {
      const placed = this.placeNew(object, this.target);
      if (placed < this.target) throw new Error(`could not place object ${object}: too few online nodes`);
      this.ledger.createdAtStart += placed;
      const base = object * this.records.capacity;
      for (let k = 0; k < placed; k++) population.oracleLoad[this.records.holders[base + k]]++;
    }
  }

  /** Places up to `pieces` new pieces of `object` on online nodes outside its record; returns how many. */
  private placeNew(object: number, pieces: number): number {
    const records = this.records;
    const population = this.population;
    let placed = 0;
    for (let attempt = 0; placed < pieces && attempt < pieces * PLACEMENT_ATTEMPTS_PER_PIECE; attempt++) {
      const identity = population.randomOnline(this.placementRandom);
      if (records.records(object, identity)) continue;
      records.append(object, identity);
      population.addHeld(identity, object);
      placed++;
    }
    return placed;
  }

  /** Fills this.scratch with the objects `identity` holds a recorded piece of; returns how many. */
  private collectHeld(identity: number): number {
    const length = this.population.heldLength(identity);
    if (this.scratch.length < length) this.scratch = new Int32Array(Math.max(length, this.scratch.length * 2));
    this.stampValue++;
    return this.population.collectHeld(identity, this.records.records, this.records.stamp, this.stampValue, this.scratch);
  }

  /** Runs the repair policy for one object and carries out its plan. */
  private evaluate(object: number): void {
    const records = this.records;
    if (records.lost[object] === 1) return;
    const planner = this.planner;
    planner.plan(records.view(object, this.nowMs), this.nowMs);

    if (planner.forgetCount > 0 || planner.dropCount > 0) {
      const mask = this.removeMask;
      mask.fill(0);
      const base = object * records.capacity;
      const departed = this.population.departed;
      for (let k = 0; k < planner.forgetCount; k++) {
        const index = planner.forget[k];
        mask[index] = 1;
        if (departed[records.holders[base + index]] === 1) this.ledger.forgottenDeparted++;
        else this.ledger.forgottenLive++;
      }
      for (let k = 0; k < planner.dropCount; k++) mask[planner.drop[k]] = 1;
      this.ledger.dropped += planner.dropCount;
      records.removeMarked(object, mask);
      if (planner.forgetCount > 0) {
        const live = records.livePieces(object);
        if (live < this.needed) {
          this.markLost(object, true);
          return;
        }
        if (live - this.needed < this.surplusMin[object]) this.surplusMin[object] = live - this.needed;
      }
    }

    if (planner.action === RepairAction.repair) {
      const placed = this.placeNew(object, planner.pieces);
      if (placed < planner.pieces) this.counters.placementShortfalls++;
      this.counters.repairs++;
      this.ledger.createdByRepair += placed;
      this.counters.repairBytes += repairTransferBytes(this.options.redundancy, this.options.objectBytes, placed);
      this.trace.addInt(object);
      this.trace.addInt(placed);
    } else if (planner.action === RepairAction.blocked) {
      this.counters.blockedRepairs++;
      if (records.retryPending[object] === 0) {
        records.retryPending[object] = 1;
        this.push(this.nowMs + this.options.policy.retryIntervalMs, EventKind.retry, object, 0);
      }
    }
  }

  private markLost(object: number, byForgetting: boolean): void {
    this.records.lost[object] = 1;
    this.counters.lost++;
    if (byForgetting) this.counters.lostByForgetting++;
    this.trace.addInt(-1 - object);
  }

  private sampleAvailability(): void {
    const records = this.records;
    const samples = Math.min(this.options.availabilitySamplesPerHour, records.objects);
    for (let k = 0; k < samples; k++) {
      const object = randomBelow(this.sampleRandom, records.objects);
      this.counters.availabilitySamples++;
      if (records.lost[object] === 1 || records.onlinePieces(object) < this.needed) this.counters.unavailableSamples++;
    }
  }

  private reportProgress(): void {
    const progress = this.options.progress;
    if (progress === undefined) return;
    const c = this.counters;
    const days = Math.round(this.nowMs / (24 * HOUR_MS));
    progress(`${formatRedundancy(this.options.redundancy)} day ${days}: lost ${c.lost}, repairs ${c.repairs}, ` +
      `repair/permanent-only ${(c.repairBytes / Math.max(1, this.permanentOnlyBytes())).toFixed(3)}, departures ${c.departures}`);
  }

  /** The oracle baseline's bytes: each permanently lost piece re-created once, on its own. */
  permanentOnlyBytes(): number {
    return this.counters.permanentPiecesLost * repairTransferBytes(this.options.redundancy, this.options.objectBytes, 1);
  }

  /** Pieces on nodes that have not left, summed over objects not lost. */
  livePiecesOfSurvivors(): number {
    let total = 0;
    for (let object = 0; object < this.records.objects; object++) {
      if (this.records.lost[object] === 0) total += this.records.livePieces(object);
    }
    return total;
  }

  /**
   * How close objects came to loss: entry s counts the objects whose live pieces once fell to exactly
   * needed + s (the last entry: that many or more) and were not lost. Entry 0 holds objects one
   * departure away from loss — a far larger sample than the losses themselves.
   */
  closestToLoss(): number[] {
    const bins = new Array<number>(SURPLUS_BINS).fill(0);
    for (let object = 0; object < this.records.objects; object++) {
      if (this.records.lost[object] === 0) bins[this.surplusMin[object]]++;
    }
    return bins;
  }

  pieceBytes(): number {
    return pieceBytes(this.options.redundancy, this.options.objectBytes);
  }
}

/** Durations in whole milliseconds, at least 1, so time stays an exact integer. */
function wholeMs(durationMs: number): number {
  return Math.max(1, Math.round(durationMs));
}
