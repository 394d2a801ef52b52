/**
 * Content on the grid, as one node runs it (docs/storage-network.md): the exchange protocol served
 * on libp2p, placement of what is put here, retrieval of what is not here, and maintenance of what
 * this node holds for others — all over the node's one blockstore (content-store.ts).
 *
 * NodeRuntime composes it; the HTTP API calls `place`, `check`, `fetch` and `status`.
 */
import type { Libp2p } from '@libp2p/interface';
import type { PeerRef } from '../../core/peer.ts';
import { formatRedundancy, parseRedundancy, type Redundancy } from '../../services/storage/durability/redundancy.ts';
import { HOT_BLOCKS_DEFAULTS, HotBlocks, type HotBlocksConfig } from '../../services/storage/exchange/hot-blocks.ts';
import { PeerLedger, type PeerLedgerEntry } from '../../services/storage/placement/peer-ledger.ts';
import { LeasePolicy } from '../../services/storage/placement/lease-policy.ts';
import { plainReading, sealedRootReading, type BlockReading } from '../../services/storage/walk/block-children.ts';
import { Offence, type PeerGuard } from '../../transport/peer-guard.ts';
import type { RequestServer } from '../../transport/libp2p/request-response/request-server.ts';
import type { ContentStore } from '../content-store.ts';
import { ContentNotFoundError, ContentRequestError } from '../content-store-errors.ts';
import { parseContentRef, rootOf } from '../content/content-ref.ts';
import type { ContentRef } from '../content/content-exporter.ts';
import type { StorageConfig } from '../storage-config.ts';
import { ContentFetcher, type FetchProgress, type FetchReport, type FetchScope } from './content-fetcher.ts';
import { ContentChecker, type CheckProgress, type CheckReport } from './content-checker.ts';
import { ContentPlacer, type PlacementProgress, type PlacementReport } from './content-placer.ts';
import { ExchangeClient, peerIdTextOf } from './exchange-client.ts';
import { serveExchange } from './exchange-server.ts';
import { SharedFetches } from './shared-fetches.ts';
import { ExchangeService, bytesKeptForOthers } from './exchange-service.ts';
import { HolderDiscovery, type ClosestNodes } from './holder-discovery.ts';
import { Holdings } from './holdings.ts';
import { pacedLookups, STORAGE_LOOKUP_PACE } from './lookup-pacer.ts';
import { Maintenance, type MaintenanceStats } from './maintenance.ts';
import { LeaseKeeper, type LeaseKeeperStats } from './lease-keeper.ts';
import { BlockCache, type BlockCacheStats } from './block-cache.ts';
import { CachePusher, type CachePushStats } from './cache-pusher.ts';

export interface GridStorageParts {
  readonly libp2p: Libp2p;
  readonly content: ContentStore;
  readonly dataDir: string;
  readonly config: StorageConfig;
  readonly guard: PeerGuard;
  readonly self: PeerRef;
  /** The closest nodes to a key, from a lookup (ourselves not included). */
  readonly closestNodes: ClosestNodes;
  /** A peer's RTT as the DHT knows it, NaN when unknown: downloads ask the nearest holder first. */
  readonly rttOf?: (peer: PeerRef) => number;
  readonly nowMs: () => number;
  /** Wall-clock milliseconds, for what outlives a restart (holdings, leases); Date.now unless a test moves time. */
  readonly nowUnixMs?: () => number;
  readonly log: (record: Record<string, unknown>) => void;
  /** When a served block counts as hot and is pushed to a cache (tests shorten it). */
  readonly hotBlocks?: HotBlocksConfig;
}

export interface GridStorageStatus {
  readonly redundancy: string;
  readonly piecesHeld: number;
  readonly bytesHeld: number;
  readonly bytesForOthers: number;
  readonly bytesForOthersMax: number;
  readonly bytesPerPeerMax: number;
  readonly maintenance: MaintenanceStats;
  /** Leases: what this node grants, the pieces whose lease runs out within a week, and its own renewals. */
  readonly leases: {
    readonly leaseMs: number;
    readonly renewIntervalMs: number;
    readonly piecesExpiringWithinWeek: number;
    readonly nextExpiryAtMs: number | null;
    readonly renewals: LeaseKeeperStats;
  };
  /** Cache copies of hot blocks held here, and those this node pushed to others. */
  readonly cache: BlockCacheStats & { readonly pushes: CachePushStats };
  readonly peers: readonly PeerLedgerEntry[];
}

