/**
 * Search on the grid, as one node runs it (issue 7; docs/SEARCH.md): it holds its share of the
 * inverted index and answers `/peergrid/search/1.0.0` (search-holding.ts), publishes and withdraws
 * its own documents (search-publisher.ts), runs queries (search-query.ts), and keeps replicas and
 * publications fresh (search-repair.ts, republishing). NodeRuntime composes it as `search`; the
 * HTTP API calls `publish`, `withdraw`, `search` and `status`.
 */
import type { Libp2p, PrivateKey } from '@libp2p/interface';
import { CID } from 'multiformats/cid';
import type { PeerRef } from '../../core/peer.ts';
import { checkDublinCore } from '../../services/search/dublin-core.ts';
import { DocumentPostingLimits } from '../../services/search/document-postings.ts';
import { Offence, type PeerGuard } from '../../transport/peer-guard.ts';
import type { RequestServer } from '../../transport/libp2p/request-response/request-server.ts';
import type { ClosestNodes } from '../exchange/holder-discovery.ts';
import { signerOf, verifySignatureCached } from '../peer-signatures.ts';
import type { SearchConfig } from '../search-config.ts';
import { IndexNodes } from './index-nodes.ts';
import { SearchClient } from './search-client.ts';
import { SearchRequestError } from './search-errors.ts';
import { SearchHolding } from './search-holding.ts';
import { SearchPublisher, type PublishReport, type WithdrawReport } from './search-publisher.ts';
import { SearchQuery, type SearchOptions, type SearchReport } from './search-query.ts';
import { SearchRepair, type RepairStats } from './search-repair.ts';
import { serveSearch } from './search-server.ts';
import { SearchStore } from './search-store.ts';

export interface GridSearchParts {
  readonly libp2p: Libp2p;
  readonly privateKey: PrivateKey;
  readonly guard: PeerGuard;
  readonly self: PeerRef;
  readonly dataDir: string;
  readonly config: SearchConfig;
  readonly nowMs: () => number;
  readonly nowUnixMs?: () => number;
  readonly log: (record: Record<string, unknown>) => void;
  readonly closestNodes: ClosestNodes;
  /** The routing table's contacts that are not failing (repair's view of the closest nodes). */
  readonly knownPeers: () => readonly PeerRef[];
  /** A stored file's text (its first `bytesMax` bytes, as UTF-8), for --index-text; throws when it is not a file here. */
  readonly readText: (cid: string, bytesMax: number) => Promise<string>;
  /** Times an operation for the node's metrics (node-metrics.ts); run as it is when absent. */
  readonly timed?: <T>(kind: 'search' | 'publish', operation: () => Promise<T>) => Promise<T>;
}

export interface GridSearchStatus {
  readonly listsHeld: number;
  readonly postingsHeld: number;
  readonly documentsHeld: number;
  readonly withdrawalsHeld: number;
  readonly publishersSummarised: number;
  /** Documents this node publishes. */
  readonly published: number;
  readonly replicas: number;
  readonly repair: RepairStats;
}

/** Candidates a lookup gives per key: the replicas and spares for the dead. */
const SPARE_CANDIDATES = 4;
/** How long a key's candidates are reused by publishing and queries. */
const CANDIDATES_CACHE_MS = 30_000;

export class GridSearch {
  private readonly parts: GridSearchParts;
  private readonly store: SearchStore;
  private readonly holding: SearchHolding;
  private readonly nodes: IndexNodes;
  private readonly client: SearchClient;
  private readonly publisher: SearchPublisher;
  private readonly repair: SearchRepair;
  private readonly selfPeerId: string;
  private server: RequestServer | null = null;
  private repairTimer: ReturnType<typeof setInterval> | null = null;
  private republishTimer: ReturnType<typeof setInterval> | null = null;
  /** The background work running now (a repair round, republishing), awaited by stop(). */
  private background: Promise<void> = Promise.resolve();
  private stopped = false;

  private constructor(parts: GridSearchParts, store: SearchStore) {
    this.parts = parts;
    this.store = store;
    this.selfPeerId = parts.libp2p.peerId.toString();
    const nowUnixMs = parts.nowUnixMs ?? Date.now;
    this.holding = new SearchHolding({ store, nowUnixMs, verify: verifySignatureCached, penalize: (peerId, reason) => this.penalize(peerId, reason), log: parts.log });
    this.client = new SearchClient(parts.libp2p, { peerId: this.selfPeerId, answer: (peerId, request) => this.holding.answer(peerId, request) });
    this.nodes = new IndexNodes({
      self: parts.self, selfPeerId: this.selfPeerId, closestNodes: parts.closestNodes, knownPeers: parts.knownPeers, nowMs: parts.nowMs,
      candidatesMax: parts.config.replicas + SPARE_CANDIDATES, cacheMs: CANDIDATES_CACHE_MS,
    });
    const replicas = (): number => parts.config.replicas;
    this.publisher = new SearchPublisher({
      nodes: this.nodes, client: this.client, store, selfPeerId: this.selfPeerId, replicas, nowUnixMs, log: parts.log,
      sign: signerOf(parts.privateKey),
    });
    this.repair = new SearchRepair({ holding: this.holding, nodes: this.nodes, client: this.client, replicas });
  }

