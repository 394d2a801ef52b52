import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exponentialFromMedian, pareto, truncatedExponentialFromMedian, weibull } from '../../src/sim/churn/distributions.ts';
import { alternating, MOJO, mojo, noChurn, trace } from '../../src/sim/churn/models.ts';
import type { ChurnModel } from '../../src/sim/churn/models.ts';
import { Prng } from '../../src/sim/prng.ts';
import { fractionOfTimeOnline, fractionOnlineAt, slotTimeline } from './slot-timeline.ts';
import type { Segment } from './slot-timeline.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

function simulateSlots(model: ChurnModel, slots: number, horizonMs: number, seed: number): Segment[][] {
  const root = Prng.fromSeed(seed);
  return Array.from({ length: slots }, (_, slot) => slotTimeline(model, slot, root.stream(slot), horizonMs));
}

describe('noChurn', () => {
  it('keeps every slot online for ever', () => {
    const model = noChurn();
    assert.equal(model.availability, 1);
    assert.deepEqual(model.start(3, Prng.fromSeed(1)), { online: true, untilMs: Number.POSITIVE_INFINITY });
    assert.equal(model.next(3, true, Prng.fromSeed(1)), null);
  });
});

describe('alternating', () => {
  it('computes availability as mean session / (mean session + mean downtime)', () => {
    const model = alternating(weibull(0.5, 30 * MINUTE_MS), exponentialFromMedian(60 * MINUTE_MS));
    const sessionMeanMs = 60 * MINUTE_MS; // 30 min * Gamma(3)
    const downtimeMeanMs = (60 * MINUTE_MS) / Math.LN2;
    assert.ok(Math.abs(model.availability - sessionMeanMs / (sessionMeanMs + downtimeMeanMs)) < 1e-12);
  });

  it('handles infinite means: sessions win, downtimes are rejected, both fall back to medians', () => {
    const heavy = pareto(0.8, MINUTE_MS);
    const light = exponentialFromMedian(MINUTE_MS);
    assert.equal(alternating(heavy, light).availability, 1);
    assert.throws(() => alternating(light, heavy), /infinite mean/);
    assert.equal(alternating(heavy, heavy).availability, 0.5);
    assert.ok(Math.abs(alternating(heavy, pareto(0.9, MINUTE_MS)).availability - heavy.medianMs / (heavy.medianMs + pareto(0.9, MINUTE_MS).medianMs)) < 1e-12);
  });

  it('starts in steady state: the fraction online stays at the availability from time 0 on (heavy-tailed sessions)', () => {
    const model = alternating(weibull(0.5, 30 * MINUTE_MS), exponentialFromMedian(60 * MINUTE_MS));
    const timelines = simulateSlots(model, 8000, 24 * HOUR_MS, 31);
    for (const timeMs of [0, 2 * HOUR_MS, 12 * HOUR_MS, 23 * HOUR_MS]) {
      const fraction = fractionOnlineAt(timelines, timeMs);
      assert.ok(Math.abs(fraction - model.availability) < 0.02, `at ${timeMs / HOUR_MS} h: ${fraction} vs ${model.availability}`);
    }
    const timeAverage = fractionOfTimeOnline(timelines, 0, 24 * HOUR_MS);
    assert.ok(Math.abs(timeAverage - model.availability) < 0.015, `time average ${timeAverage} vs ${model.availability}`);
  });

  it('keeps identities: a slot’s node always comes back', () => {
    const model = alternating(exponentialFromMedian(MINUTE_MS), exponentialFromMedian(MINUTE_MS));
    const timelines = simulateSlots(model, 50, HOUR_MS, 32);
    assert.ok(timelines.every((segments) => segments.every((segment) => segment.identity === 0)));
    assert.ok(timelines.every((segments) => segments.length > 10));
  });
});

