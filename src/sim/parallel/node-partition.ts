/**
 * Splits the simulated nodes into parts, one per worker thread, so that every message between two
 * parts takes at least a few milliseconds: that gap is the lookahead of a conservative parallel
 * simulation (Chandy and Misra 1979; Fujimoto, "Parallel discrete event simulation", CACM 1990).
 * Each part may run that far ahead on its own before it must hear from the others.
 *
 * Nodes on one host of the latency model are never split (their core RTT is 0), and hosts close
 * to each other are kept together: hosts are joined into clusters by single linkage — any two
 * closer than a threshold end up in one cluster — and the clusters are packed into parts, largest
 * first, each into the lightest part. The threshold is the largest for which the parts still hold
 * within PART_SKEW_MAX of the same number of nodes. On the PlanetLab matrix, two parts of equal size
 * are at least 20–40 ms of RTT apart.
 */
import type { LatencyModel, Placement } from '../latency/model.ts';

/** The most a part may hold beyond an equal share of the nodes (the slowest part sets the pace). */
export const PART_SKEW_MAX = 0.05;
/** Beyond this many hosts (the geographic model makes one per node) clustering is not tried. */
export const PARTITION_HOSTS_MAX = 5_000;

export interface NodePartition {
  /** The part of each node index. */
  readonly partOf: Uint8Array;
  /** Nodes in each part. */
  readonly partSizes: readonly number[];
  /**
   * Whole milliseconds that every message between two parts takes at least: half the smallest core
   * RTT between hosts of different parts, rounded down (access delays only add to it).
   */
  readonly lookaheadMs: number;
}

interface HostCluster {
  readonly hosts: number[];
  readonly nodes: number;
}

/** Splits nodes, by their placements, into `parts` parts (1 to 255). Throws when no useful split exists. */
export function partitionNodes(placements: readonly Placement[], latency: LatencyModel, parts: number): NodePartition {
  if (!Number.isInteger(parts) || parts < 1 || parts > 255) throw new RangeError(`parts must be an integer from 1 to 255, got ${parts}`);
  if (parts === 1) return { partOf: new Uint8Array(placements.length), partSizes: [placements.length], lookaheadMs: Infinity };
  // One placement per host stands for it, without its access delay: what is left is the core RTT.
  const hostPlacements: Placement[] = [];
  const hostIndex = new Map<number, number>();
  const nodesOnHost: number[] = [];
  for (const placement of placements) {
    let index = hostIndex.get(placement.host);
    if (index === undefined) {
      index = hostPlacements.length;
      hostIndex.set(placement.host, index);
      hostPlacements.push({ ...placement, accessMs: 0 });
      nodesOnHost.push(0);
    }
    nodesOnHost[index]++;
  }
  const hosts = hostPlacements.length;
  if (hosts > PARTITION_HOSTS_MAX) {
    throw new RangeError(`the ${latency.name} latency model puts the nodes on ${hosts} hosts; a split run needs at most ${PARTITION_HOSTS_MAX}, so a model with shared hosts, such as planetlab or a matrix file (the geographic model gives every node its own)`);
  }
  const coreRttMs = hostRttMatrix(hostPlacements, latency);
  const pairs = sortedPairs(coreRttMs, hosts);
  const limit = Math.ceil((placements.length / parts) * (1 + PART_SKEW_MAX));
  // Binary search for the last pair whose RTT, as a threshold, still lets the clusters pack evenly.
  let low = 0;
  let high = pairs.length;
  let best: number[] | null = packClusters(clustersBelow(pairs, 0, coreRttMs, hosts, nodesOnHost), parts, limit);
  if (best === null) throw new RangeError(`the nodes cannot be split into ${parts} parts of even size: a host holds too many of them`);
  while (high - low > 1) {
    const middle = (low + high) >> 1;
    const packed = packClusters(clustersBelow(pairs, middle, coreRttMs, hosts, nodesOnHost), parts, limit);
    if (packed !== null) {
      low = middle;
      best = packed;
    } else {
      high = middle;
    }
  }
  const partOfHost = best;
  let crossMinMs = Infinity;
  for (let a = 0; a < hosts; a++) {
    for (let b = a + 1; b < hosts; b++) {
      if (partOfHost[a] !== partOfHost[b] && coreRttMs[a * hosts + b] < crossMinMs) crossMinMs = coreRttMs[a * hosts + b];
    }
  }
  const lookaheadMs = Math.floor(crossMinMs / 2);
  if (!(lookaheadMs >= 1) || !Number.isFinite(lookaheadMs)) {
    throw new RangeError(`the nodes cannot be split into ${parts} parts at least 2 ms of RTT apart under the ${latency.name} latency model`);
  }
  const partOf = new Uint8Array(placements.length);
  const partSizes = new Array<number>(parts).fill(0);
  placements.forEach((placement, node) => {
    const part = partOfHost[hostIndex.get(placement.host) as number];
    partOf[node] = part;
    partSizes[part]++;
  });
  return { partOf, partSizes, lookaheadMs };
}

