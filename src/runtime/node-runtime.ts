/**
 * The composition root of a real node: one data directory, one libp2p node, one kernel.
 *
 * start(): lock the data directory, load (or create) the identity and the configuration, open the
 * content store (the blockstore in blocks/ and the convergence secret), start libp2p and the
 * kernel's protocol on it, resume from the routing snapshot, and join through the bootstrap list
 * and the remembered contacts. stop(): save the snapshot, leave gracefully, flush, and close
 * everything. Between the two, lookup/get/put/status and `content` (content-store.ts) are the
 * programmatic API that the HTTP API calls.
 */
import { emulatedLatencyFromEnv } from './emulated-latency.ts';
import type { Libp2p } from '@libp2p/interface';
import { Registry } from 'prom-client';
import { idEquals, idToHex, type Id } from '../core/id.ts';
import type { Joined, LookupDone, PutDone } from '../core/node-io.ts';
import type { PeerRef } from '../core/peer.ts';
import { startLibp2pNode } from '../transport/libp2p/create-libp2p.ts';
import { Libp2pTransport } from '../transport/libp2p/libp2p-transport.ts';
import { PeerGuard } from '../transport/peer-guard.ts';
import { dialMultiaddrs, parsePeerAddress, peerRefFromMultiaddr } from '../transport/libp2p/peer-address.ts';
import { isCircuit } from '../transport/libp2p/reachability.ts';
import { monotonicClock } from './clock.ts';
import { startImportWorkers } from './content/content-importer.ts';
import { ContentStore } from './content-store.ts';
import { GridStorage } from './exchange/grid-storage.ts';
import { GridCompute } from './compute/grid-compute.ts';
import { GridSearch } from './search/grid-search.ts';
import { BootstrapRetry, BootstrapRetryTimes } from './bootstrap-retry.ts';
import { CryptoRandom } from './crypto-random.ts';
import { ensureDataDir, lockDataDir, type DataDirLock } from './data-dir.ts';
import { loadOrCreateIdentity } from './identity-file.ts';
import { ConfigError, loadOrCreateNodeConfig, type NodeConfig } from './node-config.ts';
import { NodeDriver, type ContactReport, type NodeStatus } from './node-driver.ts';
import { NodeMetrics } from './node-metrics.ts';
import { LanPeers } from './lan-peers.ts';
import { lanDiscoveryEnabled } from './lan-discovery.ts';
import { Reannouncement } from './reannouncement.ts';
import { relayOptionsOf } from './relay-config.ts';
import { loadSnapshot, saveSnapshot } from './snapshot-file.ts';
import { transportTimingMetrics } from './transport-timing-metrics.ts';

export interface NodeRuntimeOptions {
  readonly dataDir: string;
  /** Replace the configuration file's lists for this run (the file is not changed). */
  readonly listen?: readonly string[];
  readonly bootstrap?: readonly string[];
  /** Structured log records (one object each); the CLI prints them as JSON lines on stderr. */
  readonly log?: (record: Record<string, unknown>) => void;
}

export interface RuntimeStatus extends NodeStatus {
  readonly peerId: string;
  readonly multiaddrs: readonly string[];
  readonly dataDir: string;
  readonly connections: number;
}

/** One open libp2p connection (NodeRuntime.connections). */
export interface ConnectionReport {
  readonly peerId: string;
  readonly remoteAddress: string;
  readonly direction: 'inbound' | 'outbound';
  /** Through a circuit relay. */
  readonly relayed: boolean;
  /** Cut by the relay after a time or a number of bytes (relay-server-service.ts). */
  readonly limited: boolean;
}

/** A peer as people and other tools use it: kernel id, libp2p peer id, and multiaddrs to dial (with /p2p/). */
export interface PeerDescription {
  readonly id: string;
  /** Null for an address that is not a libp2p one (never on a real node's own contacts). */
  readonly peerId: string | null;
  readonly multiaddrs: readonly string[];
}

/**
 * libp2p's events after which our addresses may differ: a listener (a relay reservation is one)
 * opened or closed, and the address manager's own update, which also follows AutoNAT's verdicts.
 */
const ADDRESS_EVENTS = ['transport:listening', 'transport:close', 'self:peer:update'] as const;