describe('mojo', () => {
  /**
   * The steady-state figures from first principles, for comparison with the model's own: one cycle of a
   * slot is one identity's life plus the gap after it (see mojo() for the derivation).
   */
  function mojoTheory() {
    const visitorSession = truncatedExponentialFromMedian(MOJO.visitorSessionMedianMs, MOJO.visitorSessionLimitMs);
    const gapMs = exponentialFromMedian(MOJO.emptyGapMedianMs).meanMs;
    const sessionMs = exponentialFromMedian(MOJO.establishedSessionMedianMs).meanMs;
    const downtimeMs = exponentialFromMedian(MOJO.establishedDowntimeMedianMs).meanMs;
    const sessions = 1 / MOJO.establishedLeaveProbability; // Mean of the geometric number of sessions.
    const visitorCycleMs = visitorSession.meanMs + gapMs;
    const establishedCycleMs = sessions * sessionMs + (sessions - 1) * downtimeMs + gapMs;
    const pVisitor = MOJO.visitorFraction;
    const meanCycleMs = pVisitor * visitorCycleMs + (1 - pVisitor) * establishedCycleMs;
    const visitorOnlineMs = pVisitor * visitorSession.meanMs;
    const establishedOnlineMs = (1 - pVisitor) * sessions * sessionMs;
    // An arrival leaves within the hour for good: a visitor, or an established user whose first session
    // is under an hour and who leaves after it.
    const establishedUnderHour = 1 - Math.exp((-Math.LN2 * HOUR_MS) / MOJO.establishedSessionMedianMs);
    return {
      availability: (visitorOnlineMs + establishedOnlineMs) / meanCycleMs,
      visitorShareOfOnline: visitorOnlineMs / (visitorOnlineMs + establishedOnlineMs),
      arrivalsPerSlotPerHour: HOUR_MS / meanCycleMs,
      leftWithinHour: pVisitor + (1 - pVisitor) * establishedUnderHour,
      leftWithinHourForGood: pVisitor + (1 - pVisitor) * establishedUnderHour * MOJO.establishedLeaveProbability,
    };
  }
  const theory = mojoTheory();

  function simulateMojo(slots: number, horizonMs: number, seed: number): Segment[][] {
    const model = mojo();
    const root = Prng.fromSeed(seed);
    return Array.from({ length: slots }, (_, slot) =>
      slotTimeline(model, slot, root.stream(slot), horizonMs, (s) => model.slotKind(s)),
    );
  }

  it('has the analytic steady-state figures: availability 0.544, 7.2% of online nodes visitors, 0.146 arrivals per slot-hour', () => {
    const model = mojo();
    assert.ok(Math.abs(model.availability - theory.availability) < 1e-12, `${model.availability} vs ${theory.availability}`);
    assert.ok(Math.abs(model.visitorShareOfOnline - theory.visitorShareOfOnline) < 1e-12);
    assert.ok(Math.abs(model.freshArrivalsPerSlotPerHour - theory.arrivalsPerSlotPerHour) < 1e-12);
    assert.ok(Math.abs(model.availability - 0.5443) < 1e-4, `${model.availability}`);
    assert.ok(Math.abs(model.visitorShareOfOnline - 0.0724) < 1e-4, `${model.visitorShareOfOnline}`);
    assert.ok(Math.abs(model.freshArrivalsPerSlotPerHour - 0.1458) < 1e-4, `${model.freshArrivalsPerSlotPerHour}`);
  });

  it('starts in steady state: the fraction online stays at the availability from time 0 on', (t) => {
    const timelines = simulateMojo(10_000, 25 * HOUR_MS, 41);
    const { availability } = mojo();
    const points = [0, HOUR_MS, 2 * HOUR_MS, 6 * HOUR_MS, 12 * HOUR_MS, 24 * HOUR_MS].map((timeMs) => ({
      hour: timeMs / HOUR_MS,
      fraction: fractionOnlineAt(timelines, timeMs),
    }));
    const hourly = [1, 2, 4, 8, 12, 24].map((hour) => ({
      hour,
      fraction: fractionOfTimeOnline(timelines, (hour - 1) * HOUR_MS, hour * HOUR_MS),
    }));
    const day = fractionOfTimeOnline(timelines, 0, 24 * HOUR_MS);
    t.diagnostic(
      `mojo availability ${availability.toFixed(4)}; online at ${points.map((p) => `${p.hour} h ${p.fraction.toFixed(4)}`).join(', ')}; ` +
        `over hour ${hourly.map((p) => `${p.hour} ${p.fraction.toFixed(4)}`).join(', ')}; over the first day ${day.toFixed(4)}`,
    );
    for (const { hour, fraction } of [...points, ...hourly]) {
      assert.ok(Math.abs(fraction - availability) < 0.02, `at hour ${hour}: ${fraction} vs ${availability}`);
    }
    assert.ok(Math.abs(day - availability) < 0.01, `first day ${day} vs ${availability}`);
  });

  it('keeps the visitors’ share of the online nodes at its analytic figure, from time 0 on', (t) => {
    const timelines = simulateMojo(10_000, 24 * HOUR_MS, 44);
    const shareAt = (timeMs: number): number => {
      let online = 0;
      let visitors = 0;
      for (const segments of timelines) {
        const segment = segments.find((candidate) => candidate.startMs <= timeMs && timeMs < candidate.endMs);
        if (!segment?.online) continue;
        online++;
        if (segment.kind === 'visitor') visitors++;
      }
      return visitors / online;
    };
    let onlineMs = 0;
    let visitorMs = 0;
    for (const segments of timelines) {
      for (const segment of segments) {
        if (!segment.online) continue;
        onlineMs += segment.endMs - segment.startMs;
        if (segment.kind === 'visitor') visitorMs += segment.endMs - segment.startMs;
      }
    }
    const points = [0, HOUR_MS, 12 * HOUR_MS, 23 * HOUR_MS].map((timeMs) => ({ hour: timeMs / HOUR_MS, share: shareAt(timeMs) }));
    const overDay = visitorMs / onlineMs;
    t.diagnostic(
      `mojo visitors among online nodes: analytic ${theory.visitorShareOfOnline.toFixed(4)}; ` +
        `at ${points.map((p) => `${p.hour} h ${p.share.toFixed(4)}`).join(', ')}; time-weighted over the day ${overDay.toFixed(4)}`,
    );
    for (const { hour, share } of points) {
      assert.ok(Math.abs(share - theory.visitorShareOfOnline) < 0.012, `at hour ${hour}: ${share} vs ${theory.visitorShareOfOnline}`);
    }
    assert.ok(Math.abs(overDay - theory.visitorShareOfOnline) < 0.004, `over the day: ${overDay} vs ${theory.visitorShareOfOnline}`);
  });

  it('brings fresh identities at the analytic rate, steadily', (t) => {
    // Arrivals come in bursts (a slot cycling through visitors brings one every 35 min), so counts over a few
    // hours vary by about 2.5% from one seed to the next even over 20,000 slots.
    const slots = 20_000;
    const timelines = simulateMojo(slots, 24 * HOUR_MS, 45);
    const arrivalsBetween = (fromMs: number, toMs: number): number => {
      let arrivals = 0;
      for (const segments of timelines) {
        for (let i = 1; i < segments.length; i++) {
          const segment = segments[i];
          if (segment.identity !== segments[i - 1].identity && segment.startMs >= fromMs && segment.startMs < toMs) arrivals++;
        }
      }
      return arrivals / (slots * ((toMs - fromMs) / HOUR_MS));
    };
    const firstHours = arrivalsBetween(0, 4 * HOUR_MS);
    const lastHours = arrivalsBetween(20 * HOUR_MS, 24 * HOUR_MS);
    const day = arrivalsBetween(0, 24 * HOUR_MS);
    const { availability } = mojo();
    t.diagnostic(
      `mojo fresh arrivals per slot-hour: analytic ${theory.arrivalsPerSlotPerHour.toFixed(4)} ` +
        `(${(theory.arrivalsPerSlotPerHour / availability).toFixed(4)} per online node); simulated over hours 0-4 ` +
        `${firstHours.toFixed(4)}, 20-24 ${lastHours.toFixed(4)}, 0-24 ${day.toFixed(4)}`,
    );
    assert.ok(Math.abs(day / theory.arrivalsPerSlotPerHour - 1) < 0.04, `over the day: ${day}`);
    assert.ok(Math.abs(firstHours / theory.arrivalsPerSlotPerHour - 1) < 0.07, `over hours 0-4: ${firstHours}`);
    assert.ok(Math.abs(lastHours / theory.arrivalsPerSlotPerHour - 1) < 0.07, `over hours 20-24: ${lastHours}`);
  });

  it('sees at least 78% of fresh identities leave within an hour and never come back (seed paper §4.2)', (t) => {
    const timelines = simulateMojo(5000, 36 * HOUR_MS, 42);
    let arrivals = 0;
    let visitors = 0;
    let leftWithinHour = 0;
    let leftWithinHourForGood = 0;
    for (const segments of timelines) {
      segments.forEach((segment, index) => {
        const isArrival = index > 0 && segment.identity !== segments[index - 1].identity;
        // Only arrivals early enough that a return, if any, would be seen (downtimes: median 2 h).
        if (!isArrival || segment.startMs > 12 * HOUR_MS) return;
        arrivals++;
        if (segment.kind === 'visitor') visitors++;
        if (segment.endMs - segment.startMs >= HOUR_MS) return;
        leftWithinHour++;
        const cameBack = segments.some((later, laterIndex) => laterIndex > index && later.online && later.identity === segment.identity);
        if (!cameBack) leftWithinHourForGood++;
      });
    }
    const forGood = leftWithinHourForGood / arrivals;
    t.diagnostic(
      `mojo fresh identities: ${arrivals}, visitors ${(visitors / arrivals).toFixed(3)}; left within an hour ` +
        `${(leftWithinHour / arrivals).toFixed(3)} (analytic ${theory.leftWithinHour.toFixed(3)}), and never came back ` +
        `${forGood.toFixed(3)} (analytic ${theory.leftWithinHourForGood.toFixed(3)})`,
    );
    assert.ok(arrivals > 7000, `${arrivals}`);
    assert.ok(forGood >= 0.78, `left within an hour for good: ${forGood}`);
    assert.ok(Math.abs(forGood - theory.leftWithinHourForGood) < 0.015, `left within an hour for good: ${forGood}`);
    assert.ok(Math.abs(leftWithinHour / arrivals - theory.leftWithinHour) < 0.015, `left within an hour: ${leftWithinHour / arrivals}`);
    assert.ok(Math.abs(visitors / arrivals - MOJO.visitorFraction) < 0.015, `visitors: ${visitors / arrivals}`);
  });

  it('gives established users a finite life (they leave after 1 session in 6) and visitors a single session under an hour', (t) => {
    const horizonMs = 24 * HOUR_MS;
    const timelines = simulateMojo(3000, horizonMs, 43);
    let establishedSessions = 0;
    let leftForGood = 0;
    for (const segments of timelines) {
      for (let i = 0; i < segments.length; i++) {
        const segment = segments[i];
        if (i > 0 && segment.identity !== segments[i - 1].identity) {
          // A fresh identity only ever arrives online, after an empty gap.
          assert.ok(segment.online && !segments[i - 1].online && segments[i - 1].kind === 'empty');
        }
        if (segment.kind === 'visitor') assert.ok(segment.online);
        if (segment.kind === 'empty') assert.ok(!segment.online);
        if (!segment.online || segment.endMs >= horizonMs) continue;
        const after = segments[i + 1];
        if (segment.kind === 'visitor') {
          assert.ok(segment.endMs - segment.startMs < HOUR_MS);
          assert.equal(after.kind, 'empty');
          assert.ok(!segments.slice(i + 1).some((later) => later.online && later.identity === segment.identity));
        } else {
          establishedSessions++;
          if (after.kind === 'empty') leftForGood++;
          else assert.ok(after.kind === 'established' && after.identity === segment.identity);
        }
      }
    }
    const leaveFraction = leftForGood / establishedSessions;
    t.diagnostic(`mojo: established sessions ${establishedSessions}, followed by leaving for good ${leaveFraction.toFixed(4)}`);
    assert.ok(establishedSessions > 10_000, `${establishedSessions}`);
    assert.ok(Math.abs(leaveFraction - MOJO.establishedLeaveProbability) < 0.015, `${leaveFraction}`);
  });

  it('has the analytic median session lengths: 45 min over sessions, 4.5 h for the nodes online at a given moment', (t) => {
    // Per session: 0.8 visitor sessions and 0.2 * 6 established ones per cycle, so 40% are visitors'.
    // Of the nodes online at a given moment, visitorShareOfOnline are visitors, and each node's session is
    // a length-biased draw: density x f(x) / mean.
    const model = mojo();
    const rate = Math.LN2 / MOJO.visitorSessionMedianMs;
    const limitMs = MOJO.visitorSessionLimitMs;
    const mass = 1 - Math.exp(-rate * limitMs);
    const visitorMeanMs = truncatedExponentialFromMedian(MOJO.visitorSessionMedianMs, limitMs).meanMs;
    const establishedMeanMs = MOJO.establishedSessionMedianMs / Math.LN2;
    const visitorCdf = (x: number): number => (x >= limitMs ? 1 : (1 - Math.exp(-rate * x)) / mass);
    const visitorBiasedCdf = (x: number): number => {
      const y = Math.min(x, limitMs);
      return (1 - Math.exp(-rate * y) * (1 + rate * y)) / (rate * mass * visitorMeanMs);
    };
    const establishedCdf = (x: number): number => 1 - Math.exp(-x / establishedMeanMs);
    const establishedBiasedCdf = (x: number): number => 1 - Math.exp(-x / establishedMeanMs) * (1 + x / establishedMeanMs);
    const visitorSessionShare = MOJO.visitorFraction / (MOJO.visitorFraction + (1 - MOJO.visitorFraction) / MOJO.establishedLeaveProbability);
    const share = model.visitorShareOfOnline;
    const medianOf = (cdf: (x: number) => number): number => {
      let low = 0;
      let high = 100 * HOUR_MS;
      for (let i = 0; i < 100; i++) {
        const middle = (low + high) / 2;
        if (cdf(middle) < 0.5) low = middle;
        else high = middle;
      }
      return low;
    };
    const perSessionMs = medianOf((x) => visitorSessionShare * visitorCdf(x) + (1 - visitorSessionShare) * establishedCdf(x));
    const onlineNowMs = medianOf((x) => share * visitorBiasedCdf(x) + (1 - share) * establishedBiasedCdf(x));

    // Sessions cut by the horizon or by time 0 are all far longer than either median, so the medians of
    // the cut lengths are exact.
    const horizonMs = 24 * HOUR_MS;
    const timelines = simulateMojo(5000, horizonMs, 46);
    const sessions: number[] = [];
    const online: number[] = [];
    for (const segments of timelines) {
      for (const segment of segments) {
        if (!segment.online) continue;
        const lengthMs = segment.endMs - segment.startMs;
        if (segment.startMs > 0 && segment.startMs <= 6 * HOUR_MS) sessions.push(lengthMs);
        for (const timeMs of [6 * HOUR_MS, 12 * HOUR_MS, 18 * HOUR_MS]) {
          if (segment.startMs <= timeMs && timeMs < segment.endMs) online.push(lengthMs);
        }
      }
    }
    const median = (values: number[]): number => values.sort((a, b) => a - b)[values.length >> 1];
    const simulatedPerSessionMs = median(sessions);
    const simulatedOnlineNowMs = median(online);
    t.diagnostic(
      `mojo median session: over sessions ${(perSessionMs / MINUTE_MS).toFixed(1)} min (simulated ` +
        `${(simulatedPerSessionMs / MINUTE_MS).toFixed(1)} of ${sessions.length}), of the nodes online at a given moment ` +
        `${(onlineNowMs / MINUTE_MS).toFixed(1)} min (simulated ${(simulatedOnlineNowMs / MINUTE_MS).toFixed(1)} of ${online.length})`,
    );
    assert.ok(Math.abs(perSessionMs - 45.27 * MINUTE_MS) < 0.1 * MINUTE_MS, `${perSessionMs / MINUTE_MS}`);
    assert.ok(Math.abs(onlineNowMs - 269.5 * MINUTE_MS) < 0.1 * MINUTE_MS, `${onlineNowMs / MINUTE_MS}`);
    assert.ok(Math.abs(simulatedPerSessionMs - perSessionMs) < 4 * MINUTE_MS, `${simulatedPerSessionMs / MINUTE_MS}`);
    assert.ok(Math.abs(simulatedOnlineNowMs - onlineNowMs) < 15 * MINUTE_MS, `${simulatedOnlineNowMs / MINUTE_MS}`);
  });

  it('throws when driven out of order', () => {
    const fresh = mojo();
    assert.throws(() => fresh.next(0, true, Prng.fromSeed(1)), /does not match/);
    assert.throws(() => fresh.slotKind(0), /before start/);
    const random = Prng.fromSeed(2);
    const { online } = fresh.start(0, random);
    assert.throws(() => fresh.next(0, !online, random), /does not match/);
  });
});

