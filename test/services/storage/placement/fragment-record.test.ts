/**
 * The fragment record format: a round trip for every fragment, one encoding per record, and
 * untrusted bytes — truncated, garbage, lying about sizes — refused as values, never thrown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as Digest from 'multiformats/hashes/digest';
import { CID, cidOf, Codec } from '../../../../src/services/storage/dag/cids.ts';
import { createErasureCodec } from '../../../../src/services/storage/erasure/erasure-codec.ts';
import {
  checkFragmentPayload, decodeFragmentRecord, encodeFragmentRecord, encodeFragmentRecords, FRAGMENT_RECORD_BYTES_MAX, FragmentRecordLimits, type FragmentRecord,
} from '../../../../src/services/storage/placement/fragment-record.ts';
import { bytesOf } from '../helpers.ts';
import { sha256 } from './support.ts';

function decoded(bytes: Uint8Array): FragmentRecord {
  const result = decodeFragmentRecord(bytes);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.record;
}

function errorOf(bytes: Uint8Array): string {
  const result = decodeFragmentRecord(bytes);
  assert.equal(result.ok, false, 'the record should be refused');
  return result.ok ? '' : result.error;
}

const block = bytesOf(1001, 5);
const cid = cidOf(Codec.raw, block, sha256);
const records = encodeFragmentRecords(cid, block, { kind: 'erasure', dataFragments: 4, parityFragments: 2 }, sha256);

describe('encodeFragmentRecords and decodeFragmentRecord', () => {
  it('gives K+M records that decode to the codec fragments, each checking against its digest', () => {
    const fragments = createErasureCodec({ dataShards: 4, parityShards: 2 }).encode(block);
    assert.equal(records.length, 6);
    records.forEach((bytes, i) => {
      const record = decoded(bytes);
      assert.ok(record.blockCid.equals(cid));
      assert.equal(record.blockLengthBytes, 1001);
      assert.equal(record.dataFragments, 4);
      assert.equal(record.parityFragments, 2);
      assert.equal(record.fragmentIndex, i);
      assert.equal(record.fragmentDigests.length, 6);
      assert.deepEqual(record.payload, fragments[i]);
      assert.ok(checkFragmentPayload(record, sha256));
      assert.deepEqual(encodeFragmentRecord(record), bytes, 'one encoding per record');
    });
  });

  it('round-trips random blocks and schemes, other codecs too', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 6 }), fc.integer(), fc.constantFrom(Codec.raw, Codec.dagPb, Codec.dagCbor), (length, k, m, seed, codec) => {
        const bytes = bytesOf(length, seed);
        const blockCid = cidOf(codec, bytes, sha256);
        const all = encodeFragmentRecords(blockCid, bytes, { kind: 'erasure', dataFragments: k, parityFragments: m }, sha256);
        assert.equal(all.length, k + m);
        for (const encoded of all) {
          const record = decoded(encoded);
          assert.equal(record.payload.length, Math.ceil(length / k));
          assert.ok(checkFragmentPayload(record, sha256));
          assert.deepEqual(encodeFragmentRecord(record), encoded);
        }
      }),
      { seed: 21, numRuns: 150 },
    );
  });

  it('the decoded record does not share memory with the input', () => {
    const input = records[2].slice();
    const record = decoded(input);
    const payload = record.payload.slice();
    const cidText = record.blockCid.toString();
    input.fill(0);
    assert.deepEqual(record.payload, payload);
    assert.equal(record.blockCid.toString(), cidText);
    assert.ok(checkFragmentPayload(record, sha256));
  });

  it('checkFragmentPayload catches a changed payload', () => {
    const record = decoded(records[1]);
    const payload = record.payload.slice();
    payload[0] ^= 1;
    assert.equal(checkFragmentPayload({ ...record, payload }, sha256), false);
  });

  it('refuses to encode wrong bytes, a non-SHA-256 CID, an oversized block, or a codec for another scheme', () => {
    const scheme = { kind: 'erasure', dataFragments: 2, parityFragments: 1 } as const;
    assert.throws(() => encodeFragmentRecords(cid, bytesOf(1001, 6), scheme, sha256), RangeError);
    const identity = CID.createV1(Codec.raw, Digest.create(0x00, block.subarray(0, 8)));
    assert.throws(() => encodeFragmentRecords(identity, block.subarray(0, 8), scheme, sha256), RangeError);
    const huge = new Uint8Array(FragmentRecordLimits.blockBytesMax + 1);
    assert.throws(() => encodeFragmentRecords(cidOf(Codec.raw, huge, sha256), huge, scheme, sha256), RangeError);
    assert.throws(() => encodeFragmentRecords(cid, block, scheme, sha256, createErasureCodec({ dataShards: 3, parityShards: 1 })), RangeError);
  });
});

/** A record with one header field rewritten (offsets per the layout, after a 36-byte raw CIDv1). */
function withField(bytes: Uint8Array, offset: number, value: number, width: 1 | 2 | 4): Uint8Array {
  const copy = bytes.slice();
  for (let i = 0; i < width; i++) copy[offset + i] = (value >>> (8 * (width - 1 - i))) & 0xff;
  return copy;
}

