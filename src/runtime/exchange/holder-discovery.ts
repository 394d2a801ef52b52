/**
 * Who holds a block: the nodes closest to its key (placement puts pieces there, and caches sit
 * near them), asked in one `have` request per node for every block of a batch (docs/storage-network.md).
 *
 * A lookup per block finds its closest nodes; the first `candidatesPerBlock` of them (ourselves
 * left out: the caller has looked in its own store) are asked. Asking is batched by node, so a
 * directory level of 174 blocks on a grid of a few dozen nodes costs a few dozen small requests,
 * not thousands. A node that fails to answer is simply not a holder this time.
 */
import { idEquals, type Id } from '../../core/id.ts';
import type { PeerRef } from '../../core/peer.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import { ExchangeLimits } from '../../services/storage/exchange/exchange-limits.ts';
import { blockKeyOf } from '../../services/storage/placement/block-key.ts';
import { byDistanceTo } from '../../services/storage/placement/placement.ts';
import { forEachLimited } from '../storage/parallel.ts';
import type { ExchangeClient } from './exchange-client.ts';

export interface BlockHolders {
  /** Nodes holding the whole block, closest to its key first. */
  readonly copies: PeerRef[];
  /** Nodes holding erasure fragments of it, with the fragment indexes each holds. */
  readonly fragments: { readonly peer: PeerRef; readonly indexes: readonly number[] }[];
}

export interface HolderDiscoveryOptions {
  /** The closest nodes asked per block: enough for R copies or K+M fragments plus some caches. */
  readonly candidatesPerBlock: number;
  readonly lookupsInFlightMax: number;
  readonly haveRequestsInFlightMax: number;
}

export const HolderDiscoveryDefaults: HolderDiscoveryOptions = {
  candidatesPerBlock: 20,
  lookupsInFlightMax: 16,
  haveRequestsInFlightMax: 16,
};

export type ClosestNodes = (key: Id) => Promise<readonly PeerRef[]>;

export class HolderDiscovery {
  private readonly closestNodes: ClosestNodes;
  private readonly client: ExchangeClient;
  private readonly self: PeerRef;
  private readonly options: HolderDiscoveryOptions;

  constructor(closestNodes: ClosestNodes, client: ExchangeClient, self: PeerRef, options: HolderDiscoveryOptions = HolderDiscoveryDefaults) {
    this.closestNodes = closestNodes;
    this.client = client;
    this.self = self;
    this.options = options;
  }

  /** The holders of each block (keyed by CID text); a block nobody answered for has empty lists. */
  async discover(blocks: readonly CID[], signal?: AbortSignal): Promise<Map<string, BlockHolders>> {
    const found = new Map<string, BlockHolders>();
    const keys = new Map<string, Id>();
    const askPeer = new Map<string, { peer: PeerRef; blocks: CID[] }>();
    await forEachLimited(blocks, this.options.lookupsInFlightMax, async (cid) => {
      found.set(cid.toString(), { copies: [], fragments: [] });
      const key = blockKeyOf(cid);
      if (key === null || signal?.aborted === true) return;
      keys.set(cid.toString(), key);
      const closest = byDistanceTo(key, await this.closestNodes(key)).filter((peer) => !idEquals(peer, this.self)).slice(0, this.options.candidatesPerBlock);
      for (const peer of closest) {
        const address = peer.address;
        let entry = askPeer.get(address);
        if (entry === undefined) askPeer.set(address, (entry = { peer, blocks: [] }));
        entry.blocks.push(cid);
      }
    });
    const batches: { peer: PeerRef; blocks: CID[] }[] = [];
    for (const entry of askPeer.values()) {
      for (let start = 0; start < entry.blocks.length; start += ExchangeLimits.haveBlocksMax) {
        batches.push({ peer: entry.peer, blocks: entry.blocks.slice(start, start + ExchangeLimits.haveBlocksMax) });
      }
    }
    await forEachLimited(batches, this.options.haveRequestsInFlightMax, async ({ peer, blocks: asked }) => {
      if (signal?.aborted === true) return;
      const answer = await this.client.have(peer, asked, signal).catch(() => null);
      if (answer === null || answer.kind !== 'haves') return;
      answer.entries.forEach((entry, index) => {
        const holders = found.get(asked[index].toString());
        if (holders === undefined) return;
        if (entry.block) holders.copies.push(peer);
        if (entry.fragments.length > 0) holders.fragments.push({ peer, indexes: entry.fragments });
      });
    });
    for (const [text, holders] of found) {
      const key = keys.get(text);
      if (key !== undefined) holders.copies.splice(0, holders.copies.length, ...byDistanceTo(key, holders.copies));
    }
    return found;
  }
}
