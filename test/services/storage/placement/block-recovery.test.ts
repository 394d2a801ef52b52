/**
 * Rebuilding a block from fragment records sent by peers that may lie: any K valid fragments of an
 * honest encoding rebuild it, whatever else is mixed in, and every record shown to be wrong is
 * reported by position.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cidOf, Codec, type CID } from '../../../../src/services/storage/dag/cids.ts';
import { createErasureCodec } from '../../../../src/services/storage/erasure/erasure-codec.ts';
import { recoverBlock, RECOVERY_RECORDS_MAX } from '../../../../src/services/storage/placement/block-recovery.ts';
import { decodeFragmentRecord, encodeFragmentRecords, type FragmentRecord } from '../../../../src/services/storage/placement/fragment-record.ts';
import { bytesOf } from '../helpers.ts';
import { sha256 } from './support.ts';

function recordsOf(cid: CID, block: Uint8Array, k: number, m: number): FragmentRecord[] {
  return encodeFragmentRecords(cid, block, { kind: 'erasure', dataFragments: k, parityFragments: m }, sha256).map((bytes) => {
    const result = decodeFragmentRecord(bytes);
    assert.ok(result.ok);
    return result.record;
  });
}

/** A whole consistent set for `fake` bytes, claiming to be the block `cid`: digests and payloads agree. */
function forgedSet(cid: CID, fake: Uint8Array, k: number, m: number): FragmentRecord[] {
  const fragments = createErasureCodec({ dataShards: k, parityShards: m }).encode(fake);
  const fragmentDigests = fragments.map((f) => sha256(f));
  return fragments.map((payload, fragmentIndex) => ({
    blockCid: cid, blockLengthBytes: fake.length, dataFragments: k, parityFragments: m, fragmentIndex, fragmentDigests, payload: payload.slice(),
  }));
}

const block = bytesOf(5000, 9);
const cid = cidOf(Codec.raw, block, sha256);
const honest = recordsOf(cid, block, 4, 3);

