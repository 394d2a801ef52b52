/**
 * The node's content store (issue 4, the local half of `peergrid put/get`): a Blockstore in
 * `<data dir>/blocks`, the convergence secret that keys encrypted content
 * (convergence-secret-file.ts), and the operations the HTTP API offers on them — add a streamed
 * file, make a directory from stored entries, read a file, list a directory, pins, gc, fsck, CAR
 * export and import. It speaks text (CIDs and capabilities as strings) so that the API needs no
 * storage types, and fails with the named errors of content-store-errors.ts.
 *
 * Everything here is local: content is read only from this node's store. Placement on other nodes,
 * retrieval from them and repair are the grid's (exchange/grid-storage.ts), over this same store.
 */
import { join } from 'node:path';
import type { Capability } from '../services/storage/crypt/capability.ts';
import { formatCapability } from '../services/storage/crypt/capability.ts';
import type { ContentCipher } from '../services/storage/crypt/content-cipher.ts';
import { openNode, readEncryptedFile } from '../services/storage/crypt/encrypted-reader.ts';
import type { CID } from '../services/storage/dag/cids.ts';
import { DagError } from '../services/storage/dag/dag-error.ts';
import { entryNameProblem } from '../services/storage/dag/entry-name.ts';
import { readFile, type GetBlock } from '../services/storage/dag/file-reader.ts';
import { createNodeContentCipher } from './content-cipher-node.ts';
import { importCarStream } from './content/car-files.ts';
import { carStream } from './content/car-stream.ts';
import { listRef } from './content/content-entries.ts';
import type { ContentRef } from './content/content-exporter.ts';
import { formatContentRef, parseContentRef, rootOf } from './content/content-ref.ts';
import { describePlainChild, encryptedDirectoryOfStored, plainDirectoryOfStored } from './content/stored-directory.ts';
import { addPath } from './content/content-importer.ts';
import { LocalPathGuard } from './content/local-path-guard.ts';
import { addStream, closeQuietly } from './content/stream-importer.ts';
import { ContentInputError, ContentNotFoundError, ContentRequestError, NotAFileError } from './content-store-errors.ts';
import { loadOrCreateConvergenceSecret } from './convergence-secret-file.ts';
import { Blockstore, type BlockstoreOptions, type FsckReport, type GcReport } from './storage/blockstore.ts';
import { expiredStagingPins } from './content/staging-pins.ts';
import { BlockNotFoundError, InvalidCidError, UnsupportedHashError } from './storage/blockstore-errors.ts';

/** Where the content store lives in the data directory. */
export const ContentFiles = {
  /** The blockstore (docs/storage-blockstore.md). */
  blocks: 'blocks',
} as const;

/** The pin name content gets when the caller names none. */
export const DEFAULT_PIN_NAME = 'default';

/** Plain directory sizes remembered between requests (a directory put asks for each level in turn). */
const TREE_BYTES_REMEMBERED_MAX = 100_000;
/** A reader whose body is neither read to its end nor dropped stops having blocks kept for it this long after its fetch ends. */
const ARRIVALS_WATCH_AFTER_FETCH_MS = 60_000;

export interface AddedContent {
  readonly cid: string;
  /** For encrypted content; null for plain. */
  readonly capability: string | null;
  readonly bytes: number;
  readonly chunks: number;
}

export interface ContentEntry {
  readonly name: string;
  readonly kind: 'file' | 'directory';
  readonly bytes: number | null;
  readonly ref: string;
}

export interface ContentListing {
  readonly ref: string;
  readonly cid: string;
  readonly kind: 'file' | 'directory';
  readonly bytes: number | null;
  readonly entries: readonly ContentEntry[];
}

export interface FileBytes {
  readonly bytes: number;
  readonly body: AsyncIterable<Uint8Array>;
}

export interface ReadOptions {
  /** The fetch bringing the content: a block not here yet is waited for until it ends. */
  readonly arriving?: Promise<unknown>;
  /**
   * A further fetch, started only if a block is still missing once `arriving` has ended or failed
   * (at most once per read), whose end is then waited for in turn. For a reader that waited on the
   * fetch of content containing this one: if that fetch did not bring the block (or failed, for a
   * block elsewhere in the tree, say), this one's own fetch may.
   */
  readonly fetchMissing?: () => Promise<unknown>;
}

export interface PinEntry {
  readonly cid: string;
  readonly name: string;
  readonly recursive: boolean;
  readonly pinnedAtMs: number;
}

export interface CarImportReport {
  readonly roots: readonly string[];
  readonly blocks: number;
  readonly bytes: number;
  readonly refused: number;
  readonly refusedCids: readonly string[];
}

