/**
 * Maintenance of what this node holds (issue 4, item 5; docs/storage-network.md): every piece in the
 * holdings table is checked when its time comes. A check looks the key up (its closest nodes now),
 * asks the record's holders and the closest nodes whether they hold it (`have`), and hands what it
 * heard to the pure plan (services/storage/placement/holding-plan.ts, Carbonite's policy: a grace
 * period before a silent holder's piece is re-created, re-integration of holders that come back,
 * hand-off to newly joined closer nodes). Only the key's repairer — the closest reachable holder —
 * acts, so the R holders of a key do not all push the same copy.
 *
 * Acting: a missing copy is sent from our own; a missing fragment is either copied from the holder
 * the plan names (a hand-off) or rebuilt — K fragments fetched, the block decoded, the fragment
 * re-encoded (fragment-rebuild.ts). Not done yet: asking surplus holders to delete (the protocol has
 * no delete; surplus pieces stay, which costs space, never data).
 *
 * Leases (services/storage/placement/lease-policy.ts): a piece whose lease ran out is dropped (when
 * storage.leaseMs is not 0), and a repair happens only under a lease with more than a store's own
 * left, passing on to the new holder just what is left of ours, so no repair makes content outlive
 * the leases its owners gave it.
 */
import { idFromHex, idToHex, type Id } from '../../core/id.ts';
import { peerRef, type PeerRef } from '../../core/peer.ts';
import { parseStorageCid, type CID } from '../../services/storage/dag/cids.ts';
import type { HolderState } from '../../services/storage/durability/repair-plan.ts';
import { defaultRepairPolicy } from '../../services/storage/durability/repair-policy.ts';
import { parseRedundancy, type Redundancy } from '../../services/storage/durability/redundancy.ts';
import { blockKeyOf } from '../../services/storage/placement/block-key.ts';
import { encodeFragmentRecords } from '../../services/storage/placement/fragment-record.ts';
import type { HaveAnswer, HolderRecord, PieceHolder } from '../../services/storage/placement/holder-record.ts';
import { withStoredPiece } from '../../services/storage/placement/holder-record.ts';
import { peersToAsk, planHolding, type HoldingPlan } from '../../services/storage/placement/holding-plan.ts';
import type { StoreOn } from '../../services/storage/placement/piece-actions.ts';
import { leaseSecondsOf, mayRepairUnderLease } from '../../services/storage/placement/lease-policy.ts';
import { GRID_PIN } from '../storage/blockstore-limits.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import { forEachLimited } from '../storage/parallel.ts';
import type { StorageConfig } from '../storage-config.ts';
import { erasureCodecFor } from './erasure-codecs.ts';
import type { ExchangeClient } from './exchange-client.ts';
import { distinctOffers, localFragmentRecords, rebuildBlock } from './fragment-rebuild.ts';
import type { ClosestNodes } from './holder-discovery.ts';
import { WHOLE_COPY, type HoldingRow, type Holdings } from './holdings.ts';
import { sha256 } from '../content/content-hash.ts';

export interface MaintenanceParts {
  readonly holdings: Holdings;
  readonly store: Blockstore;
  readonly client: ExchangeClient;
  readonly closestNodes: ClosestNodes;
  readonly self: PeerRef;
  readonly config: StorageConfig;
  readonly nowUnixMs: () => number;
  readonly penalize: (peer: PeerRef, reason: string) => void;
  readonly log: (record: Record<string, unknown>) => void;
}

export interface MaintenanceStats {
  checks: number;
  piecesCreated: number;
  repairFailures: number;
  bytesSent: number;
  /** Pieces dropped because their lease ran out, and repairs not made because it was about to. */
  piecesExpired: number;
  repairsPassedOverForLease: number;
}

/** Pieces checked per round, and at once. */
const ROUND_PIECES_MAX = 64;
const CHECKS_IN_FLIGHT_MAX = 4;
/** A node that refused is not asked again for this many intervals. */
const REFUSAL_MEMORY_INTERVALS = 6;
const REFUSALS_REMEMBERED_MAX = 10_000;

export class Maintenance {
  readonly stats: MaintenanceStats = { checks: 0, piecesCreated: 0, repairFailures: 0, bytesSent: 0, piecesExpired: 0, repairsPassedOverForLease: 0 };
  private readonly parts: MaintenanceParts;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Nodes that refused a piece (their quota is full), by id, and until when they are not asked again. */
  private readonly refusedUntilMs = new Map<string, number>();

  constructor(parts: MaintenanceParts) {
    this.parts = parts;
  }

  start(): void {
    if (this.parts.config.maintenanceIntervalMs === 0) return;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.running;
  }

