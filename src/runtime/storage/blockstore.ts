/**
 * The local blockstore (issue 4): content-addressed blocks in pack files, an SQLite index beside
 * them. docs/storage-blockstore.md gives the layout, the crash-consistency argument, the gc rule
 * and fsck; this file orders the steps.
 *
 * A put: check the CID and hash the bytes (a mismatch is refused before anything is written);
 * allocate a pack in the index ('writing'); write the blocks the store lacks as one pack file in
 * tmp/, fsync it, rename it into packs/ and fsync packs/ (as the durability mode says); then one
 * transaction indexes the blocks where their bytes are and makes the pack live. A get reads the
 * block's bytes from its pack and hashes them: bad bytes are never returned — a copy goes to
 * quarantine/, the row is dropped and the caller gets a BlockCorruptError, so it can fetch the
 * block again elsewhere. Deletions drop rows; a pack with nothing live left is removed, and gc
 * compacts packs that are mostly dead (pack-compaction.ts).
 *
 * Concurrency in the process: puts run side by side, holding a shared gate; deletions, gc,
 * quarantine and fsck hold it exclusively (shared-exclusive-gate.ts). Two puts of the same block
 * do not write it twice: the second waits for the first. Another process cannot open the store
 * (block-index-schema.ts).
 */
import type { CID } from 'multiformats/cid';
import { join } from 'node:path';
import { forEachLimited } from './parallel.ts';
import { AccessRecorder } from './access-recorder.ts';
import { BlockCodecs, blockKeyOf, blockProblem, cidFromDigest, parseCid, type BlockKey } from './block-cid.ts';
import { BlockIndex, type BlockLocation, type IndexedPut, type LocatedPut, type PinRequest, type Usage } from './block-index.ts';
import { openIndexDatabase } from './block-index-schema.ts';
import { ensureLayout, fsyncDirectory, fsyncFileIfPresent, LayoutNames, packPath, temporaryDir } from './block-layout.ts';
import { fsck, recover, type FsckOptions, type FsckReport, type RecoveryReport } from './blockstore-check.ts';
import { sha256 } from './sha256.ts';
import type { StoreParts } from './store-parts.ts';
import {
  BlockCorruptError,
  BlockMismatchError,
  BlockNotFoundError,
  BlockPinnedError,
  BlockstoreArgumentError,
  BlockstoreClosedError,
  BlockTooLargeError,
} from './blockstore-errors.ts';
import { BlockstoreLimits, GC_GRACE_MS_DEFAULT, LOCAL_OWNER } from './blockstore-limits.ts';
import { BlockSession } from './blockstore-session.ts';
import { BlockArrivals } from './block-arrivals.ts';
import { Durability, isDurability, syncsBeforeCommit } from './durability.ts';
import { DirectWrites } from './direct-writes.ts';
import { migrateLooseBlocks } from './loose-block-migration.ts';
import { compactSparsePacks } from './pack-compaction.ts';
import { removePacksNow } from './pack-removal.ts';
import { packFileSize, removePackFile, writePackFile } from './pack-files.ts';
import { PackReaders } from './pack-readers.ts';
import { writeQuarantineCopy } from './quarantine.ts';
import { SharedExclusiveGate } from './shared-exclusive-gate.ts';

export { Durability } from './durability.ts';
export type { FsckOptions, FsckReport, RecoveryReport } from './blockstore-check.ts';
export type { Usage } from './block-index.ts';
export { BlockSession } from './blockstore-session.ts';

/** Direct writes in pieces of 8 MiB, at most four at once (an add writes four batches at once; others wait): 32 MiB of buffers at most. */
const DIRECT_WRITES = { pieceBytes: 8 << 20, buffersMax: 4 } as const;

export interface BlockstoreOptions {
  /** The default durability of puts (block-files.ts); 'batch' unless given. */
  readonly durability?: Durability;
  /** Wall-clock milliseconds since 1970, for added/accessed times, sessions and gc's grace. Tests inject one. */
  readonly nowUnixMs?: () => number;
  /** A deletion compacts once the mostly dead packs hold this many dead bytes (BlockstoreLimits.compactionDeadBytesMin unless given). */
  readonly compactAfterDeadBytes?: number;
  /** Large packs written around the page cache where the file system allows (direct-writes.ts); true unless false. */
  readonly directWrites?: boolean;
}

