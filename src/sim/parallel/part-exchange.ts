/**
 * How the parts of a split simulation (one per worker thread) trade messages and keep in time:
 * a ring in shared memory for each ordered pair of parts (part-ring.ts), and each part's clock.
 *
 * This is conservative synchronisation with lookahead (Chandy and Misra 1979; Fujimoto, CACM 1990).
 * A message between parts takes at least the lookahead L (node-partition.ts). A part publishes its
 * clock T once it has processed every event up to T and written every message those events sent;
 * every message it sends later leaves after T and so arrives after T + L. So another part may run
 * every event up to (the least clock it read from the others) + L, once it has read its rings.
 * Parts publish often (every GRAIN), so the fastest waits only when it is a whole lookahead ahead
 * of the slowest, and brief differences in load between parts cancel out instead of adding up at
 * every step, as they would if all parts met at a barrier after each lookahead.
 *
 * At the times the experiment checks whether its joins or lookups are done, all parts meet at a
 * barrier that also adds up one number from each (joins finished, lookups still running), so all
 * decide alike.
 *
 * Besides messages, the rings carry notices of finished joins (part-records.ts): the experiment
 * draws bootstraps and lookup origins from the nodes that have joined, in every part alike, so each
 * part must learn of every join, a fixed delay later that is at least the lookahead.
 */
import type { CrossPartDelivery } from '../world.ts';
import { isNotice, joinNotice, type PeerDirectory } from './part-records.ts';
import { createRingBuffer, PartRing } from './part-ring.ts';

/** The shared memory of a split run: made by the coordinator, handed to every part. */
export interface PartChannels {
  readonly parts: number;
  /** Clocks, the barrier, the abort flag and the sums. */
  readonly control: SharedArrayBuffer;
  /** The ring from part `from` to part `to` at index from * parts + to (null on the diagonal). */
  readonly rings: readonly (SharedArrayBuffer | null)[];
  /**
   * How long a waiting part busy-waits before it sleeps: long when every part has a core of its
   * own (a sleep costs a wake-up), short when parts share cores (a spinning part takes the core
   * from the one it waits for).
   */
  readonly spinsBeforeSleep: number;
}

/** What a part does through the exchange: a World, seen from here. */
export interface PartWorld extends PeerDirectory {
  readonly nowMs: number;
  runUntil(endMs: number): void;
  receiveFromPart(delivery: CrossPartDelivery): void;
}

/** Room in each ring; a writer that finds it full waits for the reader (reading its own rings meanwhile). */
export const RING_BYTES_DEFAULT = 8 * 2 ** 20;

const Control = { arrived: 0, generation: 1, aborted: 2, progress: 3, clocks: 4 } as const;
/** Busy-wait checks before sleeping, when each part has a core, and when parts share cores. */
export const SPINS_WITH_OWN_CORES = 200_000;
export const SPINS_WITH_SHARED_CORES = 100;
/** How long a sleeping part waits before it looks again (and whether the run was aborted). */
const SLEEP_MS = 50;

export function createPartChannels(parts: number, ringBytes = RING_BYTES_DEFAULT, spinsBeforeSleep = SPINS_WITH_OWN_CORES): PartChannels {
  // Clocks, then two alternating rows of sums (a part may reach the next checkpoint before the others read this one).
  const control = new SharedArrayBuffer(4 * (Control.clocks + parts + 2 * parts));
  const rings: (SharedArrayBuffer | null)[] = [];
  for (let from = 0; from < parts; from++) {
    for (let to = 0; to < parts; to++) rings.push(from === to ? null : createRingBuffer(ringBytes));
  }
  return { parts, control, rings, spinsBeforeSleep };
}

/** Marks a run aborted and wakes every waiting part; each then throws. */
export function abortParts(channels: PartChannels): void {
  const control = new Int32Array(channels.control);
  Atomics.store(control, Control.aborted, 1);
  Atomics.add(control, Control.generation, 1);
  Atomics.add(control, Control.progress, 1);
  Atomics.notify(control, Control.generation);
  Atomics.notify(control, Control.progress);
}

export class PartsAbortedError extends Error {
  constructor() {
    super('another part of the split run failed');
    this.name = 'PartsAbortedError';
  }
}

/** One part's end of the channels. */
export class PartExchange {
  readonly self: number;
  private readonly parts: number;
  private readonly control: Int32Array;
  private readonly spinsBeforeSleep: number;
  private readonly outbound: (PartRing | null)[] = [];
  private readonly inbound: (PartRing | null)[] = [];
  /** Deliveries read while this part waited to write (its world was busy): handed over next. */
  private readonly held: CrossPartDelivery[] = [];
  private checkpoints = 0;
  private lookaheadMs = 1;
  private grainMs = 1;
  /** Messages sent to other parts so far (for the run's report). */
  sent = 0;
  /** Called with each notice of a join in another part: the node, its generation, and when it becomes ready. */
  onJoinNotice: (node: number, generation: number, readyAtMs: number) => void = () => {};

  constructor(channels: PartChannels, self: number) {
    this.self = self;
    this.parts = channels.parts;
    this.control = new Int32Array(channels.control);
    this.spinsBeforeSleep = channels.spinsBeforeSleep;
    for (let other = 0; other < this.parts; other++) {
      const out = channels.rings[self * this.parts + other];
      const into = channels.rings[other * this.parts + self];
      this.outbound.push(out ? new PartRing(out) : null);
      this.inbound.push(into ? new PartRing(into) : null);
    }
  }

