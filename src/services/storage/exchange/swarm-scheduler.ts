/**
 * Swarm retrieval: which block to request from which holder when a download fetches many blocks
 * from many holders, as a synchronous state machine with no IO.
 *
 * Issue 4: "a file's blocks come from many holders in parallel — pipelined requests, the fastest
 * holders preferred, rarest-first and an endgame, duplicates cancelled; each block is verified; a
 * sender of bad data is penalised and avoided". The policy is BitTorrent's (B. Cohen, "Incentives
 * Build Robustness in BitTorrent", 2003): several requests queued per peer ("Pipelining"),
 * the rarest block first ("Rarest First"), and once every block is requested, the outstanding ones asked
 * again elsewhere and the spare copies cancelled ("Endgame Mode"). Unlike a BitTorrent
 * peer, a reader here only downloads, so there is no choking; instead it measures each holder's
 * rate and sends each block to the holder expected to deliver it soonest.
 *
 * The shape is the kernel's (core/closest-peers-lookup.ts, core/dht-node.ts; rust-libp2p's
 * ClosestPeersIter, etcd raft's Ready): inputs are commands (`want`, `addHolders`), request outcomes
 * (`delivered`, `invalid`, `notFound`, `failed`) and `tick`; outputs are data the caller acts on
 * (`nextRequests`, `takeCancels`, `takePenalties`, `nextWakeAtMs`). Time is an argument, peers and
 * blocks are opaque strings (a peer id, a CID), and the same inputs always give the same outputs.
 * Verifying a block against its CID is the caller's job; it reports the verdict.
 *
 * Every method may be called in any order, and an outcome for a request that is no longer in
 * flight (delivered elsewhere, cancelled, timed out, a late duplicate) is ignored.
 */
import { swarmConfig, type SwarmConfig } from './swarm-config.ts';
import { RarityQueue } from './rarity-queue.ts';
import {
  newBlock, newPeer, type InFlightRequest, type SwarmBlock, type SwarmPeer, type SwarmPeerStats, type SwarmPenalty,
  type SwarmProgress, type SwarmRequest,
} from './swarm-state.ts';

export type { SwarmPeerStats, SwarmPenalty, SwarmProgress, SwarmRequest } from './swarm-state.ts';

/**
 * How much later than a busy holder a free one must be expected to deliver before a block waits for
 * the busy one (bestHolder). Above 1 so that holders of about equal rate, whose measured rates
 * differ by noise, never keep blocks from each other: in the virtual-time swarm (test/services/
 * storage/exchange/swarm-simulation.test.ts), 1.5 kept most of what waiting gains (holders at R …
 * R/8 behind a reader's link of 2R: 1.033 of the bound, against 1.021 at 1 and 1.068 never waiting).
 */
const WAIT_MARGIN = 1.5;

/** Blocks one nextRequests call holds back for a busy faster holder before it stops scanning (see there). */
const WAITED_PER_CALL_MAX = 64;

/** The reason tick() gives the requests it fails. */
export const TIMEOUT_REASON = 'timeout';

export class SwarmScheduler {
  readonly config: SwarmConfig;
  private readonly blocks = new Map<string, SwarmBlock>();
  private readonly peersById = new Map<string, SwarmPeer>();
  /** Blocks with no request in flight and a usable holder: what nextRequests hands out. */
  private readonly queue = new RarityQueue<SwarmBlock>();
  /** Blocks with no request in flight and no usable holder. */
  private readonly stuckBlocks = new Set<SwarmBlock>();
  /** Blocks with at least one request in flight (at most inFlightMax). */
  private readonly activeBlocks = new Set<SwarmBlock>();
  private readonly requests = new Map<number, InFlightRequest>();
  private nextRequestId = 1;
  private nextOrder = 0;
  /** Peers not avoided with room for another request: when none, nothing can be handed out. */
  private freePeers = 0;
  /** Blocks wanted and not yet delivered. */
  private blocksPending = 0;
  private blocksWantedTotal = 0;
  private blocksDoneTotal = 0;
  private bytesDoneTotal = 0;
  /** The best measured rate among peers not avoided: what a peer never measured is credited with. */
  private bestRateBytesPerMs = 0;
  private bestRateStale = false;
  private cancels: number[] = [];
  private penalties: SwarmPenalty[] = [];
  /** remainingMs() within one nextRequests call; null outside one. */
  private remainingMsCached: number | null = null;
  /** Blocks held back for a busy faster holder in the current nextRequests call. */
  private waitedThisCall = 0;

