/**
 * Retrieval (issue 4, item 6; docs/storage-network.md): brings every block of a content DAG into
 * the local store, from many holders at once, then the content is read locally as any other.
 *
 * The walk: the root, then its children once it has arrived, and so on down (walk/block-children.ts
 * says what a block links to, plain or sealed). Blocks already here are read, not fetched — so an
 * interrupted get resumes from what is on disk. Missing blocks are batched: their holders are found
 * (holder-discovery.ts: a lookup each, one `have` per node), then the swarm scheduler
 * (services/storage/exchange/swarm-scheduler.ts) decides which holder to ask for which block —
 * pipelined, the fastest holders preferred, rarest first, an endgame whose duplicates are cancelled.
 * Every block is checked against its CID before it is stored; a holder that sends bad bytes is
 * penalised (the scheduler avoids it, the peer guard scores it) and the block comes from another.
 * A block that nobody holds whole but whose erasure fragments are out there is rebuilt from any K
 * of them (placement/block-recovery.ts), a bad fragment's sender penalised the same way.
 */
import { idToHex } from '../../core/id.ts';
import type { PeerRef } from '../../core/peer.ts';
import { Codec, matchesCid, type CID } from '../../services/storage/dag/cids.ts';
import type { ContentCipher } from '../../services/storage/crypt/content-cipher.ts';
import { SwarmScheduler } from '../../services/storage/exchange/swarm-scheduler.ts';
import type { SwarmConfig } from '../../services/storage/exchange/swarm-config.ts';
import { blockChildren, fileChildSpans, isDirectoryNode, type BlockReading, type ChildBlock } from '../../services/storage/walk/block-children.ts';
import { ContentUnavailableError } from '../content-store-errors.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import type { BlockSession } from '../storage/blockstore-session.ts';
import { BlockWriter, bulkWriteDurability, finishBulkWrite } from '../content/block-writer.ts';
import { forEachLimited } from '../storage/parallel.ts';
import { ExchangeProtocolError, peerIdTextOf, type ExchangeClient } from './exchange-client.ts';
import { distinctOffers, localFragmentRecords, rebuildBlock } from './fragment-rebuild.ts';
import type { Holdings } from './holdings.ts';
import type { BlockHolders, HolderDiscovery } from './holder-discovery.ts';
import { sha256 } from '../content/content-hash.ts';

export interface FetchProgress {
  readonly blocksKnown: number;
  readonly blocksDone: number;
  /** Of those, already here before this fetch. */
  readonly blocksLocal: number;
  readonly bytesFetched: number;
  /** Holders that delivered at least one block or fragment. */
  readonly sources: number;
  readonly inFlight: number;
}

export interface FetchReport extends FetchProgress {
  readonly blocksRebuilt: number;
  readonly penalised: readonly string[];
  readonly durationMs: number;
}

export interface FetcherParts {
  readonly store: Blockstore;
  /** What this node keeps for the grid: its own fragments count towards a rebuild. */
  readonly holdings: Holdings;
  readonly client: ExchangeClient;
  readonly discovery: HolderDiscovery;
  /** Opens sealed nodes to learn their children (the key comes from the parent, not our secret). */
  readonly cipher: ContentCipher;
  /** A holder sent bad data: scored by the peer guard and counted in the per-peer ledger (grid-storage.ts). */
  readonly penalize: (peer: PeerRef, reason: string) => void;
  readonly nowMs: () => number;
  readonly swarm?: Partial<SwarmConfig>;
  /** A holder's RTT as the DHT knows it (measured, or predicted by coordinates), NaN when unknown: the nearest replica is asked first. */
  readonly rttOf?: (peer: PeerRef) => number;
}

/** Rounds of holder discovery for blocks nobody was found holding, before the fetch gives up. */
const DISCOVERY_ROUNDS_MAX = 3;
const DISCOVERY_RETRY_DELAY_MS = 500;
/** Nodes remembered as likely holders of the rest of the content (each is asked one `have` per batch). */
const LIKELY_HOLDERS_MAX = 16;
/** Blocks rebuilt from fragments at once. */
const REBUILDS_IN_FLIGHT_MAX = 8;
/**
 * Blocks received and verified but not yet stored, beyond which no new request is sent: 64 of the
 * 256 KiB average is 16 MiB (256 MiB of the largest, 4 MiB blocks), several batches of the writer.
 */
