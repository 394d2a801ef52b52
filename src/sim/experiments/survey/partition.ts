/**
 * `partition` (issue 6, item 2; survey §4.7: with random identifiers an administrative domain's
 * machines are scattered over the whole keyspace, so a domain cut off from the rest holds only a
 * small part of it — most keys become unreachable from inside): the real DHT in the simulator
 * (World, the same DhtNodes as everywhere), `nodes` nodes joined, `keys` values stored from random
 * nodes; then a random share of the nodes — one organisation's machines, their identifiers random
 * — is cut off from the rest, the overlay given `settleMs` to notice, and every key asked for from a
 * random node inside; `worlds` such networks a share. Figures per share: the keys found from inside
 * (mean, least, most), beside what one home node per key would give (the share itself: the
 * survey's premise) and what our k copies per value would give if every copy inside were found
 * (1 − (1 − share)^k). To tell the two causes of a shortfall apart, each point also counts the keys
 * that had a copy inside at the moment of the cut, and how many of those the lookups found.
 */
import { randomId, type Id } from '../../../core/id.ts';
import type { PeerRef } from '../../../core/peer.ts';
import type { DhtConfig } from '../../../core/config.ts';
import type { LatencyModel } from '../../latency/model.ts';
import type { NetworkConfig } from '../../network.ts';
import { World, type SimNode } from '../../world.ts';

export interface PartitionOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly keys: number;
  readonly shares: readonly number[];
  readonly dht: DhtConfig;
  readonly latency: LatencyModel;
  readonly network: NetworkConfig;
  readonly joinSpacingMs: number;
  /** Time between the cut and the gets, for the nodes inside to give up on the contacts outside. */
  readonly settleMs: number;
  /** Networks built and cut for each share (each its own seed): one varies a lot from the next. */
  readonly worlds: number;
}

export interface PartitionPoint {
  /** The share of nodes cut off. */
  readonly share: number;
  readonly nodesInside: number;
  readonly keysAsked: number;
  /** Keys found from inside ÷ keys asked, the mean over the worlds, and the least and most of one. */
  readonly reachableFromInside: number;
  readonly reachableMin: number;
  readonly reachableMax: number;
  /** One home node per key: the share itself. */
  readonly oneHomeNode: number;
  /** k copies spread at random: 1 − (1 − share)^k. */
  readonly kCopiesAtRandom: number;
  /** Keys with at least one copy on a node inside when the cut came ÷ keys asked, over all worlds. */
  readonly copyInsideAtCut: number;
  /** Of those keys, the share the gets from inside found (1 when the lookups miss no copy inside). */
  readonly foundWhenCopyInside: number;
}

export interface PartitionResult {
  readonly experiment: 'partition';
  readonly claim: string;
  readonly seed: number;
  readonly nodes: number;
  readonly keys: number;
  readonly k: number;
  readonly points: readonly PartitionPoint[];
}

export const PARTITION_DEFAULTS = { nodes: 1000, keys: 200, shares: [0.02, 0.05, 0.1, 0.25, 0.5], settleMs: 30 * 60_000, worlds: 3 } as const;

export function runPartition(options: PartitionOptions): PartitionResult {
  const points = options.shares.map((share, index) => {
    const runs = Array.from({ length: options.worlds }, (_, world) => measure(options, share, options.seed + index * 1000 + world));
    const found = runs.map((run) => run.found / run.keysAsked);
    const round3 = (value: number): number => Math.round(value * 1000) / 1000;
    const { nodesInside } = runs[0];
    const keysAsked = runs.reduce((sum, run) => sum + run.keysAsked, 0);
    const withCopy = runs.reduce((sum, run) => sum + run.withCopyInside, 0);
    const foundWithCopy = runs.reduce((sum, run) => sum + run.foundWithCopyInside, 0);
    return {
      share, nodesInside, keysAsked,
      reachableFromInside: round3(found.reduce((sum, value) => sum + value, 0) / found.length),
      reachableMin: round3(Math.min(...found)), reachableMax: round3(Math.max(...found)),
      oneHomeNode: round3(nodesInside / options.nodes),
      kCopiesAtRandom: round3(1 - (1 - nodesInside / options.nodes) ** options.dht.k),
      copyInsideAtCut: round3(withCopy / keysAsked),
      foundWhenCopyInside: withCopy === 0 ? 1 : round3(foundWithCopy / withCopy),
    };
  });
  return {
    experiment: 'partition',
    claim: "a domain cut off from the rest holds only its share of a keyspace spread by random identifiers: most keys are unreachable from inside (survey §4.7)",
    seed: options.seed, nodes: options.nodes, keys: options.keys, k: options.dht.k, points,
  };
}

