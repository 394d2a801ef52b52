/**
 * The kernel's tunable parameters, with the defaults a node uses unless told otherwise.
 * Hard ceilings that no configuration may exceed live in limits.ts.
 */
import { Limits } from './limits.ts';

/**
 * When a lookup may stop. `strict` is the paper's rule: the k closest nodes seen have all answered
 * (Kademlia §2.3). A number q is the "confirmed" rule: the q closest seen have all answered, so q
 * independent nodes of the target's neighbourhood have had the chance to name anyone closer; the
 * result is still the k closest seen, some of them not yet asked. docs/BENCHMARKS.md measures both.
 */
export type LookupFinishRule = 'strict' | number;

export type EvictionPolicy = 'ping-first' | 'lru';

/**
 * How a joining node fills its buckets beyond its neighbourhood after its self-lookup: `lookups`
 * is the paper's full lookup per sibling subtree (Kademlia §2.3); `requests` is one FIND_NODE per
 * bucket to the best contact known for it (join-refresh.ts).
 */
export type JoinRefreshStyle = 'lookups' | 'requests';

export interface DhtConfig {
  /** Bucket size and replication factor (Kademlia §2.2). */
  readonly k: number;
  /** Parallel requests per lookup (Kademlia §2.3). */
  readonly alpha: number;
  /** Bits per routing digit, b (Kademlia §4.2, accelerated lookups): 1 … 5. */
  readonly bitsPerDigit: number;
  /** Split buckets away from our own id while they may hold one of our k closest (Kademlia §2.4). */
  readonly relaxedSplitting: boolean;
  /**
   * Proximity (survey §4.5, issue 6): Vivaldi coordinates on every message, proximity neighbour
   * selection when a bucket is full, and the nearest of equally good next hops in lookups.
   * Off by default, so that the paper's Kademlia is what runs unless asked (docs/PROXIMITY.md).
   */
  readonly proximity: boolean;
  /**
   * What a full bucket does with a newcomer that proved alive: `ping-first` is Kademlia's rule —
   * it pings its least-recently-seen contact and evicts it only if it is silent, so long-lived
   * contacts stay (§2.2; survey §4.2); `lru` evicts that contact at once, as a plain LRU cache
   * would. `lru` exists to measure the difference (`sim experiment churn`), not to be run.
   */
  readonly eviction: EvictionPolicy;
  readonly lookupFinish: LookupFinishRule;
  /**
   * The finish rule of the overlay's own lookups (join, bucket refresh, republish). A refresh only
   * needs to meet live nodes in a bucket's range, not to certify the k closest to a random point.
   */
  readonly maintenanceLookupFinish: LookupFinishRule;
  readonly joinRefresh: JoinRefreshStyle;
  /** Requests one lookup may send in all: the bound on its work. */
  readonly lookupQueriesMax: number;
  /** A lookup ends with what it has after this long. */
  readonly lookupDurationMaxMs: number;
  /** Retransmission-timeout rules (RFC 6298) applied per contact. */
  readonly rtoInitialMs: number;
  readonly rtoMinMs: number;
  readonly rtoMaxMs: number;
  /**
   * A request is declared failed after this many RTOs (at least requestTimeoutMinMs). Before that,
   * a lookup stops counting a silent contact against α after one RTO but still takes a late answer.
   */
  readonly requestTimeoutRtoMultiple: number;
  readonly requestTimeoutMinMs: number;
  /**
   * Round trips the transport spends opening a connection before a first request can leave (0 for
   * a connectionless transport, as the paper's UDP; about 4 for libp2p over TCP with Noise and
   * Yamux, measured by `npm run bench -- dht-vs-kad`). A request to a contact without an RTT sample
   * — as far as we know, one with no open connection — gets that many typical round trips added to
   * its RTO, so the set-up is not taken for silence.
   */
  readonly connectionSetupRtts: number;
  /** Consecutive unanswered requests after which a contact is dropped from the routing table. */
  readonly failuresToEvict: number;
  /**
   * A full bucket pings its least-recently-seen contact before preferring a newcomer only if that
   * contact has been silent this long: fresher contacts are kept without a check (Kademlia §2.2, §4.1).
   */
  readonly livenessCheckAfterMs: number;
  /** Buckets without a lookup in this long are refreshed (Kademlia §2.3). */
  readonly bucketRefreshIntervalMs: number;
  /** Holders re-store their values this often (Kademlia §2.5). */
  readonly republishIntervalMs: number;
  /** Publishers re-store their own values this often (Kademlia §2.5). */
  readonly publisherRepublishIntervalMs: number;
  readonly valueTtlMsDefault: number;
  /**
   * How often a node pings those of its k closest contacts it has not heard from in that time, so
   * its neighbourhood — what it tells lookups near its own id — stays live under churn (the
   * neighbour probing of Chord's successor list, Pastry's leaf set and Bamboo; Rhea et al. 2004).
   * 0 turns probing off.
   */
  readonly neighbourhoodProbeIntervalMs: number;
  /** How often the maintenance timer runs (refresh, republish, expiry checks). */
  readonly maintenanceIntervalMs: number;
  /** Refresh lookups started per maintenance run, so a long-idle node does not burst. */
  readonly refreshesPerMaintenanceMax: number;
}