const ACCEPTING_BLOCKS_MAX = 64;

/**
 * What a fetch brings: the whole DAG under the root; what a listing of it reads; or its structure —
 * every block that may have children, none of the leaves (what a census walks: check-content).
 */
/** Bytes `start` (inclusive) to `end` (exclusive) of a file: what a fetch of one byte range brings. */
export interface FileSpan {
  readonly start: number;
  readonly end: number;
}

export type FetchScope = 'all' | 'listing' | 'structure' | FileSpan;

interface Wanted {
  readonly cid: CID;
  readonly reading: BlockReading;
  /** Links from the root: a listing fetch goes no deeper than 1. */
  readonly depth: number;
  /** Where the block's part of the file starts (a fetch of a byte range walks only what overlaps it). */
  readonly offset: number;
  discoveryRounds: number;
}

export class ContentFetcher {
  private readonly parts: FetcherParts;

  constructor(parts: FetcherParts) {
    this.parts = parts;
  }

  /**
   * Fetches what is missing of the DAG under `root`; resolves when all of it is stored here. With
   * scope 'listing', only what a listing reads: the root and, if it is a directory, its entries'
   * roots (for their kinds and sizes), so `ls` of a remote directory does not download the tree;
   * with 'structure', every block but the leaves (a few per thousand of the bytes); with a span of
   * a file's bytes, only the blocks that hold some of them (and the nodes above those): a reader
   * of one range of a large file waits for that range, not for the file.
   */
  async fetch(
    root: CID, rootReading: BlockReading, onProgress?: (progress: FetchProgress) => void, signal?: AbortSignal, scope: FetchScope = 'all',
  ): Promise<FetchReport> {
    const run = new FetchRun(this.parts, onProgress, signal, scope);
    const session = this.parts.store.openSession();
    try {
      return await run.run(root, rootReading, session);
    } finally {
      run.abortAll();
      session.close();
    }
  }
}

/** One fetch: its scheduler, what is wanted, what is on the way. */
class FetchRun {
  private readonly parts: FetcherParts;
  private readonly onProgress: ((progress: FetchProgress) => void) | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly scheduler: SwarmScheduler;
  private readonly startedAtMs: number;
  /** Stores verified blocks in batches: one index commit for whatever arrived during the last (block-writer.ts). */
  private writer: BlockWriter | null = null;
  /** Blocks seen in the walk (CID text), here or not. */
  private readonly known = new Set<string>();
  /** Missing blocks waiting for their holders to be found. */
  private toDiscover: Wanted[] = [];
  /** Blocks handed to the scheduler, by CID text. */
  private readonly inSwarm = new Map<string, Wanted>();
  /** Blocks of the swarm with no usable holder left, being looked for again (rediscoverStuck). */
  private readonly rediscovering = new Set<string>();
  private readonly peers = new Map<string, PeerRef>();
  /** Holders whose channels were opened ahead (prepareHolder), by kernel address. */
  private readonly prepared = new Set<string>();
  /** Peer ids by kernel address: parsing an address for every block and holder was a visible cost. */
  private readonly names = new Map<string, string>();
  /** Nodes that held blocks of this content: asked first about the next blocks (holder-discovery.ts). */
  private readonly likelyHolders = new Map<string, PeerRef>();
  private readonly requests = new Map<number, AbortController>();
  /** The scheduler's name of the holder each request went to. */
  private readonly requestPeers = new Map<number, string>();
  /** Requests the scheduler cancelled whose answers are still checked, not used (applyCancelsAndPenalties). */
  private readonly checkOnly = new Set<number>();
  private readonly sourcePeers = new Set<string>();
  private readonly penalised: string[] = [];
  private blocksDone = 0;
  private blocksLocal = 0;
  private blocksRebuilt = 0;
  private bytesFetched = 0;
  private rebuildsRunning = 0;
  /** Delivered blocks being stored and walked. */
  private accepting = 0;
  private discovering = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private unavailable: string[] = [];
  private readonly scope: FetchScope;

