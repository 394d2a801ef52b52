/**
 * A holder's memory of one key: who holds a piece of it, what piece, and when each last answered a
 * HAVE check — durability/repair-plan.ts's `HolderState`, whose holder is a peer and the piece it
 * holds (a whole copy, or fragment i). The record is in the order holders were added, which
 * `planRepair` relies on (it keeps the oldest holders when dropping surplus).
 *
 * `mergeHaveRound` folds one round of HAVE answers into the record. Answers come from peers and are
 * checked: a fragment index the scheme does not have, or an answer from a peer that is neither in
 * the record nor among the closest nodes we asked, is ignored and reported (so a peer cannot plant
 * made-up holders in our record). A peer that answered that it does *not* hold the key leaves the
 * record at once: it said so, no grace period is owed (its disk was wiped, or it deleted the piece).
 */
import { idEquals, idToHex } from '../../../core/id.ts';
import type { PeerRef } from '../../../core/peer.ts';
import type { HolderState } from '../durability/repair-plan.ts';
import { piecesTarget, type Redundancy } from '../durability/redundancy.ts';

export interface PieceHolder {
  readonly peer: PeerRef;
  /** The fragment index it holds (erasure), or null for a whole copy (replication). */
  readonly fragmentIndex: number | null;
}

export type HolderRecord = readonly HolderState<PieceHolder>[];

/** A peer's answer to "do you hold this key?": yes, and which piece. */
export interface HaveAnswer {
  readonly peer: PeerRef;
  readonly fragmentIndex: number | null;
}

export interface IgnoredAnswer {
  readonly peer: PeerRef;
  readonly reason: string;
}

/** What is wrong with claiming `fragmentIndex` under this scheme; null when nothing. */
export function pieceProblem(redundancy: Redundancy, fragmentIndex: number | null): string | null {
  if (redundancy.kind === 'replicate') return fragmentIndex === null ? null : `a replicated key has no fragment ${fragmentIndex}`;
  const total = piecesTarget(redundancy);
  if (fragmentIndex === null) return 'an erasure-coded key is held as a fragment, not a whole copy';
  if (!Number.isInteger(fragmentIndex) || fragmentIndex < 0 || fragmentIndex >= total) return `fragment index ${fragmentIndex} is not from 0 to ${total - 1}`;
  return null;
}

/** The record with `peer` holding `fragmentIndex` as of nowMs: call once a store on it succeeded. */
export function withStoredPiece(record: HolderRecord, peer: PeerRef, fragmentIndex: number | null, nowMs: number): HolderState<PieceHolder>[] {
  const state: HolderState<PieceHolder> = { holder: { peer, fragmentIndex }, lastSeenAtMs: nowMs, answeredLatestCheck: true, presumedGone: false };
  const at = record.findIndex((s) => idEquals(s.holder.peer, peer));
  if (at < 0) return [...record, state];
  const copy = record.slice();
  copy[at] = state;
  return copy;
}

export interface HaveRound {
  readonly redundancy: Redundancy;
  readonly self: PeerRef;
  readonly ownFragmentIndex: number | null;
  readonly record: HolderRecord;
  readonly haves: readonly HaveAnswer[];
  readonly lacks: readonly PeerRef[];
  /** Hex ids of the peers whose answers may add them to the record (the closest nodes we asked). */
  readonly admissible: ReadonlySet<string>;
  /** New holders are admitted only while the record is shorter than this. */
  readonly recordedMax: number;
  readonly nowMs: number;
}

export interface MergedRound {
  /** Every holder's state this round: answered or not, lastSeenAtMs refreshed for those that answered. */
  readonly holders: HolderState<PieceHolder>[];
  /** Holders that said they no longer hold the key, removed. */
  readonly lost: PeerRef[];
  readonly ignored: IgnoredAnswer[];
}

/**
 * The record after one round of HAVE checks. We answer for ourselves (we hold `ownFragmentIndex`);
 * every other holder is as its answer, or its silence, says.
 */
export function mergeHaveRound(round: HaveRound): MergedRound {
  const { redundancy, self, nowMs } = round;
  const selfHex = idToHex(self);
  const lacking = new Set(round.lacks.map((peer) => idToHex(peer)));
  lacking.delete(selfHex);
  const holders: HolderState<PieceHolder>[] = [];
  const at = new Map<string, number>();
  const lost: PeerRef[] = [];
  for (const state of round.record) {
    const hex = idToHex(state.holder.peer);
    if (at.has(hex)) continue;
    if (lacking.has(hex)) {
      lost.push(state.holder.peer);
      continue;
    }
    at.set(hex, holders.length);
    // Silent until its answer is seen below; what it last did is kept.
    holders.push(state.answeredLatestCheck ? { ...state, answeredLatestCheck: false } : state);
  }
  const answered = (peer: PeerRef, fragmentIndex: number | null): HolderState<PieceHolder> => (
    { holder: { peer, fragmentIndex }, lastSeenAtMs: nowMs, answeredLatestCheck: true, presumedGone: false }
  );
  // Room is kept for ourselves: we always hold a piece, so we are always in the record.
  const newHoldersMax = round.recordedMax - (at.has(selfHex) ? 0 : 1);
  const ignored: IgnoredAnswer[] = [];
  const heard = new Set<string>([selfHex]);
  for (const { peer, fragmentIndex } of round.haves) {
    const hex = idToHex(peer);
    if (heard.has(hex)) {
      if (hex !== selfHex) ignored.push({ peer, reason: 'answered twice in one round' });
      continue;
    }
    heard.add(hex);
    const problem = pieceProblem(redundancy, fragmentIndex);
    if (problem !== null) {
      ignored.push({ peer, reason: problem });
      continue;
    }
    const index = at.get(hex);
    if (index !== undefined) {
      // Keep the previous plan's conclusion: planRepair reports a presumed-gone holder that answers as re-integrated.
      holders[index] = { ...answered(peer, fragmentIndex), presumedGone: holders[index].presumedGone };
    } else if (!round.admissible.has(hex)) {
      ignored.push({ peer, reason: 'not a holder and not among the closest nodes asked' });
    } else if (holders.length >= newHoldersMax) {
      ignored.push({ peer, reason: 'the holder record is full' });
    } else {
      at.set(hex, holders.length);
      holders.push(answered(peer, fragmentIndex));
    }
  }
  const own = at.get(selfHex);
  if (own !== undefined) holders[own] = { ...answered(self, round.ownFragmentIndex), presumedGone: holders[own].presumedGone };
  else holders.push(answered(self, round.ownFragmentIndex));
  return { holders, lost, ignored };
}
