/**
 * Writes blocks to the store in batches, a batch or two in flight while the next one gathers, so
 * the caller's reading, hashing or fetching overlaps the writes and their fsyncs, and a batch costs
 * one pack and one index commit instead of a file and a commit per block
 * (docs/storage-blockstore.md, "put").
 *
 * `batchBytes` says when a batch is sent: the importer gathers 8 MiB (a chunker produces blocks
 * faster than the disk takes them); the fetcher sends whatever arrived while the previous write
 * ran (batchBytes 0), so a slow network never leaves a verified block waiting for company.
 */
import type { BlockInput, Blockstore, PutManyOptions } from '../storage/blockstore.ts';
import type { BlockSession } from '../storage/blockstore-session.ts';
import { Durability, syncsBeforeCommit } from '../storage/durability.ts';

/**
 * The durability a bulk write — an import (an add from disk or a stream), or a fetch — writes its
 * batches with. In a store whose puts are durable, 'deferred': each pack is fsynced in the
 * background and the index committed without a log sync, and the write ends with one
 * Blockstore.sync() (finishBulkWrite): its promise is kept when it ends, not batch by batch.
 * For an add, each batch's durable commit had cost the main thread 3–4 ms of log fsync; 1 GiB ran
 * at 702–718 MiB/s this way against 643–650 with a durable commit per batch (three alternating
 * pairs, 2026-11-28); a fetch ran at 157–174 MiB/s against 141–157. In a store that does not sync
 * (tests), the store's own.
 */
export function bulkWriteDurability(store: Blockstore): Durability | undefined {
  return syncsBeforeCommit(store.defaultDurability) ? Durability.deferred : undefined;
}

/** Makes what a bulk write wrote with bulkWriteDurability durable: what its caller awaits before it says the write is done. */
export async function finishBulkWrite(store: Blockstore, durability: Durability | undefined): Promise<void> {
  if (durability === Durability.deferred) await store.sync();
}

export interface BlockWriterOptions {
  /** A batch is sent once it holds this many bytes (0: at every add). */
  readonly batchBytes: number;
  /** The store's default when absent. */
  readonly durability?: Durability;
  /**
   * Batches being written at once (default 1). Two let one batch's fsyncs overlap the next one's
   * write: a durable 512 MiB add ran at 166–187 MiB/s with one, 247–267 with two batches of
   * 16 MiB (2026-11-27, alternating runs on a quiet machine).
   */
  readonly writesInFlightMax?: number;
  /**
   * Told the blocks of each batch once it is stored; their bytes are not used after it (the
   * store keeps nothing of them: PutManyOptions.bytesReused), so the caller may reuse that memory.
   */
  readonly onWritten?: (blocks: readonly BlockInput[]) => void;
}

export class BlockWriter {
  private readonly store: Blockstore;
  private readonly session: BlockSession;
  private readonly options: BlockWriterOptions;
  private pending: BlockInput[] = [];
  private pendingBytes = 0;
  private readonly writes = new Set<Promise<void>>();
  /** The error of a batch in flight, raised by the next add or flush (never left unhandled). */
  private failure: unknown = null;
  /** Blocks handed to the store so far. */
  blocks = 0;
  /** Batches handed to the store so far (one index commit each). */
  batches = 0;

  constructor(store: Blockstore, session: BlockSession, options: BlockWriterOptions) {
    this.store = store;
    this.session = session;
    this.options = options;
  }

  /**
   * Queues blocks whose CIDs the caller computed from these very bytes (the store does not hash
   * them again). Waits only when a full batch must wait for the one in flight.
   */
  async add(blocks: readonly BlockInput[]): Promise<void> {
    for (const block of blocks) {
      this.pending.push(block);
      this.pendingBytes += block.bytes.length;
    }
    if (this.pendingBytes >= this.options.batchBytes) await this.send();
  }

  /**
   * Waits for every block given so far to be stored; throws the first write's error. With `pin`,
   * the last batch is sent once every earlier one is stored, carrying the pin into its index
   * commit (PutManyOptions.pin): one durable commit less, and no pin if any batch failed.
   */
  async flush(pin?: PutManyOptions['pin']): Promise<void> {
    if (pin === undefined) {
      await this.send();
      await Promise.all(this.writes);
      if (this.failure !== null) throw this.failure;
      return;
    }
    await Promise.all(this.writes);
    if (this.failure !== null) throw this.failure;
    // Nothing left to send: the pin gets a commit of its own.
    if (this.pending.length === 0) {
      this.store.pin(pin.cid, pin);
      return;
    }
    await this.send(pin);
    await Promise.all(this.writes);
    if (this.failure !== null) throw this.failure;
  }

  private async send(pin?: PutManyOptions['pin']): Promise<void> {
    // At most writesInFlightMax batches in flight: wait for one to finish, and surface its error.
    const inFlightMax = Math.max(1, this.options.writesInFlightMax ?? 1);
    while (this.writes.size >= inFlightMax) await Promise.race(this.writes);
    if (this.failure !== null) throw this.failure;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.blocks += batch.length;
    this.batches++;
    // A long upload or fetch outlives a session's lifetime unless each batch renews it.
    this.session.renew();
    const onWritten = this.options.onWritten;
    const write: Promise<void> = this.store.putMany(batch, { session: this.session, cidsComputedFromBytes: true, durability: this.options.durability, pin, bytesReused: onWritten !== undefined }).then(
      () => onWritten?.(batch),
      (error: unknown) => {
        this.failure ??= error;
      },
    ).finally(() => this.writes.delete(write));
    this.writes.add(write);
  }
}
