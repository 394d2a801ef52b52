/**
 * Hashing and sealing an import's chunks ahead, off the main thread (runtime/content/hashing-ahead.ts):
 * the digests, keys, ciphertexts — and so the CIDs and capabilities of whole files — are exactly
 * those of the synchronous code, chunks come out in their order, and a known value is used once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { chunksOf } from '../../../src/services/storage/chunking/chunk-assembler.ts';
import { DEFAULT_CHUNKING_CONFIG } from '../../../src/services/storage/chunking/chunking-config.ts';
import type { ContentCipher } from '../../../src/services/storage/crypt/content-cipher.ts';
import { FileDagBuilder } from '../../../src/services/storage/dag/file-layout.ts';
import { createNodeContentCipher } from '../../../src/runtime/content-cipher-node.ts';
import { sha256 } from '../../../src/runtime/content/content-hash.ts';
import { addPath } from '../../../src/runtime/content/content-importer.ts';
import { hashedAhead, KnownDigests, KnownSeals, sealedAhead } from '../../../src/runtime/content/hashing-ahead.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { bytesOf } from '../../services/storage/helpers.ts';

const SECRET = new Uint8Array(32).fill(7);
const SIZES = [0, 1, 1000, 65_536, 300_001];

async function* each(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

describe('hashing and sealing ahead', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('gives each chunk, in order, its SHA-256; a digest told is used once', async () => {
    const chunks = SIZES.map((size, index) => bytesOf(size, index + 1));
    const out = [];
    for await (const hashed of hashedAhead(each(chunks), 2)) out.push(hashed);
    assert.deepEqual(out.map((hashed) => hashed.chunk), chunks);
    for (const hashed of out) assert.deepEqual(hashed.digest, new Uint8Array(sha256(hashed.chunk)));
    const digests = new KnownDigests();
    const fake = new Uint8Array(32).fill(9);
    digests.know(chunks[2], fake);
    assert.equal(digests.sha256(chunks[2]), fake);
    assert.deepEqual(new Uint8Array(digests.sha256(chunks[2])), new Uint8Array(sha256(chunks[2])), 'used once, then hashed');
  });

  it('seals as keyFor and encrypt do: the same key, ciphertext and digest, for every size', async () => {
    const cipher = createNodeContentCipher(SECRET);
    const chunks = SIZES.map((size, index) => bytesOf(size, index + 11));
    let at = 0;
    for await (const sealed of sealedAhead(each(chunks), cipher, 3)) {
      assert.equal(sealed.chunk, chunks[at++]);
      const key = cipher.keyFor(sealed.chunk);
      assert.deepEqual(sealed.key, new Uint8Array(key));
      const ciphertext = cipher.encrypt(key, sealed.chunk);
      assert.deepEqual(sealed.ciphertext, ciphertext);
      assert.deepEqual(sealed.digest, new Uint8Array(sha256(ciphertext)));
      assert.deepEqual(cipher.decrypt(sealed.key, sealed.ciphertext), sealed.chunk);
    }
    assert.equal(at, chunks.length);
    // KnownSeals answers from a seal told for that very array and key, once; otherwise it works itself.
    const seals = new KnownSeals(cipher);
    const chunk = chunks[3];
    const key = new Uint8Array(32).fill(1);
    const made = new Uint8Array(8).fill(2);
    seals.know(chunk, key, made);
    assert.equal(seals.keyFor(chunk), key);
    assert.deepEqual(seals.encrypt(new Uint8Array(32).fill(1), chunk), cipher.encrypt(new Uint8Array(32).fill(1), chunk), 'another key array: worked out');
    assert.equal(seals.encrypt(key, chunk), made);
    assert.deepEqual(new Uint8Array(seals.keyFor(chunk)), new Uint8Array(cipher.keyFor(chunk)), 'used once');
  });

  it('a whole file gets the CID and capability of the synchronous path, plain and encrypted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-ahead-'));
    dirs.push(dir);
    const file = join(dir, 'file.bin');
    await writeFile(file, bytesOf(3_000_000, 5));
    const cipher = createNodeContentCipher(SECRET);
    // The same cipher without `seal`: the importer then seals chunk by chunk on the main thread.
    const synchronous: ContentCipher = { keyFor: (p) => cipher.keyFor(p), encrypt: (k, p) => cipher.encrypt(k, p), decrypt: (k, c) => cipher.decrypt(k, c) };
    const added = [];
    for (const [name, options] of [['ahead', { cipher }], ['sync', { cipher: synchronous }], ['plain', {}]] as const) {
      const store = await Blockstore.open(join(dir, name), { durability: 'none' });
      try {
        added.push(await addPath(file, store, options));
      } finally {
        await store.close();
      }
    }
    assert.equal(added[0].root.toString(), added[1].root.toString());
    assert.deepEqual(added[0].capability?.key, added[1].capability?.key);
    assert.equal(added[0].blocks, added[1].blocks);
    // The plain file's root, against the DAG the synchronous hash builds from the same chunks.
    const builder = new FileDagBuilder(sha256);
    for (const chunk of chunksOf([await readFile(file)], DEFAULT_CHUNKING_CONFIG)) builder.add(chunk);
    assert.ok(added[2].chunks > 1);
    assert.equal(added[2].root.toString(), builder.finish().dag.root.toString());
  });
});