describe('recoverBlock', () => {
  it('rebuilds from any K records, in any order', () => {
    const result = recoverBlock(cid, [honest[6], honest[2], honest[5], honest[0]], sha256);
    assert.ok(result.ok);
    assert.deepEqual(result.bytes, block);
    assert.deepEqual(result.badRecords, []);
  });

  it('fails with K−1, saying how many more are needed, judging nobody', () => {
    const result = recoverBlock(cid, [honest[1], honest[3], honest[3], honest[4]], sha256);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.error, /lacks 1 more/);
    assert.deepEqual(result.badRecords, []);
  });

  it('a corrupt payload is reported and the rest still rebuild', () => {
    const corrupt = { ...honest[0], payload: honest[0].payload.slice() };
    corrupt.payload[10] ^= 0x40;
    const result = recoverBlock(cid, [corrupt, honest[1], honest[2], honest[3], honest[4]], sha256);
    assert.ok(result.ok);
    assert.deepEqual(result.bytes, block);
    assert.deepEqual(result.badRecords.map((b) => b.position), [0]);
    assert.match(result.badRecords[0].reason, /does not match its digest/);
  });

  it('a forged digest list with matching payloads is caught by the CID and all its records reported', () => {
    const fake = bytesOf(5000, 10);
    const forged = forgedSet(cid, fake, 4, 3);
    // The forgers are the better supplied group, so they are tried first.
    const records = [...forged, honest[0], honest[1], honest[2], honest[3]];
    const result = recoverBlock(cid, records, sha256);
    assert.ok(result.ok);
    assert.deepEqual(result.bytes, block);
    assert.deepEqual(result.badRecords.map((b) => b.position), [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(result.badRecords.every((b) => /forged/.test(b.reason)));
  });

  it('only forged records: no block, every forger reported', () => {
    const result = recoverBlock(cid, forgedSet(cid, bytesOf(77, 1), 2, 1), sha256);
    assert.equal(result.ok, false);
    assert.equal(result.badRecords.length, 3);
  });

  it('records of another block are reported, not used', () => {
    const other = bytesOf(5000, 11);
    const otherRecords = recordsOf(cidOf(Codec.raw, other, sha256), other, 4, 3);
    const result = recoverBlock(cid, [otherRecords[0], otherRecords[1], honest[0], otherRecords[2], otherRecords[3], honest[1], honest[2], honest[3]], sha256);
    assert.ok(result.ok);
    assert.deepEqual(result.badRecords.map((b) => b.position), [0, 1, 3, 4]);
    assert.match(result.badRecords[0].reason, /another block/);
  });

  it('a block asked for under another codec is still found (the digest is what is checked)', () => {
    const asDagPb = cidOf(Codec.dagPb, block, sha256);
    const result = recoverBlock(asDagPb, recordsOf(asDagPb, block, 4, 3).slice(3), sha256);
    assert.ok(result.ok);
    assert.deepEqual(result.bytes, block);
  });

  it('mixed schemes: records of two honest encodings (K, M differ) are grouped apart; the complete one rebuilds', () => {
    const twoPlusOne = recordsOf(cid, block, 2, 1);
    const mixed = [honest[0], twoPlusOne[2], honest[1], honest[2], twoPlusOne[0]];
    const result = recoverBlock(cid, mixed, sha256);
    assert.ok(result.ok);
    assert.deepEqual(result.bytes, block);
    assert.deepEqual(result.badRecords, []);
    const incomplete = recoverBlock(cid, [honest[0], twoPlusOne[2], honest[1], honest[2]], sha256);
    assert.equal(incomplete.ok, false);
  });

  it('hand-made records of impossible shape are reported, never thrown on', () => {
    const shapes: FragmentRecord[] = [
      { ...honest[0], fragmentIndex: 9 },
      { ...honest[0], dataFragments: 0 },
      { ...honest[0], payload: honest[0].payload.subarray(1) },
      { ...honest[0], fragmentDigests: honest[0].fragmentDigests.slice(1) },
      { ...honest[0], fragmentDigests: honest[0].fragmentDigests.map((d, i) => (i === 3 ? d.subarray(1) : d)) },
      { ...honest[0], blockLengthBytes: -1 },
    ];
    const result = recoverBlock(cid, shapes, sha256);
    assert.equal(result.ok, false);
    assert.deepEqual(result.badRecords.map((b) => b.position), [0, 1, 2, 3, 4, 5]);
  });

  it('looks at no more than RECOVERY_RECORDS_MAX records', () => {
    const records = [...new Array(RECOVERY_RECORDS_MAX).fill(honest[0]), honest[1], honest[2], honest[3]];
    const result = recoverBlock(cid, records, sha256);
    assert.equal(result.ok, false);
    assert.match(result.ok ? '' : result.error, /ignored/);
  });

  it('property: with random losses, corruptions, forgeries and duplicates, it rebuilds exactly when K honest valid fragments remain', () => {
    const scenario = fc.record({
      k: fc.integer({ min: 1, max: 8 }),
      m: fc.integer({ min: 0, max: 5 }),
      length: fc.integer({ min: 0, max: 2000 }),
      seed: fc.integer(),
      fate: fc.array(fc.constantFrom('keep', 'lose', 'corrupt', 'twice'), { minLength: 13, maxLength: 13 }),
      forgedCount: fc.integer({ min: 0, max: 13 }),
      shuffle: fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
    });
    fc.assert(
      fc.property(scenario, ({ k, m, length, seed, fate, forgedCount, shuffle }) => {
        const bytes = bytesOf(length, seed);
        const blockCid = cidOf(Codec.raw, bytes, sha256);
        const all = recordsOf(blockCid, bytes, k, m);
        const sent: { record: FragmentRecord; bad: boolean }[] = [];
        let validIndexes = 0;
        all.forEach((record, i) => {
          const what = fate[i];
          if (what === 'lose') return;
          if (what === 'corrupt') {
            const payload = record.payload.slice();
            if (payload.length === 0) return; // an empty fragment cannot be corrupted
            payload[0] ^= 1;
            sent.push({ record: { ...record, payload }, bad: true });
            return;
          }
          validIndexes++;
          sent.push({ record, bad: false });
          if (what === 'twice') sent.push({ record, bad: false });
        });
        const fake = bytesOf(length + 1, seed + 1);
        for (const record of forgedSet(blockCid, fake, k, m).slice(0, forgedCount)) sent.push({ record, bad: true });
        // Shuffle deterministically (Fisher–Yates from the drawn numbers).
        for (let i = sent.length - 1; i > 0; i--) {
          const j = shuffle[i % shuffle.length] % (i + 1);
          [sent[i], sent[j]] = [sent[j], sent[i]];
        }
        const result = recoverBlock(blockCid, sent.map((s) => s.record), sha256);
        assert.equal(result.ok, validIndexes >= k);
        if (result.ok) assert.deepEqual(result.bytes, bytes);
        // Nobody honest is ever accused.
        for (const { position } of result.badRecords) assert.ok(sent[position].bad, `record ${position} was honest`);
        // Every corrupted payload is caught.
        const corrupted = sent.flatMap((s, position) => (s.bad && s.record.fragmentDigests !== undefined && !forgedDigests(s.record, all) ? [position] : []));
        for (const position of corrupted) assert.ok(result.badRecords.some((b) => b.position === position));
      }),
      { seed: 24, numRuns: 300 },
    );
  });
});

/** Whether a record carries a digest list other than the honest one. */
function forgedDigests(record: FragmentRecord, honestRecords: readonly FragmentRecord[]): boolean {
  return record.fragmentDigests !== honestRecords[0].fragmentDigests
    && record.fragmentDigests.some((d, i) => Buffer.compare(d, honestRecords[0].fragmentDigests[i]) !== 0);
}