/** Core RTTs between hosts: the model's RTT between their placements with no access delay. */
function hostRttMatrix(bare: readonly Placement[], latency: LatencyModel): Float64Array {
  const hosts = bare.length;
  const rttMs = new Float64Array(hosts * hosts);
  for (let a = 0; a < hosts; a++) {
    for (let b = a + 1; b < hosts; b++) {
      const value = latency.rttMs(bare[a], bare[b]);
      if (!(value >= 0)) throw new RangeError(`the ${latency.name} latency model gives no round-trip time between hosts ${bare[a].host} and ${bare[b].host}`);
      rttMs[a * hosts + b] = value;
      rttMs[b * hosts + a] = value;
    }
  }
  return rttMs;
}

/** Every pair of hosts a < b as a * hosts + b, by RTT ascending. */
function sortedPairs(rttMs: Float64Array, hosts: number): Uint32Array {
  const pairs: number[] = [];
  for (let a = 0; a < hosts; a++) for (let b = a + 1; b < hosts; b++) pairs.push(a * hosts + b);
  pairs.sort((x, y) => rttMs[x] - rttMs[y] || x - y);
  return Uint32Array.from(pairs);
}

/** The clusters formed by joining every pair of hosts closer than the RTT of pairs[cut] (none when cut is 0). */
function clustersBelow(pairs: Uint32Array, cut: number, rttMs: Float64Array, hosts: number, nodesOnHost: readonly number[]): HostCluster[] {
  const parent = Array.from({ length: hosts }, (_, i) => i);
  const root = (host: number): number => {
    while (parent[host] !== host) {
      parent[host] = parent[parent[host]];
      host = parent[host];
    }
    return host;
  };
  const thresholdMs = cut === 0 ? -Infinity : rttMs[pairs[cut]];
  for (let i = 0; i < pairs.length && rttMs[pairs[i]] < thresholdMs; i++) {
    const a = root(Math.floor(pairs[i] / hosts));
    const b = root(pairs[i] % hosts);
    if (a !== b) parent[a] = b;
  }
  const byRoot = new Map<number, number[]>();
  for (let host = 0; host < hosts; host++) {
    const r = root(host);
    const members = byRoot.get(r);
    if (members) members.push(host);
    else byRoot.set(r, [host]);
  }
  return [...byRoot.values()].map((members) => ({ hosts: members, nodes: members.reduce((sum, host) => sum + nodesOnHost[host], 0) }));
}

/** The part of each host when the clusters are packed largest first into the lightest part, or null if a part would exceed `limit` nodes. */
function packClusters(clusters: HostCluster[], parts: number, limit: number): number[] | null {
  const sorted = [...clusters].sort((a, b) => b.nodes - a.nodes || a.hosts[0] - b.hosts[0]);
  const loads = new Array<number>(parts).fill(0);
  const partOfHost: number[] = [];
  for (const cluster of sorted) {
    let lightest = 0;
    for (let part = 1; part < parts; part++) if (loads[part] < loads[lightest]) lightest = part;
    loads[lightest] += cluster.nodes;
    if (loads[lightest] > limit) return null;
    for (const host of cluster.hosts) partOfHost[host] = lightest;
  }
  return partOfHost;
}
