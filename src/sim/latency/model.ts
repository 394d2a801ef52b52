import type { Random } from '../../core/random.ts';

/**
 * Where a simulated node sits in the latency model: the host (a measured machine, or a synthetic point)
 * whose core round-trip times it shares, and the one-way delay of its own access link.
 */
export interface Placement {
  /** The host index in the model. Nodes placed on the same host have a core round-trip time of 0. */
  readonly host: number;
  /** One-way delay of the node's access link in milliseconds, paid on every message it sends or receives. */
  readonly accessMs: number;
  /** Degrees north, NaN when the model has no geography (a measured matrix). */
  readonly latitude: number;
  /** Degrees east, NaN when the model has no geography. */
  readonly longitude: number;
}

/**
 * A source of round-trip times between simulated nodes.
 *
 * `rttMs(a, b)` is symmetric and equals core(a.host, b.host) + 2 * (a.accessMs + b.accessMs): a round trip
 * crosses each end's access link twice. The core part is 0 for two nodes on the same host. The one-way
 * delay of a message is rttMs / 2; the caller halves it, as p2psim did with the King matrix.
 *
 * `rttMs` is called for every simulated message, so implementations keep it O(1) and allocation-free.
 * `place` must be deterministic given the Random it is handed.
 */
export interface LatencyModel {
  readonly name: string;
  /** How many hosts the model places nodes on, each as likely; absent when every node gets a place of its own. */
  readonly hosts?: number;
  place(random: Random): Placement;
  rttMs(a: Placement, b: Placement): number;
}

/** Default mean one-way access delay: a wired broadband or campus link adds about a millisecond or two. */
export const ACCESS_MS_MEAN_DEFAULT = 2;

/**
 * Access delays are capped so that one unlucky draw from the exponential tail does not create a node that
 * is slower than any real wired host; a 20 ms one-way access delay is already a poor DSL line.
 */
export const ACCESS_MS_MAX = 20;

/** Draws a one-way access delay: exponential with the given mean, capped at ACCESS_MS_MAX. */
export function drawAccessMs(random: Random, accessMsMean: number): number {
  // 1 - u lies in (0, 1], so the logarithm is finite.
  const sample = -accessMsMean * Math.log(1 - random.nextFloat());
  return Math.min(sample, ACCESS_MS_MAX);
}

/** Throws unless the mean access delay is a finite number >= 0; models call it once, at construction. */
export function checkAccessMsMean(accessMsMean: number): void {
  if (!(accessMsMean >= 0) || !Number.isFinite(accessMsMean)) {
    throw new RangeError(`accessMsMean must be a finite number >= 0, got ${accessMsMean}`);
  }
}