  constructor(config: Partial<SwarmConfig> = {}) {
    this.config = swarmConfig(config);
  }

  // ---- commands ----------------------------------------------------------------------------------

  /**
   * Adds `block` to the download with the peers said to hold it, or adds holders to a block already
   * wanted (a delivered one is left alone). `sizeHintBytes` is the size the caller expects (from the
   * parent's link), which weighs the choice of holder and the timeout. Returns false, and wants
   * nothing, when the scheduler already remembers blocksWantedMax blocks.
   */
  want(block: string, holders: readonly string[] = [], sizeHintBytes?: number): boolean {
    assertName(block, 'block');
    assertHolders(holders);
    if (sizeHintBytes !== undefined && !(Number.isFinite(sizeHintBytes) && sizeHintBytes >= 0)) {
      throw new RangeError(`sizeHintBytes must be a finite number ≥ 0, got ${String(sizeHintBytes)}`);
    }
    let state = this.blocks.get(block);
    if (state === undefined) {
      if (this.blocks.size >= this.config.blocksWantedMax) return false;
      state = newBlock(block, this.nextOrder++, sizeHintBytes ?? null);
      this.blocks.set(block, state);
      this.blocksPending++;
      this.blocksWantedTotal++;
      this.addHoldersTo(state, holders);
      this.requeue(state);
      return true;
    }
    if (!state.done && sizeHintBytes !== undefined) state.sizeHintBytes = sizeHintBytes;
    this.addHolders(block, holders);
    return true;
  }

  /**
   * Adds peers said to hold a wanted block. Peers that answered notFound for it, and holders beyond
   * holdersPerBlockMax (or peers beyond peersMax), are not added. Returns how many were added.
   */
  addHolders(block: string, holders: readonly string[]): number {
    assertHolders(holders);
    const state = this.blocks.get(block);
    if (state === undefined || state.done) return 0;
    const wasQueued = state.queued;
    this.queue.remove(state);
    const added = this.addHoldersTo(state, holders);
    if (wasQueued) {
      this.requeue(state);
    } else if (state.stuck && added > 0) {
      this.stuckBlocks.delete(state);
      state.stuck = false;
      this.requeue(state);
    }
    return added;
  }

  /**
   * How near a peer is, in RTT (issue 6, nearest-replica choice): among holders expected to deliver
   * equally soon — every holder, before any has delivered — the nearest is asked first, so a block
   * with replicas near and far comes from a near one. Non-finite or negative values are ignored.
   */
  setRttHint(peer: string, rttMs: number): void {
    const state = this.peersById.get(peer);
    if (state !== undefined && Number.isFinite(rttMs) && rttMs >= 0) state.rttHintMs = rttMs;
  }

  /**
   * Lets a peer avoided for failing too often be asked again (the caller's network came back, say).
   * A peer penalised for bad data stays avoided. Returns whether the peer is usable now.
   */
  reinstate(peer: string): boolean {
    const state = this.peersById.get(peer);
    if (state === undefined || state.penalised) return false;
    if (!state.avoided) return true;
    state.failuresInARow = 0;
    this.setAvoided(state, false);
    this.bestRateStale = true;
    this.queue.rekey((block) => this.usableHolders(block), (block) => this.markStuck(block));
    for (const block of [...this.stuckBlocks]) {
      if (block.holders.includes(state)) {
        this.stuckBlocks.delete(block);
        block.stuck = false;
        this.requeue(block);
      }
    }
    return true;
  }

  /**
   * Drops what the scheduler remembers of delivered blocks, so that a long download stays within
   * blocksWantedMax; the totals of progress() keep counting them. A forgotten block wanted again is
   * fetched again. Returns how many were dropped.
   */
  forgetDelivered(): number {
    let dropped = 0;
    for (const [name, block] of this.blocks) {
      if (block.done) {
        this.blocks.delete(name);
        dropped++;
      }
    }
    return dropped;
  }

  // ---- outputs -------------------------------------------------------------------------------------

