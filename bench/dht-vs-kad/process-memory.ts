/** Resident memory of other processes, from /proc (Linux): now, and the peak since each started. */
import { readFile } from 'node:fs/promises';

export interface ProcessMemory {
  readonly rssBytes: number;
  readonly rssPeakBytes: number;
}

export async function processMemory(pid: number): Promise<ProcessMemory | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rssBytes: field('VmRSS'), rssPeakBytes: field('VmHWM') };
  } catch {
    return null;
  }
}

const MIB = 1024 * 1024;

/** Median and largest RSS (and peak RSS) over processes, in MiB. */
export async function memorySummary(pids: readonly number[]): Promise<Record<string, number>> {
  const found = (await Promise.all(pids.map(processMemory))).filter((memory): memory is ProcessMemory => memory !== null);
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  const mib = (bytes: number): number => Math.round((bytes / MIB) * 10) / 10;
  return {
    processes: found.length,
    rssMibMedian: mib(median(found.map((memory) => memory.rssBytes))),
    rssMibMax: mib(Math.max(...found.map((memory) => memory.rssBytes))),
    rssPeakMibMedian: mib(median(found.map((memory) => memory.rssPeakBytes))),
    rssPeakMibMax: mib(Math.max(...found.map((memory) => memory.rssPeakBytes))),
  };
}