export interface PutOptions {
  /** The blocks this block links to (the DAG layer parses manifests; the store records the edges for gc). */
  readonly links?: readonly CID[];
  /** Whom the block is stored for: LOCAL_OWNER (default) or a peer's id, for quotas. */
  readonly owner?: string;
  readonly durability?: Durability;
  /** Protects the block from gc until the session ends. */
  readonly session?: BlockSession;
}

export interface BlockInput {
  readonly cid: CID;
  /** Not to be modified until the put has resolved (it is hashed first and written later). */
  readonly bytes: Uint8Array;
  readonly links?: readonly CID[];
}

export interface PutManyOptions extends Omit<PutOptions, 'links'> {
  /**
   * Skip hashing: the caller computed every CID from these very bytes, or checked these very bytes
   * against their CIDs, in this process, just now (the content importer, whose DAG builders hash
   * each block once; the grid fetcher, which hashes each block it receives before it decides
   * whether to penalise the sender). Never for bytes nobody here has hashed yet.
   */
  readonly cidsComputedFromBytes?: boolean;
  /**
   * Pins this block (named, recursive unless said otherwise) in the index commit of the call's last
   * batch, once every earlier batch is stored: a put and its pin cost one fsync of the index's log,
   * not two, and a put that fails leaves no pin. It need not be one of the blocks put.
   */
  readonly pin?: { readonly cid: CID } & PinOptions;
  /**
   * The caller reuses the blocks' memory once the call has resolved (an import's read buffers):
   * nothing of it may be kept past that — a reader waiting for one of these blocks gets a copy.
   */
  readonly bytesReused?: boolean;
}

export interface PutResult {
  /** Blocks whose file was written (new ones, and ones whose file was lost and is now repaired). */
  readonly written: number;
  /** Blocks that were already stored: only their access time was refreshed. */
  readonly existing: number;
  readonly bytesWritten: number;
}

export interface PinOptions {
  /** Keep everything reachable through links too (default true, as kubo's `pin add`). */
  readonly recursive?: boolean;
  /** Pins are per name: several users or contracts may pin one block, and unpin only their own. */
  readonly name?: string;
}

/** Packs fsynced at once by sync(): a few, so the disk queue has work without a thread per pack. */
const PACK_SYNCS_AT_ONCE = 4;

export interface PinInfo {
  readonly cid: CID;
  readonly name: string;
  readonly recursive: boolean;
  readonly pinnedAtMs: number;
}

export interface BlockStat {
  readonly cid: CID;
  readonly size: number;
  readonly owner: string;
  readonly addedAtMs: number;
  readonly accessedAtMs: number;
}

export interface GcOptions {
  /** Blocks put or read less than this long ago are kept (default GC_GRACE_MS_DEFAULT). */
  readonly graceMs?: number;
}

export interface GcReport {
  readonly blocksRemoved: number;
  readonly bytesRemoved: number;
  /** Blocks that stay. */
  readonly blocksKept: number;
  /** Mostly dead packs whose live blocks were rewritten into new packs. */
  readonly packsCompacted: number;
  /** File bytes given back to the disk: packs removed whole, and what compaction saved. */
  readonly diskBytesFreed: number;
}

interface PreparedBlock {
  readonly key: BlockKey;
  readonly bytes: Uint8Array;
  readonly links: Uint8Array[];
}

export class Blockstore {
  /** The store's directory. */
  readonly dir: string;
  /** What the recovery at open found (a crash's leftovers, settled). */
  readonly recovery: RecoveryReport;
  private readonly index: BlockIndex;
  private readonly nowUnixMs: () => number;
  private readonly durability: Durability;
  private readonly compactAfterDeadBytes: number;
  private readonly gate = new SharedExclusiveGate();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Packs written without fsync (durability 'none' or 'deferred') and not synced since: sync() makes them durable. */
  private readonly unsyncedPacks = new Set<number>();
  /** Deferred puts' packs being fsynced in the background. */
  private readonly backgroundSyncs = new Set<Promise<void>>();
  /** Index commits made without a log sync for puts that sync() must make durable. */
  private logUnsynced = false;
  /** Readers waiting for blocks a fetch is bringing (waitForBlock). */
  private readonly arrivals = new BlockArrivals(BlockstoreLimits.arrivalsKeptBytesMax);
  private readonly accesses: AccessRecorder;
  private readonly readers: PackReaders;
  private readonly direct: DirectWrites | null;
  private closed = false;

