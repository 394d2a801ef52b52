/**
 * `load-balance` (issue 6, item 2; survey §4.6): with random identifiers the node that holds the
 * most keys holds about log n times the mean, and virtual nodes (each machine taking several
 * identifiers, Chord §6 and CFS) even it out. Here for peergrid's own placement — a key belongs to
 * the node whose identifier is closest to it by XOR (Kademlia) — for n from 10^2 to 10^5 machines,
 * with 1 and with ⌈log2 n⌉ virtual identifiers each.
 *
 * Identifiers are 32-bit (enough to place 10^5 × 17 identifiers; a rare collision only makes two
 * identifiers share keys). The XOR-closest identifier is found by walking the sorted identifiers as
 * a binary trie: at each bit, the half that agrees with the key if it is not empty.
 */
import { Prng } from '../../prng.ts';
import { quantileSorted } from '../../stats.ts';

export interface LoadBalanceOptions {
  readonly seed: number;
  /** Machine counts to try. */
  readonly nodes: readonly number[];
  readonly keysPerNode: number;
}

export interface LoadBalancePoint {
  readonly nodes: number;
  readonly virtualPerNode: number;
  readonly keys: number;
  /** Keys on the most loaded machine ÷ the mean. */
  readonly maxOverMean: number;
  /** The same for the 99th percentile machine. */
  readonly p99OverMean: number;
  /** ln n, the survey's yardstick. */
  readonly lnN: number;
}

export interface LoadBalanceResult {
  readonly experiment: 'load-balance';
  readonly claim: string;
  readonly seed: number;
  readonly keysPerNode: number;
  readonly series: { readonly label: string; readonly points: readonly LoadBalancePoint[] }[];
}

export const LOAD_BALANCE_DEFAULTS: LoadBalanceOptions = { seed: 1, nodes: [100, 1000, 10_000, 100_000], keysPerNode: 50 };

export function runLoadBalance(options: LoadBalanceOptions): LoadBalanceResult {
  const plain: LoadBalancePoint[] = [];
  const virtual: LoadBalancePoint[] = [];
  for (const [index, nodes] of options.nodes.entries()) {
    plain.push(measure(Prng.fromSeed(options.seed).stream(2 * index), nodes, 1, options.keysPerNode));
    virtual.push(measure(Prng.fromSeed(options.seed).stream(2 * index + 1), nodes, Math.ceil(Math.log2(nodes)), options.keysPerNode));
  }
  return {
    experiment: 'load-balance',
    claim: 'with random identifiers the most loaded node holds about log n times the mean; virtual nodes even it out (survey §4.6)',
    seed: options.seed, keysPerNode: options.keysPerNode,
    series: [{ label: 'one identifier per node', points: plain }, { label: 'log2 n virtual identifiers per node', points: virtual }],
  };
}

function measure(prng: Prng, nodes: number, virtualPerNode: number, keysPerNode: number): LoadBalancePoint {
  const count = nodes * virtualPerNode;
  // Identifiers with their machines, sorted by identifier (as unsigned 32-bit numbers).
  const entries = Array.from({ length: count }, (_, index) => ({ id: prng.nextUint32() >>> 0, node: index % nodes }));
  entries.sort((a, b) => a.id - b.id);
  const ids = Uint32Array.from(entries, (entry) => entry.id);
  const owners = Int32Array.from(entries, (entry) => entry.node);
  const load = new Float64Array(nodes);
  const keys = nodes * keysPerNode;
  for (let key = 0; key < keys; key++) load[owners[xorClosest(ids, prng.nextUint32() >>> 0)]]++;
  const sorted = Array.from(load).sort((a, b) => a - b);
  const mean = keys / nodes;
  const round2 = (value: number): number => Math.round(value * 100) / 100;
  return {
    nodes, virtualPerNode, keys,
    maxOverMean: round2(sorted[sorted.length - 1] / mean),
    // Nearest rank, as every percentile the simulator reports: of 100 machines the 99th, not the
    // most loaded (index ⌊0.99 n⌋ is one rank too high, and at 100 machines it is the maximum).
    p99OverMean: round2(quantileSorted(sorted, 0.99) / mean),
    lnN: round2(Math.log(nodes)),
  };
}

/** The index of the identifier closest to `key` by XOR, in identifiers sorted ascending. */
export function xorClosest(ids: Uint32Array, key: number): number {
  let low = 0;
  let high = ids.length;
  for (let bit = 31; bit >= 0 && high - low > 1; bit--) {
    // The first index in [low, high) whose `bit` is set: all of them share the bits above.
    let split = low;
    let end = high;
    while (split < end) {
      const middle = (split + end) >>> 1;
      if (((ids[middle] >>> bit) & 1) === 1) end = middle;
      else split = middle + 1;
    }
    const keyBit = (key >>> bit) & 1;
    if (keyBit === 0 ? split > low : split === high) high = split;
    else low = split;
  }
  return low;
}
