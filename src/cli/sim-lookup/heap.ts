/**
 * Room for a large simulation. V8 caps its heap at about 4 GiB by default whatever the machine has,
 * and a 10^5-node run needs more (about 40 KB of heap per node when this was written, more under
 * churn, which keeps departed identities; more again since the routing tables' numeric columns
 * moved onto the heap), so it died of "heap out of memory" at 90,000 nodes with 20 GiB free. When
 * the cap is below what a whole run needs, `sim lookup` runs itself again in a child process with
 * --max-old-space-size raised, up to 80% of the machine's memory; a split run's workers get caps
 * of their own parts instead (workerHeapCapMb).
 */
import { PART_SKEW_MAX } from '../../sim/parallel/node-partition.ts';

const MIB = 1024 * 1024;
/** Heap per simulated node, measured at 10^5 static nodes (3.5 GiB at 90,000), with room for churn. */
const HEAP_BYTES_PER_NODE = 80 * 1024;
/** Below this many nodes the default cap always suffices. */
const HEAP_FLOOR_BYTES = 2048 * MIB;
/** The share of the machine's memory the heap may grow to. */
const MACHINE_SHARE = 0.8;

/** Memory per simulated node in all (heap and the rest): 10.33 GiB peak RSS at 10^5 static nodes, with a margin. */
const RSS_BYTES_PER_NODE = 112 * 1024;
/**
 * A worker of a split run beyond its part's share of RSS_BYTES_PER_NODE, per node of the whole run:
 * every node's record, and the larger heap headroom of two heaps. Calibrated on 10^5 nodes on two
 * workers: 14.1 GiB peak RSS (2026-11-28).
 */
const SHARED_BYTES_PER_NODE = 16 * 1024;

/**
 * A split run under churn against a static one of as many nodes: departed identities keep their
 * records, and their snapshots in the part that ran them. At 10^4 nodes on two workers (2026-11-28)
 * churn runs peaked at 3.2 GiB (exp:10, 19,430 identities), 3.4 GiB (Mojo, 23,069) and 3.7 GiB
 * (exp:60, 19,356), where the static estimate below gives 1.5 GiB.
 */
const CHURN_FACTOR = 2.5;

/**
 * A worker's heap cap over the heap its part is estimated to need (HEAP_BYTES_PER_NODE, which has
 * room for churn already). Calibrated on 10^5 nodes on two workers (2026-11-29): 5,500 MiB each
 * ran without running short, at 9.6 GiB peak RSS for the whole run; this rule gives 5,937 MiB
 * there, and 9.75 GiB.
 */
const WORKER_HEAP_HEADROOM = 1.4;
/** What a worker's heap keeps for every node of the whole run: its identity, record, oracle entry and trace lane. */
const RECORD_HEAP_BYTES_PER_NODE = 2 * 1024;
/** The routing tables, most of a node's heap, grow with the bucket size k; HEAP_BYTES_PER_NODE was measured at k = 20. */
const K_MEASURED = 20;

/** Marks the relaunched child, so it never relaunches again. */
export const RELAUNCHED_ENV = 'PEERGRID_SIM_RELAUNCHED';

/** The heap cap, in MiB, to relaunch with; null when the current cap will do (or nothing better is possible). */
export function heapCapToRelaunchMb(nodes: number, heapCapBytes: number, machineBytes: number, env: Readonly<Record<string, string | undefined>>): number | null {
  if (env[RELAUNCHED_ENV] === '1') return null;
  const neededBytes = Math.max(HEAP_FLOOR_BYTES, nodes * HEAP_BYTES_PER_NODE);
  if (heapCapBytes >= neededBytes) return null;
  const possibleBytes = Math.floor(machineBytes * MACHINE_SHARE);
  if (possibleBytes <= heapCapBytes) return null;
  return Math.floor(Math.min(possibleBytes, 2 * neededBytes) / MIB);
}

/**
 * Why `workers` workers cannot hold their parts of an overlay of `nodes` nodes (on average, under
 * `churn`) on this machine, or null when they can. Each runs the protocol of its own part only
 * (parallel-lookup.ts), a part being up to 5% over an even share, and keeps a record of every node
 * (identity, place, online state, trace lanes).
 */
export function splitMemoryProblem(nodes: number, workers: number, machineBytes: number, churn = false): string | null {
  if (workers <= 1) return null;
  const partNodes = Math.ceil((nodes / workers) * (1 + PART_SKEW_MAX));
  const staticBytes = partNodes * RSS_BYTES_PER_NODE + nodes * SHARED_BYTES_PER_NODE;
  const perWorkerBytes = Math.max(HEAP_FLOOR_BYTES / 4, churn ? staticBytes * CHURN_FACTOR : staticBytes);
  if (perWorkerBytes * workers <= machineBytes * MACHINE_SHARE) return null;
  const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);
  return `each worker holds its part of the overlay (about ${gib(perWorkerBytes)} GiB at ${nodes} nodes${churn ? ' under churn' : ''}); ${workers} of them need more than ${Math.round(MACHINE_SHARE * 100)}% of this machine's ${gib(machineBytes)} GiB`;
}

/**
 * The heap cap, in MiB, to give each worker of a split run; null when V8's default (`defaultCapBytes`,
 * the cap a worker gets unless told otherwise) will do. A split run is never relaunched with a
 * larger --max-old-space-size: its main thread holds no overlay, and that flag would override any
 * cap set on a worker. With the relaunched cap of a whole run (twice the estimate for the whole
 * overlay) on each worker, each let its heap grow far past its part, and two of them peaked at
 * 14.1 GiB at 10^5 nodes (docs/BENCHMARKS.md, "10^5 nodes"). Within the machine's share, split
 * between the workers.
 */
export function workerHeapCapMb(nodes: number, workers: number, k: number, defaultCapBytes: number, machineBytes: number, churn = false): number | null {
  if (workers <= 1) return null;
  const partNodes = Math.ceil((nodes / workers) * (1 + PART_SKEW_MAX));
  const partBytes = partNodes * HEAP_BYTES_PER_NODE * Math.max(1, k / K_MEASURED) * (churn ? CHURN_FACTOR : 1);
  const neededBytes = partBytes * WORKER_HEAP_HEADROOM + nodes * RECORD_HEAP_BYTES_PER_NODE;
  if (neededBytes <= defaultCapBytes) return null;
  return Math.floor(Math.min(neededBytes, (machineBytes * MACHINE_SHARE) / workers) / MIB);
}