export const defaultDhtConfig: DhtConfig = {
  k: 20,
  alpha: 3,
  // Chosen by measurement (docs/BENCHMARKS.md, `npm run bench -- bits` and `-- finish`).
  bitsPerDigit: 4,
  relaxedSplitting: true,
  proximity: false,
  eviction: 'ping-first',
  lookupFinish: 3,
  maintenanceLookupFinish: 3,
  // Chosen by measurement (docs/BENCHMARKS.md, `npm run bench -- join`).
  joinRefresh: 'requests',
  lookupQueriesMax: 100,
  lookupDurationMaxMs: 30_000,
  rtoInitialMs: 1000,
  rtoMinMs: 50,
  rtoMaxMs: 5000,
  requestTimeoutRtoMultiple: 3,
  requestTimeoutMinMs: 1000,
  connectionSetupRtts: 0,
  failuresToEvict: 2,
  livenessCheckAfterMs: 5 * 60_000,
  bucketRefreshIntervalMs: 60 * 60_000,
  republishIntervalMs: 60 * 60_000,
  publisherRepublishIntervalMs: 24 * 60 * 60_000,
  valueTtlMsDefault: 24 * 60 * 60_000,
  neighbourhoodProbeIntervalMs: 60_000,
  maintenanceIntervalMs: 60_000,
  refreshesPerMaintenanceMax: 8,
};

/** Returns the problems with a configuration, empty when it is usable. */
export function checkDhtConfig(config: DhtConfig): string[] {
  const problems: string[] = [];
  const integerIn = (name: keyof DhtConfig, low: number, high: number): void => {
    const value = config[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) {
      problems.push(`${name} must be an integer in ${low}…${high}, got ${String(value)}`);
    }
  };
  integerIn('k', 1, Limits.bucketSizeMax);
  integerIn('alpha', 1, 64);
  integerIn('bitsPerDigit', 1, 5);
  integerIn('lookupQueriesMax', 1, 10_000);
  integerIn('failuresToEvict', 1, 100);
  integerIn('refreshesPerMaintenanceMax', 0, 1000);
  for (const name of ['lookupFinish', 'maintenanceLookupFinish'] as const) {
    const rule = config[name];
    if (rule !== 'strict' && (!Number.isInteger(rule) || rule < 1 || rule > config.k)) {
      problems.push(`${name} must be 'strict' or an integer in 1…k, got ${String(rule)}`);
    }
  }
  for (const name of [
    'lookupDurationMaxMs', 'rtoInitialMs', 'rtoMinMs', 'rtoMaxMs', 'requestTimeoutRtoMultiple', 'requestTimeoutMinMs',
    'livenessCheckAfterMs', 'bucketRefreshIntervalMs', 'republishIntervalMs', 'publisherRepublishIntervalMs',
    'valueTtlMsDefault', 'maintenanceIntervalMs',
  ] as const) {
    const value = config[name];
    if (!(value > 0) || !Number.isFinite(value)) problems.push(`${name} must be a positive number, got ${String(value)}`);
  }
  if (!(config.neighbourhoodProbeIntervalMs >= 0) || !Number.isFinite(config.neighbourhoodProbeIntervalMs)) {
    problems.push(`neighbourhoodProbeIntervalMs must be ≥ 0 (0 = off), got ${String(config.neighbourhoodProbeIntervalMs)}`);
  }
  if (!(config.connectionSetupRtts >= 0) || config.connectionSetupRtts > 100) {
    problems.push(`connectionSetupRtts must be in 0…100, got ${String(config.connectionSetupRtts)}`);
  }
  if (config.rtoMinMs > config.rtoMaxMs) problems.push('rtoMinMs must not exceed rtoMaxMs');
  if (config.rtoInitialMs < config.rtoMinMs || config.rtoInitialMs > config.rtoMaxMs) {
    problems.push('rtoInitialMs must lie between rtoMinMs and rtoMaxMs');
  }
  if (typeof config.relaxedSplitting !== 'boolean') problems.push('relaxedSplitting must be true or false');
  if (typeof config.proximity !== 'boolean') problems.push('proximity must be true or false');
  if (config.eviction !== 'ping-first' && config.eviction !== 'lru') problems.push(`eviction must be 'ping-first' or 'lru', got ${String(config.eviction)}`);
  if (config.joinRefresh !== 'lookups' && config.joinRefresh !== 'requests') problems.push(`joinRefresh must be 'lookups' or 'requests', got ${String(config.joinRefresh)}`);
  if (config.valueTtlMsDefault > Limits.valueTtlMsMax) problems.push(`valueTtlMsDefault exceeds ${Limits.valueTtlMsMax}`);
  return problems;
}
