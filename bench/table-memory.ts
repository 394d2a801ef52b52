/**
 * How much of a routing-table operation is waiting for memory. The simulator at 10^4 nodes spends
 * about a third of its window in two table operations (a sender marked seen, the contacts closest
 * to a target: docs/BENCHMARKS.md, "Simulator speed"), and costs more per message than the same
 * load at 1,000 nodes. Here the same operations run on one table, whose few hundred KiB stay in the
 * core's caches, and spread over many tables built alike, as a simulator's are, so that nearly
 * every call reaches state no cache holds. The ratio of the two is the price of memory; alternating
 * rounds put a change in the machine's speed on both sides.
 *
 * Every table is a node's of a 10^4-node overlay that has heard from every other node (in its own
 * order), with the node's defaults (k = 20, b = 4, relaxed splitting).
 */
import { defaultDhtConfig } from '../src/core/config.ts';
import { routingTableConfigOf } from '../src/core/dht-node.ts';
import { idFromBytes, randomId, type Id } from '../src/core/id.ts';
import { peerRef, type PeerRef } from '../src/core/peer.ts';
import { RoutingTable } from '../src/core/routing-table.ts';
import { Prng } from '../src/sim/prng.ts';
import { round3 } from './support/figures.ts';

const NODES = 10_000;
const ROUNDS = 4;
const CALLS_PER_ROUND = 300_000;
/** Lookup targets share this many leading bits with the table's owner, 0 to 12, as the hops of a lookup at 10^4 nodes do. */
const TARGET_PREFIX_BITS_MAX = 12;

interface Side {
  readonly tables: RoutingTable[];
  /** Contacts each table holds, and peers it does not. */
  readonly known: PeerRef[][];
  readonly unknown: PeerRef[][];
  /** Targets near each table's owner. */
  readonly targets: Id[][];
}

type Operation = (table: RoutingTable, side: Side, at: number, call: number) => void;

const operations: Record<string, Operation> = {
  observeKnown: (table, side, at, call) => void table.observe(pick(side.known[at], call), 10 + call),
  observeUnknown: (table, side, at, call) => void table.observe(pick(side.unknown[at], call), 10 + call),
  closest: (table, side, at, call) => void table.closest(pick(side.targets[at], call), defaultDhtConfig.k),
  addUnverified: (table, side, at, call) => void table.addUnverified(pick(side.unknown[at], call), 10 + call),
};

function pick<T>(items: readonly T[], call: number): T {
  return items[(call * 104_729) % items.length];
}

function build(peers: readonly PeerRef[], owners: number, random: Prng): Side {
  const config = routingTableConfigOf(defaultDhtConfig);
  const side: Side = { tables: [], known: [], unknown: [], targets: [] };
  for (let owner = 0; owner < owners; owner++) {
    const table = new RoutingTable(peers[owner], config, 0);
    const step = 1 + 2 * (owner % 97);
    for (let i = 0; i < peers.length; i++) table.observe(peers[(owner + i * step) % peers.length], 1);
    const known = table.peers();
    const held = new Set(known);
    side.tables.push(table);
    side.known.push(known);
    side.unknown.push(peers.filter((peer) => !held.has(peer) && peer !== peers[owner]));
    const targets: Id[] = [];
    for (let bits = 0; bits <= TARGET_PREFIX_BITS_MAX; bits++) targets.push(nearTarget(peers[owner], bits, random));
    side.targets.push(targets);
  }
  return side;
}

/** A random id sharing exactly `bits` leading bits with `owner`. */
function nearTarget(owner: Id, bits: number, random: Prng): Id {
  const bytes = randomId(random).bytes;
  for (let bit = 0; bit <= bits; bit++) {
    const mask = 1 << (7 - (bit & 7));
    const ownerBit = owner.bytes[bit >> 3] & mask;
    const wanted = bit < bits ? ownerBit : ownerBit ^ mask;
    bytes[bit >> 3] = (bytes[bit >> 3] & ~mask) | wanted;
  }
  return idFromBytes(bytes);
}

/** Mean nanoseconds of one call, over calls spread across the side's tables. */
function time(side: Side, operation: Operation): number {
  const tables = side.tables;
  const started = process.hrtime.bigint();
  for (let call = 0; call < CALLS_PER_ROUND; call++) {
    const at = (call * 7_919) % tables.length;
    operation(tables[at], side, at, call);
  }
  return Number(process.hrtime.bigint() - started) / CALLS_PER_ROUND;
}

export function tableMemoryBenchmark(argv: readonly string[]): Record<string, unknown> {
  const tablesArg = argv.indexOf('--tables');
  const tableCount = tablesArg >= 0 ? Number(argv[tablesArg + 1]) : 2_000;
  if (!Number.isInteger(tableCount) || tableCount < 2 || tableCount > NODES) throw new RangeError(`--tables must be an integer from 2 to ${NODES}`);
  const random = Prng.fromSeed(1);
  const peers: PeerRef[] = [];
  for (let i = 0; i < NODES; i++) peers.push(peerRef(randomId(random), String(i)));
  const hot = build(peers, 1, random);
  const cold = build(peers, tableCount, random);
  const nanos: Record<string, { oneTable: number; manyTables: number }> = {};
  for (const name of Object.keys(operations)) nanos[name] = { oneTable: 0, manyTables: 0 };
  for (let round = 0; round <= ROUNDS; round++) {
    // Round 0 warms both sides up and is not counted.
    const counted = round > 0 ? 1 / ROUNDS : 0;
    for (const [name, operation] of Object.entries(operations)) {
      nanos[name].oneTable += counted * time(hot, operation);
      nanos[name].manyTables += counted * time(cold, operation);
    }
  }
  const out: Record<string, unknown> = {
    nodes: NODES,
    tables: tableCount,
    contactsPerTableMean: Math.round(cold.known.reduce((sum, known) => sum + known.length, 0) / tableCount),
    heapUsedBytes: process.memoryUsage().heapUsed,
  };
  for (const [name, { oneTable, manyTables }] of Object.entries(nanos)) {
    out[name] = { oneTableNanos: Math.round(oneTable), manyTablesNanos: Math.round(manyTables), manyOverOne: round3(manyTables / oneTable) };
  }
  return out;
}

// Run alone: `node bench/table-memory.ts [--tables N]` prints the JSON object.
if (import.meta.main) process.stdout.write(`${JSON.stringify(tableMemoryBenchmark(process.argv.slice(2)), null, 2)}\n`);
