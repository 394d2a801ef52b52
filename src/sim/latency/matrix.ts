import { readFileSync } from 'node:fs';
import type { Random } from '../../core/random.ts';
import { randomBelow } from '../../core/random.ts';
import { ACCESS_MS_MEAN_DEFAULT, checkAccessMsMean, drawAccessMs } from './model.ts';
import type { LatencyModel, Placement } from './model.ts';

/** A cleaned matrix of round-trip times between measured hosts. */
export interface RttMatrix {
  readonly hosts: number;
  /**
   * Row-major, hosts * hosts entries in milliseconds: symmetric, zero on the diagonal, and every
   * off-diagonal entry finite and > 0. Entry (i, j) is at index i * hosts + j.
   */
  readonly rttMs: Float32Array;
}

/**
 * What cleaning changed. `missing` and `absurd` count directed entries (cells (i, j) with i != j);
 * `asymmetricPairs`, `filledByTwoHop` and `filledByMedian` count unordered host pairs {i, j}.
 * The median and maximum are over the unordered pairs of the cleaned matrix.
 */
export interface MatrixCleaningReport {
  readonly hosts: number;
  readonly missing: number;
  readonly absurd: number;
  readonly asymmetricPairs: number;
  readonly filledByTwoHop: number;
  readonly filledByMedian: number;
  readonly medianRttMs: number;
  readonly maxRttMs: number;
}

export interface ParsedRttMatrix {
  readonly matrix: RttMatrix;
  readonly report: MatrixCleaningReport;
}

/** A matrix file that cannot be read as a square matrix of round-trip times. */
export class MatrixFormatError extends Error {
  /** 1-based line of the input where the problem was found. */
  readonly lineNumber: number;
  /** The message without the line and source prefix. */
  readonly detail: string;

  constructor(lineNumber: number, detail: string, source?: string) {
    super(`${source === undefined ? '' : `${source}: `}line ${lineNumber}: ${detail}`);
    this.name = 'MatrixFormatError';
    this.lineNumber = lineNumber;
    this.detail = detail;
  }
}

/**
 * An RTT above this is suspicious: no path between two hosts on Earth needs a second in the core. It is
 * only discarded when a detour through a third host is also much faster (ABSURD_TWO_HOP_FACTOR).
 */
export const ABSURD_RTT_MS_MIN = 1000;
/** A direct RTT more than this many times the best two-hop detour is a measurement fault. */
export const ABSURD_TWO_HOP_FACTOR = 3;

/** Tokens read as "no measurement" (compared in lower case). Any other non-numeric token is an error. */
const MISSING_TOKENS: ReadonlySet<string> = new Set(['nan', 'na', 'n/a', '-', '?', 'null', 'inf', 'infinity']);

const NUMBER_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Parses and cleans a matrix of round-trip times in milliseconds.
 *
 * Format: N data lines of N numbers separated by tabs or spaces; entry (i, j) is the RTT measured from
 * host i to host j. Blank lines and lines starting with '#' are ignored. Anything else that does not fit
 * (a token that is neither a number nor a missing-value marker, a row of the wrong length, a matrix that
 * is not square) throws a MatrixFormatError naming the line.
 *
 * Cleaning, in this order (the matrix is measured data: entries are lost, skewed or inflated by a loaded
 * host, and the simulator needs a complete symmetric metric):
 * 1. Missing: a marker such as "NaN" or "-", a negative value, or a zero off the diagonal (two distinct
 *    hosts cannot be 0 ms apart; 0 is a common "not measured" filler). The diagonal is set to 0 whatever
 *    it holds.
 * 2. Absurd: a directed entry above 1000 ms that is also more than 3 times the best two-hop path
 *    i -> m -> j over the valid entries (each leg taken as the mean of its valid directions). A direct path
 *    that much slower than a detour is a fault of a loaded host, not the network; it is treated as missing.
 *    Large RTTs with no faster detour (a satellite link, say) are kept.
 * 3. Asymmetry: the RTT of a pair is the mean of its two directions when both are valid, the valid one
 *    when only one is.
 * 4. Pairs with neither direction valid get the best two-hop estimate min over m of d(i, m) + d(m, j),
 *    computed from measured pairs only (never from other fills, so the order of filling does not matter);
 *    if no host m has both legs measured, they get the median of all measured pairs.
 */
