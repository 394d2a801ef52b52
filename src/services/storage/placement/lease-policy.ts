/**
 * Leases on the pieces a node keeps for the grid: how long a holder keeps a piece nobody renews,
 * so that content its owners stopped caring for leaves the grid instead of filling every quota
 * for ever (Tahoe-LAFS's leases; Storj's expiring pieces). Pure rules; the holder's table and
 * the renewing node are in runtime/exchange/ (holdings.ts, lease-keeper.ts).
 *
 * - A stored piece starts with a short lease (`storeLeaseMs`, a day). Whoever wants it kept asks
 *   for more with `renew` (exchange-messages.ts): the placer right after placing, the nodes that
 *   pin the content from time to time, anyone running `peergrid check --renew`.
 * - A renewal extends, never shortens, and a holder grants at most its own `storage.leaseMs`.
 * - A repair must not make content outlive its leases: the repairer passes on only what its own
 *   lease has left, and repairs nothing whose lease runs out within `storeLeaseMs` (the new
 *   holder's first lease would then outlast the repairer's). Without that rule a piece repaired
 *   just before its lease ran out would start a fresh lease elsewhere, and be repaired from there,
 *   and so on: content would live as long as the grid churned.
 */
import { ExchangeLimits } from '../exchange/exchange-limits.ts';

const DAY_MS = 24 * 3600 * 1000;

export const LeasePolicy = {
  /** What a store grants before any renewal: long enough for the placer's renewal to follow. */
  storeLeaseMs: DAY_MS,
  /** `storage.leaseMs`'s default: the longest lease a holder grants (Tahoe-LAFS's is 31 days; ours leaves room for owners who are away). */
  leaseMsDefault: 90 * DAY_MS,
  /** `storage.leaseRenewIntervalMs`'s default: how often a node renews what it pins. */
  renewIntervalMsDefault: 7 * DAY_MS,
} as const;

/** The lease after a renewal asking for `requestedMs` from now, granted up to `grantMaxMs`. */
export function renewedLease(currentExpiresAtMs: number, nowMs: number, requestedMs: number, grantMaxMs: number): number {
  return Math.max(currentExpiresAtMs, nowMs + Math.max(0, Math.min(requestedMs, grantMaxMs)));
}

/** A lease that has run out: its piece may go. */
export function leaseExpired(expiresAtMs: number, nowMs: number): boolean {
  return expiresAtMs <= nowMs;
}

/** Whether a holder whose lease runs out at `expiresAtMs` may re-create the piece elsewhere (see above). */
export function mayRepairUnderLease(expiresAtMs: number, nowMs: number): boolean {
  return expiresAtMs - nowMs > LeasePolicy.storeLeaseMs;
}

/** A lease of `ms` as a `renew`'s seconds: rounded down (never more than was held), within the wire's bounds. */
export function leaseSecondsOf(ms: number): number {
  return Math.min(ExchangeLimits.leaseSecondsMax, Math.max(1, Math.floor(ms / 1000)));
}
