/**
 * A progress line for long transfers (put, get, export, import): bytes so far, of how many when
 * known, the rate and the time left, redrawn in place on standard error at most a few times a
 * second. Drawn only when standard error is a terminal and the output is not --json, so scripts,
 * pipes and tests see nothing of it.
 */
import type { CliIo } from '../command.ts';

/** Redraws at most this often: often enough to look live, rarely enough to cost nothing. */
const REDRAW_INTERVAL_MS = 200;

export interface Progress {
  /** `bytes` more were moved. */
  add(bytes: number): void;
  /** Shown after the figures, e.g. "4 sources" while fetching from the grid. */
  detail(text: string): void;
  /** The total, once known (a placement learns it from the node's first progress line). */
  total(bytes: number): void;
  /** Clears the line (the result is printed after it). */
  done(): void;
}

const NO_PROGRESS: Progress = { add: () => {}, detail: () => {}, total: () => {}, done: () => {} };

/** How the figures are written: bytes by default; a check counts blocks. */
export interface ProgressUnit {
  readonly amount: (count: number) => string;
}

export const BYTES_UNIT: ProgressUnit = { amount: formatBytes };
export const BLOCKS_UNIT: ProgressUnit = { amount: (count) => `${Math.round(count).toLocaleString('en-US')} blocks` };

export function startProgress(
  io: CliIo, json: boolean, label: string, totalBytes: number | null, nowMs: () => number = () => performance.now(), unit: ProgressUnit = BYTES_UNIT,
): Progress {
  if (json || io.errIsTty !== true) return NO_PROGRESS;
  const startedAtMs = nowMs();
  let bytesDone = 0;
  let drawnAtMs = -Infinity;
  let drawn = false;
  let detailText = '';
  const draw = (): void => {
    const now = nowMs();
    if (now - drawnAtMs < REDRAW_INTERVAL_MS) return;
    drawnAtMs = now;
    drawn = true;
    io.err(`\r${progressText(label, bytesDone, totalBytes, now - startedAtMs, unit)}${detailText === '' ? '' : `  ${detailText}`}\x1b[K`);
  };
  return {
    add(bytes) {
      bytesDone += bytes;
      draw();
    },
    detail(text) {
      detailText = text;
      draw();
    },
    total(bytes) {
      totalBytes = bytes;
    },
    done() {
      if (drawn) io.err('\r\x1b[K');
    },
  };
}

/** "put big.iso  12.5 MiB of 600 MiB (2%)  25.0 MiB/s  ETA 24s". */
export function progressText(label: string, bytesDone: number, totalBytes: number | null, elapsedMs: number, unit: ProgressUnit = BYTES_UNIT): string {
  const rate = elapsedMs > 0 ? bytesDone / (elapsedMs / 1000) : 0;
  let text = `${label}  ${unit.amount(bytesDone)}`;
  if (totalBytes !== null && totalBytes > 0) text += ` of ${unit.amount(totalBytes)} (${Math.min(100, Math.floor((bytesDone / totalBytes) * 100))}%)`;
  text += `  ${unit.amount(rate)}/s`;
  if (totalBytes !== null && rate > 0 && totalBytes > bytesDone) text += `  ETA ${formatSeconds((totalBytes - bytesDone) / rate)}`;
  return text;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Bytes for people: 512 B, 1.5 KiB, 12.0 MiB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

function formatSeconds(seconds: number): string {
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

/** The pieces of `source`, counted into `progress` as they pass. */
export async function* counted(source: AsyncIterable<Uint8Array>, progress: Progress): AsyncGenerator<Uint8Array> {
  for await (const piece of source) {
    progress.add(piece.length);
    yield piece;
  }
}
