/**
 * The FastCDC chunks of a file on disk, cut on a worker thread when the file is large.
 *
 * Cutting (the Gear roll in WebAssembly, about 0.32 s per GiB) was the largest part of an add's
 * main thread once hashing and sealing had moved to the thread pool (hashing-ahead.ts), and the
 * main thread bounded the add: it also hands the chunks to WebCrypto, builds the DAG and writes the
 * packs and the index. cutting-worker.ts reads the file and cuts it, and hands over each piece's
 * memory with its chunks (transferred, not copied); the cut points are those of the same code on
 * the main thread (tested). docs/STORAGE.md, "Cutting and hashing on worker threads", has the figures.
 *
 * A small file is cut here, on the main thread: a worker's start costs tens of milliseconds. Idle
 * workers are kept for the next large file and do not keep the process alive.
 */
import { createReadStream } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { chunksOfStream } from '../../services/storage/chunking/chunk-assembler.ts';
import type { ChunkingConfig } from '../../services/storage/chunking/chunking-config.ts';
import type { CuttingReply, CuttingRequest } from './import-worker-protocol.ts';

/** Files this large or larger are cut (and hashed, chunk-digests.ts) on worker threads. */
export const CUT_IN_WORKER_BYTES_MIN = 16 << 20;
/** Chunks may be this long at most for a worker to cut them (the default's longest is 1 MiB). */
const CUT_IN_WORKER_CHUNK_BYTES_MAX = 8 << 20;
/** Bytes the worker reads, cuts and hands over at a time. */
const PIECE_BYTES = 4 << 20;
/** Pieces the worker may cut ahead of the consumer (it holds one more buffer, for the piece it reads). */
const PIECES_AHEAD = 4;
/** Bytes read at a time when cutting on the main thread. */
const READ_BYTES = 1 << 20;
/** Buffers given back and not yet reused that a pool keeps: about what one add has in flight at once. */
const BUFFERS_FREE_MAX = 32;
/**
 * How long import workers (these and chunk-digests.ts's) are kept idle before they end: a worker
 * costs about 25 MiB of memory, and one started anew about 50 ms and its code's warm-up (a cold
 * 1 GiB add ran at 0.49–0.50 of SHA-256 against 0.54–0.56 warm, 2026-11-28).
 */
export const IMPORT_WORKERS_IDLE_MS = 10 * 60_000;
let idleMsSet = IMPORT_WORKERS_IDLE_MS;

/**
 * Sets how long idle import workers are kept; the cutting workers idle now start their wait again.
 * content-importer.ts's setImportWorkersIdleMs sets it for all.
 */
export function setCuttingWorkersIdleMs(ms: number): void {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`an idle time is a whole number of milliseconds ≥ 0, got ${ms}`);
  idleMsSet = ms;
  for (const pool of sharedPools.values()) pool.restartIdleWait();
  for (const worker of idleWorkers.splice(0)) {
    takeIdleWorker(worker);
    keepIdle(worker);
  }
}

/** How long idle import workers are kept now. */
export function importWorkersIdleMs(): number {
  return idleMsSet;
}

/** Idle workers kept for later files (two adds at once keep two busy). */
const IDLE_WORKERS_MAX = 2;

const idleWorkers: Worker[] = [];
/** For each idle worker: what drops it from the list (if it dies, or when its idle time is up), and that timer. */
const idleSince = new Map<Worker, { readonly forget: () => void; readonly timer: ReturnType<typeof setTimeout> }>();

/**
 * Whether a file of `sizeBytes` is cut on a worker: a large one, with chunks no longer than
 * CUT_IN_WORKER_CHUNK_BYTES_MAX (each piece the worker reads has room for one unfinished chunk).
 */
export function cutsOnWorker(sizeBytes: number, config: ChunkingConfig): boolean {
  return sizeBytes >= CUT_IN_WORKER_BYTES_MIN && config.maxBytes <= CUT_IN_WORKER_CHUNK_BYTES_MAX;
}

/** The chunks of the file at `path`, cut on this thread. */
export function chunksOfFile(path: string, config: ChunkingConfig): AsyncGenerator<Uint8Array> {
  return chunksOfStream(createReadStream(path, { highWaterMark: READ_BYTES }), config);
}

/**
 * The chunks of `path` as a worker cuts them, in groups: the chunks each piece of the file
 * completed, in order, some groups empty. A consumer that stops early ends the worker.
 */
