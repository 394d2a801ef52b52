/**
 * Placement (issue 4, item 5; docs/storage-network.md): after content is added here, each of its
 * blocks is stored on the nodes closest to the block's key — R whole copies, or K+M Reed-Solomon
 * fragments, fragment i on the i-th closest node (PAST and CFS place by key the same way; erasure
 * after OceanStore and Glacier). A node that refuses (its quota) or fails is passed over for the
 * next closest, so a put still reaches R distinct holders when some are full or down; when fewer
 * nodes exist than the scheme wants, the report says how many pieces could be placed.
 *
 * When we are among the closest nodes ourselves, our own copy counts: it is pinned as `grid` and
 * recorded in the holdings table like a piece sent to us, so maintenance covers it too.
 *
 * Every piece placed, or found already in place, is leased for `leaseMs` (lease-policy.ts): the
 * candidates are asked `renew` rather than `have`, and a node that takes a new piece is asked to
 * renew it right after, since a store alone keeps a piece only a day.
 */
import { idEquals, type Id } from '../../core/id.ts';
import type { PeerRef } from '../../core/peer.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import { formatRedundancy, piecesTarget, type Redundancy } from '../../services/storage/durability/redundancy.ts';
import { blockKeyOf } from '../../services/storage/placement/block-key.ts';
import { encodeFragmentRecords } from '../../services/storage/placement/fragment-record.ts';
import { byDistanceTo } from '../../services/storage/placement/placement.ts';
import { leaseSecondsOf } from '../../services/storage/placement/lease-policy.ts';
import { blocksUnder } from '../content/blocks-under.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import { LOCAL_OWNER } from '../storage/blockstore-limits.ts';
import { forEachLimited } from '../storage/parallel.ts';
import { erasureCodecFor } from './erasure-codecs.ts';
import { peerIdTextOf, type ExchangeClient } from './exchange-client.ts';
import type { ExchangeService } from './exchange-service.ts';
import type { ClosestNodes } from './holder-discovery.ts';
import { sha256 } from '../content/content-hash.ts';
import { ContentNotFoundError } from '../content-store-errors.ts';

export interface PlacementProgress {
  readonly blocks: number;
  readonly blocksPlaced: number;
  /** The content's bytes (every block's size), and those of the blocks placed so far: a progress bar's measure. */
  readonly bytes: number;
  readonly bytesPlaced: number;
  readonly bytesSent: number;
  /** Distinct nodes holding pieces so far. */
  readonly nodes: number;
}

export interface PlacementReport {
  readonly redundancy: string;
  readonly blocks: number;
  /** Pieces the scheme wants in all: blocks × R, or blocks × (K+M). */
  readonly piecesWanted: number;
  readonly piecesStored: number;
  /** Of those, pieces the chosen node held already (nothing sent). */
  readonly piecesExisting: number;
  /** Of those, pieces sent to other nodes (the rest were there already, or are ours). */
  readonly piecesSent: number;
  /** Of those, kept on this node (we were among the closest). */
  readonly piecesHere: number;
  /** Blocks with fewer pieces than wanted (too few nodes, or too many refused). */
  readonly blocksShort: number;
  /** Distinct nodes holding at least one piece. */
  readonly nodes: number;
  readonly refusals: number;
  readonly failures: number;
  readonly bytesSent: number;
}

export interface PlacerParts {
  readonly store: Blockstore;
  readonly client: ExchangeClient;
  readonly service: ExchangeService;
  readonly closestNodes: ClosestNodes;
  readonly self: PeerRef;
  /** The lease asked for on every piece placed or found in place (storage.leaseMs, or the default when that is 0). */
  readonly leaseMs: number;
}

/** Blocks placed at once: each is a lookup and R (or K+M) stores. */
const BLOCKS_IN_FLIGHT_MAX = 8;
/** Candidates tried per block beyond the scheme's own count, when nodes refuse or fail. */
const EXTRA_CANDIDATES = 8;

export class ContentPlacer {
  private readonly parts: PlacerParts;

  constructor(parts: PlacerParts) {
    this.parts = parts;
  }

