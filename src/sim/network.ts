/**
 * The simulated links between nodes: latency from a model, random loss, partitions between groups,
 * the round trips a new connection costs, and a per-node uplink bandwidth. It decides when (or
 * whether) a message arrives; it does not carry messages itself.
 *
 * The connection-setup cost lets simulated latency match a connection-oriented transport: a libp2p
 * dial over TCP pays a TCP handshake, multistream-select and a Noise handshake before the first
 * request (issue 3 measures how many round trips that is), while the paper's Kademlia ran on UDP.
 * The sender's end of a connection opens when it sends; the receiver's when the message arrives
 * (`accept`, called by whoever delivers it).
 */
import type { Random } from '../core/random.ts';
import type { LatencyModel, Placement } from './latency/model.ts';

export interface NetworkConfig {
  /** Probability that any one message is lost. */
  readonly lossRate: number;
  /** Round trips charged on the first message between two nodes (0 = connectionless). */
  readonly connectionSetupRtts: number;
  /** Open connections a node keeps; the least recently used is closed beyond it. */
  readonly connectionsPerNodeMax: number;
  /** Uplink bandwidth of every node in bytes per second; 0 means unlimited. */
  readonly uplinkBytesPerSecond: number;
  /**
   * Bytes of headers added to every message on the wire, counted in traffic and bandwidth:
   * 28 for IPv4 and UDP, as the paper's Kademlia ran; a libp2p stream adds more per message
   * (TCP, Noise, Yamux), though spread over the messages it carries.
   */
  readonly headerBytes: number;
}

export const defaultNetworkConfig: NetworkConfig = {
  lossRate: 0,
  connectionSetupRtts: 0,
  connectionsPerNodeMax: 256,
  uplinkBytesPerSecond: 0,
  headerBytes: 28,
};

/** The network's view of one node. */
export interface Endpoint {
  readonly index: number;
  readonly placement: Placement;
  /** Changes on every restart, so a connection to an earlier incarnation no longer counts. */
  generation: number;
  uplinkFreeAtMs: number;
  /** Peer index → that peer's generation when the connection opened, in least-recently-used order. */
  connections: Map<number, number> | null;
}

export interface NetworkStats {
  lost: number;
  partitioned: number;
  connectionsOpened: number;
}

/** Returned by transmit when the message will never arrive. */
export const LOST = -1;

export class SimNetwork {
  readonly latency: LatencyModel;
  readonly headerBytes: number;
  readonly stats: NetworkStats = { lost: 0, partitioned: 0, connectionsOpened: 0 };
  /** Whether the last message `transmit` sent had to open its connection (it paid the set-up). */
  lastOpenedConnection = false;
  private readonly config: NetworkConfig;
  private readonly random: Random;
  /** Partition group of each node index; nodes in different groups cannot reach each other. */
  private groups: number[] | null = null;

  constructor(config: NetworkConfig, latency: LatencyModel, random: Random) {
    if (!(config.lossRate >= 0 && config.lossRate < 1)) throw new RangeError('lossRate must be in [0, 1)');
    if (!(config.connectionSetupRtts >= 0)) throw new RangeError('connectionSetupRtts must be ≥ 0');
    if (!(config.uplinkBytesPerSecond >= 0)) throw new RangeError('uplinkBytesPerSecond must be ≥ 0');
    if (!(config.headerBytes >= 0)) throw new RangeError('headerBytes must be ≥ 0');
    this.config = config;
    this.latency = latency;
    this.headerBytes = config.headerBytes;
    this.random = random;
  }

  /** Splits the network: each listed group can reach only itself; unlisted nodes form group 0. */
  partition(groups: readonly (readonly number[])[]): void {
    const assignment: number[] = [];
    groups.forEach((members, group) => {
      for (const index of members) assignment[index] = group + 1;
    });
    this.groups = assignment;
  }

  heal(): void {
    this.groups = null;
  }

  canReach(from: number, to: number): boolean {
    if (this.groups === null) return true;
    return (this.groups[from] ?? 0) === (this.groups[to] ?? 0);
  }

  rttMs(from: Endpoint, to: Endpoint): number {
    return this.latency.rttMs(from.placement, to.placement);
  }

  /**
   * When a message of `sizeBytes` sent now from `from` reaches `to`, or LOST. Partitions are
   * checked again on delivery, so a message in flight when a partition starts is cut too. Losses
   * are drawn from `random` when given (the simulator gives each sender its own stream), else
   * from the network's.
   */
  transmit(nowMs: number, from: Endpoint, to: Endpoint, sizeBytes: number, random: Random | null = null): number {
    this.lastOpenedConnection = false;
    if (!this.canReach(from.index, to.index)) {
      this.stats.partitioned++;
      return LOST;
    }
    let departMs = nowMs;
    if (this.config.uplinkBytesPerSecond > 0) {
      departMs = Math.max(nowMs, from.uplinkFreeAtMs) + (sizeBytes * 1000) / this.config.uplinkBytesPerSecond;
      from.uplinkFreeAtMs = departMs;
    }
    if (this.config.lossRate > 0 && (random ?? this.random).nextFloat() < this.config.lossRate) {
      this.stats.lost++;
      return LOST;
    }
    const rttMs = this.rttMs(from, to);
    let delayMs = rttMs / 2;
    if (this.config.connectionSetupRtts > 0 && !this.connected(from, to)) {
      delayMs += this.config.connectionSetupRtts * rttMs;
      this.connect(from, to);
      this.stats.connectionsOpened++;
      this.lastOpenedConnection = true;
    }
    return departMs + delayMs;
  }

  /**
   * A message from `from` reached `to`: `to` now has the connection it came on, newly opened or
   * used again. The receiving end learns of a connection only when something arrives on it — one
   * it sends to the dialler before then pays a set-up of its own, as two peers dialling each other
   * at once would — and so each end's connections change only at events of its own node, which
   * lets a split run keep them in the part that runs the node (parallel/).
   */
  accept(to: Endpoint, from: Endpoint): void {
    if (this.config.connectionSetupRtts > 0) this.connect(to, from);
  }

  /** Forgets a node's connections (it crashed or left). */
  disconnect(endpoint: Endpoint): void {
    endpoint.connections = null;
  }

  private connected(from: Endpoint, to: Endpoint): boolean {
    const connections = from.connections;
    if (connections === null) return false;
    const generation = connections.get(to.index);
    if (generation !== to.generation) return false;
    // Refresh its place in least-recently-used order.
    connections.delete(to.index);
    connections.set(to.index, generation);
    return true;
  }

  private connect(from: Endpoint, to: Endpoint): void {
    if (from.connections === null) from.connections = new Map();
    const connections = from.connections;
    connections.delete(to.index);
    connections.set(to.index, to.generation);
    if (connections.size > this.config.connectionsPerNodeMax) {
      connections.delete(connections.keys().next().value as number);
    }
  }
}
