/**
 * The FastCDC chunks of a file on disk, cut on a worker thread when the file is large.
 *
 * Cutting (the Gear roll in WebAssembly, about 0.32 s per GiB) was the largest part of an add's
 * main thread once hashing and sealing had moved to the thread pool (hashing-ahead.ts), and the
 * main thread bounded the add: it also hands the chunks to WebCrypto, builds the DAG and writes the
 * packs and the index. cutting-worker.ts reads the file and cuts it, and hands over each piece's
 * memory with its chunks (transferred, not copied); the cut points are those of the same code on
 * the main thread (tested). docs/STORAGE.md, "Cutting on a worker thread", has the figures.
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
/** Pieces the worker may cut ahead of the consumer. */
const PIECES_AHEAD = 4;
/** Bytes read at a time when cutting on the main thread. */
const READ_BYTES = 1 << 20;
/** Idle workers kept for later files (two adds at once keep two busy). */
const IDLE_WORKERS_MAX = 2;

const idleWorkers: Worker[] = [];
/** The listener that drops each idle worker from the list if it dies. */
const idleWorkersTaken = new Map<Worker, () => void>();

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
export async function* chunkGroupsCutByWorker(path: string, config: ChunkingConfig): AsyncGenerator<readonly Uint8Array[]> {
  const worker = takeIdle() ?? newWorker();
  worker.ref();
  const inbox: CuttingReply[] = [];
  let lost: Error | null = null;
  let wake: (() => void) | null = null;
  const onMessage = (reply: CuttingReply): void => {
    inbox.push(reply);
    wake?.();
  };
  const onError = (error: Error): void => {
    lost ??= error;
    wake?.();
  };
  const onExit = (code: number): void => {
    lost ??= new Error(`the chunking worker stopped (exit code ${code})`);
    wake?.();
  };
  worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  let reusable = false;
  try {
    send(worker, { type: 'cut', path, config, pieceBytes: PIECE_BYTES, piecesAhead: PIECES_AHEAD });
    for (;;) {
      while (inbox.length === 0 && lost === null) await new Promise<void>((resolve) => (wake = resolve));
      const reply = inbox.shift();
      if (reply === undefined) throw lost;
      if (reply.type === 'error') {
        reusable = true;
        throw errorOf(reply);
      }
      if (reply.type === 'chunks') send(worker, { type: 'more' });
      else reusable = true;
      yield reply.chunks;
      if (reply.type === 'end') return;
    }
  } finally {
    worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    if (reusable && lost === null && idleWorkers.length < IDLE_WORKERS_MAX) {
      keepIdle(worker);
    } else {
      void worker.terminate();
    }
  }
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
  };
  worker.once('exit', forget);
  worker.once('error', forget);
  idleWorkersTaken.set(worker, forget);
}

function takeIdle(): Worker | undefined {
  const worker = idleWorkers.pop();
  if (worker === undefined) return undefined;
  const forget = idleWorkersTaken.get(worker);
  if (forget !== undefined) worker.off('exit', forget).off('error', forget);
  idleWorkersTaken.delete(worker);
  return worker;
}

function send(worker: Worker, request: CuttingRequest): void {
  worker.postMessage(request);
}

/** The worker's error as the one a read on this thread would have thrown: its message, code and syscall. */
function errorOf(reply: Extract<CuttingReply, { type: 'error' }>): Error {
  const error = new Error(reply.message) as Error & { code?: string; syscall?: string };
  if (reply.code !== null) error.code = reply.code;
  if (reply.syscall !== null) error.syscall = reply.syscall;
  return error;
}
