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
import type { HaveEntry } from '../../services/storage/exchange/exchange-messages.ts';
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

/** What one node said it holds of a block. */
export interface HeldClaim {
  readonly peer: PeerRef;
  readonly entry: HaveEntry;
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

  /**
   * The holders of each block (keyed by CID text); a block nobody answered for has empty lists.
   * `likelyHolders` — nodes that held other blocks of the same content — are asked first, and only
   * the blocks none of them holds whole are looked up: a file's blocks mostly sit on the same few
   * nodes of a small grid, and a lookup per block would cost a thousand lookups for 256 MiB, all
   * to the same nodes (enough to trip their rate limits).
   */
  async discover(blocks: readonly CID[], signal?: AbortSignal, likelyHolders: readonly PeerRef[] = []): Promise<Map<string, BlockHolders>> {
    const found = new Map<string, BlockHolders>();
    for (const cid of blocks) found.set(cid.toString(), { copies: [], fragments: [] });
    const merge = (peer: PeerRef, cid: CID, entry: HaveEntry): void => {
      const holders = found.get(cid.toString());
      if (holders === undefined) return;
      if (entry.block && !holders.copies.some((known) => known.address === peer.address)) holders.copies.push(peer);
      if (entry.fragments.length > 0) holders.fragments.push({ peer, indexes: entry.fragments });
    };
    const first = likelyHolders.filter((peer) => !idEquals(peer, this.self)).slice(0, this.options.candidatesPerBlock);
    if (first.length > 0) await this.ask(first.map((peer) => ({ peer, blocks: [...blocks] })), merge, signal);
    const unknown = blocks.filter((cid) => (found.get(cid.toString()) as BlockHolders).copies.length === 0);
    const { requests, keys } = await this.candidates(unknown, new Set(first.map((peer) => peer.address)), signal);
    await this.ask(requests, merge, signal);
    for (const [text, holders] of found) {
      const key = keys.get(text);
      if (key !== undefined) holders.copies.splice(0, holders.copies.length, ...byDistanceTo(key, holders.copies));
    }
    return found;
  }

  /**
   * What each of a block's closest nodes says it holds of it (keyed by CID text, then by node
   * address): every candidate is asked, with no shortcut through likely holders, since a census
   * (content-checker.ts) must see every piece. A node that did not answer is absent.
   * `onLookedUp` is called after each block's lookup. With `renewLeaseSeconds`, the nodes are asked
   * `renew` instead of `have`: each also keeps its pieces of the blocks that long (lease-policy.ts).
   */
  async claims(blocks: readonly CID[], signal?: AbortSignal, onLookedUp?: () => void, renewLeaseSeconds?: number): Promise<Map<string, Map<string, HeldClaim>>> {
    const found = new Map<string, Map<string, HeldClaim>>();
    for (const cid of blocks) found.set(cid.toString(), new Map());
    const { requests } = await this.candidates(blocks, new Set(), signal, onLookedUp);
    await this.ask(requests, (peer, cid, entry) => found.get(cid.toString())?.set(peer.address, { peer, entry }), signal, renewLeaseSeconds);
    return found;
  }

  /** Looks each block up and groups the blocks by the candidates to ask (those in `asked` left out). */
  private async candidates(
    blocks: readonly CID[], asked: ReadonlySet<string>, signal: AbortSignal | undefined, onLookedUp?: () => void,
  ): Promise<{ requests: { peer: PeerRef; blocks: CID[] }[]; keys: Map<string, Id> }> {
    const keys = new Map<string, Id>();
    const askPeer = new Map<string, { peer: PeerRef; blocks: CID[] }>();
    await forEachLimited(blocks, this.options.lookupsInFlightMax, async (cid) => {
      const key = blockKeyOf(cid);
      if (key === null || signal?.aborted === true) return;
      keys.set(cid.toString(), key);
      const closest = byDistanceTo(key, await this.closestNodes(key)).filter((peer) => !idEquals(peer, this.self)).slice(0, this.options.candidatesPerBlock);
      onLookedUp?.();
      for (const peer of closest) {
        const address = peer.address;
        if (asked.has(address)) continue;
        let entry = askPeer.get(address);
        if (entry === undefined) askPeer.set(address, (entry = { peer, blocks: [] }));
        entry.blocks.push(cid);
      }
    });
    return { requests: [...askPeer.values()], keys };
  }

  /** One `have` (or `renew`) per node (split at the protocol's limit), each answer's entries handed to `onEntry`. */
  private async ask(
    requests: readonly { peer: PeerRef; blocks: CID[] }[], onEntry: (peer: PeerRef, cid: CID, entry: HaveEntry) => void, signal: AbortSignal | undefined,
    renewLeaseSeconds?: number,
  ): Promise<void> {
    const batches: { peer: PeerRef; blocks: CID[] }[] = [];
    for (const entry of requests) {
      for (let start = 0; start < entry.blocks.length; start += ExchangeLimits.haveBlocksMax) {
        batches.push({ peer: entry.peer, blocks: entry.blocks.slice(start, start + ExchangeLimits.haveBlocksMax) });
      }
    }
    await forEachLimited(batches, this.options.haveRequestsInFlightMax, async ({ peer, blocks: asked }) => {
      if (signal?.aborted === true) return;
      const asking = renewLeaseSeconds === undefined ? this.client.have(peer, asked, signal) : this.client.renew(peer, renewLeaseSeconds, asked, signal);
      const answer = await asking.catch(() => null);
      if (answer === null || answer.kind !== 'haves') return;
      answer.entries.forEach((entry, index) => {
        if (index < asked.length) onEntry(peer, asked[index], entry);
      });
    });
  }
}