export interface ContentStoreOptions {
  readonly log?: (record: Record<string, unknown>) => void;
  /** The blockstore's options (its durability: tests use 'none'). */
  readonly blockstore?: BlockstoreOptions;
}

export interface LocalAddOptions {
  readonly encrypt: boolean;
  readonly pinName?: string;
  readonly onProgress?: (progress: LocalAddProgress) => void;
}

export interface LocalAddProgress {
  readonly bytes: number;
  readonly chunks: number;
  readonly files: number;
}

/** A local add's result: what any add gives, with the files read and the paths skipped (symbolic links, special files). */
export interface LocalAdded extends AddedContent {
  readonly files: number;
  readonly skipped: readonly string[];
}

/** gc's report, with the staging pins of unfinished puts it dropped first. */
export interface ContentGcReport extends GcReport {
  readonly stagingPinsRemoved: number;
}

export class ContentStore {
  readonly store: Blockstore;
  readonly secretPath: string;
  /** Seals and opens content; the grid's fetcher opens sealed nodes with it (their keys come from the capability). */
  readonly cipher: ContentCipher;
  private readonly treeBytes = new Map<string, number>();

  /** The node's data directory: a local add never reads it for a client (content/local-path-guard.ts). */
  private readonly dataDir: string;

  private constructor(store: Blockstore, cipher: ContentCipher, secretPath: string, dataDir: string) {
    this.store = store;
    this.cipher = cipher;
    this.secretPath = secretPath;
    this.dataDir = dataDir;
  }

  /** Opens (creating if needed) the blockstore and the convergence secret of a data directory the caller has locked. */
  static async open(dataDir: string, options: ContentStoreOptions = {}): Promise<ContentStore> {
    const log = options.log ?? (() => {});
    const secret = await loadOrCreateConvergenceSecret(dataDir);
    if (secret.permissionsFixed) log({ level: 'warn', event: 'convergenceSecretPermissionsFixed', path: secret.path, note: 'it was readable by others' });
    const store = await Blockstore.open(join(dataDir, ContentFiles.blocks), options.blockstore);
    const recovery = store.recovery;
    if (recovery.unsettled > 0 || recovery.tmpRemoved > 0 || recovery.migrated > 0) {
      log({ level: 'info', event: 'blockstoreRecovered', unsettled: recovery.unsettled, tmpRemoved: recovery.tmpRemoved,
        discarded: recovery.discarded, removed: recovery.removed, migrated: recovery.migrated });
    }
    // Content that seems gone until fsck --repair: said at start, not left for a user to wonder about.
    if (recovery.unindexedPacks > 0) {
      log({ level: 'warn', event: 'blockstorePacksUnindexed', packs: recovery.unindexedPacks,
        note: 'pack files the index does not know (a lost or replaced blocks/index.sqlite): their blocks are not served until `peergrid fsck --repair` adopts them' });
    }
    // A file system without O_DIRECT writes every pack through the page cache: slower on some machines, worth saying once.
    if (store.packsWrittenDirectly === null) {
      log({ level: 'info', event: 'blockstoreDirectWritesOff', note: 'the file system of the data directory does not take O_DIRECT: packs are written through the page cache' });
    }
    return new ContentStore(store, createNodeContentCipher(secret.secret), secret.path, dataDir);
  }

  /** Adds a file from a stream of its bytes, and pins it. */
  async addFile(source: AsyncIterable<Uint8Array>, options: { readonly encrypt: boolean; readonly pinName?: string }): Promise<AddedContent> {
    const added = await addStream(source, this.store, { cipher: options.encrypt ? this.cipher : undefined, pinName: options.pinName ?? DEFAULT_PIN_NAME });
    return { cid: added.root.toString(), capability: added.capability === null ? null : formatCapability(added.capability), bytes: added.bytes, chunks: added.chunks };
  }

