import { exponentialFromMedian, pareto, weibull } from './distributions.ts';
import { alternating, mojo, noChurn, trace } from './models.ts';
import type { ChurnModel } from './models.ts';
import { loadChurnTrace } from './trace.ts';

const MINUTE_MS = 60_000;

export const CHURN_SPEC_FORMS: readonly string[] = Object.freeze([
  'none                       no churn: every node online for the whole run',
  'mojo                       Mojo Nation profile: 80% one-time visitors, 20% established users',
  'exp:<median minutes>       sessions and downtimes exponential with that median',
  'weibull:<shape>:<scale minutes>  sessions and downtimes Weibull',
  'pareto:<shape>:<scale minutes>   sessions and downtimes Pareto with that minimum',
  'trace:<file>               replay a churn trace file',
]);

/**
 * Turns a churn option such as `--churn weibull:0.5:60` into a fresh model (a new instance per call,
 * since some models keep per-slot state). Numbers are decimals > 0; scales and medians are in minutes.
 */
export function parseChurnSpec(text: string): ChurnModel {
  const spec = text.trim();
  if (spec === 'none') return noChurn();
  if (spec === 'mojo') return mojo();
  if (spec.startsWith('trace:')) {
    const path = spec.slice('trace:'.length);
    if (path === '') throw churnSpecError(text, 'trace: needs a file path');
    let lines: number[][];
    try {
      lines = loadChurnTrace(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== undefined) {
        throw churnSpecError(text, `cannot read trace file '${path}': ${(error as Error).message}`);
      }
      throw error; // A format error already names the file and line.
    }
    return trace(lines, spec);
  }
  const [kind, ...parameters] = spec.split(':');
  if (kind === 'exp' && parameters.length === 1) {
    const medianMs = parsePositive(parameters[0], 'median minutes', text) * MINUTE_MS;
    return alternating(exponentialFromMedian(medianMs), exponentialFromMedian(medianMs), spec);
  }
  if ((kind === 'weibull' || kind === 'pareto') && parameters.length === 2) {
    const shape = parsePositive(parameters[0], 'shape', text);
    const scaleMs = parsePositive(parameters[1], 'scale minutes', text) * MINUTE_MS;
    const distribution = kind === 'weibull' ? weibull(shape, scaleMs) : pareto(shape, scaleMs);
    return alternating(distribution, distribution, spec);
  }
  throw churnSpecError(text, 'not a churn model');
}

function parsePositive(token: string, what: string, text: string): number {
  const value = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/.test(token) ? Number(token) : Number.NaN;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw churnSpecError(text, `${what} must be a number > 0, got '${token}'`);
  }
  return value;
}

function churnSpecError(text: string, reason: string): Error {
  return new Error(`bad churn model '${text}': ${reason}. Accepted forms:\n  ${CHURN_SPEC_FORMS.join('\n  ')}`);
}