export class GridStorage {
  readonly holdings: Holdings;
  readonly ledger = new PeerLedger();
  readonly maintenance: Maintenance;
  readonly leaseKeeper: LeaseKeeper;
  private readonly parts: GridStorageParts;
  private readonly nowUnixMs: () => number;
  private readonly placer: ContentPlacer;
  private readonly checker: ContentChecker;
  private readonly fetcher: ContentFetcher;
  private readonly fetches = new SharedFetches();
  private readonly cache: BlockCache;
  private readonly cachePusher: CachePusher;
  private server: RequestServer | null = null;

  private constructor(parts: GridStorageParts) {
    this.parts = parts;
    this.holdings = Holdings.open(parts.dataDir);
    const nowUnixMs = parts.nowUnixMs ?? Date.now;
    this.nowUnixMs = nowUnixMs;
    // Pieces taken before leases existed get a whole lease from now, not an expiry at once.
    this.holdings.grantMissingLeases(nowUnixMs() + (parts.config.leaseMs || LeasePolicy.leaseMsDefault));
    const store = parts.content.store;
    const client = new ExchangeClient(parts.libp2p);
    // Bad data from a peer: the guard scores it (and may ban it), the log says why.
    const penalizePeerId = (peerId: string, reason: string): void => {
      const banned = parts.guard.penalize(peerId, Offence.protocol, parts.nowMs());
      parts.log({ level: 'info', event: 'storagePeerPenalised', peerId, reason, banned });
    };
    // The same for a peer we fetched from, counted in the ledger too (the service counts its own).
    const penalizePeer = (peer: PeerRef, reason: string): void => {
      const peerId = peerIdTextOf(peer);
      if (peerId === null) return;
      this.ledger.recordInvalidBlock(peerId);
      penalizePeerId(peerId, reason);
    };
    this.cache = BlockCache.load(store, parts.config.cacheBytesMax, parts.nowMs);
    // Every lookup storage makes goes through one pacer (lookup-pacer.ts): a census of a large
    // file must not flood the other nodes' rate limits.
    const closestNodes = pacedLookups(parts.closestNodes, STORAGE_LOOKUP_PACE);
    this.cachePusher = new CachePusher({ store, client, closestNodes, self: parts.self, log: parts.log });
    const hotBlocks = new HotBlocks(parts.hotBlocks ?? HOT_BLOCKS_DEFAULTS);
    const service = new ExchangeService({
      store, holdings: this.holdings, ledger: this.ledger,
      quota: () => ({ bytesForOthersMax: parts.config.bytesForOthersMax, bytesPerPeerMax: parts.config.bytesPerPeerMax }),
      nowUnixMs, firstCheckDelayMs: () => parts.config.maintenanceIntervalMs, leaseMs: () => parts.config.leaseMs,
      penalize: penalizePeerId, cache: this.cache,
      onServed: (peerId, cid) => {
        const readers = hotBlocks.served(cid.toString(), peerId, parts.nowMs());
        if (readers !== null) this.cachePusher.push(cid, readers);
      },
    });
    this.service = service;
    const leaseMs = parts.config.leaseMs || LeasePolicy.leaseMsDefault;
    this.placer = new ContentPlacer({ store, client, service, closestNodes, self: parts.self, leaseMs });
    this.checker = new ContentChecker({ store, client, service, closestNodes, self: parts.self, leaseMs, penalize: penalizePeer });
    this.fetcher = new ContentFetcher({
      store, holdings: this.holdings, client, discovery: new HolderDiscovery(closestNodes, client, parts.self), cipher: parts.content.cipher,
      penalize: penalizePeer, nowMs: parts.nowMs, rttOf: parts.rttOf,
    });
    this.leaseKeeper = new LeaseKeeper({
      holdings: this.holdings, store, config: parts.config, nowUnixMs, log: parts.log,
      renew: (root, redundancy) => this.checker.check(root, redundancy, { renew: true }),
      place: (root, redundancy) => this.placer.place(root, redundancy),
    });
    this.maintenance = new Maintenance({
      holdings: this.holdings, store, client, closestNodes, self: parts.self, config: parts.config,
      nowUnixMs, penalize: penalizePeer, log: parts.log,
    });
  }