export async function* chunkGroupsCutByWorker(path: string, config: ChunkingConfig, pieces = new PieceBuffers(config)): AsyncGenerator<readonly Uint8Array[]> {
  const job = new CuttingJob();
  try {
    // The pieces' buffers come from here (and go back to `pieces`): the worker only fills them.
    const buffers = Array.from({ length: PIECES_AHEAD + 1 }, () => pieces.take());
    job.send({ type: 'cut', path, config, pieceBytes: PIECE_BYTES, buffers }, buffers);
    for (;;) {
      const reply = await job.next();
      if (reply.type === 'chunks') {
        const more = pieces.take();
        job.send({ type: 'more', buffer: more }, [more]);
      }
      yield reply.chunks;
      if (reply.type === 'end') return;
    }
  } finally {
    job.finish();
  }
}

/**
 * One job on a cutting worker: an idle worker or a new one, its replies in order, and at the end
 * the worker kept for the next job — unless the job was abandoned or the worker failed, when it
 * is ended.
 */
class CuttingJob {
  private readonly worker: Worker;
  private readonly inbox: CuttingReply[] = [];
  private lost: Error | null = null;
  private wake: (() => void) | null = null;
  /** The job ended as the worker sees it (its `end` or its `error`): the worker may take another. */
  private over = false;
  private readonly onMessage = (reply: CuttingReply): void => {
    this.inbox.push(reply);
    this.wake?.();
  };
  private readonly onError = (error: Error): void => {
    this.lost ??= error;
    this.wake?.();
  };
  private readonly onExit = (code: number): void => {
    this.lost ??= new Error(`the chunking worker stopped (exit code ${code})`);
    this.wake?.();
  };

  constructor() {
    this.worker = takeIdle() ?? newWorker();
    this.worker.ref();
    this.worker.on('message', this.onMessage).on('error', this.onError).on('exit', this.onExit);
  }

  send(request: CuttingRequest, buffers: readonly Uint8Array[] = []): void {
    this.worker.postMessage(request, buffers.map((one) => one.buffer as ArrayBuffer));
  }

  /** The worker's next reply; its error, or the worker's loss, thrown. */
  async next(): Promise<Exclude<CuttingReply, { type: 'error' }>> {
    while (this.inbox.length === 0 && this.lost === null) await new Promise<void>((resolve) => (this.wake = resolve));
    const reply = this.inbox.shift();
    if (reply === undefined) throw this.lost;
    if (reply.type === 'error') {
      this.over = true;
      throw errorOf(reply);
    }
    if (reply.type === 'end') this.over = true;
    return reply;
  }

  finish(): void {
    this.worker.off('message', this.onMessage).off('error', this.onError).off('exit', this.onExit);
    if (this.over && this.lost === null && idleWorkers.length < IDLE_WORKERS_MAX) keepIdle(this.worker);
    else void this.worker.terminate();
  }
}

/**
 * The buffers the cutting worker reads its pieces into, used again once every chunk of a piece is
 * done with: allocated fresh for every piece, they were freed only when the collector ran, and a
 * 1 GiB add peaked at 550–700 MiB of RSS, against about 300 before the workers.
 *
 * A piece's chunks are counted when they come back from hashing (`holdAll`, all of a piece's at
 * once, before any is used), and each is let go (`release`) when nothing will read it again: a
 * plain chunk once its block is stored (BlockWriter's onWritten; the store keeps no reference:
 * PutManyOptions.bytesReused), a chunk of an encrypted file once it is sealed. A buffer none of
 * whose chunks was counted (a piece that ended no chunk) is simply left to the collector, and so
 * is one whose chunks an add that failed never let go (the counts are weak: they do not keep it).
 *
 * All adds of the process share one pool (`sharedPieceBuffers`): with a pool per add, a node
 * adding large files one after another allocated each add's buffers afresh while the last add's
 * waited for the collector (docs/storage-blockstore.md, "Memory after several large adds"). The
 * buffers given back are kept for the next add as long as idle import workers are, then dropped.
 */
export class PieceBuffers {
  readonly bytes: number;
  /** Buffers handed out again after they were given back. */
  reused = 0;
  private readonly free: Uint8Array[] = [];
  private readonly users = new WeakMap<ArrayBufferLike, number>();
  private lastGivenBackMs = 0;
  private dropTimer: ReturnType<typeof setTimeout> | null = null;

  /** Buffers of maxBytes + PIECE_BYTES: room for a chunk left unfinished, then a piece. */
  constructor(config: ChunkingConfig) {
    this.bytes = config.maxBytes + PIECE_BYTES;
  }

  /** A buffer for the next piece: one given back, or a new one. */
  take(): Uint8Array {
    const again = this.free.pop();
    if (again !== undefined) {
      this.reused++;
      return again;
    }
    // Uninitialised, and never one of Node's pooled small Buffers: it is transferred whole.
    return new Uint8Array(Buffer.allocUnsafeSlow(this.bytes).buffer);
  }

  /** Buffers given back and kept for the next piece. */
  get freeCount(): number {
    return this.free.length;
  }