  /**
   * The requests to make now, as many as the caps allow: at most inFlightPerPeerMax per peer and
   * inFlightMax in all. Blocks go rarest first, each to the holder expected to deliver it soonest;
   * when every block that can be requested is in flight, the endgame asks a second holder (up to
   * endgameCopiesMax in all) for the blocks expected last, if it would deliver sooner.
   */
  nextRequests(nowMs: number): SwarmRequest[] {
    assertTime(nowMs);
    const out: SwarmRequest[] = [];
    this.refreshBestRate();
    const queue = this.queue;
    this.remainingMsCached = null;
    this.waitedThisCall = 0;
    let index = 0;
    // A block held back for a busy faster holder (bestHolder) is skipped like one whose holders
    // are all busy; past WAITED_PER_CALL_MAX of them the scan stops, since the blocks behind (no
    // rarer: the queue is rarest first) would mostly wait too, and scanning a long queue on every
    // call would cost O(blocks) per delivery.
    while (index < queue.length && this.canSendMore() && this.waitedThisCall < WAITED_PER_CALL_MAX) {
      const block = queue.at(index);
      const peer = this.bestHolder(block, nowMs);
      if (peer === null) {
        index++;
        continue;
      }
      queue.removeAt(index);
      out.push(this.send(block, peer, nowMs));
    }
    if (queue.length === 0 && this.config.endgameCopiesMax > 1 && this.canSendMore()) this.endgame(nowMs, out);
    this.remainingMsCached = null;
    return out;
  }

  /** Request ids the caller should abort: spare endgame copies, timed-out requests, a penalised peer's others. */
  takeCancels(): number[] {
    const out = this.cancels;
    if (out.length > 0) this.cancels = [];
    return out;
  }

  /** Peers that sent bad data since the last call, each reported once per download. */
  takePenalties(): SwarmPenalty[] {
    const out = this.penalties;
    if (out.length > 0) this.penalties = [];
    return out;
  }

  /** The earliest deadline of a request in flight (when tick should run); Infinity when none. */
  nextWakeAtMs(): number {
    let earliest = Infinity;
    for (const request of this.requests.values()) if (request.deadlineMs < earliest) earliest = request.deadlineMs;
    return earliest;
  }

  /** Fails the requests whose deadline has come (reason 'timeout') and lists them in takeCancels. */
  tick(nowMs: number): void {
    assertTime(nowMs);
    const overdue: InFlightRequest[] = [];
    for (const request of this.requests.values()) if (request.deadlineMs <= nowMs) overdue.push(request);
    for (const request of overdue) {
      // An earlier timeout may have made the peer avoided, which cancelled its other requests.
      if (!this.requests.has(request.requestId)) continue;
      this.cancels.push(request.requestId);
      this.onFailure(request, TIMEOUT_REASON);
    }
  }

  // ---- outcomes ------------------------------------------------------------------------------------

  /** The caller received the block and checked it against its CID: `bytes` is its size. */
  delivered(requestId: number, nowMs: number, bytes: number): void {
    assertTime(nowMs);
    if (!(Number.isFinite(bytes) && bytes >= 0)) throw new RangeError(`bytes must be a finite number ≥ 0, got ${String(bytes)}`);
    const request = this.requests.get(requestId);
    if (request === undefined) return;
    this.finish(request);
    const peer = request.peer;
    const busyMs = Math.max(0, nowMs - Math.max(peer.lastDeliveryAtMs, request.sentAtMs));
    // Its delivery measures it, which may change its slots and its batch (slotsOf, batchOf).
    const wasFree = this.isFree(peer);
    const rateBefore = peer.rate.bytesPerMs;
    peer.rate.add(bytes, busyMs, this.config.rateSmoothing);
    this.noteRate(peer, rateBefore);
    peer.lastDeliveryAtMs = Math.max(peer.lastDeliveryAtMs, nowMs);
    peer.bytesDelivered += bytes;
    peer.blocksDelivered++;
    this.noteRefilling(peer);
    this.freePeers += Number(this.isFree(peer)) - Number(wasFree);
    peer.failuresInARow = 0;

    const block = request.block;
    block.done = true;
    this.blocksPending--;
    this.blocksDoneTotal++;
    this.bytesDoneTotal += bytes;
    // The spare endgame copies are no longer needed: cancel them (Cohen 2003, "Endgame Mode").
    for (const spare of [...block.requests]) {
      this.finish(spare);
      this.cancels.push(spare.requestId);
    }
    block.holders = [];
    block.lacking = [];
  }