  /**
   * Places every block reachable from `root` (all must be stored here) under `redundancy`. Peers in
   * `avoid` (peer ids) are neither asked nor sent anything: holders an audit caught claiming pieces
   * they did not have or could not send (`peergrid check --verify --repair`), whose `have` would
   * otherwise be believed again.
   */
  async place(root: CID, redundancy: Redundancy, onProgress?: (progress: PlacementProgress) => void, avoid: ReadonlySet<string> = new Set()): Promise<PlacementReport> {
    const blocks = [...blocksUnder(root, this.parts.store)];
    // Pieces go out from this node's own copy: every block must be here (a check may have found
    // content short that this node never fetched).
    const absent = blocks.find((cid) => !this.parts.store.has(cid));
    if (absent !== undefined) throw new ContentNotFoundError(absent.toString(), 'placement sends every block from this node: get the content here first');
    const wanted = piecesTarget(redundancy);
    const holders = new Set<string>();
    let piecesStored = 0;
    let piecesHere = 0;
    let piecesExisting = 0;
    let piecesSent = 0;
    let blocksShort = 0;
    let refusals = 0;
    let failures = 0;
    let bytesSent = 0;
    let blocksPlaced = 0;
    let bytesPlaced = 0;
    let bytesTotal = 0;
    for (const cid of blocks) bytesTotal += this.parts.store.size(cid) ?? 0;
    await forEachLimited(blocks, BLOCKS_IN_FLIGHT_MAX, async (cid) => {
      const key = blockKeyOf(cid) as Id;
      const closest = (await this.parts.closestNodes(key)).filter((peer) => !avoid.has(peerIdTextOf(peer) ?? peer.address));
      const candidates = byDistanceTo(key, [this.parts.self, ...closest]).slice(0, wanted + EXTRA_CANDIDATES);
      const bytes = await this.parts.store.get(cid);
      const pieces = redundancy.kind === 'replicate'
        ? Array.from({ length: wanted }, () => null)
        : encodeFragmentRecords(cid, bytes, redundancy, sha256, erasureCodecFor(redundancy));
      let next = 0;
      let stored = 0;
      // What the closest nodes hold already is not sent again: a re-put of an edited file sends only
      // its new blocks (one `have` per node, a few bytes). For copies, twice R nodes are asked,
      // since a close node that refuses (a full quota) pushed a copy further out last time.
      const asked = candidates.slice(0, redundancy.kind === 'replicate' ? 2 * wanted : wanted);
      const held = await this.alreadyHeld(cid, asked, redundancy);
      const taken = new Set<number>();
      for (const [index, holds] of held.entries()) {
        // A copy anywhere among those asked counts; a fragment only on its own node.
        if (!holds || taken.size >= wanted || (redundancy.kind === 'erasure' && index >= pieces.length)) continue;
        taken.add(index);
        stored++;
        piecesExisting++;
        holders.add(candidates[index].address);
      }
      // The other pieces go out in order, each to the next candidate that accepts it (fragment i
      // to the i-th closest when every node accepts, as the holders' maintenance expects).
      for (const [index, piece] of pieces.entries()) {
        if (redundancy.kind === 'erasure' ? taken.has(index) : index < taken.size) {
          if (redundancy.kind === 'erasure') next = Math.max(next, index + 1);
          continue;
        }
        while (next < candidates.length) {
          const at = next++;
          if (taken.has(at)) continue;
          const peer = candidates[at];
          const outcome = await this.storePiece(peer, cid, bytes, piece, redundancy);
          if (outcome === 'stored') {
            await this.renewStored(peer, cid);
            stored++;
            holders.add(peer.address);
            if (idEquals(peer, this.parts.self)) {
              piecesHere++;
            } else {
              piecesSent++;
              bytesSent += piece?.length ?? bytes.length;
            }
            break;
          }
          if (outcome === 'refused') refusals++;
          else failures++;
        }
      }
      piecesStored += stored;
      if (stored < wanted) blocksShort++;
      blocksPlaced++;
      bytesPlaced += bytes.length;
      onProgress?.({ blocks: blocks.length, blocksPlaced, bytes: bytesTotal, bytesPlaced, bytesSent, nodes: holders.size });
    });
    return {
      redundancy: formatRedundancy(redundancy), blocks: blocks.length, piecesWanted: blocks.length * wanted, piecesStored, piecesExisting, piecesSent, piecesHere,
      blocksShort, nodes: holders.size, refusals, failures, bytesSent,
    };
  }

  /** For each of the first nodes, whether it already holds its piece (for erasure: fragment i on the i-th). */
  private async alreadyHeld(cid: CID, nodes: readonly PeerRef[], redundancy: Redundancy): Promise<boolean[]> {
    return Promise.all(nodes.map(async (peer, index) => {
      if (idEquals(peer, this.parts.self)) return false;
      // Asked twice when the first try fails: a lost answer would cost a whole piece's upload. A
      // `renew`: what the node holds already is leased anew, as if placed now.
      const ask = () => this.parts.client.renew(peer, this.leaseSeconds(), [cid]).then((answer) => (answer.kind === 'haves' ? answer : null), () => null);
      const answer = (await ask()) ?? (await ask());
      if (answer === null) return false;
      const entry = answer.entries[0];
      return redundancy.kind === 'replicate' ? entry.kept === true : entry.fragments.includes(index);
    }));
  }

  /** Leases a piece just stored on `peer` (ourselves included) for the whole lease; tried twice, as `have` is. */
  private async renewStored(peer: PeerRef, cid: CID): Promise<void> {
    const request = { kind: 'renew', leaseSeconds: this.leaseSeconds(), blocks: [cid] } as const;
    const ask = () => (idEquals(peer, this.parts.self) ? this.parts.service.answer(LOCAL_OWNER, request) : this.parts.client.renew(peer, request.leaseSeconds, request.blocks))
      .then((answer) => answer.kind === 'haves', () => false);
    if (!(await ask())) await ask();
  }

  private leaseSeconds(): number {
    return leaseSecondsOf(this.parts.leaseMs);
  }

  private async storePiece(peer: PeerRef, cid: CID, bytes: Uint8Array, record: Uint8Array | null, redundancy: Redundancy): Promise<'stored' | 'refused' | 'failed'> {
    const copies = redundancy.kind === 'replicate' ? redundancy.copies : 1;
    try {
      const answer = idEquals(peer, this.parts.self)
        ? await this.parts.service.answer(LOCAL_OWNER, record === null ? { kind: 'storeBlock', cid, bytes, copies } : { kind: 'storeFragment', record })
        : record === null ? await this.parts.client.storeBlock(peer, cid, bytes, copies) : await this.parts.client.storeFragment(peer, record);
      if (answer.kind === 'stored') return 'stored';
      return answer.kind === 'refused' ? 'refused' : 'failed';
    } catch {
      return 'failed';
    }
  }
}
