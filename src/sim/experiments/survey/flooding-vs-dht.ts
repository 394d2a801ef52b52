/**
 * `flooding-vs-dht` (issue 6, item 2; survey §3.1.1: Gnutella's floods do not scale; seed [57], [58]:
 * Lv, Cao, Cohen, Li, Shenker, "Search and replication in unstructured peer-to-peer networks", ICS
 * 2002): searching an unstructured overlay — flooding with a TTL, an expanding ring, k random
 * walkers — against a DHT lookup, in messages per query and success rate, as n grows.
 *
 * The unstructured overlay is a random graph of mean degree `degree` (Gnutella's peers kept about
 * four); each object has copies on a share `replication` of the nodes, at random; each query starts
 * at a random node. Messages count every transmission, duplicates included (a flood's cost). The
 * DHT side is the lookup experiment's messages per lookup at the same n (the caller runs it).
 */
import { Prng } from '../../prng.ts';
import type { LookupExperimentResult } from '../lookup-experiment.ts';

export interface FloodingOptions {
  readonly seed: number;
  readonly nodes: readonly number[];
  readonly queries: number;
  readonly degree: number;
  readonly replication: number;
  /** The flood's TTL (Gnutella's default: 7). */
  readonly ttl: number;
  readonly walkers: number;
  /** A walker gives up after this many steps. */
  readonly walkStepsMax: number;
}

export interface SearchFigures {
  readonly messagesPerQuery: number;
  readonly successRate: number;
}

export interface FloodingPoint {
  readonly nodes: number;
  readonly flooding: SearchFigures;
  readonly expandingRing: SearchFigures;
  readonly randomWalks: SearchFigures;
  readonly dht: SearchFigures;
}

export interface FloodingResult {
  readonly experiment: 'flooding-vs-dht';
  readonly claim: string;
  readonly seed: number;
  readonly options: Omit<FloodingOptions, 'seed' | 'nodes'>;
  readonly points: readonly FloodingPoint[];
}

export const FLOODING_DEFAULTS: Omit<FloodingOptions, 'seed'> = {
  nodes: [100, 1000, 10_000], queries: 1000, degree: 4, replication: 0.005, ttl: 7, walkers: 16, walkStepsMax: 1024,
};

export function runFloodingVsDht(options: FloodingOptions, dhtAt: (nodes: number) => LookupExperimentResult): FloodingResult {
  const points = options.nodes.map((nodes, index): FloodingPoint => {
    const prng = Prng.fromSeed(options.seed).stream(index);
    const graph = randomGraph(prng, nodes, options.degree);
    const copies = Math.max(1, Math.round(options.replication * nodes));
    const totals = { flood: [0, 0], ring: [0, 0], walk: [0, 0] };
    for (let query = 0; query < options.queries; query++) {
      const holders = new Set<number>();
      while (holders.size < Math.min(copies, nodes - 1)) holders.add(Math.floor(prng.nextFloat() * nodes));
      let start = Math.floor(prng.nextFloat() * nodes);
      while (holders.has(start)) start = Math.floor(prng.nextFloat() * nodes);
      const flood = floodSearch(graph, start, holders, options.ttl);
      totals.flood[0] += flood.messages;
      totals.flood[1] += flood.found ? 1 : 0;
      let ring = { messages: 0, found: false };
      for (let ttl = 1; ttl <= options.ttl && !ring.found; ttl++) {
        const attempt = floodSearch(graph, start, holders, ttl);
        ring = { messages: ring.messages + attempt.messages, found: attempt.found };
      }
      totals.ring[0] += ring.messages;
      totals.ring[1] += ring.found ? 1 : 0;
      const walk = randomWalks(graph, start, holders, options.walkers, options.walkStepsMax, prng);
      totals.walk[0] += walk.messages;
      totals.walk[1] += walk.found ? 1 : 0;
    }
    const figures = ([messages, found]: number[]): SearchFigures => ({ messagesPerQuery: round1(messages / options.queries), successRate: round3(found / options.queries) });
    const dht = dhtAt(nodes);
    return {
      nodes, flooding: figures(totals.flood), expandingRing: figures(totals.ring), randomWalks: figures(totals.walk),
      dht: { messagesPerQuery: round1(dht.messagesPerLookup), successRate: round3(dht.correctRate) },
    };
  });
  const { seed: _seed, nodes: _nodes, ...rest } = options;
  return {
    experiment: 'flooding-vs-dht',
    claim: "flooding's messages per query grow with n while a DHT's grow with log n (survey §3.1.1); random walks cut a flood's cost (Lv et al. 2002)",
    seed: options.seed, options: rest, points,
  };
}

/** Adjacency lists of a random graph: each node links to `degree / 2` others at random (so the mean degree is about `degree`), plus a ring so it is connected. */
export function randomGraph(prng: Prng, nodes: number, degree: number): number[][] {
  const links: Set<number>[] = Array.from({ length: nodes }, () => new Set<number>());
  const link = (a: number, b: number): void => {
    if (a === b) return;
    links[a].add(b);
    links[b].add(a);
  };
  for (let node = 0; node < nodes; node++) link(node, (node + 1) % nodes);
  const extra = Math.max(0, Math.round(degree / 2) - 1);
  for (let node = 0; node < nodes; node++) for (let count = 0; count < extra; count++) link(node, Math.floor(prng.nextFloat() * nodes));
  return links.map((set) => [...set]);
}

/** A flood from `start` up to `ttl` hops: every node that receives it first forwards it to all its other neighbours. */
function floodSearch(graph: readonly number[][], start: number, holders: ReadonlySet<number>, ttl: number): { messages: number; found: boolean } {
  const seen = new Set<number>([start]);
  let frontier: { node: number; from: number }[] = [{ node: start, from: -1 }];
  let messages = 0;
  let found = false;
  for (let hop = 0; hop < ttl && frontier.length > 0; hop++) {
    const next: { node: number; from: number }[] = [];
    for (const { node, from } of frontier) {
      for (const neighbour of graph[node]) {
        if (neighbour === from) continue;
        messages++;
        if (seen.has(neighbour)) continue;
        seen.add(neighbour);
        if (holders.has(neighbour)) found = true;
        next.push({ node: neighbour, from: node });
      }
    }
    frontier = next;
  }
  return { messages, found };
}

/** `walkers` random walks from `start`, each a message a step, until one reaches a holder or each has taken `stepsMax` steps. */
function randomWalks(graph: readonly number[][], start: number, holders: ReadonlySet<number>, walkers: number, stepsMax: number, prng: Prng): { messages: number; found: boolean } {
  const positions = Array.from({ length: walkers }, () => start);
  let messages = 0;
  for (let step = 0; step < stepsMax; step++) {
    for (let walker = 0; walker < walkers; walker++) {
      const neighbours = graph[positions[walker]];
      positions[walker] = neighbours[Math.floor(prng.nextFloat() * neighbours.length)];
      messages++;
    }
    // Walkers check back with the start every step (Lv et al. check every 4th): found ends them all.
    if (positions.some((node) => holders.has(node))) return { messages, found: true };
  }
  return { messages, found: false };
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
