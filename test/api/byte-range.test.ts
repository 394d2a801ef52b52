/** One HTTP byte range read against a file's size (src/api/byte-range.ts), and cutting a stream to a length. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contentRange, firstBytes, isSingleByteRange, resolveByteRange } from '../../src/api/byte-range.ts';

describe('byte ranges', () => {
  it('reads the three forms of one range, clamped to the file', () => {
    assert.deepEqual(resolveByteRange('bytes=0-99', 1000), { start: 0, end: 99, total: 1000 });
    assert.deepEqual(resolveByteRange(' bytes=900- ', 1000), { start: 900, end: 999, total: 1000 });
    assert.deepEqual(resolveByteRange('bytes=-100', 1000), { start: 900, end: 999, total: 1000 });
    assert.deepEqual(resolveByteRange('bytes=-5000', 1000), { start: 0, end: 999, total: 1000 });
    assert.deepEqual(resolveByteRange('bytes=990-5000', 1000), { start: 990, end: 999, total: 1000 });
    assert.deepEqual(resolveByteRange('bytes=7-7', 1000), { start: 7, end: 7, total: 1000 });
    assert.equal(contentRange({ start: 990, end: 999, total: 1000 }), 'bytes 990-999/1000');
  });

  it('says unsatisfiable for a range past the end or an empty suffix, and null for what is not one byte range', () => {
    assert.equal(resolveByteRange('bytes=1000-', 1000), 'unsatisfiable');
    assert.equal(resolveByteRange('bytes=-0', 1000), 'unsatisfiable');
    assert.equal(resolveByteRange('bytes=0-', 0), 'unsatisfiable');
    for (const text of ['bytes=5-3', 'bytes=-', 'bytes=0-1,4-5', 'items=0-1', 'bytes=a-b', 'bytes=12345678901234567-', '']) {
      assert.equal(resolveByteRange(text, 1000), null, text);
      assert.equal(isSingleByteRange(text), false, text);
    }
    assert.equal(isSingleByteRange('bytes=0-'), true);
    assert.equal(isSingleByteRange('bytes=-1'), true);
  });

  it('cuts a stream after a number of bytes, and closes it there', async () => {
    let closed = false;
    async function* pieces(): AsyncGenerator<Uint8Array> {
      try {
        for (let i = 0; i < 10; i++) yield new Uint8Array(10).fill(i);
      } finally {
        closed = true;
      }
    }
    const out: number[] = [];
    for await (const piece of firstBytes(pieces(), 25)) out.push(...piece);
    assert.deepEqual(out, [...new Array(10).fill(0), ...new Array(10).fill(1), ...new Array(5).fill(2)]);
    assert.equal(closed, true, 'the source was closed after the last byte wanted');
    const none: Uint8Array[] = [];
    for await (const piece of firstBytes(pieces(), 0)) none.push(piece);
    assert.deepEqual(none, []);
  });
});
