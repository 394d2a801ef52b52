/** What the storage tests share: SHA-256, deterministic bytes, a verifying in-memory block map. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { matchesCid, type Block, type CID } from '../../../src/services/storage/dag/cids.ts';
import type { GetBlock } from '../../../src/services/storage/dag/file-reader.ts';

export const sha256 = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest();

/** `length` pseudo-random bytes from a seed (xorshift32). */
export function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return new Uint8Array(Buffer.concat(parts));
}

export interface MemoryStore {
  readonly blocks: Map<string, Uint8Array>;
  /** Stores blocks, asserting that each matches its CID. */
  put(blocks: readonly Block[]): void;
  readonly get: GetBlock;
}

export function memoryStore(): MemoryStore {
  const blocks = new Map<string, Uint8Array>();
  return {
    blocks,
    put(list) {
      for (const block of list) {
        assert.ok(matchesCid(block.cid, block.bytes, sha256), 'every block a builder emits matches its CID');
        blocks.set(block.cid.toString(), block.bytes);
      }
    },
    get: async (cid: CID) => {
      const bytes = blocks.get(cid.toString());
      if (bytes === undefined) throw new Error(`missing ${cid}`);
      return bytes;
    },
  };
}