  /** Starts running at `nowMs` with the partition's lookahead; other parts may go on from here. */
  start(nowMs: number, lookaheadMs: number): void {
    if (!(lookaheadMs >= 1)) throw new RangeError(`the lookahead must be at least 1 ms, got ${lookaheadMs}`);
    this.lookaheadMs = lookaheadMs;
    this.grainMs = Math.max(1, Math.floor(lookaheadMs / 4));
    this.publish(nowMs);
  }

  /** Sends a message to a node of part `toPart`. */
  send(delivery: CrossPartDelivery, toPart: number, peers: PeerDirectory): void {
    const ring = this.outbound[toPart];
    if (ring === null || ring === undefined) throw new RangeError(`no ring from part ${this.self} to part ${toPart}`);
    this.write(ring, delivery, peers);
    this.sent++;
  }

  /**
   * Tells every other part that `node`, in its `generation`, finished its join and is ready at
   * `readyAtMs` (at least a lookahead from now; another part may not have started it yet).
   */
  announceJoin(node: number, generation: number, readyAtMs: number, peers: PeerDirectory): void {
    const notice = joinNotice(node, generation, readyAtMs);
    for (let other = 0; other < this.parts; other++) {
      if (other !== this.self) this.write(this.outbound[other] as PartRing, notice, peers);
    }
  }

  private write(ring: PartRing, delivery: CrossPartDelivery, peers: PeerDirectory): void {
    let spins = 0;
    while (!ring.tryWrite(delivery, peers)) {
      // The reader may itself be waiting to write to us: read our rings meanwhile, so it can.
      this.readInto(peers, (received) => this.held.push(received));
      spins = this.pause(spins);
    }
  }

  /** Runs `world` up to `targetMs`, as fast as the other parts' clocks allow. */
  runTo(targetMs: number, world: PartWorld): void {
    let spins = 0;
    while (world.nowMs < targetMs) {
      // Clocks first, rings second: every message sent before a clock was published is then read.
      let safeMs = Infinity;
      for (let other = 0; other < this.parts; other++) {
        if (other !== this.self) safeMs = Math.min(safeMs, Atomics.load(this.control, Control.clocks + other));
      }
      this.handOver(world);
      const limitMs = Math.min(safeMs + this.lookaheadMs, targetMs, world.nowMs + this.grainMs);
      if (limitMs > world.nowMs) {
        world.runUntil(limitMs);
        this.publish(limitMs);
        spins = 0;
      } else {
        spins = this.pause(spins);
      }
    }
    this.handOver(world);
  }

  /**
   * Meets every other part at the same simulated time and returns the sum of their `count`s; all
   * parts call it at the same times (the experiment's checkpoints). While it waits it keeps reading
   * its rings (handed to the world on the next run): a part still on its way to the checkpoint may
   * be waiting for room in one of them.
   */
  sumAtCheckpoint(count: number, peers: PeerDirectory): number {
    const row = Control.clocks + this.parts + (this.checkpoints & 1) * this.parts;
    Atomics.store(this.control, row + this.self, count);
    this.barrier(peers);
    let sum = 0;
    for (let part = 0; part < this.parts; part++) sum += Atomics.load(this.control, row + part);
    this.checkpoints++;
    return sum;
  }

  private publish(clockMs: number): void {
    if (clockMs > 0x7fff_ffff) throw new RangeError(`a split run's clock is kept in 31 bits: ${clockMs} ms is too late`);
    Atomics.store(this.control, Control.clocks + this.self, clockMs);
    Atomics.add(this.control, Control.progress, 1);
    Atomics.notify(this.control, Control.progress);
  }

  /** Gives the world what was held back, then everything in our inbound rings. */
  private handOver(world: PartWorld): void {
    if (this.held.length > 0) {
      for (const delivery of this.held) this.receive(delivery, world);
      this.held.length = 0;
    }
    this.readInto(world, (delivery) => this.receive(delivery, world));
  }

  private receive(delivery: CrossPartDelivery, world: PartWorld): void {
    if (isNotice(delivery)) this.onJoinNotice(delivery.from, delivery.order, delivery.atMs);
    else world.receiveFromPart(delivery);
  }

  private readInto(peers: PeerDirectory, receive: (delivery: CrossPartDelivery) => void): void {
    for (const ring of this.inbound) if (ring !== null && ring.pending) ring.drain(peers, receive);
  }

  /** One turn of waiting for another part: spin a while, then sleep until some part makes progress. */
  private pause(spins: number): number {
    if (Atomics.load(this.control, Control.aborted) !== 0) throw new PartsAbortedError();
    if (spins < this.spinsBeforeSleep) return spins + 1;
    Atomics.wait(this.control, Control.progress, Atomics.load(this.control, Control.progress), SLEEP_MS);
    return spins;
  }

  private barrier(peers: PeerDirectory): void {
    const control = this.control;
    const generation = Atomics.load(control, Control.generation);
    if (Atomics.load(control, Control.aborted) !== 0) throw new PartsAbortedError();
    if (Atomics.add(control, Control.arrived, 1) === this.parts - 1) {
      Atomics.store(control, Control.arrived, 0);
      Atomics.add(control, Control.generation, 1);
      Atomics.notify(control, Control.generation);
      return;
    }
    let spins = 0;
    while (Atomics.load(control, Control.generation) === generation) {
      this.readInto(peers, (received) => this.held.push(received));
      if (++spins > this.spinsBeforeSleep) Atomics.wait(control, Control.generation, generation, SLEEP_MS);
    }
    if (Atomics.load(control, Control.aborted) !== 0) throw new PartsAbortedError();
  }
}
