/** Shared helpers of the blockstore tests: temporary stores, deterministic blocks, a settable clock. */
import { createHash } from 'node:crypto';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
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

/** Where a stored block's bytes are (its pack file and offset); fails the test if it is not stored. */
export function locationOf(store: Blockstore, cid: CID): { readonly path: string; readonly offset: number; readonly size: number } {
  const location = store.where(cid);
  if (location === undefined) throw new Error(`${cid} is not stored`);
  return location;
}

/** Overwrites a stored block's bytes in its pack by hand (bit rot, a bad disk). */
export async function overwriteInPack(store: Blockstore, cid: CID, bytes: Uint8Array): Promise<void> {
  const { path, offset } = locationOf(store, cid);
  const handle = await open(path, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, offset);
  } finally {
    await handle.close();
  }
}

/** The bytes at a block's place in its pack, as stored on disk. */
export async function bytesInPack(store: Blockstore, cid: CID): Promise<Uint8Array> {
  const { path, offset, size } = locationOf(store, cid);
  return new Uint8Array((await readFile(path)).subarray(offset, offset + size));
}

export async function filesIn(dir: string, folder: string): Promise<string[]> {
  return readdir(join(dir, folder));
}
