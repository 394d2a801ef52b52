/**
 * The serving side of the block exchange (`/peergrid/blocks/1.0.0`, docs/storage-network.md): what
 * this node answers to one decoded request from an authenticated peer. It knows nothing of streams
 * (exchange-server.ts binds it to libp2p), so tests drive it directly.
 *
 * - getBlock / getFragment: served from the blockstore, whose every read is verified against the
 *   CID (a corrupt file is quarantined and answered as not found).
 * - storeBlock / storeFragment: checked (the bytes against the CID; a fragment record's payload
 *   against its own digest), admitted against the quota (storage-quota.ts: what we hold for all
 *   others and for this peer), then stored with the peer as owner and pinned as `grid`, and noted
 *   in the holdings table so that maintenance keeps it. A block we already hold costs nothing.
 * - have: which of the asked blocks we hold whole, and which fragments of each.
 * - cacheBlock: a cache copy of a hot block another holder pushed (block-cache.ts): checked like a
 *   store, bounded by the cache's own budget, never charged to a quota, dropped when room is needed.
 *
 * Per-peer counts (stored for, served to, refused, invalid) go to the ledger, for status pages now
 * and the trust layer later. A peer that sends bytes not matching their CID is reported through
 * `penalize` (the transport's peer guard scores it).
 */
import { Codec, cidOf, parseStorageCid, type CID } from '../../services/storage/dag/cids.ts';
import type { ExchangeRequest, ExchangeResponse, HaveEntry } from '../../services/storage/exchange/exchange-messages.ts';
import { checkFragmentPayload, decodeFragmentRecord } from '../../services/storage/placement/fragment-record.ts';
import { proofOf } from '../../services/storage/placement/piece-census.ts';
import type { PeerLedger } from '../../services/storage/placement/peer-ledger.ts';
import { admitStore, type StorageQuota } from '../../services/storage/placement/storage-quota.ts';
import { formatRedundancy, parseRedundancy } from '../../services/storage/durability/redundancy.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import { BlockMismatchError, BlockNotFoundError, BlockCorruptError, BlockTooLargeError, BlockstoreClosedError } from '../storage/blockstore-errors.ts';
import { CACHE_OWNER, GRID_PIN, LOCAL_OWNER } from '../storage/blockstore-limits.ts';
import type { BlockCache, CacheAdmission } from './block-cache.ts';
import { WHOLE_COPY, type Holdings } from './holdings.ts';
import { LeasePolicy, renewedLease } from '../../services/storage/placement/lease-policy.ts';
import { sha256 } from '../content/content-hash.ts';

export { GRID_PIN };

export interface ExchangeServiceParts {
  readonly store: Blockstore;
  readonly holdings: Holdings;
  readonly ledger: PeerLedger;
  readonly quota: () => StorageQuota;
  /** Wall-clock milliseconds (holdings outlive restarts). */
  readonly nowUnixMs: () => number;
  /** When a newly held piece is first checked: now + the maintenance interval. */
  readonly firstCheckDelayMs: () => number;
  /** The longest lease granted (storage.leaseMs; 0: pieces never expire, and renewals get the default). */
  readonly leaseMs: () => number;
  readonly penalize: (peerId: string, reason: string) => void;
  readonly cache: BlockCache;
  /** Told of every block served whole (hot-block detection; cache-pusher.ts). */
  readonly onServed?: (peerId: string, cid: CID) => void;
}

export class ExchangeService {
  private readonly parts: ExchangeServiceParts;

  constructor(parts: ExchangeServiceParts) {
    this.parts = parts;
  }

  /** Answers `peerId`'s request; LOCAL_OWNER for this node's own stores (placement, repair). */
  async answer(peerId: string, request: ExchangeRequest): Promise<ExchangeResponse> {
    try {
      switch (request.kind) {
        case 'getBlock': return await this.getBlock(peerId, request.cid);
        case 'getFragment': return await this.getFragment(peerId, request.block, request.index);
        case 'storeBlock': return await this.storeBlock(peerId, request.cid, request.bytes, request.copies);
        case 'storeFragment': return await this.storeFragment(peerId, request.record);
        case 'have': return { kind: 'haves', entries: request.blocks.map((cid) => this.have(cid)) };
        case 'cacheBlock': return await this.cacheBlock(peerId, request.cid, request.bytes);
        case 'prove': return await this.prove(request.block, request.index, request.nonce);
        case 'renew': return this.renew(request.blocks, request.leaseSeconds);
      }
    } catch (error) {
      if (error instanceof BlockstoreClosedError) return { kind: 'refused', reason: 'unavailable', message: 'this node is shutting down' };
      throw error;
    }
  }

  private async getBlock(peerId: string, cid: CID): Promise<ExchangeResponse> {
    const bytes = await this.read(cid);
    if (bytes === null) return { kind: 'notFound' };
    this.parts.ledger.recordServed(peerId, bytes.length);
    this.parts.cache.touch(cid);
    this.parts.onServed?.(peerId, cid);
    return { kind: 'block', bytes };
  }