  /**
   * Adds a file or a directory tree from this machine's disk, read by the node itself, and pins
   * it: for a client on the same machine, which then sends the path instead of the bytes. The path
   * is checked first (content/local-path-guard.ts: absolute and canonical, seen by the node as the
   * client saw it — `identity` — and nothing of the node's own data directory); a refusal is a
   * LocalPathRefusedError before any byte is read. Resolves to the start of the add, whose result
   * `added` is, so that a caller can answer the refusals at once and the add's progress after.
   */
  async startLocalAdd(path: string, identity: string, options: LocalAddOptions): Promise<{ readonly added: Promise<LocalAdded> }> {
    const guard = await LocalPathGuard.open(this.dataDir);
    await guard.checkRoot(path, identity);
    const progress = options.onProgress;
    const totals = { files: 0 };
    const added = addPath(path, this.store, {
      cipher: options.encrypt ? this.cipher : undefined,
      pinName: options.pinName ?? DEFAULT_PIN_NAME,
      checkEntry: (entryPath, stats) => {
        guard.checkEntry(entryPath, stats);
        if (stats.isFile()) totals.files++;
      },
      onProgress: progress === undefined ? undefined : (bytes, chunks) => progress({ bytes, chunks, files: totals.files }),
    }).then((result) => ({
      cid: result.root.toString(), capability: result.capability === null ? null : formatCapability(result.capability),
      bytes: result.bytes, chunks: result.chunks, files: result.files, skipped: [...result.skipped],
    }));
    return { added };
  }

  /**
   * Makes a directory node of stored entries (all plain, or all encrypted) and pins it
   * recursively; then, if asked, removes the pins named `releaseEntryPins` from the entries,
   * which the directory's pin now keeps (a client adding a tree pins each part until its parent
   * holds it).
   */
  async makeDirectory(
    entries: readonly { readonly name: string; readonly ref: string }[],
    options: { readonly encrypt?: boolean; readonly pinName?: string; readonly releaseEntryPins?: string } = {},
  ): Promise<AddedContent> {
    const refs = entries.map((entry, index) => {
      const problem = entryNameProblem(entry.name);
      if (problem !== null) throw new ContentRequestError(`entries[${index}].name: refused ${problem}`);
      return { name: entry.name, ref: this.parseRef(entry.ref, `entries[${index}].ref`) };
    });
    const names = new Set<string>();
    for (const [index, entry] of refs.entries()) {
      if (names.has(entry.name)) throw new ContentRequestError(`entries[${index}].name: two entries named ${JSON.stringify(entry.name)}`);
      names.add(entry.name);
    }
    const encrypt = options.encrypt ?? (refs.length === 0 ? true : refs[0].ref.kind === 'encrypted');
    for (const [index, entry] of refs.entries()) {
      if ((entry.ref.kind === 'encrypted') !== encrypt) {
        throw new ContentRequestError(`entries[${index}].ref: ${encrypt ? 'a plain CID in an encrypted directory' : 'a capability in a plain directory'}`
          + ' (the entries of one directory must be all plain CIDs or all capabilities)');
      }
    }
    const getBlock = this.getBlockFor('an entry', NO_ARRIVALS);
    const session = this.store.openSession();
    try {
      const made = encrypt
        ? await encryptedDirectoryOfStored(refs.map((entry) => ({ name: entry.name, capability: (entry.ref as { capability: Capability }).capability })), getBlock, this.cipher)
        : await plainDirectoryOfStored(refs.map((entry) => ({ name: entry.name, cid: rootOf(entry.ref) })), getBlock, this.rememberedTreeBytes());
      const pin = { cid: made.root, recursive: true, name: options.pinName ?? DEFAULT_PIN_NAME };
      await this.store.putMany(made.blocks.map((block) => ({ cid: block.cid, bytes: block.bytes, links: block.links })), { session, pin });
      if (options.releaseEntryPins !== undefined) this.store.unpinMany(refs.map((entry) => rootOf(entry.ref)), { name: options.releaseEntryPins });
      return { cid: made.root.toString(), capability: made.capability === null ? null : formatCapability(made.capability), bytes: made.fileBytes, chunks: 0 };
    } finally {
      closeQuietly(session);
    }
  }

  /**
   * A file's size and bytes, streamed block by block; its root is read now, so a missing or wrong
   * root fails before any byte is sent. With `arriving` (the fetch bringing the content), a block
   * not here yet is waited for until that fetch stores it, so the file is read while it is
   * fetched; without, a missing block is an error at once. `skipBytes` starts the body further in
   * (`bytes` is still the whole file's): the blocks wholly before it are not read at all.
   */
  async openFile(refText: string, options: ReadOptions = {}, skipBytes = 0): Promise<FileBytes> {
    const arrivals = new Arrivals(options);
    const file = await this.fileRoot(refText, arrivals);
    // While the fetch runs, the blocks it stores are handed to this reader from memory.
    const endWatch = arrivals.arriving === undefined ? null : this.watchArrivals(arrivals.arriving);
    return { bytes: file.bytes, body: endingWith(file.read(skipBytes), endWatch) };
  }

  /**
   * A file's size, from its root (waited for as openFile waits), without opening its bytes: what a
   * reader of one byte range needs before it knows which blocks to fetch.
   */
  async fileSize(refText: string, options: ReadOptions = {}): Promise<number> {
    return (await this.fileRoot(refText, new Arrivals(options))).bytes;
  }

