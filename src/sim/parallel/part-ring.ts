/**
 * A ring of records in shared memory with one writer thread and one reader thread: the channel
 * from one part of a split simulation to another (part-exchange.ts). Records vary in size and are
 * never split at the end of the buffer: one that does not fit there goes to the start, after a
 * marker (a zero length, or fewer than four bytes left) that sends the reader there too.
 *
 * The writer publishes a record by storing the new tail after writing its bytes, the reader frees
 * space by storing the new head after reading; both are Atomics operations, which order the plain
 * reads and writes of the bytes around them (the memory model of ECMAScript's shared memory).
 */
import type { CrossPartDelivery } from '../world.ts';
import { readRecord, writeRecord, type PeerDirectory } from './part-records.ts';

const Cursor = { head: 0, tail: 1 } as const;
/** Bytes before the data: head and tail offsets, each an Int32. */
const CURSOR_BYTES = 8;
/** What the smallest record takes, and so the least room that can hold a length. */
const LENGTH_BYTES = 4;

export function createRingBuffer(dataBytes: number): SharedArrayBuffer {
  return new SharedArrayBuffer(CURSOR_BYTES + dataBytes);
}

export class PartRing {
  private readonly cursors: Int32Array;
  private readonly view: DataView;
  private readonly size: number;

  constructor(buffer: SharedArrayBuffer) {
    this.cursors = new Int32Array(buffer, 0, 2);
    this.view = new DataView(buffer, CURSOR_BYTES);
    this.size = buffer.byteLength - CURSOR_BYTES;
  }

  /** Writes one record; false when the ring has no room for it now (the reader has yet to catch up). */
  tryWrite(delivery: CrossPartDelivery, peers: PeerDirectory): boolean {
    const head = Atomics.load(this.cursors, Cursor.head);
    const tail = this.cursors[Cursor.tail];
    // One byte always stays free, so that a full ring is not mistaken for an empty one.
    if (tail >= head) {
      const end = head === 0 ? this.size - 1 : this.size;
      const length = writeRecord(this.view, tail, end, delivery, peers);
      if (length >= 0) {
        Atomics.store(this.cursors, Cursor.tail, tail + length);
        return true;
      }
      if (head === 0) return false;
      // No room before the end: start again at 0, if the record fits before the head.
      const wrapped = writeRecord(this.view, 0, head - 1, delivery, peers);
      if (wrapped < 0) return false;
      if (this.size - tail >= LENGTH_BYTES) this.view.setUint32(tail, 0);
      Atomics.store(this.cursors, Cursor.tail, wrapped);
      return true;
    }
    const length = writeRecord(this.view, tail, head - 1, delivery, peers);
    if (length < 0) return false;
    Atomics.store(this.cursors, Cursor.tail, tail + length);
    return true;
  }

  /** Hands every record written so far to `receive`, then frees their room. */
  drain(peers: PeerDirectory, receive: (delivery: CrossPartDelivery) => void): void {
    const tail = Atomics.load(this.cursors, Cursor.tail);
    let head = this.cursors[Cursor.head];
    while (head !== tail) {
      if (this.size - head < LENGTH_BYTES || this.view.getUint32(head) === 0) {
        head = 0;
        continue;
      }
      const record = readRecord(this.view, head, peers);
      receive(record.delivery);
      head += record.length;
    }
    Atomics.store(this.cursors, Cursor.head, head);
  }

  /** Whether the writer has published records the reader has not read. */
  get pending(): boolean {
    return Atomics.load(this.cursors, Cursor.tail) !== this.cursors[Cursor.head];
  }
}