  private async getFragment(peerId: string, block: CID, index: number): Promise<ExchangeResponse> {
    const row = this.parts.holdings.get(block.toString(), index);
    if (row === undefined) return { kind: 'notFound' };
    const piece = parseStorageCid(row.piece);
    const record = piece === null ? null : await this.read(piece);
    if (record === null) {
      // The file is gone or was corrupt (and is now quarantined): we no longer hold it.
      this.parts.holdings.remove(row.block, row.fragment);
      return { kind: 'notFound' };
    }
    this.parts.ledger.recordServed(peerId, record.length);
    return { kind: 'fragment', record };
  }

  /**
   * Proves we hold a piece we keep for the grid (a kept copy, or the fragment at `index`) by
   * hashing it behind the challenger's nonce (piece-census.ts, proofOf). A cache copy is no piece.
   */
  private async prove(block: CID, index: number | null, nonce: Uint8Array): Promise<ExchangeResponse> {
    const row = this.parts.holdings.get(block.toString(), index ?? WHOLE_COPY);
    const stored = row === undefined ? null : parseStorageCid(row.piece);
    const bytes = stored === null ? null : await this.read(stored);
    if (bytes === null) return { kind: 'notFound' };
    if (index === null) return { kind: 'proof', digest: proofOf(nonce, bytes, sha256) };
    const record = decodeFragmentRecord(bytes);
    return record.ok ? { kind: 'proof', digest: proofOf(nonce, record.record.payload, sha256) } : { kind: 'notFound' };
  }

  private async storeBlock(peerId: string, cid: CID, bytes: Uint8Array, copies: number): Promise<ExchangeResponse> {
    const refused = this.admit(peerId, cid, bytes.length);
    if (refused !== null) return refused;
    try {
      await this.parts.store.put(cid, bytes, { owner: peerId });
    } catch (error) {
      return this.storeFailed(peerId, error);
    }
    this.parts.cache.release(cid);
    this.hold(peerId, cid, WHOLE_COPY, cid, `replicate:${this.copiesToKeep(cid, copies)}`, bytes.length);
    return { kind: 'stored' };
  }

  private async cacheBlock(peerId: string, cid: CID, bytes: Uint8Array): Promise<ExchangeResponse> {
    let admission: CacheAdmission;
    try {
      admission = await this.parts.cache.admit(cid, bytes, peerId);
    } catch (error) {
      return this.storeFailed(peerId, error);
    }
    switch (admission) {
      case 'cached':
      case 'alreadyHere':
        return { kind: 'stored' };
      case 'disabled':
        return { kind: 'refused', reason: 'unavailable', message: 'this node keeps no cache (storage.cacheBytesMax is 0)' };
      case 'tooLarge':
        return { kind: 'refused', reason: 'tooLarge', message: `the block is larger than this node's whole cache` };
      case 'tooMuchFromPeer':
        this.parts.penalize(peerId, 'pushed more cache copies than any holder would');
        return { kind: 'refused', reason: 'busy', message: 'you pushed more cache copies than this node takes from one peer in 10 minutes' };
    }
  }

  private async storeFragment(peerId: string, recordBytes: Uint8Array): Promise<ExchangeResponse> {
    const decoded = decodeFragmentRecord(recordBytes);
    if (!decoded.ok) return this.invalid(peerId, `not a fragment record: ${decoded.error}`);
    const record = decoded.record;
    if (!checkFragmentPayload(record, sha256)) return this.invalid(peerId, 'the fragment does not match its digest');
    const piece = cidOf(Codec.raw, recordBytes, sha256);
    if (this.keepsOtherFragment(record.blockCid, record.fragmentIndex, piece)) {
      // A record is only checked against its own digest list, so any peer can make one for any
      // block and index; taking it would replace the fragment we keep (served from then on) and
      // leave the one we kept pinned with no holding to expire it. Which of the two is genuine we
      // cannot tell (an honest placer of the block under another K+M makes another record), so the
      // one we have stays and the newcomer is refused without blame.
      return { kind: 'refused', reason: 'invalid', message: `this node already keeps fragment ${record.fragmentIndex} of block ${record.blockCid.toString()}, from another record` };
    }
    const refused = this.admit(peerId, piece, recordBytes.length);
    if (refused !== null) return refused;
    try {
      await this.parts.store.put(piece, recordBytes, { owner: peerId });
    } catch (error) {
      return this.storeFailed(peerId, error);
    }
    const scheme = formatRedundancy({ kind: 'erasure', dataFragments: record.dataFragments, parityFragments: record.parityFragments });
    this.hold(peerId, record.blockCid, record.fragmentIndex, piece, scheme, recordBytes.length);
    return { kind: 'stored' };
  }