export class NodeRuntime {
  readonly dataDir: string;
  readonly config: NodeConfig;
  /** Settles when the start-up join is done and its contacts are saved (it fails only if the node stops first). */
  readonly joined: Promise<Joined>;
  private readonly libp2p: Libp2p;
  private readonly transport: Libp2pTransport;
  private readonly driver: NodeDriver;
  /** Prometheus metrics: ours and libp2p's, in one registry (served at the API's /metrics). */
  readonly metrics: NodeMetrics;
  /** Content stored on this node: blocks, pins, the convergence secret. */
  readonly content: ContentStore;
  /** Content on the grid: placement, retrieval, what we hold for others (exchange/grid-storage.ts). */
  readonly grid: GridStorage;
  /** Computation on the grid: jobs submitted, coordinated and volunteered for (compute/grid-compute.ts). */
  readonly compute: GridCompute;
  /** Search: this node's share of the index, its publications and queries (search/grid-search.ts). */
  readonly search: GridSearch;
  private readonly lock: DataDirLock;
  private readonly log: (record: Record<string, unknown>) => void;
  private snapshotTimer: ReturnType<typeof setInterval> | null = null;
  private bootstrapRetryTimer: ReturnType<typeof setInterval> | null = null;
  private readonly onAddressesChanged: () => void;
  private stopping: Promise<void> | null = null;

  private constructor(parts: {
    dataDir: string; config: NodeConfig; libp2p: Libp2p; transport: Libp2pTransport; driver: NodeDriver; lock: DataDirLock;
    log: (record: Record<string, unknown>) => void; bootstrap: readonly PeerRef[]; metrics: NodeMetrics; lanPeers: LanPeers;
    content: ContentStore; grid: GridStorage; compute: GridCompute; search: GridSearch;
  }) {
    this.dataDir = parts.dataDir;
    this.content = parts.content;
    this.grid = parts.grid;
    this.compute = parts.compute;
    this.search = parts.search;
    this.config = parts.config;
    this.libp2p = parts.libp2p;
    this.transport = parts.transport;
    this.driver = parts.driver;
    this.metrics = parts.metrics;
    for (const [name, help, read] of [
      ['peergrid_search_lists_held', 'Search posting lists this node holds.', () => this.search.status().listsHeld],
      ['peergrid_search_postings_held', 'Search postings this node holds.', () => this.search.status().postingsHeld],
      ['peergrid_search_documents_published', 'Documents this node publishes into search.', () => this.search.status().published],
    ] as const) this.metrics.gauge(name, help, read);
    this.lock = parts.lock;
    this.log = parts.log;
    // The snapshot is saved as soon as the join is done, so that a node killed before its first
    // periodic save (or graceful stop) still rejoins through the contacts it found.
    this.joined = this.driver.join(parts.bootstrap).then(async (joined) => {
      await this.saveSnapshot();
      return joined;
    });
    // Nobody may be waiting on the join yet; its failure at shutdown is not an error.
    this.joined.catch(() => {});
    // A node whose bootstrap peers were all down as it started would otherwise stay alone (bootstrap-retry.ts).
    const bootstrapRetry = new BootstrapRetry({
      bootstrapPeers: parts.bootstrap.length, tableSize: () => this.driver.node.table.size,
      rejoin: () => this.driver.join(parts.bootstrap), log: this.log,
    });
    const watchTable = (): void => {
      // After the start-up join, which may itself take a while to find nobody.
      if (this.stopping !== null) return;
      this.bootstrapRetryTimer = setInterval(() => bootstrapRetry.check(monotonicClock.nowMs()), BootstrapRetryTimes.checkIntervalMs);
      this.bootstrapRetryTimer.unref();
    };
    this.joined.then(watchTable, () => {});
    parts.lanPeers.attach(this.driver);
    // Our address changes when a relay reservation comes or goes, or AutoNAT verifies an address:
    // the transport's hello follows, and a rejoin (after the start-up join) tells our neighbourhood.
    const reannouncement = new Reannouncement(() => this.joined.then(() => this.driver.join([])));
    this.onAddressesChanged = () => {
      if (!this.transport.refreshAddress()) return;
      this.log({ level: 'info', event: 'addressChanged', address: this.transport.address });
      reannouncement.request();
    };
    for (const event of ADDRESS_EVENTS) this.libp2p.addEventListener(event, this.onAddressesChanged);
    this.onAddressesChanged();
    if (this.config.snapshotIntervalMs > 0) {
      this.snapshotTimer = setInterval(() => void this.saveSnapshot(), this.config.snapshotIntervalMs);
      this.snapshotTimer.unref();
    }
  }

