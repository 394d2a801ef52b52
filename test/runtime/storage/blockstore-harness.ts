/** Shared helpers of the blockstore tests: temporary stores, deterministic blocks, a settable clock. */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CID } from 'multiformats/cid';
import { BlockCodecs, cidOfBytes } from '../../../src/runtime/storage/block-cid.ts';
import { Blockstore, type BlockstoreOptions } from '../../../src/runtime/storage/blockstore.ts';

export interface TestBlock {
  readonly cid: CID;
  readonly bytes: Uint8Array;
}

/** Deterministic bytes for a seed: SHA-256 in counter mode, so blocks differ and tests repeat. */
export function blockBytes(seed: string, size: number): Uint8Array {
  const out = Buffer.alloc(size);
  for (let offset = 0, counter = 0; offset < size; counter++) {
    const chunk = createHash('sha256').update(`${seed}/${counter}`).digest();
    offset += chunk.copy(out, offset);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function testBlock(seed: string, size = 1024, codec: number = BlockCodecs.raw): TestBlock {
  const bytes = blockBytes(seed, size);
  return { cid: cidOfBytes(bytes, codec), bytes };
}

/** A wall clock the test moves by hand. */
export class TestClock {
  nowMs = 1_750_000_000_000;
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export class TemporaryDirs {
  private readonly dirs: string[] = [];
  async make(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-blockstore-'));
    this.dirs.push(dir);
    return dir;
  }
  async removeAll(): Promise<void> {
    await Promise.all(this.dirs.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Opens a store in a new temporary directory (durability 'none' unless asked: these tests are not about fsync). */
export async function freshStore(dirs: TemporaryDirs, options: BlockstoreOptions = {}): Promise<Blockstore> {
  return Blockstore.open(await dirs.make(), { durability: 'none', ...options });
}

export function filePathOf(dir: string, cid: CID): string {
  const hex = Buffer.from(cid.multihash.digest).toString('hex');
  return join(dir, hex.slice(0, 2), hex);
}

export async function filesIn(dir: string, folder: string): Promise<string[]> {
  return readdir(join(dir, folder));
}
