/**
 * The fixed-size baseline of the chunking benchmark: blocks end at every multiple of the block
 * size and at the end of the data, so a 1-byte insert shifts every block after it — which is
 * what content-defined chunking is measured against.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixedSizeEnds } from '../../bench/storage/chunking.ts';

test('fixed-size blocks end at each multiple of the size, and the last at the end of the data', () => {
  assert.deepEqual(fixedSizeEnds(new Uint8Array(10), 4), [4, 8, 10]);
  assert.deepEqual(fixedSizeEnds(new Uint8Array(8), 4), [4, 8]);
  assert.deepEqual(fixedSizeEnds(new Uint8Array(3), 4), [3]);
  assert.deepEqual(fixedSizeEnds(new Uint8Array(0), 4), []);
});