  /** Checks every piece that is due now (tests and `peergrid` call it directly too). */
  async runDue(): Promise<number> {
    this.dropExpired();
    const due = this.parts.holdings.due(this.parts.nowUnixMs(), ROUND_PIECES_MAX);
    await forEachLimited(due, CHECKS_IN_FLIGHT_MAX, async (row) => {
      if (this.stopped) return;
      try {
        await this.check(row);
      } catch (error) {
        this.stats.repairFailures++;
        this.parts.log({ level: 'warn', event: 'maintenanceCheckFailed', block: row.block, error: (error as Error).message });
        // Try again after an interval rather than at once.
        this.parts.holdings.setCheck(row.block, row.fragment, this.parts.nowUnixMs() + this.parts.config.maintenanceIntervalMs, row.record);
      }
    });
    return due.length;
  }

  /**
   * Lets go of pieces whose lease ran out: the row goes, and the piece's `grid` pin, so the next gc
   * reclaims its bytes (a pin of this node's own users keeps them). Nothing when leases are off.
   */
  private dropExpired(): void {
    if (this.parts.config.leaseMs === 0) return;
    for (;;) {
      const expired = this.parts.holdings.expired(this.parts.nowUnixMs(), ROUND_PIECES_MAX);
      for (const row of expired) {
        this.parts.holdings.remove(row.block, row.fragment);
        const piece = parseStorageCid(row.piece);
        if (piece !== null) this.parts.store.unpin(piece, { name: GRID_PIN });
        this.stats.piecesExpired++;
        this.parts.log({ level: 'info', event: 'pieceExpired', block: row.block, fragment: row.fragment, leaseExpiresAtMs: row.leaseExpiresAtMs });
      }
      if (expired.length < ROUND_PIECES_MAX) return;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const dueAtMs = this.parts.holdings.nextDueAtMs();
    // At most one interval: pieces stored meanwhile (due one interval after they arrive) are noticed
    // within two, and a clock jump costs no more than one.
    const intervalMs = this.parts.config.maintenanceIntervalMs;
    const waitMs = Math.min(intervalMs, Math.max(intervalMs / 10, dueAtMs - this.parts.nowUnixMs()));
    this.timer = setTimeout(() => {
      this.running = this.runDue().then(() => undefined, () => undefined).finally(() => {
        this.running = null;
        this.schedule();
      });
    }, Math.max(0, waitMs));
    this.timer.unref();
  }

  private async check(row: HoldingRow): Promise<void> {
    const cid = parseStorageCid(row.block);
    const parsed = parseRedundancy(row.redundancy);
    const key = cid === null ? null : blockKeyOf(cid);
    if (cid === null || key === null || !parsed.ok) {
      this.parts.holdings.remove(row.block, row.fragment);
      return;
    }
    const redundancy = parsed.value;
    const { self } = this.parts;
    const nowMs = this.parts.nowUnixMs();
    // A node that refused a piece lately is left out of the candidates, so the plan picks the next
    // closest instead of asking a full node again every round.
    const closest = (await this.parts.closestNodes(key)).filter((peer) => (this.refusedUntilMs.get(idToHex(peer)) ?? 0) <= nowMs);
    const record = decodeRecord(row.record);
    const asked = peersToAsk(redundancy, key, self, record, closest);
    const haves: HaveAnswer[] = [];
    const lacks: PeerRef[] = [];
    const fragmentHolders: { peer: PeerRef; indexes: number[] }[] = [];
    await Promise.all(asked.map(async (peer) => {
      const answer = await this.parts.client.have(peer, [cid]).catch(() => null);
      if (answer === null || answer.kind !== 'haves') return;
      const entry = answer.entries[0];
      if (redundancy.kind === 'replicate') {
        // Only a placed copy counts; a cache (a reader's fetched blocks) may be dropped by its gc.
        if (entry.kept === true) haves.push({ peer, fragmentIndex: null });
        else lacks.push(peer);
      } else if (entry.fragments.length > 0) {
        haves.push({ peer, fragmentIndex: entry.fragments[0] });
        fragmentHolders.push({ peer, indexes: [...entry.fragments] });
      } else {
        lacks.push(peer);
      }
    }));
    const plan = planHolding({
      redundancy, policy: { ...defaultRepairPolicy(redundancy), graceMs: this.parts.config.repairGraceMs },
      key, self, ownFragmentIndex: row.fragment === WHOLE_COPY ? null : row.fragment, closest, record, haves, lacks, nowMs,
      checkIntervalMs: this.parts.config.maintenanceIntervalMs,
    });
    this.stats.checks++;
    let kept: HolderRecord = plan.record;
    const leased = mayRepairUnderLease(row.leaseExpiresAtMs, nowMs);
    if (plan.acting && !leased && plan.storeOn.length > 0) this.stats.repairsPassedOverForLease++;
    if (plan.acting && leased) kept = await this.act(cid, row, redundancy, plan, kept, fragmentHolders);
    this.parts.holdings.setCheck(row.block, row.fragment, plan.nextCheckAtMs, encodeRecord(kept));
  }

  private async act(
    cid: CID, row: HoldingRow, redundancy: Redundancy, plan: HoldingPlan, record: HolderRecord, fragmentHolders: { peer: PeerRef; indexes: number[] }[],
  ): Promise<HolderRecord> {
    let kept = record;
    let rebuilt: Uint8Array | null = null;
    for (const store of plan.storeOn) {
      const ok = await this.createPiece(cid, row, redundancy, store, fragmentHolders, () => rebuilt, (bytes) => (rebuilt = bytes)).catch((error: unknown) => {
        this.parts.log({ level: 'warn', event: 'repairFailed', block: row.block, peer: idToHex(store.peer), error: (error as Error).message });
        return false;
      });
      if (!ok) {
        this.stats.repairFailures++;
        continue;
      }
      this.stats.piecesCreated++;
      // The new piece is kept as long as ours, no longer: a store alone gives it a day.
      const leftMs = row.leaseExpiresAtMs - this.parts.nowUnixMs();
      await this.parts.client.renew(store.peer, leaseSecondsOf(leftMs), [cid]).catch(() => null);
      kept = withStoredPiece(kept, store.peer, store.fragmentIndex, this.parts.nowUnixMs());
      this.parts.log({ level: 'info', event: 'pieceCreated', block: row.block, peer: idToHex(store.peer), fragment: store.fragmentIndex, action: plan.action });
    }
    return kept;
  }

  private async createPiece(
    cid: CID, row: HoldingRow, redundancy: Redundancy, store: StoreOn, fragmentHolders: { peer: PeerRef; indexes: number[] }[],
    rebuiltSoFar: () => Uint8Array | null, keepRebuilt: (bytes: Uint8Array) => void,
  ): Promise<boolean> {
    const client = this.parts.client;
    if (redundancy.kind === 'replicate') {
      const bytes = await this.parts.store.get(cid);
      const answer = await client.storeBlock(store.peer, cid, bytes, redundancy.copies);
      if (answer.kind === 'stored') this.stats.bytesSent += bytes.length;
      else this.noteRefusal(store.peer);
      return answer.kind === 'stored';
    }
    const index = store.fragmentIndex as number;
    let record: Uint8Array | null = null;
    if (store.copyFrom !== null) {
      const answer = await client.getFragment(store.copyFrom, cid, index).catch(() => null);
      if (answer !== null && answer.kind === 'fragment') record = answer.record;
    }
    if (record === null) {
      let bytes = rebuiltSoFar();
      if (bytes === null) {
        const own = await localFragmentRecords(this.parts.holdings, this.parts.store, cid);
        const rebuilt = await rebuildBlock(client, cid, distinctOffers(fragmentHolders), this.parts.penalize, undefined, own);
        if (rebuilt === null) return false;
        bytes = rebuilt.bytes;
        keepRebuilt(bytes);
      }
      record = encodeFragmentRecords(cid, bytes, redundancy, sha256, erasureCodecFor(redundancy))[index];
    }
    const answer = await client.storeFragment(store.peer, record);
    if (answer.kind === 'stored') this.stats.bytesSent += record.length;
    else this.noteRefusal(store.peer);
    return answer.kind === 'stored';
  }

  private noteRefusal(peer: PeerRef): void {
    if (this.refusedUntilMs.size >= REFUSALS_REMEMBERED_MAX) this.refusedUntilMs.clear();
    this.refusedUntilMs.set(idToHex(peer), this.parts.nowUnixMs() + REFUSAL_MEMORY_INTERVALS * this.parts.config.maintenanceIntervalMs);
  }
}

/** The holder record as the holdings table keeps it: ids and addresses, fragment indexes, times. */
interface StoredHolder {
  readonly id: string;
  readonly address: string;
  readonly fragment: number | null;
  readonly lastSeenAtMs: number;
  readonly answered: boolean;
  readonly gone: boolean;
}

export function encodeRecord(record: HolderRecord): string {
  return JSON.stringify(record.map((state): StoredHolder => ({
    id: idToHex(state.holder.peer), address: state.holder.peer.address, fragment: state.holder.fragmentIndex,
    lastSeenAtMs: state.lastSeenAtMs, answered: state.answeredLatestCheck, gone: state.presumedGone,
  })));
}

/** The record back; anything unreadable is left out (the next round re-learns it). */
export function decodeRecord(text: string): HolderState<PieceHolder>[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const record: HolderState<PieceHolder>[] = [];
  for (const item of parsed as StoredHolder[]) {
    let id: Id;
    try {
      id = idFromHex(String(item.id));
    } catch {
      continue;
    }
    if (typeof item.address !== 'string' || !Number.isFinite(item.lastSeenAtMs)) continue;
    record.push({
      holder: { peer: peerRef(id, item.address), fragmentIndex: typeof item.fragment === 'number' ? item.fragment : null },
      lastSeenAtMs: item.lastSeenAtMs, answeredLatestCheck: item.answered === true, presumedGone: item.gone === true,
    });
  }
  return record;
}