describe('trace', () => {
  it('replays each line from time 0, a leading 0 starting offline, and ends offline for good', () => {
    const model = trace([[100, 50, 200], [0, 30, 40, 10]]);
    const random = Prng.fromSeed(1);
    assert.deepEqual(model.start(0, random), { online: true, untilMs: 100 });
    assert.deepEqual(model.next(0, true, random), { online: false, durationMs: 50, freshIdentity: false });
    assert.deepEqual(model.next(0, false, random), { online: true, durationMs: 200, freshIdentity: false });
    assert.deepEqual(model.next(0, true, random), { online: false, durationMs: Number.POSITIVE_INFINITY, freshIdentity: false });

    assert.deepEqual(model.start(1, random), { online: false, untilMs: 30 });
    // The trailing offline period lasts for ever.
    assert.deepEqual(model.next(1, false, random), { online: true, durationMs: 40, freshIdentity: false });
    assert.deepEqual(model.next(1, true, random), { online: false, durationMs: Number.POSITIVE_INFINITY, freshIdentity: false });
  });

  it('reuses lines modulo their number, and restarts a slot on start', () => {
    const model = trace([[100], [0, 5, 7]]);
    const random = Prng.fromSeed(1);
    assert.deepEqual(model.start(2, random), { online: true, untilMs: 100 });
    assert.deepEqual(model.start(3, random), { online: false, untilMs: 5 });
    model.next(3, false, random);
    assert.deepEqual(model.start(3, random), { online: false, untilMs: 5 });
  });

  it('computes availability as online time over lines times the longest line', () => {
    // Online 100 + 200 and 40 over 2 lines * span 350.
    assert.ok(Math.abs(trace([[100, 50, 200], [0, 30, 40, 10]]).availability - 340 / 700) < 1e-12);
  });

  it('rejects empty traces, lines without durations and bad durations', () => {
    assert.throws(() => trace([]), RangeError);
    assert.throws(() => trace([[0]]), /no durations/);
    assert.throws(() => trace([[10, 0, 5]]), /only the first may be 0/);
    assert.throws(() => trace([[10, -5]]), RangeError);
    assert.throws(() => trace([[0, 10]]), /some online time/);
  });
});
