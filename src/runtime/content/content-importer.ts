/**
 * Adds a file or a directory tree from the local disk to the local blockstore (the first half of
 * `peergrid put`; placement on the grid comes after). A file streams through FastCDC, the DAG
 * builder (plain UnixFS, or encrypted under the convergence secret) and the blockstore in batches,
 * so memory stays bounded whatever the file size. A session protects the new blocks from gc until
 * the root is pinned. Symbolic links and special files are skipped and reported, never followed:
 * a tree that links outside itself must not pull in what it points at.
 */
import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chunksOfStream } from '../../services/storage/chunking/chunk-assembler.ts';
import { DEFAULT_CHUNKING_CONFIG, type ChunkingConfig } from '../../services/storage/chunking/chunking-config.ts';
import type { Capability } from '../../services/storage/crypt/capability.ts';
import type { ContentCipher } from '../../services/storage/crypt/content-cipher.ts';
import { encryptedDirectoryBlock } from '../../services/storage/crypt/encrypted-directory.ts';
import { EncryptedFileDagBuilder } from '../../services/storage/crypt/encrypted-file-layout.ts';
import type { EncryptedDirectoryEntry } from '../../services/storage/crypt/encrypted-node.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import { directoryBlock, type DirectoryEntry } from '../../services/storage/dag/directory-node.ts';
import { checkEntryNames } from '../../services/storage/dag/entry-name.ts';
import { FileDagBuilder } from '../../services/storage/dag/file-layout.ts';
import { ContentRequestError } from '../content-store-errors.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import { BlockWriter, finishBulkWrite, bulkWriteDurability } from './block-writer.ts';
import { sha256 } from './content-hash.ts';
import { digestedByWorkers, digestWorkersAlive, rearmIdleDigestWorkers, sealedByWorkers, startDigestWorkers } from './chunk-digests.ts';
import { chunkGroupsCutByWorker, chunksOfFile, cutsOnWorker, idleCuttingWorkers, sharedPieceBuffers, setCuttingWorkersIdleMs, startCuttingWorker, type PieceBuffers } from './file-chunks.ts';
import { hashedAhead, KnownDigests, KnownSeals, sealedAhead, type HashedChunk, type SealedChunk } from './hashing-ahead.ts';
import type { NodeContentCipher } from '../content-cipher-node.ts';

/** Blocks are written to the store this many bytes at a time (one pack and one index transaction each). */
export const IMPORT_BATCH_BYTES = 16 << 20;
/**
 * Batches written at once. Each pack's direct writes go one after another, so this is the disk's
 * queue depth too: with the cutting and hashing on workers, two in flight left the main thread
 * waiting on the writes for ~0.7 s of a 1 GiB add's ~1 s; four ran the add at 997 and 1,033 MiB/s
 * against 921 and 967 with three (alternating, 2026-11-28), for 64 MiB of blocks held.
 */
export const IMPORT_WRITES_IN_FLIGHT = 4;
/** Directories nested deeper are refused: far beyond real trees, and it bounds the recursion. */
export const TREE_DEPTH_MAX = 64;

export interface AddOptions {
  /** Encrypt under this cipher (convergent encryption); plain UnixFS when absent. */
  readonly cipher?: ContentCipher;
  readonly chunking?: ChunkingConfig;
  /** Called after each chunk, for a progress bar. */
  readonly onProgress?: (bytesDone: number, chunksDone: number) => void;
  /** The pin name (default 'default'). */
  readonly pinName?: string;
  /** Called for every file and directory as it is reached; throws to refuse it (content/local-path-guard.ts). */
  readonly checkEntry?: (path: string, stats: Stats) => void;
}

export interface AddResult {
  /** The root CID: of the UnixFS root, or of the encrypted root node. */
  readonly root: CID;
  /** For encrypted content, what a reader needs; null for plain content. */
  readonly capability: Capability | null;
  readonly bytes: number;
  readonly chunks: number;
  readonly blocks: number;
  readonly files: number;
  /** Paths not added: symbolic links, sockets, devices. */
  readonly skipped: readonly string[];
}

export interface Added {
  readonly cid: CID;
  readonly key: Uint8Array | null;
  readonly fileBytes: number;
  /** Encoded bytes under it (UnixFS Tsize); 0 for encrypted content, which does not record it. */
  readonly dagBytes: number;
}

/**
 * Starts the worker threads that read, cut, hash and seal large files (file-chunks.ts,
 * chunk-digests.ts), so that the first large add does not wait for them (about 50 ms, and their
 * code's warm-up). Idle, they keep the process alive no longer than it would be otherwise, and
 * end after IMPORT_WORKERS_IDLE_MS (10 minutes); the next large add starts them again.
 */
export function startImportWorkers(): void {
  startCuttingWorker();
  startDigestWorkers();
}