describe('decodeFragmentRecord refuses bad records', () => {
  const good = records[0];
  const cidLength = good[1];
  const afterCid = 2 + cidLength;

  it('the layout offsets used below are right', () => {
    assert.equal(cidLength, cid.bytes.length);
    assert.equal((good[afterCid + 4] << 8) | good[afterCid + 5], 4);
  });

  it('an unknown version', () => assert.match(errorOf(withField(good, 0, 2, 1)), /version 2/));
  it('an empty or oversized CID length', () => {
    assert.match(errorOf(withField(good, 1, 0, 1)), /CID length/);
    assert.match(errorOf(withField(good, 1, 65, 1)), /CID length/);
  });
  it('a CID that is not SHA-256, or does not parse', () => {
    const identity = CID.createV1(Codec.raw, Digest.create(0x00, new Uint8Array(32)));
    const swapped = new Uint8Array(good.length);
    swapped.set(good.subarray(0, 2));
    swapped.set(identity.bytes, 2);
    swapped.set(good.subarray(afterCid), afterCid);
    assert.equal(identity.bytes.length, cidLength);
    assert.match(errorOf(swapped), /SHA-256/);
    assert.match(errorOf(withField(good, 2, 0xff, 1)), /CID/);
  });
  it('a block length beyond the limit', () => assert.match(errorOf(withField(good, afterCid, FragmentRecordLimits.blockBytesMax + 1, 4)), /block length/));
  it('a block length the payload does not fit', () => assert.match(errorOf(withField(good, afterCid, 2000, 4)), /payload has/));
  it('K of zero, K+M over 256, an index out of range', () => {
    assert.match(errorOf(withField(good, afterCid + 4, 0, 2)), /K must be/);
    assert.match(errorOf(withField(good, afterCid + 6, 253, 2)), /at most 256/);
    assert.match(errorOf(withField(good, afterCid + 8, 6, 2)), /index 6/);
  });
  it('K changed so the digest list and payload no longer line up', () => {
    assert.equal(decodeFragmentRecord(withField(good, afterCid + 4, 5, 2)).ok, false);
  });
  it('every truncation, and a byte too many', () => {
    for (let length = 0; length < good.length; length++) assert.equal(decodeFragmentRecord(good.subarray(0, length)).ok, false, `truncated to ${length}`);
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    assert.match(errorOf(longer), /payload has/);
  });
  it('a record larger than any valid one, without reading it', () => {
    assert.match(errorOf(new Uint8Array(FRAGMENT_RECORD_BYTES_MAX + 1)), /at most/);
  });
  it('not bytes at all', () => {
    assert.equal(decodeFragmentRecord('nope' as unknown as Uint8Array).ok, false);
  });

  it('random bytes and random edits never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const result = decodeFragmentRecord(bytes);
        if (result.ok) assert.ok(result.record.payload.length <= FragmentRecordLimits.payloadBytesMax);
      }),
      { seed: 22, numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), fc.nat(), (edits, cut) => {
        const bytes = good.slice();
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        const result = decodeFragmentRecord(bytes.subarray(0, bytes.length - (cut % 4)));
        if (result.ok) assert.deepEqual(encodeFragmentRecord(result.record), bytes.subarray(0, bytes.length - (cut % 4)));
      }),
      { seed: 23, numRuns: 3000 },
    );
  });
});
