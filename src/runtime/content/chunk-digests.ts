/**
 * The digests (and for an encrypted add, the seals) of a large file's chunks, computed on worker
 * threads (digest-worker.ts), a group of chunks at a time — the chunks of one piece that
 * file-chunks.ts's worker cut. The groups' memory moves to a worker and back without a copy.
 *
 * hashing-ahead.ts had moved this work to libuv's thread pool as WebCrypto jobs, but WebCrypto
 * copies every input before its job runs: about 0.2 s of the main thread per GiB for the digests
 * alone, and three copies of every chunk for a seal (the HMAC's input, the cipher's, the digest's).
 * node:crypto on a worker reads the chunks where they lie. docs/STORAGE.md, "Cutting and hashing
 * on worker threads", has the figures.
 *
 * The workers are shared by all adds of the process, started with the node (startImportWorkers)
 * or when first needed, and do not keep the process alive while idle; after importWorkersIdleMs()
 * without work they end. A worker that fails fails the groups it held; the next group starts a
 * new one.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { inOrderAhead, type HashedChunk, type SealedChunk } from './hashing-ahead.ts';
import { importWorkersIdleMs, type PieceBuffers } from './file-chunks.ts';
import { transferableBuffers, type DigestReply, type DigestRequest } from './import-worker-protocol.ts';

/** Groups (pieces) being hashed at once, across the workers: enough to keep each busy while the next group travels. */
const GROUPS_IN_FLIGHT = 6;

/** Worker threads: one per core up to four (the cutting worker and the main thread take their share too). */
export function digestWorkersWanted(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

interface Pending {
  readonly resolve: (reply: Extract<DigestReply, { chunks: readonly Uint8Array[] }>) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly pending: Map<number, Pending>;
}

class DigestWorkers {
  readonly slots: Slot[] = [];
  private nextId = 0;
  private turn = 0;
  /** Ends every worker once none has had work for importWorkersIdleMs(). */
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  /** The digests of `chunks` (and with a secret their seals), computed by one of the workers. */
  digest(chunks: readonly Uint8Array[], convergenceSecret: Uint8Array | null): Promise<Extract<DigestReply, { chunks: readonly Uint8Array[] }>> {
    const slot = this.slotForNext();
    const id = this.nextId++;
    this.busy();
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      const request: DigestRequest = { id, chunks, convergenceSecret };
      slot.worker.postMessage(request, transferableBuffers(chunks));
    });
  }

  /** Starts every worker now rather than at the first groups. */
  start(): void {
    while (this.slots.length < digestWorkersWanted()) this.slots.push(this.started());
    this.idle();
  }

  private busy(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  /** Arms the idle timer if no worker has work. */
  idle(): void {
    if (this.slots.some((slot) => slot.pending.size > 0)) return;
    this.busy();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      for (const slot of this.slots.splice(0)) void slot.worker.terminate();
    }, importWorkersIdleMs());
    this.idleTimer.unref();
  }

  private slotForNext(): Slot {
    if (this.slots.length < digestWorkersWanted()) this.slots.push(this.started());
    this.turn = (this.turn + 1) % this.slots.length;
    return this.slots[this.turn];
  }

  private started(): Slot {
    const worker = new Worker(new URL('./digest-worker.ts', import.meta.url));
    const slot: Slot = { worker, pending: new Map() };
    worker.on('message', (reply: DigestReply) => {
      const waiting = slot.pending.get(reply.id);
      if (waiting === undefined) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) {
        worker.unref();
        this.idle();
      }
      if ('error' in reply) waiting.reject(new Error(`hashing a chunk failed: ${reply.error}`));
      else waiting.resolve(reply);
    });
    const lost = (error: Error): void => {
      const at = this.slots.indexOf(slot);
      if (at >= 0) this.slots.splice(at, 1);
      for (const waiting of slot.pending.values()) waiting.reject(error);
      slot.pending.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`a hashing worker stopped (exit code ${code})`)));
    // After the listeners: adding a 'message' listener refs the worker again.
    worker.unref();
    return slot;
  }
}

const workers = new DigestWorkers();

/** Digest workers alive. */
export function digestWorkersAlive(): number {
  return workers.slots.length;
}

/** The idle time changed: an idle pool starts its wait again. */
export function rearmIdleDigestWorkers(): void {
  workers.idle();
}

/** Starts the digest workers ahead of the first large file (a node does at its start). */
export function startDigestWorkers(): void {
  workers.start();
}

/**
 * Each chunk of `groups`, in order, with its digest, hashed on the workers up to GROUPS_IN_FLIGHT
 * groups ahead. Each group's chunks are counted as users of their buffers in `pieces` as it comes back.
 */
export async function* digestedByWorkers(groups: AsyncIterable<readonly Uint8Array[]>, pieces?: PieceBuffers): AsyncGenerator<HashedChunk> {
  for await (const reply of inOrderAhead(groups, GROUPS_IN_FLIGHT, (chunks) => workers.digest(chunks, null))) {
    pieces?.holdAll(reply.chunks);
    for (let i = 0; i < reply.chunks.length; i++) yield { chunk: reply.chunks[i], digest: reply.digests[i] };
  }
}

/** Each chunk of `groups`, in order, sealed under `convergenceSecret` (content-cipher-node.ts) and its ciphertext hashed, on the workers. */
export async function* sealedByWorkers(groups: AsyncIterable<readonly Uint8Array[]>, convergenceSecret: Uint8Array, pieces?: PieceBuffers): AsyncGenerator<SealedChunk> {
  for await (const reply of inOrderAhead(groups, GROUPS_IN_FLIGHT, (chunks) => workers.digest(chunks, convergenceSecret))) {
    pieces?.holdAll(reply.chunks);
    const { keys, ciphertexts } = reply;
    if (keys === null || ciphertexts === null) throw new Error('a hashing worker did not seal the chunks it was asked to');
    for (let i = 0; i < reply.chunks.length; i++) yield { chunk: reply.chunks[i], key: keys[i], ciphertext: ciphertexts[i], digest: reply.digests[i] };
  }
}