  /** A file's root, read: its size, and how to read its bytes from `skipBytes` on. NotAFileError for a directory. */
  private async fileRoot(refText: string, arrivals: Arrivals): Promise<{ readonly bytes: number; readonly read: (skipBytes: number) => AsyncIterable<Uint8Array> }> {
    const ref = this.parseRef(refText, 'ref');
    const getBlock = this.getBlockFor('the root', arrivals);
    const getFileBlock = this.getBlockFor('a block of the file', arrivals);
    if (ref.kind === 'encrypted') {
      const node = await openNode(ref.capability, getBlock, this.cipher);
      if (node.kind === 'dir') throw new NotAFileError(ref.capability.root.toString());
      return { bytes: node.size, read: (skipBytes) => readEncryptedFile(ref.capability, getFileBlock, this.cipher, skipBytes) };
    }
    const root = describePlainChild(ref.root, await getBlock(ref.root));
    if (root.kind === 'directory') throw new NotAFileError(ref.root.toString());
    return { bytes: root.fileBytes ?? 0, read: (skipBytes) => readFile(ref.root, getFileBlock, skipBytes) };
  }

  /**
   * Keeps the blocks the fetch `arriving` stores in memory for one reader (Blockstore.watchArrivals)
   * until the function returned is called — when the reading ends — or, should the body never be
   * read to its end nor dropped, a minute after the fetch ends.
   */
  private watchArrivals(arriving: Promise<unknown>): () => void {
    const end = this.store.watchArrivals();
    const later = (): void => {
      setTimeout(end, ARRIVALS_WATCH_AFTER_FETCH_MS).unref();
    };
    arriving.then(later, later);
    return end;
  }

  /** A directory's entries (or a file's own description); `arriving` as for openFile. */
  async list(refText: string, options: ReadOptions = {}): Promise<ContentListing> {
    const ref = this.parseRef(refText, 'ref');
    const listing = await listRef(ref, this.getBlockFor('the root', new Arrivals(options)), this.cipher);
    return {
      ref: refText.trim(),
      cid: rootOf(ref).toString(),
      kind: listing.kind,
      bytes: listing.bytes,
      entries: listing.entries.map((entry) => ({ name: entry.name, kind: entry.kind, bytes: entry.bytes, ref: formatContentRef(entry.ref) })),
    };
  }

  /** Pins stored content; content that is not here cannot be pinned yet (nothing would fetch it). */
  pin(refText: string, options: { readonly name?: string; readonly recursive?: boolean } = {}): PinEntry {
    const root = rootOf(this.parseRef(refText, 'ref'));
    if (!this.store.has(root)) throw new ContentNotFoundError(root.toString());
    const name = options.name ?? DEFAULT_PIN_NAME;
    const recursive = options.recursive ?? true;
    this.store.pin(root, { name, recursive });
    return { cid: root.toString(), name, recursive, pinnedAtMs: Date.now() };
  }

  /** Removes the content's pin of that name, or all its pins; a pin that is not there is a ContentNotFoundError. */
  unpin(refText: string, name?: string): { readonly cid: string; readonly removed: number } {
    const root = rootOf(this.parseRef(refText, 'ref'));
    const removed = this.store.unpin(root, name === undefined ? {} : { name });
    if (removed === 0) throw new ContentNotFoundError(root.toString(), name === undefined ? 'it has no pin' : `it has no pin named ${JSON.stringify(name)}`);
    return { cid: root.toString(), removed };
  }

  pins(): PinEntry[] {
    return this.store.listPins().map((pin) => ({ cid: pin.cid.toString(), name: pin.name, recursive: pin.recursive, pinnedAtMs: pin.pinnedAtMs }));
  }

  /**
   * Collects what no pin keeps, after dropping the staging pins of puts that never finished
   * (staging-pins.ts: a day old).
   */
  async gc(graceMs?: number, nowMs: number = Date.now()): Promise<ContentGcReport> {
    this.treeBytes.clear();
    const expired = expiredStagingPins(this.store.listPins(), nowMs);
    for (const pin of expired) this.store.unpin(pin.cid, { name: pin.name });
    const report = await this.store.gc(graceMs === undefined ? {} : { graceMs });
    return { ...report, stagingPinsRemoved: expired.length };
  }

  fsck(repair: boolean): Promise<FsckReport> {
    return this.store.fsck({ repair });
  }

  /** The content and every block it links to, as a CAR stream; the root must be here. */
  exportCar(refText: string): AsyncIterable<Uint8Array> {
    const root = rootOf(this.parseRef(refText, 'ref'));
    if (!this.store.has(root)) throw new ContentNotFoundError(root.toString());
    return carStream(root, this.store);
  }