/** Sets how long idle import workers are kept (IMPORT_WORKERS_IDLE_MS by default); those idle now start their wait again. For tests, and embedders that want them gone sooner or kept longer. */
export function setImportWorkersIdleMs(ms: number): void {
  setCuttingWorkersIdleMs(ms);
  rearmIdleDigestWorkers();
}

/** Import workers alive now: idle cutting workers, and digest workers (busy or not). */
export function importWorkersAlive(): { readonly cuttingIdle: number; readonly digest: number } {
  return { cuttingIdle: idleCuttingWorkers(), digest: digestWorkersAlive() };
}

export async function addPath(path: string, store: Blockstore, options: AddOptions = {}): Promise<AddResult> {
  const session = store.openSession();
  try {
    const durability = bulkWriteDurability(store);
    // A large file's read buffers are used again once their blocks are stored, by this add and the next (file-chunks.ts).
    const pieces = sharedPieceBuffers(options.chunking ?? DEFAULT_CHUNKING_CONFIG);
    const writer = new BlockWriter(store, session, { batchBytes: IMPORT_BATCH_BYTES, writesInFlightMax: IMPORT_WRITES_IN_FLIGHT, durability, onWritten: pieces.releaseWritten });
    const totals = { bytes: 0, chunks: 0, files: 0, skipped: [] as string[], pieces };
    const added = await addEntry(path, writer, options, totals, 0);
    if (added === null) throw new Error(`${path} is neither a file nor a directory`);
    await writer.flush();
    await finishBulkWrite(store, durability);
    store.pin(added.cid, { recursive: true, name: options.pinName ?? 'default' });
    return {
      root: added.cid,
      capability: added.key === null ? null : { root: added.cid, key: added.key },
      bytes: totals.bytes, chunks: totals.chunks, blocks: writer.blocks, files: totals.files, skipped: totals.skipped,
    };
  } finally {
    session.close();
  }
}

/** What an add counts as it goes, and the read buffers its large files share. */
interface AddTotals {
  bytes: number;
  chunks: number;
  files: number;
  readonly skipped: string[];
  readonly pieces: PieceBuffers;
}

async function addEntry(path: string, writer: BlockWriter, options: AddOptions, totals: AddTotals, depth: number): Promise<Added | null> {
  const stats = await lstat(path);
  if (stats.isFile() || stats.isDirectory()) options.checkEntry?.(path, stats);
  if (stats.isFile()) return addFile(path, stats.size, writer, options, totals);
  if (!stats.isDirectory()) {
    totals.skipped.push(path);
    return null;
  }
  if (depth >= TREE_DEPTH_MAX) throw new ContentRequestError(`${path}: directories nested more than ${TREE_DEPTH_MAX} deep`);
  const names = (await readdir(path)).sort();
  // The names are checked before any file under them is read: a bad one stops the add at once.
  try {
    checkEntryNames(names);
  } catch (error) {
    throw new ContentRequestError(`cannot store ${path}: ${(error as Error).message}`);
  }
  const children: { name: string; added: Added }[] = [];
  for (const name of names) {
    const child = await addEntry(join(path, name), writer, options, totals, depth + 1);
    if (child !== null) children.push({ name, added: child });
  }
  if (options.cipher) {
    const entries: EncryptedDirectoryEntry[] = children.map(({ name, added }) => ({ name, cid: added.cid, key: added.key as Uint8Array, size: added.fileBytes }));
    const { blocks, capability } = encryptedDirectoryBlock(entries, options.cipher, sha256);
    await writer.add(blocks);
    return { cid: capability.root, key: capability.key, fileBytes: sum(children.map(({ added }) => added.fileBytes)), dagBytes: 0 };
  }
  const entries: DirectoryEntry[] = children.map(({ name, added }) => ({ name, cid: added.cid, dagBytes: added.dagBytes }));
  const block = directoryBlock(entries, sha256);
  await writer.add([block]);
  return { cid: block.cid, key: null, fileBytes: sum(children.map(({ added }) => added.fileBytes)), dagBytes: block.bytes.length + sum(entries.map((entry) => entry.dagBytes)) };
}

async function addFile(path: string, sizeBytes: number, writer: BlockWriter, options: AddOptions, totals: AddTotals): Promise<Added> {
  totals.files++;
  const onChunk = (bytes: number): void => {
    totals.bytes += bytes;
    totals.chunks++;
    options.onProgress?.(totals.bytes, totals.chunks);
  };
  const config = options.chunking ?? DEFAULT_CHUNKING_CONFIG;
  const cipher = options.cipher;
  // A large file is read, cut, hashed and sealed on worker threads (file-chunks.ts, chunk-digests.ts).
  if (cutsOnWorker(sizeBytes, config) && (cipher === undefined || isNodeContentCipher(cipher))) {
    return addGroupsOnWorkers(chunkGroupsCutByWorker(path, config, totals.pieces), cipher, writer, onChunk, totals.pieces);
  }
  return addChunks(chunksOfFile(path, config), writer, cipher, onChunk);
}

