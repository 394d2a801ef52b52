/**
 * Keeps the leases of the content pinned on this node alive (services/storage/placement/
 * lease-policy.ts): every `storage.leaseRenewIntervalMs` (a week by default) each pinned content
 * gets a census that asks `renew` instead of `have` (content-checker.ts), so every holder that
 * still keeps a piece of it keeps it for another lease. Tahoe-LAFS leaves this to its users
 * (`tahoe deep-check --add-lease`); here the node that pins the content does it by itself.
 *
 * Content this node placed whose blocks the census finds lost — every piece gone, as after a long
 * absence of this node during which the leases ran out — is placed again from this node's own
 * copy, under the scheme it was placed with (recorded at placement). Content it did not place
 * (fetched and pinned here, or put with --local, which must stay off the grid) is only renewed,
 * under the configured scheme. Degraded blocks are left to their holders' maintenance, as always.
 *
 * When each content was last renewed is kept in holdings.sqlite, so a node that restarts often
 * still renews once an interval, and one that was away renews at once when it is back.
 */
import type { CID } from '../../services/storage/dag/cids.ts';
import { parseRedundancy, formatRedundancy, type Redundancy } from '../../services/storage/durability/redundancy.ts';
import { isContentPin } from '../content/staging-pins.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import type { StorageConfig } from '../storage-config.ts';
import type { CheckReport } from './content-checker.ts';
import type { PlacementReport } from './content-placer.ts';
import type { Holdings } from './holdings.ts';

export interface LeaseKeeperParts {
  readonly holdings: Holdings;
  readonly store: Blockstore;
  readonly config: StorageConfig;
  /** A census of the content under `root` that renews every piece it finds (ContentChecker with renew). */
  readonly renew: (root: CID, redundancy: Redundancy) => Promise<CheckReport>;
  /** Places the content again, sending only what is missing (ContentPlacer). */
  readonly place: (root: CID, redundancy: Redundancy) => Promise<PlacementReport>;
  readonly nowUnixMs: () => number;
  readonly log: (record: Record<string, unknown>) => void;
}

export interface LeaseKeeperStats {
  rounds: number;
  contentRenewed: number;
  blocksRenewed: number;
  /** Content placed again because the census found blocks of it lost. */
  contentPlacedAgain: number;
  failures: number;
  lastRoundAtMs: number | null;
}

/** The first round waits this long after start, so the node has joined, knows its neighbours, and is not renewing while it starts up. */
const FIRST_ROUND_DELAY_MS = 600_000;
/** Content with no piece on the grid that this node did not place is renewed this many intervals apart. */
const NOTHING_HELD_INTERVALS = 4;
/** Rounds run at least this often, whatever the interval, so content pinned meanwhile is noticed. */
const ROUND_INTERVAL_MAX_MS = 3_600_000;

export class LeaseKeeper {
  readonly stats: LeaseKeeperStats = { rounds: 0, contentRenewed: 0, blocksRenewed: 0, contentPlacedAgain: 0, failures: 0, lastRoundAtMs: null };
  private readonly parts: LeaseKeeperParts;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(parts: LeaseKeeperParts) {
    this.parts = parts;
  }

  start(): void {
    if (this.parts.config.leaseRenewIntervalMs === 0) return;
    this.schedule(Math.min(FIRST_ROUND_DELAY_MS, this.parts.config.leaseRenewIntervalMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.running;
  }

  /** Renews every pinned content whose last renewal is an interval old or more (tests call it directly); returns how many. */
  async runDue(): Promise<number> {
    const nowMs = this.parts.nowUnixMs();
    const intervalMs = this.parts.config.leaseRenewIntervalMs;
    let renewed = 0;
    for (const root of this.pinnedRoots()) {
      if (this.stopped) break;
      const last = this.parts.holdings.contentLease(root.toString());
      if (last !== undefined && nowMs - last.renewedAtMs < intervalMs) continue;
      const placed = last?.redundancy ?? null;
      await this.renewOne(root, this.schemeOf(placed), placed !== null);
      renewed++;
    }
    this.stats.rounds++;
    this.stats.lastRoundAtMs = nowMs;
    return renewed;
  }

  private async renewOne(root: CID, redundancy: Redundancy, placedHere: boolean): Promise<void> {
    const text = root.toString();
    try {
      const report = await this.parts.renew(root, redundancy);
      this.stats.contentRenewed++;
      this.stats.blocksRenewed += report.blocks - report.lost;
      let placedAgain: PlacementReport | null = null;
      if (report.lost > 0 && placedHere) {
        placedAgain = await this.parts.place(root, redundancy);
        this.stats.contentPlacedAgain++;
      }
      // Content nobody placed on the grid (put --local, pinned here alone) has nothing to renew: its
      // census is looked at again only every NOTHING_HELD_INTERVALS intervals, not spent weekly.
      const nothingHeld = !placedHere && report.piecesFound === 0;
      const nowMs = this.parts.nowUnixMs();
      const noteAtMs = nothingHeld ? nowMs + (NOTHING_HELD_INTERVALS - 1) * this.parts.config.leaseRenewIntervalMs : nowMs;
      // The scheme is recorded only for content placed from here (GridStorage.place).
      this.parts.holdings.noteRenewed(text, noteAtMs, placedHere ? formatRedundancy(redundancy) : undefined);
      this.parts.log({
        level: report.lost > 0 ? 'warn' : 'info', event: 'leasesRenewed', root: text, redundancy: formatRedundancy(redundancy),
        blocks: report.blocks, healthy: report.healthy, degraded: report.degraded, lost: report.lost,
        ...(placedAgain === null ? {} : { piecesSentAgain: placedAgain.piecesSent, blocksStillShort: placedAgain.blocksShort }),
      });
    } catch (error) {
      // Tried again next round (an hour at most), not at once: the grid may be unreachable for a while.
      this.stats.failures++;
      this.parts.log({ level: 'warn', event: 'leaseRenewalFailed', root: text, error: (error as Error).message });
    }
  }

  /** The roots of every content pin (not grid pieces, caches or a put's staging), each once. */
  private pinnedRoots(): CID[] {
    const roots = new Map<string, CID>();
    for (const pin of this.parts.store.listPins()) if (isContentPin(pin.name)) roots.set(pin.cid.toString(), pin.cid);
    return [...roots.values()];
  }

  private schemeOf(recorded: string | null): Redundancy {
    if (recorded === null) return this.parts.config.redundancy;
    const parsed = parseRedundancy(recorded);
    return parsed.ok ? parsed.value : this.parts.config.redundancy;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runDue().then(() => undefined, () => undefined).finally(() => {
        this.running = null;
        this.schedule(Math.min(ROUND_INTERVAL_MAX_MS, this.parts.config.leaseRenewIntervalMs));
      });
    }, Math.max(0, delayMs));
    this.timer.unref();
  }
}