  private constructor(
    dir: string, index: BlockIndex, readers: PackReaders, recovery: RecoveryReport, options: BlockstoreOptions, nowUnixMs: () => number, direct: DirectWrites | null,
  ) {
    this.dir = dir;
    this.index = index;
    this.readers = readers;
    this.direct = direct;
    this.recovery = recovery;
    this.nowUnixMs = nowUnixMs;
    this.durability = options.durability ?? Durability.batch;
    this.compactAfterDeadBytes = options.compactAfterDeadBytes ?? BlockstoreLimits.compactionDeadBytesMin;
    this.accesses = new AccessRecorder(
      { flushIntervalMs: BlockstoreLimits.accessFlushIntervalMs, pendingMax: BlockstoreLimits.accessPendingMax },
      (pending) => this.index.recordAccesses(pending),
      nowUnixMs(),
    );
  }

  /**
   * Opens (creating if needed) the store in `dir`, takes its lock (BlockstoreLockedError if another
   * process or open store has it) and runs the cheap recovery: tmp/ emptied, packs an interrupted
   * put or removal left behind removed. A store of layout version 1 (a file per block) has its
   * blocks moved into packs first.
   */
  static async open(dir: string, options: BlockstoreOptions = {}): Promise<Blockstore> {
    if (options.durability !== undefined && !isDurability(options.durability)) throw new BlockstoreArgumentError(`unknown durability ${String(options.durability)}`);
    const nowUnixMs = options.nowUnixMs ?? Date.now;
    await ensureLayout(dir);
    const index = new BlockIndex(await openIndexDatabase(dir));
    const readers = new PackReaders(dir, BlockstoreLimits.openPacksMax);
    try {
      const recovery = await recover({ root: dir, index, readers, nowUnixMs, direct: null });
      const direct = options.directWrites === false ? null : await DirectWrites.open(temporaryDir(dir), DIRECT_WRITES);
      const migrated = await migrateLooseBlocks({ root: dir, index, readers, nowUnixMs, direct });
      return new Blockstore(dir, index, readers, { ...recovery, migrated }, options, nowUnixMs, direct);
    } catch (error) {
      await readers.closeAll();
      index.close();
      throw error;
    }
  }

  // Writing.

  /** Stores one block. Idempotent: a block already stored only gets a new access time (and any new links, owner or session). */
  async put(cid: CID, bytes: Uint8Array, options: PutOptions = {}): Promise<PutResult> {
    return this.putMany([{ cid, bytes, links: options.links }], options);
  }

  /**
   * Stores many blocks with one index transaction per BlockstoreLimits.blocksPerBatchMax blocks.
   * Every block is checked before anything is written: one bad block refuses the whole call.
   */
  async putMany(blocks: readonly BlockInput[], options: PutManyOptions = {}): Promise<PutResult> {
    this.checkOpen();
    const durability = options.durability ?? this.durability;
    if (!isDurability(durability)) throw new BlockstoreArgumentError(`unknown durability ${String(durability)}`);
    const owner = checkOwner(options.owner ?? LOCAL_OWNER);
    if (options.session !== undefined && !options.session.open) throw new BlockstoreArgumentError(`session ${options.session.id} is closed or expired`);
    const pin = options.pin === undefined ? undefined : this.pinRequest(options.pin.cid, options.pin);
    const prepared = prepareBlocks(blocks, options.cidsComputedFromBytes === true);
    let total: PutResult = { written: 0, existing: 0, bytesWritten: 0 };
    for (let start = 0; start < prepared.length; start += BlockstoreLimits.blocksPerBatchMax) {
      const batch = prepared.slice(start, start + BlockstoreLimits.blocksPerBatchMax);
      const last = start + BlockstoreLimits.blocksPerBatchMax >= prepared.length;
      const result = await this.gate.shared(() => this.putBatch(batch, owner, durability, options.session, last ? pin : undefined, options.bytesReused === true));
      total = addResults(total, result);
    }
    if (prepared.length === 0 && pin !== undefined) this.index.pin(pin, this.nowUnixMs());
    return total;
  }