  constructor(parts: FetcherParts, onProgress: ((progress: FetchProgress) => void) | undefined, signal: AbortSignal | undefined, scope: FetchScope) {
    this.parts = parts;
    this.scope = scope;
    this.onProgress = onProgress;
    this.signal = signal;
    this.scheduler = new SwarmScheduler(parts.swarm ?? {});
    this.startedAtMs = parts.nowMs();
  }

  async run(root: CID, reading: BlockReading, session: BlockSession): Promise<FetchReport> {
    // Batches are fsynced in the background rather than each waited for, and the whole fetch is
    // made durable at its end (finishBulkWrite, below): a fetch promises its content when it ends.
    const durability = bulkWriteDurability(this.parts.store);
    this.writer = new BlockWriter(this.parts.store, session, { batchBytes: 0, durability });
    await this.visit([{ cid: root, reading, depth: 0, offset: 0, discoveryRounds: 0 }]);
    for (;;) {
      if (this.failure !== null) throw this.failure;
      if (this.signal?.aborted === true) throw this.signal.reason ?? new Error('the fetch was aborted');
      if (this.unavailable.length > 0) throw new ContentUnavailableError(this.unavailable);
      if (this.finished()) break;
      this.startDiscovery();
      // Verified blocks waiting for the disk hold back new requests: a slow disk then slows the
      // network, rather than filling memory.
      if (this.accepting < ACCEPTING_BLOCKS_MAX) this.sendRequests();
      await this.nextEvent();
      this.scheduler.tick(this.parts.nowMs());
      this.applyCancelsAndPenalties();
      this.rediscoverStuck();
    }
    await this.writer.flush();
    await finishBulkWrite(this.parts.store, durability);
    return { ...this.progress(), blocksRebuilt: this.blocksRebuilt, penalised: this.penalised, durationMs: this.parts.nowMs() - this.startedAtMs };
  }

  abortAll(): void {
    for (const controller of this.requests.values()) controller.abort();
    this.requests.clear();
    if (this.timer !== null) clearTimeout(this.timer);
  }

  private finished(): boolean {
    return this.toDiscover.length === 0 && !this.discovering && this.rebuildsRunning === 0 && this.inSwarm.size === 0 && this.accepting === 0;
  }

  /**
   * Walks blocks: those here are read and their children visited; the others wait for discovery.
   * Depth first in the file's order (a stack, children pushed last first), so the blocks are
   * wanted — and, among equally common ones, fetched — front to back: a reader streaming the
   * content while it is fetched (the content routes) gets its first bytes first.
   */
  private async visit(blocks: Wanted[]): Promise<void> {
    const stack = [...blocks].reverse();
    while (stack.length > 0) {
      const wanted = stack.pop() as Wanted;
      const text = wanted.cid.toString();
      if (this.known.has(text)) continue;
      this.known.add(text);
      // The structure alone: a leaf is named by its parent, and that is all a census needs of it.
      if (this.scope === 'structure' && isLeaf(wanted.cid, wanted.reading)) continue;
      if (!this.parts.store.has(wanted.cid)) {
        this.toDiscover.push(wanted);
        continue;
      }
      this.blocksDone++;
      this.blocksLocal++;
      // Leaves (most of the bytes) have no children: they are not read, so checking content that is
      // all here costs index lookups and the small internal nodes only.
      if (isLeaf(wanted.cid, wanted.reading) || (this.scope === 'listing' && wanted.depth > 0)) continue;
      const bytes = await this.parts.store.get(wanted.cid);
      const linked = blockChildren(wanted.cid, bytes, wanted.reading, this.parts.cipher);
      // A copy a peer placed here (or a cache push) came without its links: record them now, with
      // the key that reads it, or gc from a pin, export and placement would stop at it.
      if (linked.length > 0 && this.parts.store.links(wanted.cid).length === 0) this.parts.store.addLinks(wanted.cid, linked.map((child) => child.cid));
      const children = this.toWalk(wanted, bytes, linked);
      for (let index = children.length - 1; index >= 0; index--) stack.push(children[index]);
    }
    this.reportProgress();
    // New blocks to look for: the loop starts their discovery now, not when this block is stored.
    if (this.toDiscover.length > 0) this.notify();
  }