export function parseRttMatrix(text: string): ParsedRttMatrix {
  const { raw, hosts, lastLineNumber } = readRawMatrix(text);
  return cleanRawMatrix(raw, hosts, lastLineNumber);
}

/** Reads and cleans a matrix file; format errors carry the path. */
export function loadRttMatrixFile(path: string | URL): ParsedRttMatrix {
  const text = readFileSync(path, 'utf8');
  try {
    return parseRttMatrix(text);
  } catch (error) {
    if (error instanceof MatrixFormatError) {
      throw new MatrixFormatError(error.lineNumber, error.detail, String(path));
    }
    throw error;
  }
}

export interface MatrixLatencyOptions {
  readonly name: string;
  /** Mean one-way access delay in ms (exponential, capped at ACCESS_MS_MAX); default 2 ms. */
  readonly accessMsMean?: number;
}

/**
 * A latency model over a measured matrix, the way p2psim used the King matrix: each node is mapped onto a
 * host chosen uniformly (several nodes may share one), plus its own access delay.
 */
export function matrixLatencyModel(matrix: RttMatrix, options: MatrixLatencyOptions): LatencyModel {
  const hosts = matrix.hosts;
  const rtt = matrix.rttMs;
  const accessMsMean = options.accessMsMean ?? ACCESS_MS_MEAN_DEFAULT;
  checkAccessMsMean(accessMsMean);
  return {
    name: options.name,
    hosts,
    place(random: Random): Placement {
      const host = randomBelow(random, hosts);
      const accessMs = drawAccessMs(random, accessMsMean);
      return { host, accessMs, latitude: Number.NaN, longitude: Number.NaN };
    },
    rttMs(a: Placement, b: Placement): number {
      // The diagonal is 0, so nodes on the same host pay only their access links.
      return rtt[a.host * hosts + b.host] + 2 * (a.accessMs + b.accessMs);
    },
  };
}

interface RawMatrix {
  /** Row-major; NaN where the entry is missing (marker, negative, or zero off the diagonal). */
  readonly raw: Float64Array;
  readonly hosts: number;
  readonly lastLineNumber: number;
}

function readRawMatrix(text: string): RawMatrix {
  const lines = text.split('\n');
  let hosts = -1;
  let raw = new Float64Array(0);
  let row = 0;
  for (let index = 0; index < lines.length; index++) {
    const lineNumber = index + 1;
    const line = lines[index].trim();
    if (line === '' || line.startsWith('#')) continue;
    const tokens = line.split(/[ \t]+/);
    if (hosts < 0) {
      hosts = tokens.length;
      raw = new Float64Array(hosts * hosts);
    } else if (row >= hosts) {
      throw new MatrixFormatError(
        lineNumber,
        `row ${row + 1} found, but the rows have ${hosts} columns and a matrix must be square`,
      );
    }
    if (tokens.length !== hosts) {
      throw new MatrixFormatError(
        lineNumber,
        `expected ${hosts} values (as many as on the first row), found ${tokens.length}`,
      );
    }
    for (let column = 0; column < hosts; column++) {
      const value = parseToken(tokens[column], lineNumber, column + 1);
      const isMissing = Number.isNaN(value) || value < 0 || (value === 0 && column !== row);
      raw[row * hosts + column] = column === row ? 0 : isMissing ? Number.NaN : value;
    }
    row++;
  }
  if (hosts < 0) throw new MatrixFormatError(lines.length, 'no matrix rows found');
  if (row < hosts) {
    throw new MatrixFormatError(
      lines.length,
      `only ${row} rows, but the rows have ${hosts} columns and a matrix must be square`,
    );
  }
  return { raw, hosts, lastLineNumber: lines.length };
}

/** A finite number, or NaN for a missing-value marker or a number too large for a double. */
function parseToken(token: string, lineNumber: number, column: number): number {
  if (NUMBER_PATTERN.test(token)) {
    const value = Number(token);
    return Number.isFinite(value) ? value : Number.NaN;
  }
  if (MISSING_TOKENS.has(token.toLowerCase())) return Number.NaN;
  const shown = token.length > 40 ? `${token.slice(0, 40)}...` : token;
  throw new MatrixFormatError(
    lineNumber,
    `column ${column}: '${shown}' is neither a number nor a missing-value marker (NaN, NA, N/A, -, ?, null, inf)`,
  );
}

