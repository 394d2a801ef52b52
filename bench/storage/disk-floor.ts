/**
 * The least CPU any store pays to keep fetched bytes and to serve them: one durable write of the
 * bytes (1 MiB writes into the page cache, then fsync) and one read of them back from the page
 * cache, as a getter must put what it receives on disk and a source must read what it sends.
 *
 * single-source-get.ts adds these CPU seconds to the hashed pull's to bound what a fetch could
 * reach on this machine with every core busy. They are a floor, not a model of our blockstore: no
 * index, no file per block, no O_DIRECT, and the kernel's own writeback threads are not counted
 * (they belong to no process), so the bound they give is, if anything, too high.
 */
import { closeSync, fsyncSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const MiB = 1 << 20;

export interface DiskFloor {
  /** CPU seconds of this process to write the bytes and fsync them. */
  readonly writeCpuSeconds: number;
  /** CPU seconds of this process to read them back, from the page cache. */
  readonly readCpuSeconds: number;
}

/** Writes `bytes` (rounded up to whole MiB) to a file in `dir`, reads it back, removes it. */
export function measureDiskFloor(dir: string, bytes: number): DiskFloor {
  const path = join(dir, 'disk-floor.bin');
  const buffer = Buffer.alloc(MiB, 0xa5);
  const pieces = Math.ceil(bytes / MiB);
  try {
    const writeStart = process.cpuUsage();
    const out = openSync(path, 'w');
    try {
      for (let piece = 0; piece < pieces; piece += 1) writeSync(out, buffer);
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    const writeCpuSeconds = cpuSecondsSince(writeStart);
    const readStart = process.cpuUsage();
    const input = openSync(path, 'r');
    try {
      for (let piece = 0; piece < pieces; piece += 1) readSync(input, buffer, 0, MiB, piece * MiB);
    } finally {
      closeSync(input);
    }
    return { writeCpuSeconds: round3(writeCpuSeconds), readCpuSeconds: round3(cpuSecondsSince(readStart)) };
  } finally {
    rmSync(path, { force: true });
  }
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