  /** The bytes did not match the CID or could not be decoded: the peer is penalised and avoided. */
  invalid(requestId: number, nowMs: number, reason: string): void {
    assertTime(nowMs);
    const request = this.requests.get(requestId);
    if (request === undefined) return;
    this.finish(request);
    const peer = request.peer;
    if (!peer.penalised) {
      peer.penalised = true;
      this.penalties.push({ peer: peer.peer, reason: String(reason) });
    }
    this.avoid(peer);
    this.requeue(request.block);
  }

  /** The peer answered that it does not have the block: it is no longer a holder of that block. */
  notFound(requestId: number, nowMs: number): void {
    assertTime(nowMs);
    const request = this.requests.get(requestId);
    if (request === undefined) return;
    this.finish(request);
    const peer = request.peer;
    const block = request.block;
    // An answer shows the peer is alive and honest, so its run of failures ends.
    peer.failuresInARow = 0;
    const at = block.holders.indexOf(peer);
    if (at >= 0) block.holders.splice(at, 1);
    if (!block.lacking.includes(peer)) block.lacking.push(peer);
    this.requeue(block);
  }

  /** The request failed (stream error, refusal, reset): counts against the peer; the block is asked elsewhere. */
  failed(requestId: number, nowMs: number, reason: string): void {
    assertTime(nowMs);
    const request = this.requests.get(requestId);
    if (request === undefined) return;
    this.onFailure(request, String(reason));
  }

  // ---- queries -------------------------------------------------------------------------------------

  /**
   * Blocks waiting to be asked for: wanted, with a usable holder, no request in flight. None while
   * the endgame runs (every block that can be asked for is in flight).
   */
  blocksWaiting(): number {
    return this.queue.length;
  }

  /** Whether every block wanted has been delivered. */
  isDone(): boolean {
    return this.blocksPending === 0;
  }

  /**
   * Blocks not delivered that have no usable holder left and nothing in flight, in the order they
   * were wanted: the caller finds more holders (addHolders) or gives up.
   */
  stuck(): string[] {
    return [...this.stuckBlocks].sort((a, b) => a.order - b.order).map((block) => block.block);
  }

  progress(): SwarmProgress {
    return { blocksWanted: this.blocksWantedTotal, blocksDone: this.blocksDoneTotal, bytesDone: this.bytesDoneTotal, inFlight: this.requests.size };
  }

  /** Every peer the download has heard of, in the order it first did. */
  peers(): SwarmPeerStats[] {
    return [...this.peersById.values()].map((peer) => ({
      peer: peer.peer,
      bytesDelivered: peer.bytesDelivered,
      blocksDelivered: peer.blocksDelivered,
      rateBytesPerMs: peer.rate.bytesPerMs,
      inFlight: peer.inFlight,
      failures: peer.failures,
      lastFailure: peer.lastFailure,
      avoided: peer.avoided,
      penalised: peer.penalised,
    }));
  }

  /** How many peers delivered at least one block. */
  sources(): number {
    let count = 0;
    for (const peer of this.peersById.values()) if (peer.blocksDelivered > 0) count++;
    return count;
  }

  // ---- choosing ------------------------------------------------------------------------------------

  private canSendMore(): boolean {
    return this.requests.size < this.config.inFlightMax && this.freePeers > 0;
  }

  /**
   * What the block is expected to weigh: its hint, else the mean of those delivered but never less
   * than the default — the first block delivered is usually a small manifest, and a file's chunks
   * judged by it would get timeouts a hundredth of what they need (a slow holder's every request
   * then timed out, and the holder was dropped).
   */
  private expectedBytes(block: SwarmBlock): number {
    if (block.sizeHintBytes !== null) return block.sizeHintBytes;
    if (this.blocksDoneTotal > 0) return Math.max(this.config.blockBytesExpected, this.bytesDoneTotal / this.blocksDoneTotal);
    return this.config.blockBytesExpected;
  }

  /** The rate a peer is expected to deliver at: measured, or optimistically the best anyone showed. */
  private choiceRate(peer: SwarmPeer): number {
    if (peer.rate.measured) return peer.rate.bytesPerMs;
    return this.bestRateBytesPerMs > 0 ? this.bestRateBytesPerMs : this.config.rateInitialBytesPerMs;
  }

  /** Milliseconds until `peer` would deliver one more block of `bytes`, behind what it already has. */
  private expectedDeliveryMs(peer: SwarmPeer, bytes: number): number {
    return ((peer.inFlight + 1) * bytes) / this.choiceRate(peer);
  }