function cleanRawMatrix(raw: Float64Array, hosts: number, lastLineNumber: number): ParsedRttMatrix {
  let missing = 0;
  for (let i = 0; i < hosts; i++) {
    for (let j = 0; j < hosts; j++) if (i !== j && Number.isNaN(raw[i * hosts + j])) missing++;
  }

  // Absurd entries are judged against detours through the preliminary symmetric estimate.
  const preliminary = combineDirections(raw, hosts).combined;
  let absurd = 0;
  for (let i = 0; i < hosts; i++) {
    for (let j = 0; j < hosts; j++) {
      const value = raw[i * hosts + j];
      if (i === j || !(value > ABSURD_RTT_MS_MIN)) continue;
      if (value > ABSURD_TWO_HOP_FACTOR * bestTwoHopMs(preliminary, hosts, i, j)) {
        raw[i * hosts + j] = Number.NaN;
        absurd++;
      }
    }
  }

  const { combined, asymmetricPairs } = combineDirections(raw, hosts);
  const measured: number[] = [];
  for (let i = 0; i < hosts; i++) {
    for (let j = i + 1; j < hosts; j++) {
      const value = combined[i * hosts + j];
      if (!Number.isNaN(value)) measured.push(value);
    }
  }
  if (measured.length === 0 && hosts > 1) {
    throw new MatrixFormatError(lastLineNumber, 'the matrix has no valid round-trip time at all');
  }
  const measuredMedianMs = median(measured);

  // Fills are computed from measured pairs only, then written, so that no fill feeds another.
  const rttMs = new Float32Array(hosts * hosts);
  const cleaned: number[] = []; // The unordered pairs at full precision, for the report.
  let maxRttMs = 0;
  let filledByTwoHop = 0;
  let filledByMedian = 0;
  for (let i = 0; i < hosts; i++) {
    for (let j = i + 1; j < hosts; j++) {
      let value = combined[i * hosts + j];
      if (Number.isNaN(value)) {
        value = bestTwoHopMs(combined, hosts, i, j);
        if (Number.isFinite(value)) {
          filledByTwoHop++;
        } else {
          value = measuredMedianMs;
          filledByMedian++;
        }
      }
      rttMs[i * hosts + j] = value;
      rttMs[j * hosts + i] = value;
      cleaned.push(value);
      if (value > maxRttMs) maxRttMs = value;
    }
  }

  const report: MatrixCleaningReport = Object.freeze({
    hosts,
    missing,
    absurd,
    asymmetricPairs,
    filledByTwoHop,
    filledByMedian,
    medianRttMs: cleaned.length === 0 ? 0 : median(cleaned),
    maxRttMs,
  });
  return { matrix: Object.freeze({ hosts, rttMs }), report };
}

/**
 * The symmetric combination of the two directions of every pair: their mean when both are valid, the
 * valid one when only one is, NaN when neither is. Also counts pairs whose valid directions differ.
 */
function combineDirections(raw: Float64Array, hosts: number): { combined: Float64Array; asymmetricPairs: number } {
  const combined = new Float64Array(hosts * hosts);
  let asymmetricPairs = 0;
  for (let i = 0; i < hosts; i++) {
    for (let j = i + 1; j < hosts; j++) {
      const forward = raw[i * hosts + j];
      const backward = raw[j * hosts + i];
      let value: number;
      if (Number.isNaN(forward)) {
        value = backward;
      } else if (Number.isNaN(backward)) {
        value = forward;
      } else {
        value = (forward + backward) / 2;
        if (forward !== backward) asymmetricPairs++;
      }
      combined[i * hosts + j] = value;
      combined[j * hosts + i] = value;
    }
  }
  return { combined, asymmetricPairs };
}

/** min over m != i, j of d(i, m) + d(m, j) over valid (non-NaN) entries; Infinity when there is none. */
function bestTwoHopMs(symmetric: Float64Array, hosts: number, i: number, j: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let m = 0; m < hosts; m++) {
    if (m === i || m === j) continue;
    const viaM = symmetric[i * hosts + m] + symmetric[m * hosts + j];
    if (viaM < best) best = viaM; // NaN compares false, so invalid legs are skipped.
  }
  return best;
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
