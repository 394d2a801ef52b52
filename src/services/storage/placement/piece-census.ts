/**
 * How well one block is kept on the grid, judged from what its closest nodes say they hold: the
 * owner's side of Tahoe-LAFS's `check` (count the shares a file has on the grid) for peergrid's
 * schemes (durability/redundancy.ts). Holders repair on their own (runtime/exchange/maintenance.ts);
 * a census lets the owner see the result and top it up (placement sends only what is missing).
 *
 * Only pieces that count towards durability are counted: whole copies kept for the grid (`kept`),
 * never caches, which gc may drop; and distinct fragment indexes wherever they sit, since any K
 * distinct fragments rebuild the block (an index may be K+M or beyond: durability/redundancy.ts).
 */
import type { CID, Sha256 } from '../dag/cids.ts';
import { piecesNeeded, piecesTarget, type Redundancy } from '../durability/redundancy.ts';
import { bytesEqual, checkFragmentPayload, decodeFragmentRecord } from './fragment-record.ts';

/** healthy: every piece the scheme wants; degraded: fewer, but the block can still be read; lost: it cannot. */
export type BlockHealth = 'healthy' | 'degraded' | 'lost';

/** What one node said it holds of the block (the `have` answer's entry). */
export interface PieceClaim {
  readonly kept: boolean;
  readonly fragments: readonly number[];
}

export interface BlockCensus {
  /** Kept copies, or distinct fragments, found. */
  readonly pieces: number;
  readonly health: BlockHealth;
}

export function blockCensus(redundancy: Redundancy, claims: readonly PieceClaim[]): BlockCensus {
  let pieces = 0;
  if (redundancy.kind === 'replicate') {
    for (const claim of claims) if (claim.kept) pieces++;
  } else {
    const indexes = new Set<number>();
    for (const claim of claims) for (const index of claim.fragments) indexes.add(index);
    pieces = indexes.size;
  }
  const health: BlockHealth = pieces >= piecesTarget(redundancy) ? 'healthy' : pieces >= piecesNeeded(redundancy) ? 'degraded' : 'lost';
  return { pieces, health };
}

/** Lost blocks a census names (the rest are counted). */
export const LOST_BLOCKS_LISTED_MAX = 20;

export interface CensusReport {
  readonly redundancy: string;
  readonly blocks: number;
  readonly healthy: number;
  readonly degraded: number;
  readonly lost: number;
  /** Pieces the scheme wants in all (blocks × R, or × K+M), and those found, each block counted up to its target. */
  readonly piecesWanted: number;
  readonly piecesFound: number;
  /** The fewest pieces any block has (0 when there are no blocks). */
  readonly piecesMin: number;
  /** Distinct nodes holding at least one counted piece. */
  readonly nodes: number;
  /** The first lost blocks, in the order checked. */
  readonly lostBlocks: readonly string[];
}

/** Sums block censuses into a report. */
export class CensusTally {
  private readonly redundancy: Redundancy;
  private readonly redundancyText: string;
  private readonly holders = new Set<string>();
  private readonly lostBlocks: string[] = [];
  private blocks = 0;
  private healthy = 0;
  private degraded = 0;
  private lost = 0;
  private piecesFound = 0;
  private piecesMin = Infinity;

  constructor(redundancy: Redundancy, redundancyText: string) {
    this.redundancy = redundancy;
    this.redundancyText = redundancyText;
  }

  get blocksCounted(): number {
    return this.blocks;
  }

  /** Counts one block from the claims of its holders (by node address, which names them in `nodes`). */
  add(block: string, claims: ReadonlyMap<string, PieceClaim>): BlockCensus {
    const census = blockCensus(this.redundancy, [...claims.values()]);
    this.blocks++;
    if (census.health === 'healthy') this.healthy++;
    else if (census.health === 'degraded') this.degraded++;
    else {
      this.lost++;
      if (this.lostBlocks.length < LOST_BLOCKS_LISTED_MAX) this.lostBlocks.push(block);
    }
    this.piecesFound += Math.min(census.pieces, piecesTarget(this.redundancy));
    this.piecesMin = Math.min(this.piecesMin, census.pieces);
    const counts = this.redundancy.kind === 'replicate' ? (claim: PieceClaim) => claim.kept : (claim: PieceClaim) => claim.fragments.length > 0;
    for (const [node, claim] of claims) if (counts(claim)) this.holders.add(node);
    return census;
  }

  report(): CensusReport {
    return {
      redundancy: this.redundancyText,
      blocks: this.blocks,
      healthy: this.healthy,
      degraded: this.degraded,
      lost: this.lost,
      piecesWanted: this.blocks * piecesTarget(this.redundancy),
      piecesFound: this.piecesFound,
      piecesMin: this.blocks === 0 ? 0 : this.piecesMin,
      nodes: this.holders.size,
      lostBlocks: [...this.lostBlocks],
    };
  }
}

/**
 * Whether a fragment a holder sent when audited is the one it claimed: a record of this block at
 * this index whose payload hashes to its own digest — and, when the auditor has the block and so
 * knows every fragment's digest (`expectedDigests`), to the digest the block gives. Without them a
 * holder could forge a record that only agrees with itself; the report says which were checked how.
 */
export function fragmentIsGenuine(
  block: CID, index: number, recordBytes: Uint8Array, expectedDigests: readonly Uint8Array[] | null, sha256: Sha256,
): boolean {
  const decoded = decodeFragmentRecord(recordBytes);
  if (!decoded.ok) return false;
  const record = decoded.record;
  if (!record.blockCid.equals(block) || record.fragmentIndex !== index || !checkFragmentPayload(record, sha256)) return false;
  if (expectedDigests === null) return true;
  const expected = expectedDigests[index];
  return expected !== undefined && bytesEqual(expected, record.fragmentDigests[index]);
}

/**
 * A holder's answer to a storage challenge (the exchange's `prove`): SHA-256 of the challenger's
 * fresh nonce followed by the piece — the whole block for a copy, the fragment's payload for a
 * fragment. Only who holds the piece when challenged can make it; a challenger that holds the piece
 * too checks it in the same way, for 32 bytes on the wire instead of the piece.
 */
export function proofOf(nonce: Uint8Array, piece: Uint8Array, sha256: Sha256): Uint8Array {
  const message = new Uint8Array(nonce.length + piece.length);
  message.set(nonce, 0);
  message.set(piece, nonce.length);
  return sha256(message);
}
