/**
 * Sends items to the `replicas` live nodes closest to each item's key (docs/SEARCH.md, "On the
 * network"): items bound for one node travel together, and a node that fails is replaced by the
 * next closest candidate in a further round, as Kademlia stores on the k closest nodes that answer.
 */
import type { Id } from '../../core/id.ts';
import { forEachLimited } from '../storage/parallel.ts';
import type { IndexNode, IndexNodes } from './index-nodes.ts';

export interface Delivery {
  /** For each item, the nodes that hold it now. */
  readonly stored: readonly number[];
  /** Nodes that took at least one item. */
  readonly nodes: ReadonlySet<string>;
  /** Nodes that failed (unreachable, or an answer that did not read). */
  readonly failedNodes: ReadonlySet<string>;
}

export interface DeliverOptions {
  readonly replicas: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Rounds: the first, and retries with the next candidates for items short of replicas. */
  readonly rounds: number;
}

/**
 * `send` delivers a batch to one node and says, for each item, whether the node holds it now; it
 * throws when the node failed.
 */
export async function deliver<T>(
  nodes: IndexNodes, entries: readonly { readonly key: Id; readonly item: T }[], options: DeliverOptions,
  send: (node: IndexNode, items: readonly T[]) => Promise<readonly boolean[]>,
): Promise<Delivery> {
  const candidates: (readonly IndexNode[])[] = [];
  await forEachLimited(entries.map((_, index) => index), options.concurrency, async (index) => {
    candidates[index] = await nodes.candidates(entries[index].key);
  });
  const stored = entries.map(() => 0);
  const next = entries.map(() => 0);
  const failedNodes = new Set<string>();
  const okNodes = new Set<string>();
  for (let round = 0; round < options.rounds; round++) {
    const batches = new Map<string, { node: IndexNode; indexes: number[] }>();
    entries.forEach((_, index) => {
      let wanted = options.replicas - stored[index];
      while (wanted > 0 && next[index] < candidates[index].length) {
        const node = candidates[index][next[index]++];
        if (failedNodes.has(node.peerId)) continue;
        let batch = batches.get(node.peerId);
        if (batch === undefined) batches.set(node.peerId, (batch = { node, indexes: [] }));
        batch.indexes.push(index);
        wanted--;
      }
    });
    if (batches.size === 0) break;
    await forEachLimited([...batches.values()], options.concurrency, async ({ node, indexes }) => {
      try {
        const held = await send(node, indexes.map((index) => entries[index].item));
        okNodes.add(node.peerId);
        indexes.forEach((index, at) => {
          if (held[at] === true) stored[index]++;
        });
      } catch {
        failedNodes.add(node.peerId);
        for (const index of indexes) nodes.forget(entries[index].key);
      }
    });
  }
  return { stored, nodes: okNodes, failedNodes };
}