  static async start(options: NodeRuntimeOptions): Promise<NodeRuntime> {
    const log = options.log ?? (() => {});
    await ensureDataDir(options.dataDir);
    const lock = await lockDataDir(options.dataDir);
    let libp2p: Libp2p | null = null;
    let content: ContentStore | null = null;
    let grid: GridStorage | null = null;
    let compute: GridCompute | null = null;
    let search: GridSearch | null = null;
    try {
      const identity = await loadOrCreateIdentity(options.dataDir);
      const fileConfig = await loadOrCreateNodeConfig(options.dataDir);
      content = await ContentStore.open(options.dataDir, { log });
      // A large local add reads, cuts and hashes on worker threads: started now, not on the first add's clock.
      startImportWorkers();
      const config: NodeConfig = {
        ...fileConfig,
        listen: options.listen ?? fileConfig.listen,
        bootstrap: options.bootstrap ?? fileConfig.bootstrap,
      };
      const bootstrap = parseBootstrap(config.bootstrap);
      const clock = monotonicClock;
      // One guard for the transport's rate limits and bans and for libp2p's gater, which keeps a
      // banned peer from connecting at all.
      const guard = new PeerGuard();
      const metricsRegistry = new Registry();
      const lanPeers = new LanPeers((peer, outcome) => log({ level: 'debug', event: 'lanPeer', id: idToHex(peer), address: peer.address, outcome }));
      libp2p = await startLibp2pNode({
        metricsRegistry,
        denyPeer: (peerId) => guard.isBanned(peerId, clock.nowMs()),
        privateKey: identity.privateKey,
        listen: config.listen,
        connectionsMax: config.connectionsMax,
        inboundConnectionsPerHostPerSecondMax: config.inboundConnectionsPerHostPerSecondMax,
        inboundPendingConnectionsMax: config.inboundPendingConnectionsMax,
        dialTimeoutMs: config.dialTimeoutMs,
        announce: config.announce,
        relay: relayOptionsOf(config.relay),
        holePunching: config.holePunching,
        ...(lanDiscoveryEnabled(config.mdns, config.listen, config.announce) ? { onLanPeer: (info) => lanPeers.offer(info) } : {}),
      });
      // libp2p announces what `announce` says (and relayed addresses besides), so the transport
      // takes our address from libp2p.
      // An experiment's emulated wide-area latency (emulated-latency.ts); nothing without the variable.
      const emulation = emulatedLatencyFromEnv(process.env);
      const selfPeerId = libp2p.peerId.toString();
      if (emulation !== null) log({ level: 'warn', event: 'emulatedLatency', hosts: emulation.hosts, host: emulation.hostOf(selfPeerId) });
      const transport = await Libp2pTransport.start(libp2p, {
        dialTimeoutMs: config.dialTimeoutMs,
        guard,
        nowMs: clock.nowMs,
        timing: transportTimingMetrics(metricsRegistry),
        ...(emulation === null ? {} : { holdMs: (peerId: string) => emulation.rttMs(selfPeerId, peerId) / 2 }),
      });
      const loaded = await loadSnapshot(options.dataDir, transport.self, clock.nowMs(), Date.now());
      if (loaded.kind === 'unusable') log({ level: 'warn', event: 'snapshotIgnored', problem: loaded.problem });
      const snapshot = loaded.kind === 'loaded' ? loaded.snapshot : undefined;
      const driver = new NodeDriver(config.dht, { clock, random: new CryptoRandom(), transport }, snapshot);
      const metrics = new NodeMetrics(metricsRegistry, () => driver.status());
      const others = bootstrap.filter((peer) => !idEquals(peer, transport.self));
      grid = await GridStorage.start({
        libp2p, content, dataDir: options.dataDir, config: config.storage, guard, self: transport.self, nowMs: clock.nowMs, log,
        closestNodes: (key) => closestNodes(driver, key),
        rttOf: (peer) => driver.rttEstimateMs(peer),
      });
      const gridStorage = grid;
      const store = content;
      compute = await GridCompute.start({
        libp2p, privateKey: identity.privateKey, guard, self: transport.self, dataDir: options.dataDir, config: config.compute, nowMs: clock.nowMs, log,
        closestNodes: (key) => closestNodes(driver, key),
        fetchFile: (cid, bytesMax) => fetchFileBytes(gridStorage, store, cid, bytesMax),
        storeOutput: (jobId, bytes) => storeOutput(gridStorage, store, jobId, bytes, log),
      });
      search = await GridSearch.start({
        libp2p, privateKey: identity.privateKey, guard, self: transport.self, dataDir: options.dataDir, config: config.search, nowMs: clock.nowMs, log,
        closestNodes: (key) => closestNodes(driver, key),
        knownPeers: () => driver.contacts().filter((contact) => contact.failures === 0).map((contact) => contact.peer),
        readText: (cid, bytesMax) => readText(store, cid, bytesMax),
        timed: (kind, operation) => metrics.time(kind, operation),
      });
      log({
        level: 'info', event: 'resumed', identityCreated: identity.created,
        contacts: snapshot?.contacts.length ?? 0, values: snapshot?.values.length ?? 0, bootstrap: others.length,
      });
      return new NodeRuntime({ dataDir: options.dataDir, config, libp2p, transport, driver, lock, log, bootstrap: others, metrics, lanPeers, content, grid, compute, search });
    } catch (error) {
      try {
        await search?.stop();
        await compute?.stop();
        await grid?.stop();
        await libp2p?.stop();
      } finally {
        try {
          await content?.close();
        } finally {
          await lock.release();
        }
      }
      throw error;
    }
  }