  /**
   * The holder expected to deliver `block` soonest, among those not avoided, with a free slot, and
   * not already asked for it (endgame copies go to distinct peers); fewer in flight breaks a tie,
   * then the nearer (setRttHint), then the order holders were added. Null when there is none — and
   * also near the end, when a holder whose pipeline is full would deliver it well sooner (by
   * WAIT_MARGIN), behind its queue, than the best one free, and the download will be over before
   * that free one could deliver it: the block waits for the busy holder's next slot rather than
   * going to a much slower one, from which it would only come back through the endgame. Earlier on,
   * a slow holder adds to the total rate and gets blocks. Only a measured holder that is delivering
   * (its last block came within twice the time one block takes it) is waited for, so a holder that
   * has gone quiet never holds blocks back.
   */
  private bestHolder(block: SwarmBlock, nowMs: number): SwarmPeer | null {
    const bytes = this.expectedBytes(block);
    let best: SwarmPeer | null = null;
    let bestMs = Infinity;
    let busySoonestMs = Infinity;
    for (const peer of block.holders) {
      if (peer.avoided) continue;
      if (block.requests.length > 0 && block.requests.some((request) => request.peer === peer)) continue;
      const ms = this.expectedDeliveryMs(peer, bytes);
      if (!this.takesRequests(peer)) {
        if (ms < busySoonestMs && this.isDelivering(peer, bytes, nowMs)) busySoonestMs = ms;
        continue;
      }
      if (best === null || ms < bestMs || (ms === bestMs && (peer.inFlight < best.inFlight || (peer.inFlight === best.inFlight && peer.rttHintMs < best.rttHintMs)))) {
        best = peer;
        bestMs = ms;
      }
    }
    if (bestMs <= WAIT_MARGIN * busySoonestMs) return best;
    // Waiting pays only near the end: while the download has longer to run than the free holder
    // needs for the block, that holder adds to the total rate, slow or not.
    if (bestMs <= this.remainingMs()) return best;
    this.waitedThisCall++;
    return null;
  }

  /**
   * How long the blocks not yet delivered would take at the measured holders' summed rate; Infinity
   * when none is measured. Computed once per nextRequests call (nothing it reads changes within one).
   */
  private remainingMs(): number {
    if (this.remainingMsCached !== null) return this.remainingMsCached;
    this.remainingMsCached = this.computeRemainingMs();
    return this.remainingMsCached;
  }

  private computeRemainingMs(): number {
    let rate = 0;
    for (const peer of this.peersById.values()) if (!peer.avoided && peer.rate.measured) rate += peer.rate.bytesPerMs;
    if (rate === 0) return Infinity;
    const pendingBytes = this.blocksPending * (this.blocksDoneTotal > 0 ? this.bytesDoneTotal / this.blocksDoneTotal : this.config.blockBytesExpected);
    return pendingBytes / rate;
  }

  /** Whether `peer` is measured and has delivered within twice the time a block of `bytes` takes it. */
  private isDelivering(peer: SwarmPeer, bytes: number, nowMs: number): boolean {
    return peer.rate.measured && peer.blocksDelivered > 0 && nowMs - peer.lastDeliveryAtMs <= (2 * bytes) / peer.rate.bytesPerMs;
  }

  /**
   * The endgame (Cohen 2003, "Endgame Mode"): every block that can be requested is in flight and there is
   * room for more, so blocks in flight are asked of a second holder — those expected last first, and
   * only where the new holder is expected to deliver sooner than the copy in flight (or that copy is
   * overdue), so bandwidth is not spent racing two equally fast peers.
   */
  private endgame(nowMs: number, out: SwarmRequest[]): void {
    const copiesMax = this.config.endgameCopiesMax;
    const candidates: { block: SwarmBlock; expectedAtMs: number }[] = [];
    for (const block of this.activeBlocks) {
      if (block.requests.length >= copiesMax) continue;
      let expectedAtMs = Infinity;
      for (const request of block.requests) expectedAtMs = Math.min(expectedAtMs, request.expectedDoneAtMs);
      candidates.push({ block, expectedAtMs });
    }
    candidates.sort((a, b) => b.expectedAtMs - a.expectedAtMs || a.block.order - b.block.order);
    for (const { block, expectedAtMs } of candidates) {
      if (!this.canSendMore()) return;
      const peer = this.bestHolder(block, nowMs);
      if (peer === null) continue;
      const overdue = expectedAtMs <= nowMs;
      if (!overdue && nowMs + this.expectedDeliveryMs(peer, this.expectedBytes(block)) >= expectedAtMs) continue;
      out.push(this.send(block, peer, nowMs));
    }
  }

