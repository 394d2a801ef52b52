/**
 * `peergrid check --verify`: a holder's claim (`have`) is believed only once the holder has shown
 * it holds the piece (docs/storage-network.md, "Auditing claims"):
 *
 * - when the block is on this node, by a storage challenge: a fresh random nonce, and the holder's
 *   SHA-256 of it followed by the piece (the exchange's `prove`; piece-census.ts, proofOf), which
 *   we compute from our own copy — 32 bytes on the wire, and no holder can answer it without the
 *   piece at hand (a proof of retrievability in its simplest form, as Storj's audits check stripes
 *   against what the auditor knows);
 * - otherwise by download: a copy whose bytes hash to the block's CID, a fragment record of this
 *   block and index whose payload matches its digest (piece-census.ts, fragmentIsGenuine), as
 *   Tahoe-LAFS's `check --verify` does.
 *
 * A holder whose answer is wrong (bad bytes, a forged record, a wrong proof) is penalised like any
 * sender of bad data; one that answers `notFound` is only not counted (it may have dropped the
 * piece since it answered `have`).
 */
import { randomBytes } from 'node:crypto';
import type { PeerRef } from '../../core/peer.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import { matchesCid } from '../../services/storage/dag/cids.ts';
import type { Redundancy } from '../../services/storage/durability/redundancy.ts';
import { bytesEqual } from '../../services/storage/placement/fragment-record.ts';
import { PROOF_NONCE_BYTES } from '../../services/storage/exchange/exchange-messages.ts';
import { fragmentIsGenuine, proofOf, type PieceClaim } from '../../services/storage/placement/piece-census.ts';
import { sha256 } from '../content/content-hash.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import { erasureCodecFor } from './erasure-codecs.ts';
import type { ExchangeClient } from './exchange-client.ts';
import { peerIdTextOf } from './exchange-client.ts';

export interface AuditParts {
  readonly store: Blockstore;
  readonly client: ExchangeClient;
  readonly penalize: (peer: PeerRef, reason: string) => void;
}

/** Holders named in a report (the counts are exact). */
export const FAILED_HOLDERS_LISTED_MAX = 20;

export interface AuditTotals {
  /** Pieces asked for and checked, and those that were not what their holder claimed (or did not come). */
  claimsAudited: number;
  claimsFailed: number;
  /** Of the audited, those checked by a challenge (the block was here) rather than a download. */
  claimsChallenged: number;
  /** Fragments checked against the block's own digests (it was here), rather than only against their own record. */
  fragmentsCheckedAgainstBlock: number;
  readonly failedHolders: Set<string>;
}

export function newAuditTotals(): AuditTotals {
  return { claimsAudited: 0, claimsFailed: 0, claimsChallenged: 0, fragmentsCheckedAgainstBlock: 0, failedHolders: new Set() };
}

/** The block, and each fragment's payload and digest under the scheme, when the block is here. */
export interface KnownPieces {
  readonly block: Uint8Array;
  readonly payloads: readonly Uint8Array[];
  readonly digests: readonly Uint8Array[] | null;
}

export class PieceAuditor {
  private readonly parts: AuditParts;
  readonly totals = newAuditTotals();

  constructor(parts: AuditParts) {
    this.parts = parts;
  }

  /**
   * What of `claim` holds up: each piece proven by a challenge when `known` (the block is here),
   * else fetched and found genuine.
   */
  async audit(peer: PeerRef, cid: CID, claim: PieceClaim, redundancy: Redundancy, known: KnownPieces | null): Promise<PieceClaim> {
    let kept = false;
    if (redundancy.kind === 'replicate' && claim.kept) kept = known === null ? await this.auditCopy(peer, cid) : await this.challenge(peer, cid, null, known.block);
    const fragments: number[] = [];
    if (redundancy.kind === 'erasure') {
      for (const index of claim.fragments) {
        const payload = known?.payloads[index];
        const genuine = payload === undefined ? await this.auditFragment(peer, cid, index, known?.digests ?? null) : await this.challenge(peer, cid, index, payload);
        if (genuine) fragments.push(index);
      }
    }
    return { kept, fragments };
  }

  /** What this node knows of the block's pieces when the block is here (else null): itself, and its fragments under `redundancy`. */
  async knownPieces(cid: CID, redundancy: Redundancy): Promise<KnownPieces | null> {
    if (!this.parts.store.has(cid)) return null;
    const block = await this.parts.store.get(cid);
    if (redundancy.kind !== 'erasure') return { block, payloads: [], digests: null };
    // The fragments a placement of this block makes (fragment-record.ts), and their digests.
    const payloads = erasureCodecFor(redundancy).encode(block);
    return { block, payloads, digests: payloads.map((payload) => sha256(payload)) };
  }

  /** A storage challenge: a fresh nonce, and the holder's proof checked against our own piece. */
  private async challenge(peer: PeerRef, cid: CID, index: number | null, piece: Uint8Array): Promise<boolean> {
    const nonce = randomBytes(PROOF_NONCE_BYTES);
    const answer = await this.parts.client.prove(peer, cid, index, nonce).catch(() => null);
    const genuine = answer?.kind === 'proof' && bytesEqual(answer.digest, proofOf(nonce, piece, sha256));
    if (answer?.kind === 'proof' && !genuine) this.parts.penalize(peer, `proved a piece of ${cid} it does not hold`);
    this.totals.claimsChallenged++;
    if (genuine && index !== null) this.totals.fragmentsCheckedAgainstBlock++;
    this.count(peer, genuine);
    return genuine;
  }

  private async auditCopy(peer: PeerRef, cid: CID): Promise<boolean> {
    const answer = await this.parts.client.getBlock(peer, cid).catch(() => null);
    const genuine = answer?.kind === 'block' && matchesCid(cid, answer.bytes, sha256);
    if (answer?.kind === 'block' && !genuine) this.parts.penalize(peer, `sent bytes that are not block ${cid} when audited`);
    this.count(peer, genuine);
    return genuine;
  }

  private async auditFragment(peer: PeerRef, cid: CID, index: number, expectedDigests: readonly Uint8Array[] | null): Promise<boolean> {
    const answer = await this.parts.client.getFragment(peer, cid, index).catch(() => null);
    const genuine = answer?.kind === 'fragment' && fragmentIsGenuine(cid, index, answer.record, expectedDigests, sha256);
    if (answer?.kind === 'fragment' && !genuine) this.parts.penalize(peer, `sent a record that is not fragment ${index} of ${cid} when audited`);
    if (genuine && expectedDigests !== null) this.totals.fragmentsCheckedAgainstBlock++;
    this.count(peer, genuine);
    return genuine;
  }

  private count(peer: PeerRef, genuine: boolean): void {
    this.totals.claimsAudited++;
    if (genuine) return;
    this.totals.claimsFailed++;
    if (this.totals.failedHolders.size < FAILED_HOLDERS_LISTED_MAX) this.totals.failedHolders.add(peerIdTextOf(peer) ?? peer.address);
  }
}