  /**
   * Of a block's children, those the walk goes on to: all of them; for a listing a directory root's
   * entries only; for a span of a file, the children whose bytes overlap it.
   */
  private toWalk(parent: Wanted, bytes: Uint8Array, children: readonly ChildBlock[]): Wanted[] {
    if (this.scope === 'listing' && (parent.depth > 0 || !isDirectoryNode(parent.cid, bytes, parent.reading, this.parts.cipher))) return [];
    const span = this.scope;
    if (typeof span === 'object') {
      const spans = fileChildSpans(parent.cid, bytes, parent.reading, this.parts.cipher);
      if (spans !== null) {
        const overlapping: Wanted[] = [];
        for (const child of spans) {
          const offset = parent.offset + child.offset;
          if (offset < span.end && offset + child.fileBytes > span.start) overlapping.push({ ...child.child, depth: parent.depth + 1, offset, discoveryRounds: 0 });
        }
        return overlapping;
      }
    }
    return children.map((child) => ({ ...child, depth: parent.depth + 1, offset: 0, discoveryRounds: 0 }));
  }

  /**
   * Blocks whose every holder failed too often (timeouts, refusals) are looked for again: a holder
   * found again gets another chance (reinstate; one that sent bad data never does), and new ones
   * join. After DISCOVERY_ROUNDS_MAX rounds such a block is unavailable — a clear error, never a
   * fetch that waits for ever.
   */
  private rediscoverStuck(): void {
    for (const text of this.scheduler.stuck()) {
      const wanted = this.inSwarm.get(text);
      if (wanted === undefined || this.rediscovering.has(text)) continue;
      this.rediscovering.add(text);
      if (++wanted.discoveryRounds >= DISCOVERY_ROUNDS_MAX) this.unavailable.push(text);
      else this.toDiscover.push(wanted);
    }
  }

  private startDiscovery(): void {
    if (this.discovering || this.toDiscover.length === 0) return;
    const batch = this.toDiscover;
    this.toDiscover = [];
    this.discovering = true;
    void this.parts.discovery.discover(batch.map((wanted) => wanted.cid), this.signal, [...this.likelyHolders.values()])
      .then((found) => this.placeDiscovered(batch, found))
      .catch((error: unknown) => (this.failure ??= error))
      .finally(() => {
        this.discovering = false;
        this.notify();
      });
  }

  private async placeDiscovered(batch: readonly Wanted[], found: Map<string, BlockHolders>): Promise<void> {
    const retry: Wanted[] = [];
    const rebuild: { wanted: Wanted; holders: BlockHolders }[] = [];
    for (const wanted of batch) {
      const text = wanted.cid.toString();
      const holders = found.get(text);
      for (const peer of holders?.copies ?? []) if (this.likelyHolders.size < LIKELY_HOLDERS_MAX) this.likelyHolders.set(peer.address, peer);
      if (holders !== undefined && holders.copies.length > 0 && this.rediscovering.has(text)) {
        this.rediscovering.delete(text);
        const names = holders.copies.map((peer) => this.peerName(peer));
        for (const name of names) this.scheduler.reinstate(name);
        this.scheduler.addHolders(text, names);
      } else if (holders !== undefined && holders.copies.length > 0) {
        this.inSwarm.set(text, wanted);
        this.scheduler.want(text, holders.copies.map((peer) => this.peerName(peer)));
        const rttOf = this.parts.rttOf;
        if (rttOf !== undefined) for (const peer of holders.copies) this.scheduler.setRttHint(this.peerName(peer), rttOf(peer));
        for (const peer of holders.copies) this.prepareHolder(peer);
      } else if (holders !== undefined && (holders.fragments.length > 0 || this.parts.holdings.piecesOf(text).length > 0)) {
        // A block of the swarm whose copies are all gone is rebuilt instead.
        if (this.rediscovering.delete(text)) this.inSwarm.delete(text);
        rebuild.push({ wanted, holders });
      } else if (++wanted.discoveryRounds < DISCOVERY_ROUNDS_MAX) {
        retry.push(wanted);
      } else {
        this.unavailable.push(text);
      }
    }
    if (retry.length > 0) {
      await delay(DISCOVERY_RETRY_DELAY_MS);
      this.toDiscover.push(...retry);
    }
    if (rebuild.length > 0) {
      this.rebuildsRunning += rebuild.length;
      void forEachLimited(rebuild, REBUILDS_IN_FLIGHT_MAX, async ({ wanted, holders }) => {
        try {
          await this.rebuild(wanted, holders);
        } finally {
          this.rebuildsRunning--;
          this.notify();
        }
      }).catch((error: unknown) => (this.failure ??= error));
    }
  }