  private send(block: SwarmBlock, peer: SwarmPeer, nowMs: number): SwarmRequest {
    const bytes = this.expectedBytes(block);
    const queuedBytes = (peer.inFlight + 1) * bytes;
    const expectedMs = queuedBytes / this.choiceRate(peer);
    // A timeout allows for the peer being slower than it looks: its measured rate, never above the
    // optimistic guess for one never measured, which gets the floor rate instead.
    const timeoutRate = peer.rate.measured ? peer.rate.bytesPerMs : this.config.rateFloorBytesPerMs;
    const timeoutMs = Math.min(
      this.config.requestTimeoutMaxMs,
      Math.max(this.config.requestTimeoutMinMs, (this.config.requestTimeoutFactor * queuedBytes) / timeoutRate),
    );
    const request: InFlightRequest = {
      requestId: this.nextRequestId++,
      peer,
      block,
      sentAtMs: nowMs,
      deadlineMs: nowMs + timeoutMs,
      expectedDoneAtMs: nowMs + expectedMs,
    };
    this.requests.set(request.requestId, request);
    block.requests.push(request);
    this.activeBlocks.add(block);
    this.changeInFlight(peer, 1);
    return { requestId: request.requestId, peer: peer.peer, block: block.block };
  }

  // ---- bookkeeping ---------------------------------------------------------------------------------

  /** Takes a request out of flight, whatever its outcome. */
  private finish(request: InFlightRequest): void {
    this.requests.delete(request.requestId);
    const block = request.block;
    const at = block.requests.indexOf(request);
    if (at >= 0) block.requests.splice(at, 1);
    if (block.requests.length === 0) this.activeBlocks.delete(block);
    this.changeInFlight(request.peer, -1);
  }

  private onFailure(request: InFlightRequest, reason: string): void {
    this.finish(request);
    const peer = request.peer;
    peer.failures++;
    peer.failuresInARow++;
    peer.lastFailure = reason;
    if (peer.failuresInARow >= this.config.failuresBeforeAvoidMax) this.avoid(peer);
    this.requeue(request.block);
  }

  /**
   * Stops asking `peer` for anything in this download: its requests in flight are cancelled and
   * their blocks go back to be asked elsewhere, and every block it holds is now rarer.
   */
  private avoid(peer: SwarmPeer): void {
    if (peer.avoided) return;
    this.setAvoided(peer, true);
    this.bestRateStale = true;
    const its: InFlightRequest[] = [];
    for (const request of this.requests.values()) if (request.peer === peer) its.push(request);
    for (const request of its) {
      this.finish(request);
      this.cancels.push(request.requestId);
    }
    this.queue.rekey((block) => this.usableHolders(block), (block) => this.markStuck(block));
    for (const request of its) this.requeue(request.block);
  }

  /** Puts a block with nothing in flight back where it belongs: in the queue, or stuck. */
  private requeue(block: SwarmBlock): void {
    if (block.done || block.requests.length > 0 || block.queued || block.stuck) return;
    block.rarity = this.usableHolders(block);
    if (block.rarity === 0) this.markStuck(block);
    else this.queue.insert(block);
  }

  private markStuck(block: SwarmBlock): void {
    block.stuck = true;
    this.stuckBlocks.add(block);
  }

  private usableHolders(block: SwarmBlock): number {
    let count = 0;
    for (const peer of block.holders) if (!peer.avoided) count++;
    return count;
  }

  /** Adds holders to a block that is neither queued nor done; returns how many were new. */
  private addHoldersTo(block: SwarmBlock, holders: readonly string[]): number {
    let added = 0;
    for (const name of holders) {
      const peer = this.peer(name);
      if (peer === null || block.holders.includes(peer) || block.lacking.includes(peer)) continue;
      if (block.holders.length + block.lacking.length >= this.config.holdersPerBlockMax) {
        // A full list makes room only by forgetting a peer that said it lacks the block.
        if (block.lacking.length === 0) continue;
        block.lacking.shift();
      }
      block.holders.push(peer);
      added++;
    }
    return added;
  }

