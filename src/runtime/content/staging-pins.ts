/**
 * Staging pins: `peergrid put` of a directory pins each file and subdirectory under a name of its
 * own (`peergrid-put-<random>`) until the parent directory holds it, so that a gc meanwhile takes
 * nothing (cli/put/command.ts). A put that fails releases them itself; one killed outright cannot,
 * so the node's gc drops such pins once they are older than any put could need — a day — and what
 * they kept is then collected like anything unpinned.
 */
import type { PinInfo } from '../storage/blockstore.ts';
import { CACHE_PIN, GRID_PIN } from '../storage/blockstore-limits.ts';

/** The names a put stages under; a pin named so is a put's, not a user's. */
export const STAGING_PIN_PREFIX = 'peergrid-put-';

/** How long a staging pin is kept: far longer than a put between its first file and its top directory takes. */
export const STAGING_PIN_LIFE_MS = 24 * 60 * 60 * 1000;

/** Staging pins pinned more than STAGING_PIN_LIFE_MS before `nowMs`. */
export function expiredStagingPins(pins: readonly PinInfo[], nowMs: number): PinInfo[] {
  return pins.filter((pin) => pin.name.startsWith(STAGING_PIN_PREFIX) && nowMs - pin.pinnedAtMs > STAGING_PIN_LIFE_MS);
}

/**
 * Whether a pin is a user's content: not a piece kept for the grid, a cache copy, or a put's
 * staging. `check --pinned` checks these, and the node renews their leases (lease-keeper.ts).
 */
export function isContentPin(name: string): boolean {
  return name !== GRID_PIN && name !== CACHE_PIN && !name.startsWith(STAGING_PIN_PREFIX);
}
