/**
 * What machine a benchmark ran on, printed with its figures. Machines of the same nominal size
 * differ (on 2026-11-28 this project moved from an AMD EPYC VM to an Intel Xeon one with the same 2
 * cores, and SHA-256 ran at 1,255 MiB/s instead of 1,890), so a figure is only comparable with
 * another taken on the same kind of processor.
 */
import { cpus, loadavg, totalmem } from 'node:os';

export interface HostInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly loadAverage1mAtStart: number;
}

export function hostInfo(): HostInfo {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model.trim() ?? 'unknown',
    cores: processors.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAverage1mAtStart: Math.round(loadavg()[0] * 10) / 10,
  };
}