  /** The record of `name`, made on first mention; null when peersMax are already known. */
  private peer(name: string): SwarmPeer | null {
    let peer = this.peersById.get(name);
    if (peer === undefined) {
      if (this.peersById.size >= this.config.peersMax) return null;
      peer = newPeer(name);
      this.peersById.set(name, peer);
      this.freePeers++;
    }
    return peer;
  }

  private isFree(peer: SwarmPeer): boolean {
    return !peer.avoided && this.takesRequests(peer);
  }

  /**
   * Whether `peer` takes a request now: up to its slots while its pipeline is being refilled; once
   * it was full, only when fewer than pipelinePerPeer are in flight again. A fast peer (batchOf)
   * then gets a batch in one go.
   */
  private takesRequests(peer: SwarmPeer): boolean {
    const slots = this.slotsOf(peer);
    return peer.inFlight < (peer.refilling ? slots : Math.min(slots, this.config.pipelinePerPeer));
  }

  /** A full pipeline stops being refilled; one with fewer than pipelinePerPeer in flight starts again. */
  private noteRefilling(peer: SwarmPeer): void {
    const slots = this.slotsOf(peer);
    if (peer.inFlight >= slots) peer.refilling = false;
    else if (peer.inFlight < Math.min(slots, this.config.pipelinePerPeer)) peer.refilling = true;
  }

  /**
   * Requests `peer` may have at once: its pipeline and batch once it has delivered a block, fewer
   * before; never more than inFlightPerPeerMax.
   */
  private slotsOf(peer: SwarmPeer): number {
    const max = this.config.inFlightPerPeerMax;
    if (peer.blocksDelivered === 0) return Math.min(max, this.config.inFlightPerUnmeasuredPeerMax);
    return Math.min(max, this.config.pipelinePerPeer - 1 + this.batchOf(peer));
  }

  /** The requests `peer` gets together: as many blocks as it delivers in requestBatchMs at its measured rate, 1 to requestBatchMax. */
  private batchOf(peer: SwarmPeer): number {
    if (peer.blocksDelivered === 0 || !peer.rate.measured) return 1;
    const blockBytes = Math.max(1, peer.bytesDelivered / peer.blocksDelivered);
    const blocks = Math.floor((peer.rate.bytesPerMs * this.config.requestBatchMs) / blockBytes);
    return Math.max(1, Math.min(this.config.requestBatchMax, blocks));
  }

  private changeInFlight(peer: SwarmPeer, delta: number): void {
    const wasFree = this.isFree(peer);
    peer.inFlight += delta;
    this.noteRefilling(peer);
    this.freePeers += Number(this.isFree(peer)) - Number(wasFree);
  }

  private setAvoided(peer: SwarmPeer, avoided: boolean): void {
    const wasFree = this.isFree(peer);
    peer.avoided = avoided;
    this.freePeers += Number(this.isFree(peer)) - Number(wasFree);
  }

  /** Keeps the best rate current after `peer`'s changed from `rateBefore`, scanning only when the best one fell. */
  private noteRate(peer: SwarmPeer, rateBefore: number): void {
    if (!peer.rate.measured || peer.avoided) return;
    const rate = peer.rate.bytesPerMs;
    if (rate >= this.bestRateBytesPerMs) this.bestRateBytesPerMs = rate;
    else if (rateBefore >= this.bestRateBytesPerMs) this.bestRateStale = true;
  }

  private refreshBestRate(): void {
    if (!this.bestRateStale) return;
    this.bestRateStale = false;
    let best = 0;
    for (const peer of this.peersById.values()) {
      if (!peer.avoided && peer.rate.measured && peer.rate.bytesPerMs > best) best = peer.rate.bytesPerMs;
    }
    this.bestRateBytesPerMs = best;
  }
}

function assertName(name: string, what: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError(`${what} must be a non-empty string`);
}

function assertTime(nowMs: number): void {
  if (!Number.isFinite(nowMs)) throw new RangeError(`nowMs must be a finite number, got ${String(nowMs)}`);
}

/** Checked before anything changes, so a bad argument leaves the scheduler as it was. */
function assertHolders(holders: readonly string[]): void {
  if (!Array.isArray(holders)) throw new TypeError('holders must be an array of peer ids');
  for (const name of holders) assertName(name, 'holder');
}