  private readonly service: ExchangeService;

  static async start(parts: GridStorageParts): Promise<GridStorage> {
    const grid = new GridStorage(parts);
    try {
      grid.server = await serveExchange(parts.libp2p, grid.service, {
        guard: parts.guard, nowMs: parts.nowMs, log: parts.log,
        ...(parts.config.serveBytesPerSecondMax > 0 ? { serveBytesPerSecond: parts.config.serveBytesPerSecondMax } : {}),
      });
    } catch (error) {
      grid.holdings.close();
      throw error;
    }
    grid.maintenance.start();
    grid.leaseKeeper.start();
    return grid;
  }

  /**
   * Places stored content on the grid under `redundancy` — a scheme, or its text (`replicate:3`,
   * `erasure:4+2`) — or the configured scheme when absent, passing over the peers in `avoid`. A
   * bad ref or scheme, or content not here, throws at once (before any promise), so an API answer
   * can still carry its status.
   */
  place(refText: string, redundancy?: Redundancy | string, onProgress?: (progress: PlacementProgress) => void, avoid: readonly string[] = []): Promise<PlacementReport> {
    const scheme = this.schemeOf(redundancy);
    const root = rootOf(this.parseRef(refText));
    if (!this.parts.content.store.has(root)) throw new ContentNotFoundError(root.toString());
    return this.placer.place(root, scheme, onProgress, new Set(avoid)).then((report) => {
      // Placement leased every piece: the lease keeper renews from here, under this scheme.
      this.holdings.noteRenewed(root.toString(), this.nowUnixMs(), formatRedundancy(scheme));
      return report;
    });
  }

  /**
   * How well content here is kept on the grid under `redundancy` (as for `place`): each block's
   * pieces counted at its closest nodes (content-checker.ts); with `verify`, only the pieces that
   * came when asked for and are genuine (piece-audit.ts). Nothing is stored; `place` tops up what
   * is missing. The content need not be here: its structure (every block but the leaves) is
   * fetched first. With `renew`, every holder asked also renews its lease on its pieces
   * (lease-policy.ts). Throws at once, like `place`, on a bad ref or scheme.
   */
  check(refText: string, redundancy?: Redundancy | string, onProgress?: (progress: CheckProgress) => void, verify = false, renew = false): Promise<CheckReport> {
    const scheme = this.schemeOf(redundancy);
    const ref = this.parseRef(refText);
    // The census walks the content's structure: whatever of it is not here comes first (a few
    // small blocks; nothing when the content is here), so a check runs from any node.
    const structure = this.fetches.run(`structure ${sharedFetchKey(ref)}`, (progress) => this.fetcher.fetch(rootOf(ref), readingOf(ref), progress, undefined, 'structure'));
    return structure.then(() => this.checker.check(rootOf(ref), scheme, { onProgress, verify, renew }));
  }

  /** A scheme, its text (`replicate:3`, `erasure:4+2`), or the configured one when absent. */
  private schemeOf(redundancy: Redundancy | string | undefined): Redundancy {
    if (redundancy === undefined) return this.parts.config.redundancy;
    if (typeof redundancy !== 'string') return redundancy;
    const parsed = parseRedundancy(redundancy);
    if (!parsed.ok) throw new ContentRequestError(`redundancy: ${parsed.error}`);
    return parsed.value;
  }

  /**
   * Brings whatever is missing of the content into the local store, from the grid. Without a
   * signal, a fetch of content already being fetched joins that one (shared-fetches.ts); with one,
   * it runs on its own, so that aborting it stops only it.
   */
  fetch(refText: string, onProgress?: (progress: FetchProgress) => void, signal?: AbortSignal): Promise<FetchReport> {
    const ref = this.parseRef(refText);
    const reading = readingOf(ref);
    const root = rootOf(ref);
    if (signal !== undefined) return this.fetcher.fetch(root, reading, onProgress, signal);
    return this.fetches.run(sharedFetchKey(ref), (progress) => this.fetcher.fetch(root, reading, progress), onProgress);
  }