  /**
   * Stores a stream of blocks (a chunker's output), in batches of at most blocksPerBatchMax
   * blocks or batchBytesMax bytes, so memory stays bounded and each batch is one commit.
   */
  async putAll(source: AsyncIterable<BlockInput> | Iterable<BlockInput>, options: PutManyOptions = {}): Promise<PutResult> {
    let total: PutResult = { written: 0, existing: 0, bytesWritten: 0 };
    let batch: BlockInput[] = [];
    let batchBytes = 0;
    for await (const block of source) {
      batch.push(block);
      batchBytes += block.bytes?.length ?? 0;
      if (batch.length >= BlockstoreLimits.blocksPerBatchMax || batchBytes >= BlockstoreLimits.batchBytesMax) {
        total = addResults(total, await this.putMany(batch, options));
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) total = addResults(total, await this.putMany(batch, options));
    return total;
  }

  private async putBatch(batch: readonly PreparedBlock[], owner: string, durability: Durability, session: BlockSession | undefined, pin?: PinRequest, bytesReused = false): Promise<PutResult> {
    // A put of a block another put is writing waits for it, then finds the block stored.
    for (;;) {
      const busy = batch.map((block) => this.inFlight.get(block.key.hex)).filter((promise) => promise !== undefined);
      if (busy.length === 0) break;
      await Promise.allSettled(busy);
    }
    let finish = (): void => undefined;
    const done = new Promise<void>((resolve) => (finish = resolve));
    for (const block of batch) this.inFlight.set(block.key.hex, done);
    try {
      this.checkOpen();
      // A stored block is trusted if its pack is there and long enough (one stat per pack); otherwise the put repairs it.
      const toWrite: PreparedBlock[] = [];
      const existing: PreparedBlock[] = [];
      const existingUnsynced = new Set<number>();
      const packSizes = new Map<number, number | undefined>();
      for (const block of batch) {
        const location = this.index.location(block.key.digest);
        const intact = location !== undefined && location.size === block.bytes.length && (await this.packHolds(location, packSizes));
        (intact ? existing : toWrite).push(block);
        if (intact && this.unsyncedPacks.has(location.pack)) existingUnsynced.add(location.pack);
      }
      // A durable put keeps its promise for the blocks it found here too: any of them written
      // without fsync (a fetch's, before its end) is made durable first.
      if (syncsBeforeCommit(durability) && existingUnsynced.size > 0) await this.syncPacks([...existingUnsynced]);
      // Their rows may sit in a part of the index's log not yet synced: this commit then syncs it.
      const durable = syncsBeforeCommit(durability) && (toWrite.length > 0 || (existing.length > 0 && this.logUnsynced));
      const sessionId = session?.open ? session.id : undefined;
      if (toWrite.length === 0) {
        this.index.commitPuts([], existing.map((block) => indexedPut(block, owner)), undefined, sessionId, this.nowUnixMs(), durable, pin);
        return { written: 0, existing: existing.length, bytesWritten: 0 };
      }
      const id = this.index.beginPack(this.nowUnixMs());
      let emptied: number[];
      try {
        const pack = await writePackFile(this.dir, id, toWrite.map((block) => ({ digest: block.key.digest, codec: block.key.codec, bytes: block.bytes })), syncsBeforeCommit(durability), this.direct);
        const located: LocatedPut[] = toWrite.map((block, index) => ({ ...indexedPut(block, owner), offset: pack.offsets[index] }));
        try {
          emptied = this.index.commitPuts(located, existing.map((block) => indexedPut(block, owner)), { id, bytes: pack.bytes }, sessionId, this.nowUnixMs(), durable, pin);
        } catch (error) {
          await removePackFile(this.dir, id).catch(() => false);
          throw error;
        }
      } catch (error) {
        // Nothing of this put is indexed; its pack row goes (recovery would remove it otherwise).
        try {
          this.index.abandonPack(id);
        } catch {
          // The index is failing too: recovery at the next open removes the pack.
        }
        throw error;
      }
      if (!syncsBeforeCommit(durability)) {
        this.unsyncedPacks.add(id);
        this.logUnsynced = true;
      }
      if (durability === Durability.deferred) this.syncInBackground(id);
      this.arrivals.stored(toWrite.map((block) => ({ hex: block.key.hex, bytes: block.bytes })), bytesReused);
      await this.removePacks(emptied);
      const bytesWritten = toWrite.reduce((sum, block) => sum + block.bytes.length, 0);
      return { written: toWrite.length, existing: existing.length, bytesWritten };
    } finally {
      for (const block of batch) if (this.inFlight.get(block.key.hex) === done) this.inFlight.delete(block.key.hex);
      finish();
    }
  }

  /**
   * Makes every block put so far durable, those put with durability 'none' too: their packs and
   * packs/ are fsynced, then the index's log (a FULL checkpoint). What a fetch calls once it has
   * everything (content-fetcher.ts): its batches go unsynced, and the fetch is durable when it ends.
   */
  async sync(): Promise<void> {
    this.checkOpen();
    // The background fsyncs of deferred puts first: a failed one leaves its pack unsynced, for below.
    await Promise.allSettled(this.backgroundSyncs);
    if (this.unsyncedPacks.size === 0 && !this.logUnsynced) return;
    if (this.unsyncedPacks.size > 0) await this.syncPacks([...this.unsyncedPacks]);
    this.index.checkpointDurably();
    this.logUnsynced = false;
  }

  /** The durability of puts that name none (BlockstoreOptions.durability). */
  get defaultDurability(): Durability {
    return this.durability;
  }

  /** Packs put without fsync and not yet synced (a deferred put's until its background fsync ends). */
  get packsUnsynced(): number {
    return this.unsyncedPacks.size;
  }

  /** A deferred put's pack, fsynced while the caller goes on; sync() waits for it. */
  private syncInBackground(id: number): void {
    const syncing: Promise<void> = this.syncPacks([id]).catch(() => undefined).finally(() => this.backgroundSyncs.delete(syncing));
    this.backgroundSyncs.add(syncing);
  }

  /** Fsyncs these packs (one gone meanwhile, removed or compacted away, needs nothing) and packs/. */
  private async syncPacks(ids: readonly number[]): Promise<void> {
    await forEachLimited(ids, PACK_SYNCS_AT_ONCE, (id) => fsyncFileIfPresent(packPath(this.dir, id)));
    await fsyncDirectory(join(this.dir, LayoutNames.packs));
    for (const id of ids) this.unsyncedPacks.delete(id);
  }

  // Reading.

  /**
   * The block's bytes, verified against its CID. Throws BlockNotFoundError if the store does not
   * have it, BlockCorruptError if its file did not verify (the file is then quarantined and the
   * block no longer stored: fetch it again).
   */
  async get(cid: CID): Promise<Uint8Array> {
    this.checkOpen();
    const key = blockKeyOf(cid);
    const location = this.index.location(key.digest);
    if (location === undefined) throw new BlockNotFoundError(key.canonical);
    const bytes = await this.readers.read(location.pack, location.offset, location.size);
    if (bytes === undefined || blockProblem(key.digest, bytes, location.size) !== undefined) return this.gate.exclusive(() => this.recheck(key));
    this.accesses.record(key.hex, key.digest, this.nowUnixMs());
    return plainBytes(bytes);
  }

  /**
   * A get found the bytes missing or bad. With writes held off, look again (a put may have just
   * repaired the block, or the pack's file may have been replaced): if the pack is still missing
   * drop the row, if the bytes are still bad copy them to quarantine/ and drop the row.
   */
  private async recheck(key: BlockKey): Promise<Uint8Array> {
    this.checkOpen();
    const location = this.index.location(key.digest);
    if (location === undefined) throw new BlockNotFoundError(key.canonical);
    await this.readers.forget(location.pack);
    const bytes = await this.readers.read(location.pack, location.offset, location.size);
    if (bytes === undefined) {
      await this.dropRows([key.digest]);
      throw new BlockNotFoundError(key.canonical, 'its pack file was missing; the index entry was dropped');
    }
    const problem = blockProblem(key.digest, bytes, location.size);
    if (problem === undefined) return plainBytes(bytes);
    const quarantinedAs = await writeQuarantineCopy(this.dir, key.hex, bytes, this.nowUnixMs());
    await this.dropRows([key.digest]);
    throw new BlockCorruptError(key.canonical, problem, quarantinedAs);
  }

  /**
   * Where the block's bytes are on disk: its pack file, the offset of its first byte, its size
   * (for fsck tools, debugging and tests); undefined if it is not stored.
   */
  where(cid: CID): { readonly path: string; readonly offset: number; readonly size: number } | undefined {
    this.checkOpen();
    const location = this.index.location(blockKeyOf(cid).digest);
    return location === undefined ? undefined : { path: packPath(this.dir, location.pack), offset: location.offset, size: location.size };
  }

  /** Whether the index lists the block (get() is what verifies it). */
  has(cid: CID): boolean {
    this.checkOpen();
    return this.index.size(blockKeyOf(cid).digest) !== undefined;
  }

  /** Packs written around the page cache since the store opened (direct-writes.ts); null when its file system does not take direct writes. */
  get packsWrittenDirectly(): number | null {
    return this.direct?.filesWritten ?? null;
  }

  /**
   * A reader of content being fetched starts (block-arrivals.ts): blocks stored from now on are
   * kept in memory for it until it takes them (takeArrived). Call the function returned when it
   * ends.
   */
  watchArrivals(): () => void {
    return this.arrivals.watch();
  }

  /** A block stored since a reader began to watch and not yet read, as it was put (checked against its CID then); undefined otherwise. */
  takeArrived(cid: CID): Uint8Array | undefined {
    const key = blockKeyOf(cid);
    const bytes = this.arrivals.take(key.hex);
    if (bytes !== undefined) this.accesses.record(key.hex, key.digest, this.nowUnixMs());
    return bytes;
  }

  /**
   * The block `cid`, waiting until it is stored if it is not here — read (and verified) at once if
   * it is; as it was put if it comes, those bytes having been checked against their CID before
   * (block-arrivals.ts) — or until `until` (the fetch that would bring it) settles first: then
   * null if it was fulfilled, its error if it failed.
   */
  async awaitBlock(cid: CID, until: Promise<unknown>): Promise<Uint8Array | null> {
    if (this.has(cid)) return this.get(cid);
    const key = blockKeyOf(cid);
    const bytes = await this.arrivals.wait(key.hex, until);
    if (bytes !== null) this.accesses.record(key.hex, key.digest, this.nowUnixMs());
    return bytes;
  }

  /** The block's size in bytes, or undefined if it is not stored. */
  size(cid: CID): number | undefined {
    this.checkOpen();
    return this.index.size(blockKeyOf(cid).digest);
  }

  stat(cid: CID): BlockStat | undefined {
    this.checkOpen();
    const key = blockKeyOf(cid);
    const row = this.index.row(key.digest);
    if (row === undefined) return undefined;
    const pendingAtMs = this.accesses.pendingAtMs(key.hex) ?? 0;
    return {
      cid: cidFromDigest(row.codec, row.digest),
      size: row.size,
      owner: row.owner,
      addedAtMs: row.addedAtMs,
      accessedAtMs: Math.max(row.accessedAtMs, pendingAtMs),
    };
  }

  /** Every stored block's CID (under the codec it was first put with), in digest order. */
  *cids(): Generator<CID> {
    let after: Uint8Array | undefined;
    for (;;) {
      this.checkOpen();
      const page = this.index.page(after);
      if (page.length === 0) return;
      after = page[page.length - 1].digest;
      for (const row of page) yield cidFromDigest(row.codec, row.digest);
    }
  }

  /** Blocks and bytes stored for an owner (LOCAL_OWNER or a peer id), or in all. */
  usage(owner?: string): Usage {
    this.checkOpen();
    return this.index.usage(owner === undefined ? undefined : checkOwner(owner));
  }

  /**
   * The blocks this one links to, as its put recorded them (for export and pinning walks). A child
   * that is not stored here keeps its link but has no known codec: it is named as a raw block.
   */
  links(cid: CID): CID[] {
    this.checkOpen();
    return this.index.children(blockKeyOf(cid).digest).map((child) => cidFromDigest(child.codec ?? BlockCodecs.raw, child.digest));
  }

  /**
   * Records the links of a block stored without them — a copy a peer placed here, a cache push:
   * those come as bytes alone, and sealed bytes cannot be read without the key. A fetch that walks
   * the block with its key records them, so that gc from a recursive pin, an export and placement
   * reach what is under it. Links already recorded stay; a block not stored is left alone.
   */
  addLinks(cid: CID, links: readonly CID[]): void {
    this.checkOpen();
    if (links.length === 0) return;
    this.index.addLinks(blockKeyOf(cid).digest, links.map((link) => blockKeyOf(link).digest));
  }

  /** Derived reference counts: stored blocks that link to this one, and pins on it. */
  references(cid: CID): { readonly parents: number; readonly pins: number } {
    this.checkOpen();
    return this.index.references(blockKeyOf(cid).digest);
  }

  // Deleting.

  /** Removes a block; false if it was not stored. Throws BlockPinnedError if a pin keeps it. */
  async delete(cid: CID): Promise<boolean> {
    this.checkOpen();
    const key = blockKeyOf(cid);
    return this.gate.exclusive(async () => {
      this.checkOpen();
      if (this.index.size(key.digest) === undefined) return false;
      const pin = this.index.pinnedBy(key.digest);
      if (pin !== undefined) throw new BlockPinnedError(key.canonical, pin.direct ? `pin "${pin.name}"` : `recursive pin "${pin.name}" on ${pin.cid}`);
      await this.dropRows([key.digest]);
      await this.compactIfWorthIt();
      return true;
    });
  }

  // Pins.

  /** Pins a block (which need not be stored yet: pinning a root first protects a fetch in progress). */
  pin(cid: CID, options: PinOptions = {}): void {
    this.checkOpen();
    this.index.pin(this.pinRequest(cid, options), this.nowUnixMs());
  }

  private pinRequest(cid: CID, options: PinOptions): PinRequest {
    const key = blockKeyOf(cid);
    return { digest: key.digest, name: checkPinName(options.name ?? ''), recursive: options.recursive ?? true, cid: key.canonical };
  }

  /** Removes the block's pin of that name, or all its pins if no name is given; returns how many. */
  unpin(cid: CID, options: { readonly name?: string } = {}): number {
    return this.unpinMany([cid], options);
  }

  /** unpin for each of `cids`, committed together; returns how many pins were removed. */
  unpinMany(cids: readonly CID[], options: { readonly name?: string } = {}): number {
    this.checkOpen();
    const digests = cids.map((cid) => blockKeyOf(cid).digest);
    return this.index.unpinMany(digests, options.name === undefined ? undefined : checkPinName(options.name));
  }

  /** Every pin, or only those named `options.name`. */
  listPins(options: { readonly name?: string } = {}): PinInfo[] {
    this.checkOpen();
    return this.index.pins(options.name === undefined ? undefined : checkPinName(options.name)).map((pin) => ({ cid: storedCid(pin.cid, pin.digest), name: pin.name, recursive: pin.recursive, pinnedAtMs: pin.pinnedAtMs }));
  }

  /** Opens a session: blocks put through it are not collected until it is closed or expires. */
  openSession(options: { readonly ttlMs?: number } = {}): BlockSession {
    this.checkOpen();
    return new BlockSession({ index: () => this.openIndex(), nowUnixMs: this.nowUnixMs }, options.ttlMs);
  }

  // Maintenance.

  /**
   * Mark and sweep. Kept: pinned blocks; blocks reachable through links from a recursive pin or
   * from a block of an open session; blocks put or read within the grace period. Everything else
   * is removed, rows first (one transaction), then files.
   */
  async gc(options: GcOptions = {}): Promise<GcReport> {
    this.checkOpen();
    const graceMs = options.graceMs ?? GC_GRACE_MS_DEFAULT;
    if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new BlockstoreArgumentError(`graceMs must be a non-negative integer, not ${graceMs}`);
    return this.gate.exclusive(async () => {
      this.checkOpen();
      const nowMs = this.nowUnixMs();
      this.accesses.flush(nowMs);
      const swept = this.index.sweep(nowMs, nowMs - graceMs);
      const freedByRemoval = await this.removePacks(swept.emptied);
      const compaction = await compactSparsePacks(this.parts(), { liveFractionMax: BlockstoreLimits.compactionLiveFractionMax });
      return {
        blocksRemoved: swept.digests.length,
        bytesRemoved: swept.bytes,
        blocksKept: swept.live,
        packsCompacted: compaction.packsCompacted,
        diskBytesFreed: freedByRemoval + compaction.diskBytesFreed,
      };
    });
  }

  /** Compares every index row with its file and every file with the index; repairs if asked. */
  async fsck(options: FsckOptions = {}): Promise<FsckReport> {
    this.checkOpen();
    return this.gate.exclusive(async () => {
      this.checkOpen();
      this.accesses.flush(this.nowUnixMs());
      return fsck(this.parts(), options);
    });
  }

  /** Waits for operations in progress, writes pending access times, closes the index and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.gate.exclusive(async () => {
      if (this.closed) return;
      this.accesses.flush(this.nowUnixMs());
      this.closed = true;
      // Deferred puts' fsyncs still running finish first (what they write stays unsynced otherwise).
      await Promise.allSettled(this.backgroundSyncs);
      await this.readers.closeAll();
      this.index.close();
    });
  }

  /** Drops rows (durably) and removes the packs left with nothing live. The caller holds the gate exclusively. */
  private async dropRows(digests: readonly Uint8Array[]): Promise<void> {
    const { emptied } = this.index.dropRows(digests, true);
    await this.removePacks(emptied);
  }

  /** Removes packs whose rows are all gone ('removing'), then their rows; returns the file bytes freed. */
  private async removePacks(ids: readonly number[]): Promise<number> {
    return removePacksNow(this.parts(), ids);
  }

  /** After a deletion: compacts when the dead bytes in mostly dead packs are worth a rewrite. */
  private async compactIfWorthIt(): Promise<void> {
    if (this.index.sparseDeadBytes(BlockstoreLimits.compactionLiveFractionMax) < this.compactAfterDeadBytes) return;
    await compactSparsePacks(this.parts(), { liveFractionMax: BlockstoreLimits.compactionLiveFractionMax });
  }

  /** Whether the block's pack file is there and long enough to hold it (`sizes` remembers the stats of this call). */
  private async packHolds(location: BlockLocation, sizes: Map<number, number | undefined>): Promise<boolean> {
    if (!sizes.has(location.pack)) sizes.set(location.pack, await packFileSize(this.dir, location.pack));
    const size = sizes.get(location.pack);
    return size !== undefined && location.offset + location.size <= size;
  }

  private parts(): StoreParts {
    return { root: this.dir, index: this.index, readers: this.readers, nowUnixMs: this.nowUnixMs, direct: this.direct };
  }

  private openIndex(): BlockIndex {
    this.checkOpen();
    return this.index;
  }

  private checkOpen(): void {
    if (this.closed) throw new BlockstoreClosedError();
  }
}

/** Checks every block and hashes it; merges duplicates (their links too). Throws before anything is written. */
function prepareBlocks(blocks: readonly BlockInput[], cidsComputedFromBytes: boolean): PreparedBlock[] {
  const byHex = new Map<string, PreparedBlock>();
  for (const block of blocks) {
    const key = blockKeyOf(block.cid);
    const bytes = block.bytes;
    if (!(bytes instanceof Uint8Array)) throw new BlockstoreArgumentError(`block ${key.canonical}: bytes must be a Uint8Array`);
    if (bytes.length > BlockstoreLimits.blockBytesMax) throw new BlockTooLargeError(key.canonical, 'size', bytes.length, BlockstoreLimits.blockBytesMax);
    const linkCids = block.links ?? [];
    if (linkCids.length > BlockstoreLimits.linksPerBlockMax) throw new BlockTooLargeError(key.canonical, 'links', linkCids.length, BlockstoreLimits.linksPerBlockMax);
    const links = linkCids.map((link) => blockKeyOf(link).digest);
    const known = byHex.get(key.hex);
    if (known !== undefined) {
      if (known.bytes !== bytes && Buffer.compare(known.bytes, bytes) !== 0) throw new BlockMismatchError(key.canonical, sha256(bytes).toString('hex'));
      known.links.push(...links);
      continue;
    }
    if (!cidsComputedFromBytes) {
      const actual = sha256(bytes);
      if (Buffer.compare(actual, key.digest) !== 0) throw new BlockMismatchError(key.canonical, actual.toString('hex'));
    }
    byHex.set(key.hex, { key, bytes, links });
  }
  return [...byHex.values()];
}

/** A Uint8Array view of a Buffer (no copy), so callers get the type the API promises and nothing Buffer-specific. */
function plainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
}