  static async start(parts: GridSearchParts): Promise<GridSearch> {
    const store = SearchStore.open(parts.dataDir);
    let search: GridSearch;
    try {
      search = new GridSearch(parts, store);
      search.server = await serveSearch(parts.libp2p, (peerId, request) => search.holding.answer(peerId, request), { guard: parts.guard, nowMs: parts.nowMs, log: parts.log });
    } catch (error) {
      store.close();
      throw error;
    }
    if (parts.config.repairIntervalMs > 0) {
      search.repairTimer = setInterval(() => search.inBackground('searchRepairFailed', () => search.repair.runOnce()), parts.config.repairIntervalMs);
      search.repairTimer.unref();
    }
    search.republishTimer = setInterval(() => search.inBackground('searchRepublishFailed', async () => {
      await search.publisher.republishAll();
    }), parts.config.republishIntervalMs);
    search.republishTimer.unref();
    return search;
  }

  /**
   * Publishes stored plain content under its Dublin Core metadata (checked here: a bad element or
   * value is a SearchRequestError), with the top terms of its text when `indexText`.
   */
  async publish(cidText: string, metadata: unknown, indexText: boolean): Promise<PublishReport> {
    const cid = canonicalCid(cidText);
    const checked = checkDublinCore(metadata);
    if (!checked.ok) throw new SearchRequestError(`metadata: ${checked.error}`);
    if (Object.keys(checked.metadata).length === 0 && !indexText) throw new SearchRequestError('metadata: give at least one element (or index the text)');
    const text = indexText ? await this.parts.readText(cid, DocumentPostingLimits.textBytesMax) : null;
    return this.timed('publish', () => this.publisher.publish(cid, checked.metadata, text));
  }

  /** Withdraws a document this node published (NotPublishedError otherwise). */
  withdraw(cidText: string): Promise<WithdrawReport> {
    return this.publisher.withdraw(canonicalCid(cidText));
  }

  /** Withdraws the content if this node publishes it (its last pin went); false when it does not. */
  async withdrawIfPublished(cidText: string): Promise<boolean> {
    let cid: string;
    try {
      cid = canonicalCid(cidText);
    } catch {
      return false;
    }
    return this.publisher.withdrawIfPublished(cid);
  }

  /** Runs a query (SearchRequestError for a query that cannot be taken). */
  search(text: string, options: SearchOptions = {}): Promise<SearchReport> {
    const penalize = (peerId: string, reason: string): void => this.penalize(peerId, reason);
    return this.timed('search', () => new SearchQuery({ nodes: this.nodes, client: this.client, verify: verifySignatureCached, penalize, nowMs: this.parts.nowMs }).run(text, options));
  }

  /** One repair round now (tests and `peergrid search repair` do not wait for the timer). */
  repairNow(): Promise<void> {
    return this.inBackground('searchRepairFailed', () => this.repair.runOnce());
  }

  /** The documents this node publishes: CID, metadata, when. */
  published(): { cid: string; metadata: unknown; publishedAtUnixMs: number }[] {
    return this.store.allPublished().map((document) => ({ cid: document.cid, metadata: document.metadata, publishedAtUnixMs: document.publishedAtUnixMs }));
  }

  status(): GridSearchStatus {
    const holder = this.holding.holder;
    return {
      listsHeld: holder.listCount(), postingsHeld: holder.postingCount(), documentsHeld: holder.documentCount(),
      withdrawalsHeld: holder.withdrawalCount(), publishersSummarised: this.holding.summaries.count(),
      published: this.store.publishedTotals().documents, replicas: this.parts.config.replicas, repair: { ...this.repair.stats },
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.repairTimer !== null) clearInterval(this.repairTimer);
    if (this.republishTimer !== null) clearInterval(this.republishTimer);
    await this.server?.unregister();
    await this.background.catch(() => {});
    this.store.close();
  }

  private timed<T>(kind: 'search' | 'publish', operation: () => Promise<T>): Promise<T> {
    return this.parts.timed === undefined ? operation() : this.parts.timed(kind, operation);
  }

  /** Bad data from a peer: the guard scores it (and may ban it), the log says why. */
  private penalize(peerId: string, reason: string): void {
    if (peerId === this.selfPeerId) return;
    const banned = this.parts.guard.penalize(peerId, Offence.protocol, this.parts.nowMs());
    this.parts.log({ level: 'info', event: 'searchPeerPenalised', peerId, reason, banned });
  }

  /** Runs background work after what runs now (one at a time); a failure is logged. */
  private inBackground(event: string, work: () => Promise<unknown>): Promise<void> {
    this.background = this.background.then(async () => {
      if (this.stopped) return;
      try {
        await work();
      } catch (error) {
        this.parts.log({ level: 'warn', event, error: (error as Error).message });
      }
    });
    return this.background;
  }
}

/** A CIDv1 in its canonical string form, as postings name content; a capability or other text is refused. */
function canonicalCid(text: string): string {
  if (text.startsWith('pgcap')) throw new SearchRequestError('search publishes plain content only: publishing a capability would make its key public (put it with --no-encrypt)');
  let cid: CID;
  try {
    cid = CID.parse(text);
  } catch {
    throw new SearchRequestError(`not a CID: ${text.slice(0, 80)}`);
  }
  if (cid.version !== 1) throw new SearchRequestError('search names content by CIDv1');
  return cid.toString();
}