  private sendRequests(): void {
    for (const request of this.scheduler.nextRequests(this.parts.nowMs())) {
      const wanted = this.inSwarm.get(request.block) as Wanted;
      const peer = this.peers.get(request.peer) as PeerRef;
      const controller = new AbortController();
      this.requests.set(request.requestId, controller);
      this.requestPeers.set(request.requestId, request.peer);
      void this.parts.client.getBlock(peer, wanted.cid, controller.signal).then(
        async (answer) => {
          if (this.checkOnly.delete(request.requestId)) {
            this.requests.delete(request.requestId);
            if (answer.kind === 'block' && !matchesCid(wanted.cid, answer.bytes, sha256)) this.penalise(peer, 'a block that does not match its CID');
            return;
          }
          if (!this.requests.delete(request.requestId)) return;
          const nowMs = this.parts.nowMs();
          if (answer.kind === 'notFound') this.scheduler.notFound(request.requestId, nowMs);
          else if (answer.kind === 'refused') this.scheduler.failed(request.requestId, nowMs, `refused: ${answer.message}`);
          else if (!matchesCid(wanted.cid, answer.bytes, sha256)) {
            this.scheduler.invalid(request.requestId, nowMs, 'a block that does not match its CID');
          } else if (this.inSwarm.has(request.block)) {
            // Delivered once only: an endgame duplicate that arrives first wins, the other is cancelled.
            this.inSwarm.delete(request.block);
            this.scheduler.delivered(request.requestId, nowMs, answer.bytes.length);
            this.sourcePeers.add(request.peer);
            this.bytesFetched += answer.bytes.length;
            // While blocks wait to be asked for, the scheduler is asked at once to fill the
            // holder's freed slot (a fast holder's slots it fills in batches: swarm-config.ts,
            // requestBatchMs), not once this block's batch is written (an fsync later), which left
            // a single source idle a third of the time. In the endgame there is nothing to fill it
            // with but duplicate requests: those wait for the write as before, so that a holder's
            // first, slower answers are not raced at once by one that has just shown it is fast.
            if (this.scheduler.blocksWaiting() > 0) this.notify();
            await this.accept(wanted, answer.bytes);
          }
        },
        (error: unknown) => {
          if (this.checkOnly.delete(request.requestId)) {
            this.requests.delete(request.requestId);
            if (error instanceof ExchangeProtocolError) this.penalise(peer, error.message);
            return;
          }
          if (!this.requests.delete(request.requestId)) return;
          const nowMs = this.parts.nowMs();
          if (error instanceof ExchangeProtocolError) this.scheduler.invalid(request.requestId, nowMs, error.message);
          else this.scheduler.failed(request.requestId, nowMs, (error as Error).message);
        },
      ).catch((error: unknown) => (this.failure ??= error)).finally(() => {
        this.requestPeers.delete(request.requestId);
        this.notify();
      });
    }
  }

  /** A verified block: stored (its links with it), counted, and its children walked. */
  private async accept(wanted: Wanted, bytes: Uint8Array): Promise<void> {
    this.accepting++;
    try {
      await this.store(wanted, bytes);
    } finally {
      this.accepting--;
    }
  }