function indexedPut(block: PreparedBlock, owner: string): IndexedPut {
  return { digest: block.key.digest, codec: block.key.codec, size: block.bytes.length, owner, links: block.links };
}

function addResults(a: PutResult, b: PutResult): PutResult {
  return { written: a.written + b.written, existing: a.existing + b.existing, bytesWritten: a.bytesWritten + b.bytesWritten };
}

function checkOwner(owner: unknown): string {
  if (typeof owner !== 'string' || owner.length === 0 || owner.length > BlockstoreLimits.ownerLengthMax) {
    throw new BlockstoreArgumentError(`an owner is a string of 1 to ${BlockstoreLimits.ownerLengthMax} characters`);
  }
  return owner;
}

function checkPinName(name: unknown): string {
  if (typeof name !== 'string' || name.length > BlockstoreLimits.pinNameLengthMax) {
    throw new BlockstoreArgumentError(`a pin name is a string of at most ${BlockstoreLimits.pinNameLengthMax} characters`);
  }
  return name;
}

/** A pin's CID as it was given; if the stored text were ever unreadable, the raw CID of its digest. */
function storedCid(text: string, digest: Uint8Array): CID {
  try {
    return blockKeyOf(parseCid(text)).cid;
  } catch {
    return cidFromDigest(BlockCodecs.raw, digest);
  }
}
