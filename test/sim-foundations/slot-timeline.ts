import type { Random } from '../../src/core/random.ts';
import type { ChurnModel } from '../../src/sim/churn/models.ts';

/** One stretch of a slot's life: online or not, and which identity holds the slot (0 at the start). */
export interface Segment {
  readonly startMs: number;
  readonly endMs: number;
  readonly online: boolean;
  readonly identity: number;
  /** What `kindOf` said holds the slot during the segment, when slotTimeline was given one. */
  readonly kind?: string;
}

/**
 * Plays one slot of a churn model from time 0 to the horizon the way the simulator will (start, then
 * next whenever the current state ends), and returns its segments, the last one cut at the horizon.
 * `kindOf`, if given, is asked after start and after each transition what holds the slot (mojo's slotKind).
 */
export function slotTimeline(
  model: ChurnModel,
  slot: number,
  random: Random,
  horizonMs: number,
  kindOf?: (slot: number) => string,
): Segment[] {
  const segments: Segment[] = [];
  const first = model.start(slot, random);
  let online = first.online;
  let startMs = 0;
  let endMs = first.untilMs;
  let identity = 0;
  for (;;) {
    segments.push({ startMs, endMs: Math.min(endMs, horizonMs), online, identity, kind: kindOf?.(slot) });
    if (endMs >= horizonMs) return segments;
    const transition = model.next(slot, online, random);
    if (transition === null) {
      segments.push({ startMs: endMs, endMs: horizonMs, online: false, identity, kind: kindOf?.(slot) });
      return segments;
    }
    if (transition.freshIdentity) identity++;
    online = transition.online;
    startMs = endMs;
    endMs = startMs + transition.durationMs;
  }
}

/** Fraction of the slots online at the given time. */
export function fractionOnlineAt(timelines: readonly Segment[][], timeMs: number): number {
  let online = 0;
  for (const segments of timelines) {
    const segment = segments.find((candidate) => candidate.startMs <= timeMs && timeMs < candidate.endMs);
    if (segment?.online) online++;
  }
  return online / timelines.length;
}

/** Fraction of slot-time online between two times. */
export function fractionOfTimeOnline(timelines: readonly Segment[][], fromMs: number, toMs: number): number {
  let onlineMs = 0;
  for (const segments of timelines) {
    for (const segment of segments) {
      if (!segment.online) continue;
      const overlap = Math.min(segment.endMs, toMs) - Math.max(segment.startMs, fromMs);
      if (overlap > 0) onlineMs += overlap;
    }
  }
  return onlineMs / (timelines.length * (toMs - fromMs));
}
