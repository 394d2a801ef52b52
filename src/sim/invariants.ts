/**
 * Invariant checkers, apart from the code they check (TigerBeetle's cluster checkers): things that
 * must hold of every node and of the simulator at any moment, whatever faults were injected.
 * Each returns a list of violations, empty when all is well.
 */
import { bitAt, idEquals, idToHex } from '../core/id.ts';
import { Limits } from '../core/limits.ts';
import type { World } from './world.ts';

export function checkInvariants(world: World): string[] {
  const problems: string[] = [];
  let online = 0;
  for (const node of world.nodes) {
    if (!node.online) {
      if (node.dht !== null) problems.push(`node ${node.index} is offline but still runs a DhtNode`);
      if (world.oracle.has(node.peer)) problems.push(`node ${node.index} is offline but the oracle counts it live`);
      continue;
    }
    online++;
    if (!world.oracle.has(node.peer)) problems.push(`node ${node.index} is online but unknown to the oracle`);
    const dht = node.dht;
    if (dht === null) {
      problems.push(`node ${node.index} is online without a DhtNode`);
      continue;
    }
    problems.push(...checkRoutingTable(node.index, dht.table, dht.config.k));
    if (dht.pendingRequestCount > Limits.pendingRequestsMax) problems.push(`node ${node.index} has ${dht.pendingRequestCount} requests in flight`);
    if (dht.nextWakeAtMs() < world.nowMs - 1) problems.push(`node ${node.index} has a timer in the past (${dht.nextWakeAtMs()} < ${world.nowMs})`);
  }
  if (online !== world.onlineCount) problems.push(`online count ${world.onlineCount} but ${online} nodes are online`);
  if (online !== world.oracle.size) problems.push(`the oracle knows ${world.oracle.size} live nodes but ${online} are online`);
  return problems;
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
