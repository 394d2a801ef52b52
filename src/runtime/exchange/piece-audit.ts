/**
 * `peergrid check --verify`: a holder's claim (`have`) is believed only once the holder has sent
 * the piece and the piece is what it claimed — a copy whose bytes hash to the block's CID, a
 * fragment record of this block and index whose payload matches its digest and, when the block is
 * here, the digest the block itself gives (piece-census.ts, fragmentIsGenuine). This is a
 * retrievability audit by download, as Tahoe-LAFS's `check --verify` does and Storj's audits do
 * with stripes: it costs a whole piece per claim, and it is the answer to "have answers are
 * believed" (docs/storage-network.md). A holder whose piece is not what it claimed (bad bytes, a
 * forged record) is penalised like any sender of bad data; one that answers `notFound` is only
 * not counted (it may have dropped the piece since it answered).
 */
import type { PeerRef } from '../../core/peer.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import { matchesCid } from '../../services/storage/dag/cids.ts';
import type { Redundancy } from '../../services/storage/durability/redundancy.ts';
import { decodeFragmentRecord, encodeFragmentRecords } from '../../services/storage/placement/fragment-record.ts';
import { fragmentIsGenuine, type PieceClaim } from '../../services/storage/placement/piece-census.ts';
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
  /** Fragments checked against the block's own digests (it was here), rather than only against their own record. */
  fragmentsCheckedAgainstBlock: number;
  readonly failedHolders: Set<string>;
}

export function newAuditTotals(): AuditTotals {
  return { claimsAudited: 0, claimsFailed: 0, fragmentsCheckedAgainstBlock: 0, failedHolders: new Set() };
}

export class PieceAuditor {
  private readonly parts: AuditParts;
  readonly totals = newAuditTotals();

  constructor(parts: AuditParts) {
    this.parts = parts;
  }

  /**
   * What of `claim` holds up: the copy if it came and hashes to the CID, the fragments that came
   * and are genuine. `expectedDigests` are the block's fragment digests when it is here.
   */
  async audit(peer: PeerRef, cid: CID, claim: PieceClaim, redundancy: Redundancy, expectedDigests: readonly Uint8Array[] | null): Promise<PieceClaim> {
    const kept = redundancy.kind === 'replicate' && claim.kept ? await this.auditCopy(peer, cid) : false;
    const fragments: number[] = [];
    if (redundancy.kind === 'erasure') {
      for (const index of claim.fragments) if (await this.auditFragment(peer, cid, index, expectedDigests)) fragments.push(index);
    }
    return { kept, fragments };
  }

  /** The digests of every fragment of the block under `redundancy`, if the block is here; else null. */
  async expectedDigests(cid: CID, redundancy: Redundancy): Promise<readonly Uint8Array[] | null> {
    if (redundancy.kind !== 'erasure' || !this.parts.store.has(cid)) return null;
    const bytes = await this.parts.store.get(cid);
    const [first] = encodeFragmentRecords(cid, bytes, redundancy, sha256, erasureCodecFor(redundancy));
    const decoded = decodeFragmentRecord(first);
    return decoded.ok ? decoded.record.fragmentDigests : null;
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