/** A large file's chunks, a piece at a time as a cutting worker gave them, hashed or sealed on the digest workers, into the writer. */
function addGroupsOnWorkers(
  groups: AsyncIterable<readonly Uint8Array[]>, cipher: NodeContentCipher | undefined, writer: BlockWriter, onChunk: (bytes: number) => void, pieces: PieceBuffers,
): Promise<Added> {
  // A plain chunk's buffer is let go when its block is stored (the writer's onWritten); a sealed one's once it is sealed.
  if (cipher === undefined) return addHashedChunks(digestedByWorkers(groups, pieces), writer, onChunk);
  return addSealedChunks(sealedByWorkers(groups, cipher.convergenceSecret, pieces), cipher, writer, onChunk, (chunk) => pieces.release(chunk));
}

/**
 * One file's bytes, from any stream (an HTTP upload), through FastCDC and the DAG builder into the
 * writer; `onChunk` is told each chunk's size. Returns the file's root. Cut on the main thread:
 * cutting uploads on the workers was tried and was slower here (docs/STORAGE.md).
 */
export async function addFileStream(
  source: AsyncIterable<Uint8Array>, writer: BlockWriter, options: { readonly cipher?: ContentCipher; readonly chunking?: ChunkingConfig }, onChunk: (bytes: number) => void,
): Promise<Added> {
  return addChunks(chunksOfStream(source, options.chunking ?? DEFAULT_CHUNKING_CONFIG), writer, options.cipher, onChunk);
}

/** One file's FastCDC chunks, in order, hashed (and sealed) ahead on the thread pool (hashing-ahead.ts), into the writer. */
async function addChunks(chunks: AsyncIterable<Uint8Array>, writer: BlockWriter, cipher: ContentCipher | undefined, onChunk: (bytes: number) => void): Promise<Added> {
  if (cipher === undefined) return addHashedChunks(hashedAhead(chunks), writer, onChunk);
  if (isNodeContentCipher(cipher)) return addSealedChunks(sealedAhead(chunks, cipher), cipher, writer, onChunk);
  const builder = new EncryptedFileDagBuilder(cipher, sha256);
  for await (const chunk of chunks) {
    await writer.add(builder.add(chunk));
    onChunk(chunk.length);
  }
  const { blocks, file } = builder.finish();
  await writer.add(blocks);
  return { cid: file.capability.root, key: file.capability.key, fileBytes: file.fileBytes, dagBytes: 0 };
}

/** Plain chunks with their digests, through the UnixFS DAG builder into the writer. */
async function addHashedChunks(hashed: AsyncIterable<HashedChunk>, writer: BlockWriter, onChunk: (bytes: number) => void): Promise<Added> {
  // The builder gets the leaves' digests from `digests`.
  const digests = new KnownDigests();
  const builder = new FileDagBuilder(digests.sha256);
  for await (const { chunk, digest } of hashed) {
    digests.know(chunk, digest);
    await writer.add(builder.add(chunk));
    onChunk(chunk.length);
  }
  const { blocks, dag } = builder.finish();
  await writer.add(blocks);
  return { cid: dag.root, key: null, fileBytes: dag.fileBytes, dagBytes: dag.dagBytes };
}

/** Chunks with their seals and the digests of their ciphertexts, through the encrypted DAG builder into the writer. */
async function addSealedChunks(
  sealed: AsyncIterable<SealedChunk>, cipher: ContentCipher, writer: BlockWriter, onChunk: (bytes: number) => void, sealedOff: (chunk: Uint8Array) => void = () => {},
): Promise<Added> {
  // The builder gets the seals and digests from these.
  const seals = new KnownSeals(cipher);
  const digests = new KnownDigests();
  const builder = new EncryptedFileDagBuilder(seals, digests.sha256);
  for await (const { chunk, key, ciphertext, digest } of sealed) {
    seals.know(chunk, key, ciphertext);
    digests.know(ciphertext, digest);
    const blocks = builder.add(chunk);
    // The plaintext is not read again: its blocks are the ciphertext.
    sealedOff(chunk);
    await writer.add(blocks);
    onChunk(chunk.length);
  }
  const { blocks, file } = builder.finish();
  await writer.add(blocks);
  return { cid: file.capability.root, key: file.capability.key, fileBytes: file.fileBytes, dagBytes: 0 };
}

function isNodeContentCipher(cipher: ContentCipher): cipher is NodeContentCipher {
  return typeof (cipher as Partial<NodeContentCipher>).seal === 'function';
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
