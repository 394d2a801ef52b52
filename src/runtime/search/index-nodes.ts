/**
 * Which nodes hold a key's part of the index (docs/SEARCH.md, "On the network"): the `replicas`
 * nodes closest to the key that answer. Callers walk the candidates closest first and skip those
 * that fail, so a dead holder's place goes to the next closest, as Kademlia stores a value on the
 * k closest live nodes.
 *
 * Publishing and searching find candidates by a lookup, remembered for a short while: a batch of
 * documents shares most of its terms, and a lookup per posting would cost more than the postings
 * (SEARCH.md: lookups were 35 of a query's 43 messages in the simulator). Repair uses the routing
 * table alone (`known`), since it runs over every term held.
 */
import { compareDistance, idEquals, idToHex, type Id } from '../../core/id.ts';
import type { PeerRef } from '../../core/peer.ts';
import type { RequestTarget } from '../../transport/libp2p/request-response/request-client.ts';
import { targetOf } from '../exchange/exchange-client.ts';
import type { ClosestNodes } from '../exchange/holder-discovery.ts';

export interface IndexNode {
  readonly peer: PeerRef;
  readonly peerId: string;
  readonly target: RequestTarget;
  readonly self: boolean;
}

export interface IndexNodesParts {
  readonly self: PeerRef;
  readonly selfPeerId: string;
  readonly closestNodes: ClosestNodes;
  /** The routing table's contacts (those not failing lately). */
  readonly knownPeers: () => readonly PeerRef[];
  readonly nowMs: () => number;
  /** How many candidates a caller gets: the replicas and enough spares to replace dead ones. */
  readonly candidatesMax: number;
  /** How long a lookup's answer is reused. */
  readonly cacheMs: number;
}

const CACHED_KEYS_MAX = 4096;

export class IndexNodes {
  private readonly parts: IndexNodesParts;
  private readonly cache = new Map<string, { readonly atMs: number; readonly nodes: readonly IndexNode[] }>();

  constructor(parts: IndexNodesParts) {
    this.parts = parts;
  }

  /** The nodes closest to `key`, ourselves included, closest first, from a lookup (or a recent one). */
  async candidates(key: Id): Promise<readonly IndexNode[]> {
    const hex = idToHex(key);
    const cached = this.cache.get(hex);
    if (cached !== undefined && this.parts.nowMs() - cached.atMs < this.parts.cacheMs) return cached.nodes;
    const nodes = this.rank(key, await this.parts.closestNodes(key));
    this.cache.delete(hex);
    this.cache.set(hex, { atMs: this.parts.nowMs(), nodes });
    if (this.cache.size > CACHED_KEYS_MAX) this.cache.delete(this.cache.keys().next().value as string);
    return nodes;
  }

  /** The nodes closest to `key` that the routing table knows, ourselves included, closest first. */
  known(key: Id): readonly IndexNode[] {
    return this.rank(key, this.parts.knownPeers());
  }

  /** Forgets a key's remembered candidates (one of them failed). */
  forget(key: Id): void {
    this.cache.delete(idToHex(key));
  }

  private rank(key: Id, peers: readonly PeerRef[]): IndexNode[] {
    const all = [this.parts.self, ...peers.filter((peer) => !idEquals(peer, this.parts.self))].sort((a, b) => compareDistance(key, a, b));
    const nodes: IndexNode[] = [];
    const seen = new Set<string>();
    for (const peer of all) {
      if (nodes.length >= this.parts.candidatesMax) break;
      if (idEquals(peer, this.parts.self)) {
        if (!seen.has(this.parts.selfPeerId)) nodes.push({ peer, peerId: this.parts.selfPeerId, target: { peerId: this.parts.selfPeerId }, self: true });
        seen.add(this.parts.selfPeerId);
        continue;
      }
      let target: RequestTarget;
      try {
        target = targetOf(peer);
      } catch {
        continue;
      }
      const peerId = target.peerId.toString();
      if (seen.has(peerId)) continue;
      seen.add(peerId);
      nodes.push({ peer, peerId, target, self: false });
    }
    return nodes;
  }
}
