import type { Random } from '../../core/random.ts';
import { exponentialFromMedian, truncatedExponentialFromMedian } from './distributions.ts';
import type { Distribution } from './distributions.ts';

/** The state a slot starts the run in. */
export interface SlotStart {
  readonly online: boolean;
  /** Time from the start of the run to the slot's first transition; Infinity if there is none. */
  readonly untilMs: number;
}

/** What happens when a slot's current state ends. */
export interface Transition {
  readonly online: boolean;
  /** How long the new state lasts; Infinity means for ever. */
  readonly durationMs: number;
  /**
   * True when a new node with a new id takes the slot because the previous one left for good (only ever
   * true on a transition to online). False when the slot's existing node comes back with its old identity
   * and state, or when the slot goes offline.
   */
  readonly freshIdentity: boolean;
}

/**
 * How the nodes of a simulated population come and go. The population is a fixed number of slots; each
 * slot is a place for one node at a time, and the model describes its life: when it is online, and when
 * a new identity replaces the old one.
 *
 * The engine calls `start` once per slot at time 0 and `next` each time the slot's current state ends
 * (`wasOnline` is the state that just ended). `next` returning null means "nothing more ever happens":
 * the slot stays offline for good. Models with per-slot memory (mojo, trace) keep it inside the model, so
 * a run needs its own model instance (parseChurnSpec makes a fresh one per call); `start` resets a slot.
 *
 * Start states are drawn from the stationary distribution wherever one exists (a slot is online with
 * probability `availability`, and the time to its first transition is the residual life of the state it
 * is in), so a run is in steady state from time 0 rather than after a warm-up in which every node joins at
 * once. trace documents its exception.
 */
export interface ChurnModel {
  readonly name: string;
  /** Expected long-run fraction of time a slot is online, in (0, 1]. */
  readonly availability: number;
  start(slot: number, random: Random): SlotStart;
  next(slot: number, wasOnline: boolean, random: Random): Transition | null;
}

/** Every slot is online from time 0 for ever. */
export function noChurn(): ChurnModel {
  return {
    name: 'none',
    availability: 1,
    start: (slot: number): SlotStart => {
      checkSlot(slot);
      return { online: true, untilMs: Number.POSITIVE_INFINITY };
    },
    next: (): Transition | null => null,
  };
}

/**
 * Each slot holds one node for the whole run, alternating between sessions and downtimes drawn
 * independently from the two distributions; the node keeps its identity and state across downtimes.
 *
 * availability = mean session / (mean session + mean downtime), the renewal-reward limit. When a mean is
 * infinite (Pareto with shape <= 1) that limit is degenerate or does not exist:
 * - infinite sessions, finite downtimes: availability 1 (sessions end up dominating the time line);
 * - finite sessions, infinite downtimes: rejected, since every slot would end up offline for good;
 * - both infinite: the fraction online never settles; the medians stand in for the means, which gives
 *   1/2 when the two distributions are the same.
 */
export function alternating(session: Distribution, downtime: Distribution, name?: string): ChurnModel {
  const availability = alternatingAvailability(session, downtime);
  return {
    name: name ?? `alternating(session=${session.name}, downtime=${downtime.name})`,
    availability,
    start(slot: number, random: Random): SlotStart {
      checkSlot(slot);
      const online = random.nextFloat() < availability;
      return { online, untilMs: (online ? session : downtime).sampleResidual(random) };
    },
    next(slot: number, wasOnline: boolean, random: Random): Transition {
      return { online: !wasOnline, durationMs: (wasOnline ? downtime : session).sample(random), freshIdentity: false };
    },
  };
}