  private async store(wanted: Wanted, bytes: Uint8Array): Promise<void> {
    const children = blockChildren(wanted.cid, bytes, wanted.reading, this.parts.cipher);
    // The bytes were hashed against the CID just now, in this process (sendRequests, or the
    // rebuild's check): the blockstore need not hash them again. The children are walked while the
    // block waits for its batch, so their holders are sought sooner.
    const stored = (this.writer as BlockWriter).add([{ cid: wanted.cid, bytes, links: children.map((child) => child.cid) }]);
    this.blocksDone++;
    await Promise.all([stored, this.visit(this.toWalk(wanted, bytes, children))]);
  }

  /** Rebuilds a block from any K of its fragments (fragment-rebuild.ts). */
  private async rebuild(wanted: Wanted, holders: BlockHolders): Promise<void> {
    const own = await localFragmentRecords(this.parts.holdings, this.parts.store, wanted.cid);
    const rebuilt = await rebuildBlock(this.parts.client, wanted.cid, distinctOffers(holders.fragments), (peer, reason) => this.penalise(peer, reason), this.signal, own);
    if (rebuilt === null) {
      this.unavailable.push(wanted.cid.toString());
      return;
    }
    this.bytesFetched += rebuilt.bytesFetched;
    for (const sender of rebuilt.sources) this.sourcePeers.add(this.peerName(sender));
    this.blocksRebuilt++;
    await this.accept(wanted, rebuilt.bytes);
  }

  private applyCancelsAndPenalties(): void {
    for (const requestId of this.scheduler.takeCancels()) {
      // A spare copy asked of a holder that has delivered nothing yet is left to run: its answer,
      // if it comes before the fetch ends, is still checked (not used). Faster holders win every
      // race at the start of a fetch, when a new holder has only a block or two in flight; cut
      // short, a holder sending bad data went unnoticed. It costs those one or two blocks.
      const peer = this.requestPeers.get(requestId);
      if (peer !== undefined && this.requests.has(requestId) && !this.sourcePeers.has(peer) && !this.penalised.includes(peer)) {
        this.checkOnly.add(requestId);
        continue;
      }
      this.requests.get(requestId)?.abort();
      this.requests.delete(requestId);
    }
    for (const penalty of this.scheduler.takePenalties()) {
      const peer = this.peers.get(penalty.peer);
      if (peer !== undefined) this.penalise(peer, penalty.reason);
    }
    this.reportProgress();
  }

  private penalise(peer: PeerRef, reason: string): void {
    const name = this.peerName(peer);
    if (!this.penalised.includes(name)) this.penalised.push(name);
    this.parts.penalize(peer, reason);
  }

  /**
   * A holder new to this fetch gets its request channel opened now, before the scheduler asks it:
   * otherwise its first blocks would travel slower than those of holders already connected, and
   * the endgame would give them to those (a holder sending bad data then went unnoticed).
   */
  private prepareHolder(peer: PeerRef): void {
    if (this.prepared.has(peer.address)) return;
    this.prepared.add(peer.address);
    this.parts.client.prepare?.(peer);
  }

  private peerName(peer: PeerRef): string {
    let name = this.names.get(peer.address);
    if (name === undefined) {
      const peerId = peerIdTextOf(peer);
      if (peerId !== null) this.names.set(peer.address, peerId);
      name = peerId ?? idToHex(peer);
    }
    this.peers.set(name, peer);
    return name;
  }

  private nextEvent(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      const wakeAtMs = this.scheduler.nextWakeAtMs();
      if (Number.isFinite(wakeAtMs)) {
        this.timer = setTimeout(() => this.notify(), Math.max(0, wakeAtMs - this.parts.nowMs()));
      }
    });
  }

  private notify(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private progress(): FetchProgress {
    return {
      blocksKnown: this.known.size, blocksDone: this.blocksDone, blocksLocal: this.blocksLocal,
      bytesFetched: this.bytesFetched, sources: this.sourcePeers.size, inFlight: this.requests.size,
    };
  }

  private reportProgress(): void {
    this.onProgress?.(this.progress());
  }
}

function isLeaf(cid: CID, reading: BlockReading): boolean {
  return reading.kind === 'plain' ? cid.code === Codec.raw : !reading.node;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