  /** Counts each of a piece's chunks as a user of its buffer: all of them, before any is let go. */
  holdAll(chunks: readonly Uint8Array[]): void {
    for (const chunk of chunks) {
      if (chunk.buffer.byteLength === this.bytes) this.users.set(chunk.buffer, (this.users.get(chunk.buffer) ?? 0) + 1);
    }
  }

  /** release() of each block's bytes: a BlockWriter's onWritten. */
  readonly releaseWritten = (blocks: readonly { readonly bytes: Uint8Array }[]): void => {
    for (const block of blocks) this.release(block.bytes);
  };

  /** `bytes` will not be read again; the last chunk of a buffer to go gives it back. Anything not held is ignored. */
  release(bytes: Uint8Array): void {
    const users = this.users.get(bytes.buffer);
    if (users === undefined) return;
    if (users > 1) {
      this.users.set(bytes.buffer, users - 1);
      return;
    }
    this.users.delete(bytes.buffer);
    if (this.free.length >= BUFFERS_FREE_MAX) return;
    this.free.push(new Uint8Array(bytes.buffer));
    this.dropWhenIdle();
  }

  /** The idle time changed (setCuttingWorkersIdleMs): the wait for dropping the free buffers starts again. */
  restartIdleWait(): void {
    if (this.dropTimer !== null) clearTimeout(this.dropTimer);
    this.dropTimer = null;
    if (this.free.length > 0) this.dropWhenIdle();
  }

  /** Drops the free buffers once none has been given back for importWorkersIdleMs(). */
  private dropWhenIdle(): void {
    this.lastGivenBackMs = performance.now();
    if (this.dropTimer !== null) return;
    const check = (): void => {
      const waitMs = importWorkersIdleMs() - (performance.now() - this.lastGivenBackMs);
      if (waitMs > 0) {
        this.dropTimer = setTimeout(check, waitMs);
        this.dropTimer.unref();
        return;
      }
      this.dropTimer = null;
      this.free.length = 0;
    };
    this.dropTimer = setTimeout(check, importWorkersIdleMs());
    this.dropTimer.unref();
  }
}

/** The pools all adds share, by buffer size (a chunking configuration's maxBytes sets it). */
const sharedPools = new Map<number, PieceBuffers>();

/** The pool of piece buffers every add cutting with `config` shares. */
export function sharedPieceBuffers(config: ChunkingConfig): PieceBuffers {
  const bytes = config.maxBytes + PIECE_BYTES;
  let pool = sharedPools.get(bytes);
  if (pool === undefined) {
    pool = new PieceBuffers(config);
    sharedPools.set(bytes, pool);
  }
  return pool;
}

/** Cutting workers alive and idle. */
export function idleCuttingWorkers(): number {
  return idleWorkers.length;
}

/** Starts a cutting worker ahead of the first large file, if none is idle (a node does at its start). */
export function startCuttingWorker(): void {
  if (idleWorkers.length === 0) keepIdle(newWorker());
}

function newWorker(): Worker {
  return new Worker(new URL('./cutting-worker.ts', import.meta.url));
}

function keepIdle(worker: Worker): void {
  worker.unref();
  idleWorkers.push(worker);
  // One that dies while idle (it should not) must not be handed a job it will never answer.
  const forget = (): void => {
    const at = idleWorkers.indexOf(worker);
    if (at >= 0) idleWorkers.splice(at, 1);
    const idle = idleSince.get(worker);
    if (idle !== undefined) clearTimeout(idle.timer);
    idleSince.delete(worker);
  };
  worker.once('exit', forget);
  worker.once('error', forget);
  // Idle for long, it goes: a worker holds tens of MiB, and a node may add nothing for hours.
  const timer = setTimeout(() => {
    forget();
    void worker.terminate();
  }, idleMsSet);
  timer.unref();
  idleSince.set(worker, { forget, timer });
}

function takeIdle(): Worker | undefined {
  const worker = idleWorkers.pop();
  if (worker !== undefined) takeIdleWorker(worker);
  return worker;
}

/** Stops the idle watch of `worker`, out of the idle list. */
function takeIdleWorker(worker: Worker): void {
  const idle = idleSince.get(worker);
  if (idle !== undefined) {
    worker.off('exit', idle.forget).off('error', idle.forget);
    clearTimeout(idle.timer);
  }
  idleSince.delete(worker);
}

/** The worker's error as the one a read on this thread would have thrown: its message, code and syscall. */
function errorOf(reply: Extract<CuttingReply, { type: 'error' }>): Error {
  const error = new Error(reply.message) as Error & { code?: string; syscall?: string };
  if (reply.code !== null) error.code = reply.code;
  if (reply.syscall !== null) error.syscall = reply.syscall;
  return error;
}