interface WorldOutcome {
  readonly nodesInside: number;
  readonly keysAsked: number;
  readonly found: number;
  readonly withCopyInside: number;
  readonly foundWithCopyInside: number;
}

function measure(options: PartitionOptions, share: number, seed: number): WorldOutcome {
  const world = new World({ seed, dht: options.dht, latency: options.latency, network: options.network, wire: false });
  const choice = world.stream(1);
  const joined: SimNode[] = [];
  // Operation ids are each node's own: an operation is known by its node and its id.
  const done = new Map<string, boolean>();
  const operation = (node: SimNode, id: number): string => `${node.index}/${id}`;
  world.onNodeEvent = (node, event) => {
    if (event.kind === 'joined') joined.push(node);
    else if (event.kind === 'putDone') done.set(operation(node, event.operationId), event.stored > 0);
    else if (event.kind === 'lookupDone') done.set(operation(node, event.operationId), event.value !== null);
  };
  const bootstrap = (): PeerRef[] => (joined.length === 0 ? [] : [joined[Math.floor(choice.nextFloat() * joined.length)].peer]);
  for (let index = 0; index < options.nodes; index++) world.at(index * options.joinSpacingMs, () => world.start(world.createNode(), bootstrap()));
  world.runUntil(options.nodes * options.joinSpacingMs);
  world.runWhile(() => joined.length < options.nodes, world.nowMs + 10 * 60_000);
  world.runUntil(world.nowMs + 60_000);
  // The values, each stored from a random node; waited for.
  const keys: Id[] = Array.from({ length: options.keys }, () => randomId(choice));
  const puts = keys.map((key, index) => {
    const node = joined[Math.floor(choice.nextFloat() * joined.length)];
    return operation(node, world.put(node, key, Uint8Array.of(index % 256)));
  });
  world.runWhile(() => puts.some((put) => !done.has(put)), world.nowMs + 10 * 60_000);
  // Cut off a random share of the nodes.
  const order = joined.map((node) => node.index);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(choice.nextFloat() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const insideIndices = order.slice(0, Math.max(1, Math.round(share * order.length)));
  const copyInside = keys.map((key) => insideIndices.some((index) => world.nodes[index].dht?.values.get(key, world.nowMs) !== undefined));
  world.network.partition([insideIndices]);
  world.runUntil(world.nowMs + options.settleMs);
  const insideSet = new Set(insideIndices);
  const inside = joined.filter((node) => insideSet.has(node.index) && node.online);
  // Every key, asked for from a random node inside.
  const gets = keys.map((key) => {
    const node = inside[Math.floor(choice.nextFloat() * inside.length)];
    return operation(node, world.get(node, key));
  });
  world.runWhile(() => gets.some((get) => !done.has(get)), world.nowMs + 10 * 60_000);
  const found = gets.map((get) => done.get(get) === true);
  return {
    nodesInside: insideIndices.length, keysAsked: keys.length, found: found.filter(Boolean).length,
    withCopyInside: copyInside.filter(Boolean).length, foundWithCopyInside: found.filter((hit, index) => hit && copyInside[index]).length,
  };
}