function alternatingAvailability(session: Distribution, downtime: Distribution): number {
  const sessionFinite = Number.isFinite(session.meanMs);
  const downtimeFinite = Number.isFinite(downtime.meanMs);
  if (sessionFinite && downtimeFinite) return session.meanMs / (session.meanMs + downtime.meanMs);
  if (!sessionFinite && downtimeFinite) return 1;
  if (sessionFinite && !downtimeFinite) {
    throw new RangeError(
      `downtimes ${downtime.name} have an infinite mean but sessions ${session.name} do not: ` +
        'every slot would end up offline for good',
    );
  }
  return session.medianMs / (session.medianMs + downtime.medianMs);
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * The parameters of the Mojo Nation profile. The seed paper (§4.2, citing the Mojo Nation deployment
 * study) reports that around 80% of peers left within an hour of connecting for the first time and did
 * not join again, and that established users rarely stayed connected for more than a few hours at a time.
 * How long established users stay in the system, and how long a slot stays empty, are not in the paper:
 * they are this model's choices.
 */
export const MOJO = Object.freeze({
  /** Probability that a fresh identity is a one-time visitor; the others are established users. */
  visitorFraction: 0.8,
  /** Visitors' single session: exponential with this median, conditioned on ending within the hour. */
  visitorSessionMedianMs: 20 * MINUTE_MS,
  visitorSessionLimitMs: HOUR_MS,
  /** Established users: sessions of a couple of hours, and downtimes as long, same identity every time. */
  establishedSessionMedianMs: 2 * HOUR_MS,
  establishedDowntimeMedianMs: 2 * HOUR_MS,
  /**
   * After each of its sessions an established user leaves for good with this probability, so it has a
   * geometric number of sessions, 6 on average, with 5 downtimes between them: a life of 11 * 2.885 h =
   * 31.7 h on average (the mean of a 2 h-median exponential is 2.885 h), 17.3 h of it online.
   */
  establishedLeaveProbability: 1 / 6,
  /** After an identity leaves for good the slot stays empty for this long (median), then a fresh one arrives. */
  emptyGapMedianMs: 10 * MINUTE_MS,
});

/** What holds a Mojo slot: a one-time visitor (always online), an established user (online or not), or nobody. */
export type MojoSlotKind = 'visitor' | 'established' | 'empty';

/** A Mojo model also exposes its steady-state mix, and what holds each slot; see mojo(). */
export interface MojoChurnModel extends ChurnModel {
  /** Long-run fraction of the online nodes that are one-time visitors (about 0.072). */
  readonly visitorShareOfOnline: number;
  /** Long-run rate at which fresh identities arrive, per slot per hour (about 0.146). */
  readonly freshArrivalsPerSlotPerHour: number;
  /** What holds the slot now, after start and the transitions so far. */
  slotKind(slot: number): MojoSlotKind;
}

/** The phases a Mojo slot can be in. */
const MOJO_VISITOR = 0;
const MOJO_ESTABLISHED_ONLINE = 1;
const MOJO_ESTABLISHED_OFFLINE = 2;
const MOJO_EMPTY = 3;

/**
 * The Mojo Nation first-time-visitor profile, as a stationary renewal process per slot. A slot hosts a
 * sequence of identities, each followed by an empty gap (exponential, 10 min median). Each fresh identity
 * is a visitor with probability 0.8 (one session, exponential with a 20 min median truncated below 60 min,
 * then gone for good) or an established user with probability 0.2 (sessions and downtimes exponential
 * with 2 h medians; after each session it leaves for good with probability 1/6). The flow of fresh
 * identities therefore never dries up: every slot keeps turning over, so about 81% of the identities that
 * arrive leave within the hour and never return (80% visitors, plus established users whose one and only
 * session was under an hour), while most of the nodes online at any moment are established users.
 *
 * Steady state. A slot's life is a renewal process whose cycles are one identity's whole life plus the
 * gap that follows it; cycles are independent and identically distributed, since each fresh identity's
 * type and durations are drawn afresh. With mV = 20.28 min the mean visitor session, mG = 14.43 min the
 * mean gap, mS = mD = 173.1 min the mean established session and downtime, q = 1/6 and N the number of
 * sessions of an established user (geometric on 1, 2, ..., mean 1/q = 6, independent of the durations,
 * so Wald's identity gives E[time in sessions] = E[N] mS), the mean cycle lengths are
 *   visitor:      cV = mV + mG = 34.71 min,
 *   established:  cE = mS / q + mD (1 - q) / q + mG = 1918.8 min,
 *   overall:      c  = 0.8 cV + 0.2 cE = 411.5 min.
 * By renewal-reward, the long-run fraction of time a slot spends in a phase is the expected time spent in
 * it per cycle over c, and the state at a random moment (what start draws) is: the cycle type, visitor
 * with probability 0.8 cV / c and established with 0.2 cE / c (a random moment falls in long cycles more
 * often); the phase within that cycle in proportion to the expected time spent in it; and the time left
 * in the phase, the residual life of that phase's duration (sampleResidual). Multiplied out:
 *   visitor session      0.8 mV / c            = 0.039
 *   established session  0.2 mS / q / c       = 0.505
 *   established downtime 0.2 mD (1 - q)/q / c = 0.421
 *   empty gap            (0.8 + 0.2) mG / c   = 0.035
 * (the gaps after visitors and after established users are the same distribution and lead to the same
 * future, so they merge). Which of an established user's sessions is in progress does not matter: the
 * leave-for-good coin is tossed afresh, with the same probability, after every session, so the number of
 * sessions still to come is geometric whatever the index of the current one (the geometric law is
 * memoryless), and sessions are identically distributed, so the one in progress is a length-biased draw
 * of the same law whatever its index. Likewise a downtime is always followed by a session. The phase alone
 * is therefore a complete state. Established durations are exponential, so their residuals are fresh
 * draws; the visitor session's residual is length-biased.
 *
 * Hence, exactly (the figures are rounded):
 *   availability          = (0.8 mV + 0.2 mS / q) / c = 223.97 / 411.5 = 0.544,
 *   visitors among online = 0.8 mV / (0.8 mV + 0.2 mS / q) = 0.072,
 *   fresh arrivals        = 1 / c = 0.146 per slot per hour (0.268 per online node per hour),
 * and they hold from time 0: a run needs no warm-up.
 */
export function mojo(): MojoChurnModel {
  const visitorSession = truncatedExponentialFromMedian(MOJO.visitorSessionMedianMs, MOJO.visitorSessionLimitMs);
  const emptyGap = exponentialFromMedian(MOJO.emptyGapMedianMs);
  const establishedSession = exponentialFromMedian(MOJO.establishedSessionMedianMs);
  const establishedDowntime = exponentialFromMedian(MOJO.establishedDowntimeMedianMs);
  const leave = MOJO.establishedLeaveProbability;

  // Expected time per cycle in each phase, weighted by the probability of the cycle type (see above).
  const visitorSessionMs = MOJO.visitorFraction * visitorSession.meanMs;
  const establishedSessionMs = ((1 - MOJO.visitorFraction) * establishedSession.meanMs) / leave;
  const establishedDowntimeMs = ((1 - MOJO.visitorFraction) * establishedDowntime.meanMs * (1 - leave)) / leave;
  const emptyGapMs = emptyGap.meanMs;
  const meanCycleMs = visitorSessionMs + establishedSessionMs + establishedDowntimeMs + emptyGapMs;
  const startVisitorSession = visitorSessionMs / meanCycleMs;
  const startEstablishedSession = startVisitorSession + establishedSessionMs / meanCycleMs;
  const startEstablishedDowntime = startEstablishedSession + establishedDowntimeMs / meanCycleMs;

  /** The phase each slot is in: MOJO_VISITOR, MOJO_ESTABLISHED_ONLINE, MOJO_ESTABLISHED_OFFLINE or MOJO_EMPTY. */
  const phases: number[] = [];

  const mismatch = (slot: number, wasOnline: boolean): Error =>
    new Error(`mojo: next(${slot}, wasOnline=${wasOnline}) does not match the slot's state; was start called?`);

  return {
    name: 'mojo',
    availability: (visitorSessionMs + establishedSessionMs) / meanCycleMs,
    visitorShareOfOnline: visitorSessionMs / (visitorSessionMs + establishedSessionMs),
    freshArrivalsPerSlotPerHour: HOUR_MS / meanCycleMs,
    start(slot: number, random: Random): SlotStart {
      checkSlot(slot);
      const uniform = random.nextFloat();
      if (uniform < startVisitorSession) {
        phases[slot] = MOJO_VISITOR;
        return { online: true, untilMs: visitorSession.sampleResidual(random) };
      }
      if (uniform < startEstablishedSession) {
        phases[slot] = MOJO_ESTABLISHED_ONLINE;
        return { online: true, untilMs: establishedSession.sampleResidual(random) };
      }
      if (uniform < startEstablishedDowntime) {
        phases[slot] = MOJO_ESTABLISHED_OFFLINE;
        return { online: false, untilMs: establishedDowntime.sampleResidual(random) };
      }
      phases[slot] = MOJO_EMPTY;
      return { online: false, untilMs: emptyGap.sampleResidual(random) };
    },
    next(slot: number, wasOnline: boolean, random: Random): Transition {
      const phase = phases[slot];
      if (phase === undefined || (phase === MOJO_VISITOR || phase === MOJO_ESTABLISHED_ONLINE) !== wasOnline) {
        throw mismatch(slot, wasOnline);
      }
      switch (phase) {
        case MOJO_ESTABLISHED_OFFLINE:
          phases[slot] = MOJO_ESTABLISHED_ONLINE;
          return { online: true, durationMs: establishedSession.sample(random), freshIdentity: false };
        case MOJO_ESTABLISHED_ONLINE:
          if (random.nextFloat() >= leave) {
            phases[slot] = MOJO_ESTABLISHED_OFFLINE;
            return { online: false, durationMs: establishedDowntime.sample(random), freshIdentity: false };
          }
          // The established user leaves for good, like a visitor after its one session.
          phases[slot] = MOJO_EMPTY;
          return { online: false, durationMs: emptyGap.sample(random), freshIdentity: false };
        case MOJO_VISITOR:
          phases[slot] = MOJO_EMPTY;
          return { online: false, durationMs: emptyGap.sample(random), freshIdentity: false };
        default:
          // MOJO_EMPTY: a fresh identity arrives.
          if (random.nextFloat() < MOJO.visitorFraction) {
            phases[slot] = MOJO_VISITOR;
            return { online: true, durationMs: visitorSession.sample(random), freshIdentity: true };
          }
          phases[slot] = MOJO_ESTABLISHED_ONLINE;
          return { online: true, durationMs: establishedSession.sample(random), freshIdentity: true };
      }
    },
    slotKind(slot: number): MojoSlotKind {
      const phase = phases[slot];
      if (phase === undefined) throw new Error(`mojo: slotKind(${slot}) before start(${slot})`);
      if (phase === MOJO_VISITOR) return 'visitor';
      return phase === MOJO_EMPTY ? 'empty' : 'established';
    },
  };
}

/**
 * Replays a measured trace (see trace.ts for the file format): slot s follows line s modulo the number of
 * lines, from the line's beginning at time 0, and keeps its identity throughout. Slots beyond the number
 * of lines repeat earlier lines in lockstep, which correlates their churn; give the trace at least as many
 * lines as there are slots to avoid it. Traces are replayed as measured, so start states are not drawn
 * from any stationary distribution: the trace decides.
 *
 * availability = total online time / (lines * span), where the span is the longest line's total duration
 * (after its end a node is offline for good): the fraction of the trace's span a slot is online.
 */
export function trace(lines: readonly (readonly number[])[], name = `trace(${lines.length} nodes)`): ChurnModel {
  if (lines.length === 0) throw new RangeError('a churn trace needs at least one line');
  let onlineMs = 0;
  let spanMs = 0;
  lines.forEach((durations, index) => {
    checkTraceLine(durations, index);
    let totalMs = 0;
    durations.forEach((durationMs, position) => {
      totalMs += durationMs;
      if (position % 2 === 0) onlineMs += durationMs;
    });
    spanMs = Math.max(spanMs, totalMs);
  });
  if (!(onlineMs > 0)) throw new RangeError('a churn trace must have some online time');
  const availability = onlineMs / (lines.length * spanMs);
  /** The index, in the slot's line, of the duration currently running. */
  const positions: number[] = [];

  /** How long the duration at `position` of `durations` lasts: a trailing offline period is for ever. */
  const durationAt = (durations: readonly number[], position: number): number =>
    position % 2 === 1 && position === durations.length - 1 ? Number.POSITIVE_INFINITY : durations[position];

  return {
    name,
    availability,
    start(slot: number): SlotStart {
      checkSlot(slot);
      const durations = lines[slot % lines.length];
      // Even positions are online periods; a leading 0 means the node starts offline.
      const position = durations[0] === 0 ? 1 : 0;
      positions[slot] = position;
      return { online: position === 0, untilMs: durationAt(durations, position) };
    },
    next(slot: number, wasOnline: boolean): Transition | null {
      const current = positions[slot];
      if (current === undefined || (current % 2 === 0) !== wasOnline) {
        throw new Error(`trace: next(${slot}, wasOnline=${wasOnline}) does not match the slot's state; was start called?`);
      }
      const durations = lines[slot % lines.length];
      const position = current + 1;
      if (position >= durations.length) {
        // The line ran out after an online period: the node leaves for good.
        return { online: false, durationMs: Number.POSITIVE_INFINITY, freshIdentity: false };
      }
      positions[slot] = position;
      return { online: position % 2 === 0, durationMs: durationAt(durations, position), freshIdentity: false };
    },
  };
}

function checkTraceLine(durations: readonly number[], index: number): void {
  const where = `churn trace line ${index + 1} (counting data lines only)`;
  if (durations.length === 0 || (durations.length === 1 && durations[0] === 0)) {
    throw new RangeError(`${where}: no durations`);
  }
  durations.forEach((durationMs, position) => {
    if (!Number.isFinite(durationMs) || durationMs < 0 || (durationMs === 0 && position > 0)) {
      throw new RangeError(`${where}: duration ${position + 1} is ${durationMs}; only the first may be 0, the rest must be finite and > 0`);
    }
  });
}

function checkSlot(slot: number): void {
  if (!Number.isSafeInteger(slot) || slot < 0) throw new RangeError(`slot must be an integer >= 0, got ${slot}`);
}
