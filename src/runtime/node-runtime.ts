/**
 * The composition root of a real node: one data directory, one libp2p node, one kernel.
 *
 * start(): lock the data directory, load (or create) the identity and the configuration, start
 * libp2p and the kernel's protocol on it, resume from the routing snapshot, and join through the
 * bootstrap list and the remembered contacts. stop(): save the snapshot, leave gracefully, flush,
 * and close everything. Between the two, lookup/get/put/status are the programmatic API that the
 * CLI (and later the HTTP API) call.
 */
import type { Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { idEquals, type Id } from '../core/id.ts';
import type { Joined, LookupDone, PutDone } from '../core/node-io.ts';
import type { PeerRef } from '../core/peer.ts';
import { startLibp2pNode } from '../transport/libp2p/create-libp2p.ts';
import { Libp2pTransport } from '../transport/libp2p/libp2p-transport.ts';
import { peerRefFromMultiaddr } from '../transport/libp2p/peer-address.ts';
import { monotonicClock } from './clock.ts';
import { CryptoRandom } from './crypto-random.ts';
import { ensureDataDir, lockDataDir, type DataDirLock } from './data-dir.ts';
import { loadOrCreateIdentity } from './identity-file.ts';
import { ConfigError, loadOrCreateNodeConfig, type NodeConfig } from './node-config.ts';
import { NodeDriver, type NodeStatus } from './node-driver.ts';
import { loadSnapshot, saveSnapshot } from './snapshot-file.ts';

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

export class NodeRuntime {
  readonly dataDir: string;
  readonly config: NodeConfig;
  /** Settles when the join started at start-up is done (it fails only if the node stops first). */
  readonly joined: Promise<Joined>;
  private readonly libp2p: Libp2p;
  private readonly transport: Libp2pTransport;
  private readonly driver: NodeDriver;
  private readonly lock: DataDirLock;
  private readonly log: (record: Record<string, unknown>) => void;
  private snapshotTimer: ReturnType<typeof setInterval> | null = null;
  private stopping: Promise<void> | null = null;

  private constructor(parts: {
    dataDir: string; config: NodeConfig; libp2p: Libp2p; transport: Libp2pTransport; driver: NodeDriver; lock: DataDirLock;
    log: (record: Record<string, unknown>) => void; bootstrap: readonly PeerRef[];
  }) {
    this.dataDir = parts.dataDir;
    this.config = parts.config;
    this.libp2p = parts.libp2p;
    this.transport = parts.transport;
    this.driver = parts.driver;
    this.lock = parts.lock;
    this.log = parts.log;
    this.joined = this.driver.join(parts.bootstrap);
    // Nobody may be waiting on the join yet; its failure at shutdown is not an error.
    this.joined.catch(() => {});
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
    try {
      const identity = await loadOrCreateIdentity(options.dataDir);
      const fileConfig = await loadOrCreateNodeConfig(options.dataDir);
      const config: NodeConfig = {
        ...fileConfig,
        listen: options.listen ?? fileConfig.listen,
        bootstrap: options.bootstrap ?? fileConfig.bootstrap,
      };
      const bootstrap = parseBootstrap(config.bootstrap);
      libp2p = await startLibp2pNode({
        privateKey: identity.privateKey,
        listen: config.listen,
        connectionsMax: config.connectionsMax,
        inboundConnectionsPerHostPerSecondMax: config.inboundConnectionsPerHostPerSecondMax,
        dialTimeoutMs: config.dialTimeoutMs,
      });
      const transport = await Libp2pTransport.start(libp2p, {
        dialTimeoutMs: config.dialTimeoutMs,
        announce: config.announce.map((text) => multiaddr(text)),
      });
      const clock = monotonicClock;
      const loaded = await loadSnapshot(options.dataDir, transport.self, clock.nowMs(), Date.now());
      if (loaded.kind === 'unusable') log({ level: 'warn', event: 'snapshotIgnored', problem: loaded.problem });
      const snapshot = loaded.kind === 'loaded' ? loaded.snapshot : undefined;
      const driver = new NodeDriver(config.dht, { clock, random: new CryptoRandom(), transport }, snapshot);
      const others = bootstrap.filter((peer) => !idEquals(peer, transport.self));
      log({
        level: 'info', event: 'resumed', identityCreated: identity.created,
        contacts: snapshot?.contacts.length ?? 0, values: snapshot?.values.length ?? 0, bootstrap: others.length,
      });
      return new NodeRuntime({ dataDir: options.dataDir, config, libp2p, transport, driver, lock, log, bootstrap: others });
    } catch (error) {
      try {
        await libp2p?.stop();
      } finally {
        await lock.release();
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

  /** Where others can dial us, each with /p2p/<peer id>. */
  multiaddrs(): string[] {
    return this.libp2p.getMultiaddrs().map(String);
  }

  lookup(target: Id): Promise<LookupDone> {
    return this.driver.lookup(target);
  }

  get(key: Id): Promise<LookupDone> {
    return this.driver.get(key);
  }

  put(key: Id, value: Uint8Array, ttlMs?: number): Promise<PutDone> {
    return this.driver.put(key, value, ttlMs);
  }

  status(): RuntimeStatus {
    return {
      ...this.driver.status(),
      peerId: this.peerId,
      multiaddrs: this.multiaddrs(),
      dataDir: this.dataDir,
      connections: this.libp2p.getConnections().length,
    };
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
    // Saved before leaving: leave() tells contacts we are gone, but we keep them for the restart.
    await this.saveSnapshot();
    this.driver.stop({ leave: this.config.leaveOnShutdown });
    await this.transport.close(this.config.shutdownFlushMs);
    await this.libp2p.stop();
    await this.lock.release();
    this.log({ level: 'info', event: 'stopped' });
  }
}

/** Bootstrap multiaddrs as PeerRefs; one without a peer id is a configuration error. */
function parseBootstrap(texts: readonly string[]): PeerRef[] {
  return texts.map((text) => {
    const parsed = peerRefFromMultiaddr(text);
    if (!parsed.ok) throw new ConfigError(`bootstrap ${text}: ${parsed.error}`);
    return parsed.value;
  });
}
