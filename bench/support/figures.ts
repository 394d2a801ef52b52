/** Small helpers for the figures benchmarks print: rates, rounding, timing. */

const MiB = 1 << 20;

/** MiB per second, to one decimal, of `bytes` moved in `ms` milliseconds. */
export function mibps(bytes: number, ms: number): number {
  return Math.round((bytes / MiB / (ms / 1000)) * 10) / 10;
}

export function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** Runs `work`, and says how long it took (wall clock). */
export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const startedMs = performance.now();
  const value = await work();
  return { ms: performance.now() - startedMs, value };
}
