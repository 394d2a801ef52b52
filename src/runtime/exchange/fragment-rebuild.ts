/**
 * Rebuilding a block from its erasure fragments, for a reader that finds no whole copy and for a
 * repairer that must re-create lost fragments: ask holders for distinct fragment indexes, K at a
 * time (more when some fail), and decode once K agree (placement/block-recovery.ts accepts only
 * bytes that hash to the block's CID). A sender of an undecodable or wrong fragment is reported
 * through `penalise`, and its fragment replaced by another index's.
 */
import type { PeerRef } from '../../core/peer.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import { recoverBlock } from '../../services/storage/placement/block-recovery.ts';
import { decodeFragmentRecord, type FragmentRecord } from '../../services/storage/placement/fragment-record.ts';
import { parseStorageCid } from '../../services/storage/dag/cids.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import type { ExchangeClient } from './exchange-client.ts';
import { WHOLE_COPY, type Holdings } from './holdings.ts';
import { sha256 } from '../content/content-hash.ts';

export interface FragmentOffer {
  readonly peer: PeerRef;
  readonly index: number;
}

export interface RebuiltBlock {
  readonly bytes: Uint8Array;
  /** The holders whose fragments went into it. */
  readonly sources: readonly PeerRef[];
  readonly bytesFetched: number;
}

/** Stands for this node among the senders: its own fragments are never penalised nor counted as sources. */
const OURSELVES: PeerRef = { bytes: new Uint8Array(32), head: 0, address: '', addressBytes: 0 };

/** One offer per index: the first holder named for it. */
export function distinctOffers(holders: readonly { readonly peer: PeerRef; readonly indexes: readonly number[] }[]): FragmentOffer[] {
  const offers: FragmentOffer[] = [];
  const indexes = new Set<number>();
  for (const holder of holders) {
    for (const index of holder.indexes) {
      if (indexes.has(index)) continue;
      indexes.add(index);
      offers.push({ peer: holder.peer, index });
    }
  }
  return offers;
}

/** The fragment records of `block` that this node keeps itself (a reader or repairer may be a holder too). */
export async function localFragmentRecords(holdings: Holdings, store: Blockstore, block: CID): Promise<Uint8Array[]> {
  const records: Uint8Array[] = [];
  for (const row of holdings.piecesOf(block.toString())) {
    if (row.fragment === WHOLE_COPY) continue;
    const piece = parseStorageCid(row.piece);
    if (piece === null || !store.has(piece)) continue;
    const bytes = await store.get(piece).catch(() => null);
    if (bytes !== null) records.push(bytes);
  }
  return records;
}

/**
 * The block, or null when the offers run out before K good fragments are found. `ownRecords` are
 * fragments this node keeps (localFragmentRecords): used first, never asked over the network.
 */
export async function rebuildBlock(
  client: ExchangeClient, cid: CID, offers: readonly FragmentOffer[], penalise: (peer: PeerRef, reason: string) => void, signal?: AbortSignal,
  ownRecords: readonly Uint8Array[] = [],
): Promise<RebuiltBlock | null> {
  const records: FragmentRecord[] = [];
  const senders: PeerRef[] = [];
  const ownIndexes = new Set<number>();
  for (const bytes of ownRecords) {
    const decoded = decodeFragmentRecord(bytes);
    if (!decoded.ok || ownIndexes.has(decoded.record.fragmentIndex)) continue;
    ownIndexes.add(decoded.record.fragmentIndex);
    records.push(decoded.record);
    senders.push(OURSELVES);
  }
  offers = offers.filter((offer) => !ownIndexes.has(offer.index));
  let bytesFetched = 0;
  let next = 0;
  // K is learnt from the first record; until then one is asked for.
  let needed = records.length > 0 ? records[0].dataFragments : 1;
  for (;;) {
    if (records.length >= needed) {
      const recovered = recoverBlock(cid, records, sha256);
      for (const bad of recovered.badRecords) if (senders[bad.position] !== OURSELVES) penalise(senders[bad.position], `a bad fragment: ${bad.reason}`);
      if (recovered.ok) return { bytes: recovered.bytes, sources: senders.filter((sender) => sender !== OURSELVES), bytesFetched };
      // Drop the bad ones; then at least one more is asked for.
      const bad = new Set(recovered.badRecords.map((record) => record.position));
      for (let position = records.length - 1; position >= 0; position--) {
        if (!bad.has(position)) continue;
        records.splice(position, 1);
        senders.splice(position, 1);
      }
    }
    if (next >= offers.length) return null;
    const batch = offers.slice(next, next + Math.max(1, needed - records.length));
    next += batch.length;
    const answers = await Promise.all(batch.map(async (offer) => {
      const answer = await client.getFragment(offer.peer, cid, offer.index, signal).catch(() => null);
      if (answer === null || answer.kind !== 'fragment') return null;
      bytesFetched += answer.record.length;
      const decoded = decodeFragmentRecord(answer.record);
      if (!decoded.ok) {
        penalise(offer.peer, `an undecodable fragment record: ${decoded.error}`);
        return null;
      }
      return { record: decoded.record, peer: offer.peer };
    }));
    for (const answer of answers) {
      if (answer === null) continue;
      records.push(answer.record);
      senders.push(answer.peer);
    }
    if (records.length > 0) needed = records[0].dataFragments;
  }
}
