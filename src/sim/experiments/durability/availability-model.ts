/**
 * How a storage node comes and goes over a year: transient downtime (it is off, but its disk and its
 * pieces survive) and permanent departure (its disk is gone; a new, empty node takes its place).
 *
 * - Downtimes follow `exp:<mean hours>` (exponential) or `weibull:<shape>:<mean hours>`; a Weibull
 *   shape below 1 gives a heavy tail — mostly short absences (a reboot, a night), some long ones (a
 *   weekend, a holiday) — which is what makes a grace period hard to choose. Measured desktop and
 *   peer-to-peer availability (Bolosky et al., SIGMETRICS 2000; Bhagwan et al., IPTPS 2003;
 *   Stutzbach and Rejaie, IMC 2006) shows such tails.
 * - Sessions are exponential, with the mean that gives the offline fraction asked for:
 *   session mean = downtime mean × (1 − f) / f.
 * - Lifetimes (time to permanent departure) are exponential with rate p per month, so p × N nodes
 *   leave each month in a population kept at N (p = 0.1: mean lifetime ten months).
 */
import { exponentialFromMedian, weibull, type Distribution } from '../../churn/distributions.ts';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** A twelfth of a 365-day year. */
export const MONTH_MS = (365 * DAY_MS) / 12;

export interface AvailabilityModel {
  /** The downtime spec it was built from, e.g. `weibull:0.5:8`. */
  readonly name: string;
  readonly offlineFraction: number;
  /** Null when the offline fraction is 0 (nodes never go offline). */
  readonly session: Distribution | null;
  readonly downtime: Distribution | null;
  /** Null when nothing ever leaves for good. */
  readonly lifetime: Distribution | null;
}

export const DOWNTIME_SPEC_FORMS: readonly string[] = ['exp:<mean hours>', 'weibull:<shape>:<mean hours>'];

/**
 * Builds the model. Throws RangeError with a message naming the bad part (the CLI turns it into a
 * usage error).
 */
export function availabilityModel(downtimeSpec: string, offlineFraction: number, permanentLossPerMonth: number): AvailabilityModel {
  if (!(offlineFraction >= 0 && offlineFraction < 1)) throw new RangeError(`offline fraction must be in [0, 1), got ${offlineFraction}`);
  if (!(permanentLossPerMonth >= 0 && permanentLossPerMonth < 1)) {
    throw new RangeError(`permanent loss per month must be in [0, 1), got ${permanentLossPerMonth}`);
  }
  const downtime = parseDowntime(downtimeSpec);
  const lifetime = permanentLossPerMonth === 0 ? null : exponentialFromMedian((MONTH_MS / permanentLossPerMonth) * Math.LN2);
  if (offlineFraction === 0) return { name: downtimeSpec, offlineFraction, session: null, downtime: null, lifetime };
  const sessionMeanMs = (downtime.meanMs * (1 - offlineFraction)) / offlineFraction;
  return { name: downtimeSpec, offlineFraction, session: exponentialFromMedian(sessionMeanMs * Math.LN2), downtime, lifetime };
}

function parseDowntime(spec: string): Distribution {
  const parts = spec.trim().split(':');
  const numbers = parts.slice(1).map((part) => (/^\d+(\.\d+)?$/.test(part) ? Number(part) : Number.NaN));
  if (parts[0] === 'exp' && numbers.length === 1) {
    const meanHours = numbers[0];
    if (!(meanHours > 0)) throw new RangeError(`downtime 'exp:<mean hours>' needs a mean > 0, got '${spec}'`);
    return exponentialFromMedian(meanHours * HOUR_MS * Math.LN2);
  }
  if (parts[0] === 'weibull' && numbers.length === 2) {
    const [shape, meanHours] = numbers;
    if (!(shape >= 0.1 && shape <= 10)) throw new RangeError(`downtime weibull shape must be in [0.1, 10], got '${spec}'`);
    if (!(meanHours > 0)) throw new RangeError(`downtime 'weibull:<shape>:<mean hours>' needs a mean > 0, got '${spec}'`);
    const unitScale = weibull(shape, 1);
    return weibull(shape, (meanHours * HOUR_MS) / unitScale.meanMs);
  }
  throw new RangeError(`bad downtime model '${spec}' (forms: ${DOWNTIME_SPEC_FORMS.join(', ')})`);
}