  get id(): Id {
    return this.driver.self;
  }

  get self(): PeerRef {
    return this.driver.self;
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  /**
   * The libp2p node under everything. Benchmarks use it to measure a raw stream between the same
   * two processes as the node's own protocols (bench/storage/grid-node.ts); nothing in the node does.
   */
  get libp2pNode(): Libp2p {
    return this.libp2p;
  }

  /** Where others can dial us, each with /p2p/<peer id>. */
  multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map(String);
  }

  lookup(target: Id): Promise<LookupDone> {
    return this.metrics.time('lookup', () => this.driver.lookup(target), (done) => done.error !== null);
  }

  get(key: Id): Promise<LookupDone> {
    return this.metrics.time('get', () => this.driver.get(key), (done) => done.error !== null);
  }

  put(key: Id, value: Uint8Array, ttlMs?: number): Promise<PutDone> {
    return this.metrics.time('put', () => this.driver.put(key, value, ttlMs), (done) => done.stored === 0);
  }

  /** The routing table's contacts, closest to our id first. */
  contacts(): ContactReport[] {
    return this.driver.contacts();
  }

  /** Splits a PeerRef's address (peer-address.ts) into what a user can dial. */
  describePeer(peer: PeerRef): PeerDescription {
    const parsed = parsePeerAddress(peer.address);
    if (!parsed.ok) return { id: idToHex(peer), peerId: null, multiaddrs: [] };
    return { id: idToHex(peer), peerId: parsed.value.peerId.toString(), multiaddrs: dialMultiaddrs(parsed.value).map(String) };
  }

  status(): RuntimeStatus {
    return {
      ...this.driver.status(),
      // The kernel keeps the address we started with; the transport's is today's.
      address: this.transport.address,
      peerId: this.peerId,
      multiaddrs: this.multiaddrs(),
      dataDir: this.dataDir,
      connections: this.libp2p.getConnections().length,
    };
  }

  /** Our open libp2p connections: to whom, over which address, and whether relayed and limited. */
  connections(): ConnectionReport[] {
    return this.libp2p.getConnections().map((connection) => ({
      peerId: connection.remotePeer.toString(),
      remoteAddress: connection.remoteAddr.toString(),
      direction: connection.direction,
      relayed: isCircuit(connection.remoteAddr),
      limited: connection.limits !== undefined,
    }));
  }

  /** Saves the routing snapshot now; a failure is logged, not thrown (the node runs on). */
  async saveSnapshot(): Promise<void> {
    try {
      await saveSnapshot(this.dataDir, this.driver.snapshot(), monotonicClock.nowMs(), Date.now());
    } catch (error) {
      this.log({ level: 'error', event: 'snapshotNotSaved', error: (error as Error).message });
    }
  }