  /**
   * `have`, and every piece kept here of those blocks is kept at least `leaseSeconds` from now, up
   * to the longest lease this node grants (lease-policy.ts). A cache copy has no lease to renew.
   */
  private renew(blocks: readonly CID[], leaseSeconds: number): ExchangeResponse {
    const nowMs = this.parts.nowUnixMs();
    const grantMaxMs = this.parts.leaseMs() || LeasePolicy.leaseMsDefault;
    const untilMs = renewedLease(0, nowMs, leaseSeconds * 1000, grantMaxMs);
    this.parts.holdings.renewLeases(blocks.map((cid) => cid.toString()), untilMs);
    return { kind: 'haves', entries: blocks.map((cid) => this.have(cid)) };
  }

  /** What we hold of a block: its bytes (kept for the grid, or only cached), and which fragments. */
  private have(cid: CID): HaveEntry {
    const pieces = this.parts.holdings.piecesOf(cid.toString());
    const fragments = pieces.filter((row) => row.fragment !== WHOLE_COPY).map((row) => row.fragment);
    const block = this.parts.store.has(cid);
    const kept = block && pieces.some((row) => row.fragment === WHOLE_COPY);
    return kept ? { block, kept, fragments } : { block, fragments };
  }

  /**
   * The copies a whole block is kept at: the most any of its placers asked for. Owners share a
   * block (the same bytes, one CID), and any peer that has the bytes may store it again: the one
   * asking for fewer copies must not lower what the others' placement is maintained at.
   */
  private copiesToKeep(block: CID, copies: number): number {
    const row = this.parts.holdings.get(block.toString(), WHOLE_COPY);
    const held = row === undefined ? null : parseRedundancy(row.redundancy);
    return held?.ok && held.value.kind === 'replicate' ? Math.max(copies, held.value.copies) : copies;
  }

  /** Whether we keep fragment `index` of `block` as a piece other than `piece`, still in the store (one gone may be replaced: a repair). */
  private keepsOtherFragment(block: CID, index: number, piece: CID): boolean {
    const row = this.parts.holdings.get(block.toString(), index);
    if (row === undefined || row.piece === piece.toString()) return false;
    const kept = parseStorageCid(row.piece);
    return kept !== null && this.parts.store.has(kept);
  }

  /** Null when the store may take `bytes` more for `peerId`; a refusal otherwise. A block already here is free. */
  private admit(peerId: string, piece: CID, bytes: number): ExchangeResponse | null {
    // Our own pieces (placement and repair by this node) are not stored *for others*.
    if (peerId === LOCAL_OWNER || this.parts.store.has(piece)) return null;
    const store = this.parts.store;
    const admission = admitStore(this.parts.quota(), { peerStoredBytes: store.usage(peerId).bytes, othersStoredBytes: bytesKeptForOthers(store), incomingBytes: bytes });
    if (admission.ok) return null;
    this.parts.ledger.recordRefusal(peerId);
    return { kind: 'refused', reason: admission.reason, message: admission.message };
  }

  private hold(peerId: string, block: CID, fragment: number, piece: CID, redundancy: string, bytes: number): void {
    this.parts.store.pin(piece, { name: GRID_PIN, recursive: false });
    const nowMs = this.parts.nowUnixMs();
    // A store's own lease is short: the placer renews what it wants kept longer (lease-policy.ts).
    const leaseExpiresAtMs = nowMs + LeasePolicy.storeLeaseMs;
    this.parts.holdings.upsert({ block: block.toString(), fragment, piece: piece.toString(), redundancy, origin: peerId, bytes, addedAtMs: nowMs, leaseExpiresAtMs }, nowMs + this.parts.firstCheckDelayMs());
    this.parts.ledger.recordStored(peerId, bytes);
  }

  private storeFailed(peerId: string, error: unknown): ExchangeResponse {
    if (error instanceof BlockMismatchError) return this.invalid(peerId, 'the bytes do not match the CID');
    if (error instanceof BlockTooLargeError) return { kind: 'refused', reason: 'tooLarge', message: error.message };
    throw error;
  }

  private invalid(peerId: string, message: string): ExchangeResponse {
    this.parts.ledger.recordInvalidBlock(peerId);
    this.parts.penalize(peerId, message);
    return { kind: 'refused', reason: 'invalid', message };
  }

  /** The verified bytes, or null when the block is not here (or was corrupt, and is now quarantined). */
  private async read(cid: CID): Promise<Uint8Array | null> {
    if (!this.parts.store.has(cid)) return null;
    try {
      return await this.parts.store.get(cid);
    } catch (error) {
      if (error instanceof BlockNotFoundError || error instanceof BlockCorruptError) return null;
      throw error;
    }
  }
}

/** Bytes the store keeps for other nodes: everything not owned by this node's own users, nor a cache. */
export function bytesKeptForOthers(store: Blockstore): number {
  return store.usage().bytes - store.usage(LOCAL_OWNER).bytes - store.usage(CACHE_OWNER).bytes;
}
