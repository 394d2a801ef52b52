/**
 * Invariant checkers, apart from the code they check (TigerBeetle's cluster checkers): things that
 * must hold of every node and of the simulator at any moment, whatever faults were injected.
 * Each returns a list of violations, empty when all is well.
 */
import { bitAt, idEquals, idToHex } from '../core/id.ts';
import { Limits } from '../core/limits.ts';
import type { World } from './world.ts';

export function checkInvariants(world: World): string[] {
  return findViolations(world).map((violation) => violation.problem);
}

/** A violation found, and the node it is about (WORLD_VIOLATION for the simulator's own books). */
export interface Violation {
  readonly node: number;
  readonly problem: string;
}

export const WORLD_VIOLATION = -1;

/**
 * checkInvariants's findings with their nodes, in node order and the world's last. In one part of
 * a split run, the nodes other parts run are checked only against the oracle: their protocol state
 * is elsewhere (world.ts, runOnly), and that part checks it.
 */
export function findViolations(world: World): Violation[] {
  const violations: Violation[] = [];
  const about = (node: number, problem: string): void => {
    violations.push({ node, problem });
  };
  let online = 0;
  for (const node of world.nodes) {
    if (!node.online) {
      if (node.dht !== null) about(node.index, `node ${node.index} is offline but still runs a DhtNode`);
      if (world.oracle.has(node.peer)) about(node.index, `node ${node.index} is offline but the oracle counts it live`);
      continue;
    }
    online++;
    if (!world.oracle.has(node.peer)) about(node.index, `node ${node.index} is online but unknown to the oracle`);
    if (!world.runs(node)) continue;
    const dht = node.dht;
    if (dht === null) {
      about(node.index, `node ${node.index} is online without a DhtNode`);
      continue;
    }
    for (const problem of checkRoutingTable(node.index, dht.table, dht.config.k)) about(node.index, problem);
    if (dht.pendingRequestCount > Limits.pendingRequestsMax) about(node.index, `node ${node.index} has ${dht.pendingRequestCount} requests in flight`);
    if (dht.nextWakeAtMs() < world.nowMs - 1) about(node.index, `node ${node.index} has a timer in the past (${dht.nextWakeAtMs()} < ${world.nowMs})`);
  }
  if (online !== world.onlineCount) about(WORLD_VIOLATION, `online count ${world.onlineCount} but ${online} nodes are online`);
  if (online !== world.oracle.size) about(WORLD_VIOLATION, `the oracle knows ${world.oracle.size} live nodes but ${online} are online`);
  return violations;
}

interface TableView {
  readonly self: { readonly bytes: Uint8Array; readonly head: number };
  readonly size: number;
  buckets(): readonly { readonly depth: number; readonly prefix: { readonly bytes: Uint8Array; readonly head: number }; readonly peers: readonly { readonly bytes: Uint8Array; readonly head: number }[] }[];
}

/** Every contact in the bucket its prefix names, at most k per bucket, none twice, never ourselves. */
export function checkRoutingTable(index: number, table: TableView, k: number): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let count = 0;
  for (const bucket of table.buckets()) {
    if (bucket.peers.length > k) problems.push(`node ${index}: a bucket at depth ${bucket.depth} holds ${bucket.peers.length} > k contacts`);
    for (const peer of bucket.peers) {
      count++;
      if (idEquals(peer, table.self)) problems.push(`node ${index} lists itself as a contact`);
      const hex = idToHex(peer);
      if (seen.has(hex)) problems.push(`node ${index} lists ${hex.slice(0, 8)} twice`);
      seen.add(hex);
      for (let bit = 0; bit < bucket.depth; bit++) {
        if (bitAt(peer, bit) !== bitAt(bucket.prefix, bit)) {
          problems.push(`node ${index}: contact ${hex.slice(0, 8)} is outside its bucket's prefix`);
          break;
        }
      }
    }
  }
  if (count !== table.size) problems.push(`node ${index}: table size ${table.size} but ${count} contacts`);
  return problems;
}
