/**
 * How the parts of a split simulation (one per worker thread) trade messages and keep in step:
 * shared memory, one mailbox per ordered pair of parts, and a barrier at the end of every step.
 *
 * A step runs every part up to the same simulated time. What a part sends to another during a
 * step arrives at least the lookahead later (node-partition.ts), so after the step, not during it:
 * each part writes those messages into its mailbox for the other, all meet at the barrier, and each
 * reads its inbound mailboxes before starting the next step. Mailboxes alternate between two halves
 * by step, so a part may fill one half while the other part still reads the half of the step before.
 * The barrier also adds up one number from every part (lookups still running), so all parts decide
 * alike when the run is over.
 */
import type { CrossPartDelivery } from '../world.ts';
import { readRecord, writeRecord, type PeerDirectory } from './part-records.ts';

/** The shared memory of a split run: made by the coordinator, handed to every part. */
export interface PartChannels {
  readonly parts: number;
  /** Barrier, abort flag and the per-step sums. */
  readonly control: SharedArrayBuffer;
  /** Mailbox from part `from` to part `to` at index from * parts + to (null on the diagonal). */
  readonly mailboxes: readonly (SharedArrayBuffer | null)[];
}

/** What one step may carry from one part to another; a larger step fails the run with a clear error. */
export const MAILBOX_BYTES_DEFAULT = 16 * 2 ** 20;

const Control = { arrived: 0, generation: 1, aborted: 2, sums: 3 } as const;
/** Busy-wait this many checks before sleeping at the barrier: a step is short, a sleep costs a wake-up. */
const SPINS_BEFORE_SLEEP = 2_000_000;
/** How often a part asleep at the barrier looks whether the run was aborted. */
const ABORT_CHECK_MS = 200;

export function createPartChannels(parts: number, mailboxBytes = MAILBOX_BYTES_DEFAULT): PartChannels {
  const control = new SharedArrayBuffer(4 * (Control.sums + 2 * parts));
  const mailboxes: (SharedArrayBuffer | null)[] = [];
  for (let from = 0; from < parts; from++) {
    for (let to = 0; to < parts; to++) mailboxes.push(from === to ? null : new SharedArrayBuffer(2 * mailboxBytes));
  }
  return { parts, control, mailboxes };
}

/** Marks a run aborted and wakes every part waiting at the barrier; each then throws. */
export function abortParts(channels: PartChannels): void {
  const control = new Int32Array(channels.control);
  Atomics.store(control, Control.aborted, 1);
  Atomics.add(control, Control.generation, 1);
  Atomics.notify(control, Control.generation);
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
  /** Outbound mailbox views by destination part (null for ourselves). */
  private readonly outbound: (DataView | null)[] = [];
  private readonly inbound: (DataView | null)[] = [];
  private readonly halfBytes: number;
  /** Bytes written in the current half of each outbound mailbox. */
  private readonly written: number[];
  private step = 0;
  /** Messages sent to other parts so far (for the run's report). */
  sent = 0;

  constructor(channels: PartChannels, self: number) {
    this.self = self;
    this.parts = channels.parts;
    this.control = new Int32Array(channels.control);
    let halfBytes = Infinity;
    for (let other = 0; other < this.parts; other++) {
      const out = channels.mailboxes[self * this.parts + other];
      const into = channels.mailboxes[other * this.parts + self];
      this.outbound.push(out ? new DataView(out) : null);
      this.inbound.push(into ? new DataView(into) : null);
      if (out) halfBytes = Math.min(halfBytes, out.byteLength / 2);
    }
    this.halfBytes = halfBytes;
    this.written = new Array<number>(this.parts).fill(4);
  }

  /** Queues a message for its part; it goes out at the end of the step. */
  send(delivery: CrossPartDelivery, toPart: number, peers: PeerDirectory): void {
    const view = this.outbound[toPart];
    if (view === null || view === undefined) throw new RangeError(`no mailbox from part ${this.self} to part ${toPart}`);
    const half = (this.step & 1) * this.halfBytes;
    const at = this.written[toPart];
    const length = writeRecord(view, half + at, half + this.halfBytes, delivery, peers);
    if (length < 0) {
      throw new RangeError(`part ${this.self} sent more than ${this.halfBytes} bytes to part ${toPart} in one step; the mailboxes are too small for this run`);
    }
    this.written[toPart] = at + length;
    this.sent++;
  }

  /**
   * Ends the step: publishes what was sent and this part's `count`, waits for every part, hands
   * each message that arrived to `receive` and returns the sum of all parts' counts.
   */
  endStep(count: number, peers: PeerDirectory, receive: (delivery: CrossPartDelivery) => void): number {
    const parity = this.step & 1;
    const half = parity * this.halfBytes;
    for (let other = 0; other < this.parts; other++) {
      const view = this.outbound[other];
      if (view) view.setUint32(half, this.written[other]);
    }
    Atomics.store(this.control, Control.sums + parity * this.parts + this.self, count);
    this.barrier();
    for (let other = 0; other < this.parts; other++) {
      const view = this.inbound[other];
      if (view === null || view === undefined) continue;
      const end = half + view.getUint32(half);
      for (let offset = half + 4; offset < end;) {
        const record = readRecord(view, offset, peers);
        receive(record.delivery);
        offset += record.length;
      }
    }
    let sum = 0;
    for (let part = 0; part < this.parts; part++) sum += Atomics.load(this.control, Control.sums + parity * this.parts + part);
    this.step++;
    // The half written next was read by the other parts before they reached this barrier.
    this.written.fill(4);
    return sum;
  }

  private barrier(): void {
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
      if (++spins > SPINS_BEFORE_SLEEP) Atomics.wait(control, Control.generation, generation, ABORT_CHECK_MS);
    }
    if (Atomics.load(control, Control.aborted) !== 0) throw new PartsAbortedError();
  }
}
