/**
 * The files the add benchmarks add (add.ts, and Helia's side in helia-add.ts and
 * helia-end-to-end.ts): pseudo-random bytes (incompressible, nothing to deduplicate) written to
 * disk, so that Helia's node and ours read the very same bytes. Seeds give files that share no
 * block with each other (a xorshift32 generator, 4 MiB at a time).
 */
import { open } from 'node:fs/promises';

const MiB = 1 << 20;
/** The seed of add.ts's file. */
export const ADD_BENCHMARK_SEED = 0x9e3779b9;

export async function writePseudoRandomFile(path: string, bytes: number, seed = ADD_BENCHMARK_SEED): Promise<void> {
  const handle = await open(path, 'w');
  try {
    const block = new Uint8Array(4 * MiB);
    let x = seed | 0 || ADD_BENCHMARK_SEED;
    for (let written = 0; written < bytes; written += block.length) {
      for (let i = 0; i < block.length; i += 4) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        block[i] = x;
        block[i + 1] = x >>> 8;
        block[i + 2] = x >>> 16;
        block[i + 3] = x >>> 24;
      }
      await handle.write(block, 0, Math.min(block.length, bytes - written));
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}
