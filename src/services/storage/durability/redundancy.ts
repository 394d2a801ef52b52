/**
 * How an object is made durable: R whole copies on R distinct nodes, or a Reed-Solomon code whose K
 * data and M parity fragments sit on K+M distinct nodes (seed paper §4.7: erasure coding gives the
 * same availability for much less storage than replication, but "a simple local maintenance scheme
 * does not suffice" — which is what repair-policy.ts is for).
 *
 * A *piece* is whatever one holder stores: a whole copy, or one fragment. Pieces are interchangeable
 * within an object: any 1 copy, or any K distinct fragments, rebuild it. For fragments that needs
 * every repair to write a fragment with a fresh generator row (K+M, K+M+1, …) rather than re-create
 * a missing row, so that a holder presumed gone that comes back still adds a *distinct* fragment.
 * The systematic Cauchy generator (erasure/generator-matrix.ts) allows this: row K+i depends on i
 * only, not on M, and any K of its up to 256 rows are invertible.
 */

export type Redundancy =
  | { readonly kind: 'replicate'; readonly copies: number }
  | { readonly kind: 'erasure'; readonly dataFragments: number; readonly parityFragments: number };

export const RedundancyBounds = Object.freeze({
  /** More copies than this buys nothing replication at 16 does not, and bounds a holder record. */
  copiesMax: 16,
  /** K + M: bounds a holder record (the field allows 256 rows, and repairs need fresh rows). */
  fragmentsMax: 64,
});

/** The pieces the scheme keeps per object: R, or K + M. */
export function piecesTarget(redundancy: Redundancy): number {
  return redundancy.kind === 'replicate' ? redundancy.copies : redundancy.dataFragments + redundancy.parityFragments;
}

/** The pieces needed to read or rebuild the object: 1 copy, or K fragments. */
export function piecesNeeded(redundancy: Redundancy): number {
  return redundancy.kind === 'replicate' ? 1 : redundancy.dataFragments;
}

/** What one piece occupies: the object, or one fragment (the codec pads the object to K equal pieces). */
export function pieceBytes(redundancy: Redundancy, objectBytes: number): number {
  return redundancy.kind === 'replicate' ? objectBytes : Math.ceil(objectBytes / redundancy.dataFragments);
}

/**
 * Bytes a repair that creates `piecesCreated` pieces moves over the network. A copy: one object's
 * worth per new copy (a new holder downloads it from a live one). Fragments: one of the new holders
 * downloads K fragments (one object's worth), decodes, keeps its own new fragment and uploads each
 * other new fragment to its holder — K + (created − 1) fragments. Creating several fragments in one
 * repair therefore costs much less than creating them one at a time (lazy repair).
 */
export function repairTransferBytes(redundancy: Redundancy, objectBytes: number, piecesCreated: number): number {
  if (piecesCreated <= 0) return 0;
  if (redundancy.kind === 'replicate') return piecesCreated * objectBytes;
  const fragmentBytes = pieceBytes(redundancy, objectBytes);
  return (redundancy.dataFragments + piecesCreated - 1) * fragmentBytes;
}

/** `replicate:3`, `erasure:4+2`. */
export function formatRedundancy(redundancy: Redundancy): string {
  return redundancy.kind === 'replicate'
    ? `replicate:${redundancy.copies}`
    : `erasure:${redundancy.dataFragments}+${redundancy.parityFragments}`;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const REPLICATE = /^replicate:(\d+)$/;
const ERASURE = /^erasure:(\d+)\+(\d+)$/;

/** Parses `replicate:R` (1 ≤ R ≤ 16) or `erasure:K+M` (K ≥ 1, M ≥ 1, K + M ≤ 64); errors are values. */
export function parseRedundancy(text: string): Parsed<Redundancy> {
  const replicate = REPLICATE.exec(text);
  if (replicate !== null) {
    const copies = Number(replicate[1]);
    if (copies < 1 || copies > RedundancyBounds.copiesMax) {
      return { ok: false, error: `replicate:R needs R from 1 to ${RedundancyBounds.copiesMax}, got '${text}'` };
    }
    return { ok: true, value: { kind: 'replicate', copies } };
  }
  const erasure = ERASURE.exec(text);
  if (erasure !== null) {
    const dataFragments = Number(erasure[1]);
    const parityFragments = Number(erasure[2]);
    if (dataFragments < 1 || parityFragments < 1 || dataFragments + parityFragments > RedundancyBounds.fragmentsMax) {
      return { ok: false, error: `erasure:K+M needs K >= 1, M >= 1 and K + M <= ${RedundancyBounds.fragmentsMax}, got '${text}'` };
    }
    return { ok: true, value: { kind: 'erasure', dataFragments, parityFragments } };
  }
  return { ok: false, error: `bad redundancy scheme '${text}' (forms: replicate:<R>, erasure:<K>+<M>)` };
}