  /** Imports a CAR as it arrives: every block checked and stored, the roots pinned as "import". */
  async importCar(source: AsyncIterable<Uint8Array>): Promise<CarImportReport> {
    const imported = await importCarStream(source, this.store).catch((error: unknown) => {
      // @ipld/car and cborg fail with plain Errors on bytes that are not a CAR, and multiformats with
      // RangeErrors (a bad varint, a CID of an unknown version, a header nested past the stack): the
      // client's bad bytes, not the node's fault. The store's own failures are named.
      const fromReader = error instanceof Error && (error.constructor === Error || error.constructor === RangeError) && !('code' in error);
      if (fromReader) throw new ContentInputError(`not a readable CAR file: ${error.message}`);
      throw error;
    });
    return {
      roots: imported.roots.map(String), blocks: imported.blocks, bytes: imported.bytes,
      refused: imported.refused, refusedCids: [...imported.refusedCids],
    };
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private parseRef(text: string, field: string): ContentRef {
    const parsed = parseContentRef(text);
    if (!parsed.ok) throw new ContentRequestError(`${field}: ${parsed.problem}`);
    return parsed.ref;
  }

  /**
   * Blocks from the local store. A block that is not here is ContentNotFoundError naming what it
   * was; a link to a CID the store cannot hold (another hash) is the DAG's fault, not the caller's.
   */
  private getBlockFor(what: string, arrivals: Arrivals): GetBlock {
    return async (cid: CID) => {
      try {
        return await this.readOrAwait(cid, arrivals);
      } catch (error) {
        if (error instanceof BlockNotFoundError) throw new ContentNotFoundError(cid.toString(), what === 'the root' ? '' : `${what} is missing`);
        if (error instanceof UnsupportedHashError || error instanceof InvalidCidError) throw new DagError(`a link to a CID this node cannot hold: ${error.message}`, cid.toString());
        throw error;
      }
    };
  }

  /**
   * A block from the store; one that is not here yet is waited for while the fetch bringing it
   * runs (then the further fetch, if there is one). Only a miss waits, so a read of content all
   * here costs what it did. If the fetches end without the block, the miss stands; if one failed,
   * its error is the answer.
   */
  private async readOrAwait(cid: CID, arrivals: Arrivals): Promise<Uint8Array> {
    if (arrivals.arriving !== undefined) {
      const kept = this.store.takeArrived(cid);
      if (kept !== undefined) return kept;
    }
    try {
      return await this.store.get(cid);
    } catch (error) {
      if (!(error instanceof BlockNotFoundError)) throw error;
      // awaitBlock looks again first: a block stored since the miss is not waited for in vain.
      if (arrivals.arriving !== undefined) {
        try {
          const bytes = await this.store.awaitBlock(cid, arrivals.arriving);
          if (bytes !== null) return bytes;
        } catch (failure) {
          // That fetch's failure is the answer unless there is another fetch to try.
          if (!arrivals.hasFurther) throw failure;
        }
      }
      const further = arrivals.further();
      const bytes = further === null ? null : await this.store.awaitBlock(cid, further);
      if (bytes !== null) return bytes;
      throw error;
    }
  }

  private rememberedTreeBytes(): Map<string, number> {
    if (this.treeBytes.size > TREE_BYTES_REMEMBERED_MAX) this.treeBytes.clear();
    return this.treeBytes;
  }
}

/** The fetches one read may wait on, in turn (ReadOptions): the further one is started at most once. */
class Arrivals {
  readonly arriving: Promise<unknown> | undefined;
  private fetchMissing: (() => Promise<unknown>) | undefined;
  private started: Promise<unknown> | null = null;

  constructor(options: ReadOptions) {
    this.arriving = options.arriving;
    this.fetchMissing = options.fetchMissing;
  }

  get hasFurther(): boolean {
    return this.fetchMissing !== undefined || this.started !== null;
  }

  /** The further fetch, started by the first call; null when there is none. */
  further(): Promise<unknown> | null {
    if (this.fetchMissing !== undefined) {
      this.started = this.fetchMissing();
      this.fetchMissing = undefined;
    }
    return this.started;
  }
}

/** A reader's body that calls `end` once it is read to its end, fails, or is dropped (return). */
async function* endingWith(body: AsyncIterable<Uint8Array>, end: (() => void) | null): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } finally {
    end?.();
  }
}

/** For reads that wait for nothing: a block not here is missing. */
const NO_ARRIVALS = new Arrivals({});
