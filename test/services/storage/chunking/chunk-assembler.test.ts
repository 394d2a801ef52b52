import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { chunksOf, chunksOfStream } from '../../../../src/services/storage/chunking/chunk-assembler.ts';
import { chunkingConfig } from '../../../../src/services/storage/chunking/chunking-config.ts';
import { chunkEnds } from '../../../../src/services/storage/chunking/fastcdc.ts';
import { randomBytes, textBytes, Xorshift32 } from './sample-data.ts';

function piecesOf(data: Uint8Array, seed: number, sizeMax: number): Uint8Array[] {
  const random = new Xorshift32(seed);
  const pieces: Uint8Array[] = [];
  for (let offset = 0; offset < data.length;) {
    const size = random.below(8) === 0 ? 0 : 1 + random.below(sizeMax);
    pieces.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return pieces;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

describe('chunk bytes from a stream of pieces', () => {
  const config = chunkingConfig({ averageBytes: 512 });

  it('gives the chunks chunkEnds describes, whatever the pieces', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat({ max: 40_000 }), fc.integer({ min: 1, max: 5000 }), fc.boolean(), (seed, length, sizeMax, text) => {
        const data = text ? textBytes(seed, length) : randomBytes(seed, length);
        const chunks = [...chunksOf(piecesOf(data, seed, sizeMax), config)];
        const ends = chunkEnds(data, config);
        assert.deepEqual(chunks.map((chunk) => chunk.length), ends.map((end, k) => end - (k === 0 ? 0 : ends[k - 1])));
        assert.deepEqual(concat(chunks), data);
      }),
      { seed: 0xc4a1, numRuns: 150 },
    );
  });

  it('works on an async iterable too', async () => {
    const data = randomBytes(3, 50_000);
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (const piece of piecesOf(data, 3, 3000)) yield piece;
    }
    const chunks: Uint8Array[] = [];
    for await (const chunk of chunksOfStream(pieces(), config)) chunks.push(chunk);
    assert.deepEqual(concat(chunks), data);
    assert.equal(chunks.length, chunkEnds(data, config).length);
  });

  it('gives nothing for an empty stream', () => {
    assert.deepEqual([...chunksOf([], config)], []);
    assert.deepEqual([...chunksOf([new Uint8Array(0)], config)], []);
  });
});