  /**
   * Brings here what a listing of the content reads — its root and, for a directory, its entries'
   * roots — and nothing below. A running fetch of the whole content brings those first and is
   * joined instead; listing fetches of the same content are shared.
   */
  fetchListing(refText: string): Promise<FetchReport> {
    return this.partialFetch(refText, 'listing', 'listing');
  }

  /**
   * Brings here the blocks that hold bytes `start` to `end` (inclusive) of a file, and the nodes
   * above them: a reader of one range (an HTTP Range, `cat --offset`) waits for that range alone.
   * A running fetch of the whole file brings them too and is joined instead; fetches of the same
   * range are shared.
   */
  fetchRange(refText: string, start: number, end: number): Promise<FetchReport> {
    return this.partialFetch(refText, `range ${start}-${end}`, { start, end: end + 1 });
  }

  /**
   * A fetch of part of the content (`scope`): the running fetch of the whole content when there is
   * one (it brings that part too), else one shared by every request for the same part (`name`).
   */
  private partialFetch(refText: string, name: string, scope: FetchScope): Promise<FetchReport> {
    const ref = this.parseRef(refText);
    const key = sharedFetchKey(ref);
    const whole = this.fetches.joinRunning(key);
    if (whole !== null) return whole;
    return this.fetches.run(`${name} ${key}`, (progress) => this.fetcher.fetch(rootOf(ref), readingOf(ref), progress, undefined, scope));
  }

  /**
   * The running fetch of the content, if there is one (started by `fetch` without a signal), else
   * null; never starts one. A reader of a directory's entries waits on the directory's fetch this
   * way rather than starting a fetch per entry for blocks that fetch is already bringing.
   */
  runningFetch(refText: string, field = 'ref'): Promise<FetchReport> | null {
    return this.fetches.joinRunning(sharedFetchKey(this.parseRef(refText, field)));
  }

  status(): GridStorageStatus {
    const store = this.parts.content.store;
    const held = this.holdings.count();
    const leaseCounts = this.holdings.leaseCounts(this.nowUnixMs() + WEEK_MS);
    return {
      redundancy: formatRedundancy(this.parts.config.redundancy),
      piecesHeld: held.pieces, bytesHeld: held.bytes,
      bytesForOthers: bytesKeptForOthers(store),
      bytesForOthersMax: this.parts.config.bytesForOthersMax, bytesPerPeerMax: this.parts.config.bytesPerPeerMax,
      maintenance: { ...this.maintenance.stats },
      leases: {
        leaseMs: this.parts.config.leaseMs, renewIntervalMs: this.parts.config.leaseRenewIntervalMs,
        piecesExpiringWithinWeek: leaseCounts.expiringSoon, nextExpiryAtMs: leaseCounts.nextExpiryAtMs,
        renewals: { ...this.leaseKeeper.stats },
      },
      cache: { ...this.cache.stats(), pushes: this.cachePusher.stats() },
      peers: this.ledger.snapshot(50),
    };
  }

  async stop(): Promise<void> {
    await this.leaseKeeper.stop();
    await this.maintenance.stop();
    await this.cachePusher.stop();
    await this.server?.unregister();
    this.holdings.close();
  }

  private parseRef(text: string, field = 'ref') {
    const parsed = parseContentRef(text);
    if (!parsed.ok) throw new ContentRequestError(`${field}: ${parsed.problem}`);
    return parsed.ref;
  }
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** How the content's root block is read: plainly, or opened with the capability's key. */
function readingOf(ref: ContentRef): BlockReading {
  return ref.kind === 'plain' ? plainReading() : sealedRootReading(ref.capability.key);
}

/** Which fetches are one: the root, and for sealed content the key too — the same root read under another key is another walk (and fails on its own). */
function sharedFetchKey(ref: ContentRef): string {
  return ref.kind === 'plain' ? ref.root.toString() : `${ref.capability.root.toString()} ${Buffer.from(ref.capability.key).toString('hex')}`;
}