  /** Graceful shutdown; calling it again returns the same promise. */
  stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  private async shutDown(): Promise<void> {
    if (this.snapshotTimer !== null) clearInterval(this.snapshotTimer);
    if (this.bootstrapRetryTimer !== null) clearInterval(this.bootstrapRetryTimer);
    for (const event of ADDRESS_EVENTS) this.libp2p.removeEventListener(event, this.onAddressesChanged);
    // Saved before leaving: leave() tells contacts we are gone, but we keep them for the restart.
    await this.saveSnapshot();
    await this.search.stop();
    await this.compute.stop();
    await this.grid.stop();
    this.driver.stop({ leave: this.config.leaveOnShutdown });
    await this.transport.close(this.config.shutdownFlushMs);
    await this.libp2p.stop();
    // Waits for writes in progress; later calls fail with BlockstoreClosedError (the API's 503).
    await this.content.close();
    await this.lock.release();
    this.log({ level: 'info', event: 'stopped' });
  }
}

/** Lookups the kernel refused for being busy are tried again this often, after a short pause. */
const BUSY_LOOKUP_RETRIES = 5;

/**
 * The nodes closest to `key` by a lookup (not ourselves), with the routing table's contacts
 * added: a lookup on a loaded node can miss a close node that the table knows, and on a small grid
 * the table knows everyone. Callers sort by distance, so far contacts cost nothing.
 */
async function closestNodes(driver: NodeDriver, key: Id): Promise<readonly PeerRef[]> {
  let closest: readonly PeerRef[] = [];
  for (let attempt = 0; ; attempt++) {
    const done = await driver.lookup(key);
    closest = done.closest;
    if (done.error === null || attempt >= BUSY_LOOKUP_RETRIES) break;
    await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
  }
  // Every contact, even one that missed a request lately: a loaded node's contacts miss some, and
  // leaving them out would make two puts of the same block pick different holders. A dead one
  // costs a failed store, and the piece goes to the next closest.
  const known = driver.contacts().map((contact) => contact.peer);
  return [...closest, ...known];
}

/** A stored file's bytes (a program, a unit's input), brought from the grid when not here; at most bytesMax. */
/**
 * A unit's output too big for a report (issue 5): stored here as plain content — so that replicas
 * with the same output name the same CID — pinned under the job's name, and placed on the grid
 * with the node's redundancy in the background (the job goes on with the CID; this node serves it
 * meanwhile).
 */
async function storeOutput(grid: GridStorage, content: ContentStore, jobId: string, bytes: Uint8Array, log: (record: Record<string, unknown>) => void): Promise<string> {
  const added = await content.addFile((async function* one() {
    yield bytes;
  })(), { encrypt: false, pinName: `job-output:${jobId}` });
  grid.place(added.cid).catch((error: Error) => log({ level: 'warn', event: 'outputNotPlaced', jobId, cid: added.cid, error: error.message }));
  return added.cid;
}

/** A stored file's first `bytesMax` bytes as text (UTF-8, bad sequences replaced), for --index-text. */
async function readText(content: ContentStore, cid: string, bytesMax: number): Promise<string> {
  const file = await content.openFile(cid);
  const bytes = new Uint8Array(Math.min(file.bytes, bytesMax));
  let offset = 0;
  for await (const chunk of file.body) {
    const take = Math.min(chunk.length, bytes.length - offset);
    bytes.set(chunk.subarray(0, take), offset);
    offset += take;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, offset));
}

async function fetchFileBytes(grid: GridStorage, content: ContentStore, cid: string, bytesMax: number): Promise<Uint8Array> {
  await grid.fetch(cid);
  const file = await content.openFile(cid);
  if (file.bytes > bytesMax) throw new RangeError(`${cid} has ${file.bytes} bytes, over ${bytesMax}`);
  const bytes = new Uint8Array(file.bytes);
  let offset = 0;
  for await (const chunk of file.body) {
    if (offset + chunk.length > bytes.length) throw new RangeError(`${cid} is longer than its ${file.bytes} bytes`);
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

/** Bootstrap multiaddrs as PeerRefs; one without a peer id is a configuration error. */
function parseBootstrap(texts: readonly string[]): PeerRef[] {
  return texts.map((text) => {
    const parsed = peerRefFromMultiaddr(text);
    if (!parsed.ok) throw new ConfigError(`bootstrap ${text}: ${parsed.error}`);
    return parsed.value;
  });
}
