/**
 * A block's census (piece-census.ts): kept copies count and caches do not; distinct fragment
 * indexes count, repairs' fresh rows beyond K+M included; and the tally of many blocks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { blockCensus, CensusTally, fragmentIsGenuine, LOST_BLOCKS_LISTED_MAX, proofOf, type PieceClaim } from '../../../../src/services/storage/placement/piece-census.ts';
import { decodeFragmentRecord, encodeFragmentRecord, encodeFragmentRecords, type FragmentRecord } from '../../../../src/services/storage/placement/fragment-record.ts';
import { cidOf, Codec } from '../../../../src/services/storage/dag/cids.ts';
import { bytesOf } from '../helpers.ts';
import { sha256 } from './support.ts';
import type { Redundancy } from '../../../../src/services/storage/durability/redundancy.ts';

const R3: Redundancy = { kind: 'replicate', copies: 3 };
const RS42: Redundancy = { kind: 'erasure', dataFragments: 4, parityFragments: 2 };
const kept: PieceClaim = { kept: true, fragments: [] };
const cached: PieceClaim = { kept: false, fragments: [] };
const fragments = (...indexes: number[]): PieceClaim => ({ kept: false, fragments: indexes });

describe('block census', () => {
  it('replication counts kept copies only: a cache is not a copy', () => {
    assert.deepEqual(blockCensus(R3, [kept, kept, kept]), { pieces: 3, health: 'healthy' });
    assert.deepEqual(blockCensus(R3, [kept, kept, kept, kept]), { pieces: 4, health: 'healthy' });
    assert.deepEqual(blockCensus(R3, [kept, cached, cached]), { pieces: 1, health: 'degraded' });
    assert.deepEqual(blockCensus(R3, [cached, cached, cached]), { pieces: 0, health: 'lost' });
    assert.deepEqual(blockCensus(R3, []), { pieces: 0, health: 'lost' });
    // Fragments do not make a copy.
    assert.deepEqual(blockCensus(R3, [fragments(0, 1, 2, 3)]), { pieces: 0, health: 'lost' });
  });

  it('erasure counts distinct fragment indexes wherever they are, fresh repair rows included', () => {
    assert.deepEqual(blockCensus(RS42, [fragments(0), fragments(1), fragments(2), fragments(3), fragments(4), fragments(5)]), { pieces: 6, health: 'healthy' });
    // The same index twice counts once; a row beyond K+M (a repair's) counts.
    assert.deepEqual(blockCensus(RS42, [fragments(0, 1), fragments(1), fragments(2), fragments(7)]), { pieces: 4, health: 'degraded' });
    assert.deepEqual(blockCensus(RS42, [fragments(0), fragments(1), fragments(2)]), { pieces: 3, health: 'lost' });
    // A whole copy is not a fragment.
    assert.deepEqual(blockCensus(RS42, [kept, kept, kept, kept]), { pieces: 0, health: 'lost' });
  });
});

describe('census tally', () => {
  it('sums blocks, caps each at its target, keeps the fewest, and names the holders that count', () => {
    const tally = new CensusTally(R3, 'replicate:3');
    tally.add('a', new Map([['n1', kept], ['n2', kept], ['n3', kept], ['n4', kept]]));
    tally.add('b', new Map([['n1', kept], ['n5', cached]]));
    tally.add('c', new Map([['n6', cached]]));
    assert.deepEqual(tally.report(), {
      redundancy: 'replicate:3', blocks: 3, healthy: 1, degraded: 1, lost: 1,
      piecesWanted: 9, piecesFound: 4, piecesMin: 0, nodes: 4, lostBlocks: ['c'],
    });
  });

  it('lists the first lost blocks only, and reports an empty census plainly', () => {
    const tally = new CensusTally(RS42, 'erasure:4+2');
    assert.deepEqual(tally.report(), {
      redundancy: 'erasure:4+2', blocks: 0, healthy: 0, degraded: 0, lost: 0, piecesWanted: 0, piecesFound: 0, piecesMin: 0, nodes: 0, lostBlocks: [],
    });
    for (let i = 0; i < LOST_BLOCKS_LISTED_MAX + 5; i++) tally.add(`block-${i}`, new Map([['n1', fragments(0, 1)], ['n2', kept]]));
    const report = tally.report();
    assert.equal(report.lost, LOST_BLOCKS_LISTED_MAX + 5);
    assert.equal(report.lostBlocks.length, LOST_BLOCKS_LISTED_MAX);
    assert.equal(report.lostBlocks[0], 'block-0');
    // Only the fragment holder counts for erasure.
    assert.equal(report.nodes, 1);
    assert.equal(report.piecesFound, 2 * (LOST_BLOCKS_LISTED_MAX + 5));
  });
});

describe('an audited fragment', () => {
  const block = bytesOf(10_000, 5);
  const cid = cidOf(Codec.raw, block, sha256);
  const records = encodeFragmentRecords(cid, block, RS42 as Extract<Redundancy, { kind: 'erasure' }>, sha256);
  const recordOf = (bytes: Uint8Array): FragmentRecord => {
    const decoded = decodeFragmentRecord(bytes);
    assert.ok(decoded.ok);
    return decoded.record;
  };
  const digests = recordOf(records[0]).fragmentDigests;

  it('is genuine when it is this block\'s fragment at this index, checked against the block\'s digests or only its own', () => {
    for (const [index, record] of records.entries()) {
      assert.equal(fragmentIsGenuine(cid, index, record, digests, sha256), true);
      assert.equal(fragmentIsGenuine(cid, index, record, null, sha256), true);
    }
  });

  it('is not when it is another index, another block, altered or not a record', () => {
    assert.equal(fragmentIsGenuine(cid, 1, records[0], digests, sha256), false);
    const other = cidOf(Codec.raw, bytesOf(10_000, 6), sha256);
    assert.equal(fragmentIsGenuine(other, 0, records[0], null, sha256), false);
    const altered = Uint8Array.from(records[2]);
    altered[altered.length - 1] ^= 1;
    assert.equal(fragmentIsGenuine(cid, 2, altered, null, sha256), false);
    assert.equal(fragmentIsGenuine(cid, 0, new Uint8Array([1, 2, 3]), null, sha256), false);
  });

  it('a forged record that agrees with itself passes alone, and fails against the block\'s own digests', () => {
    const genuine = recordOf(records[3]);
    const payload = bytesOf(genuine.payload.length, 99);
    const forgedDigests = genuine.fragmentDigests.map((digest, index) => (index === 3 ? sha256(payload) : digest));
    const forged = encodeFragmentRecord({ ...genuine, payload, fragmentDigests: forgedDigests });
    assert.equal(fragmentIsGenuine(cid, 3, forged, null, sha256), true);
    assert.equal(fragmentIsGenuine(cid, 3, forged, digests, sha256), false);
  });
});

describe('a storage proof', () => {
  it('is the SHA-256 of the nonce and the piece: another nonce or another piece gives another', () => {
    const piece = bytesOf(5000, 1);
    const nonce = new Uint8Array(32).fill(7);
    const proof = proofOf(nonce, piece, sha256);
    const joined = new Uint8Array(32 + 5000);
    joined.set(nonce);
    joined.set(piece, 32);
    assert.deepEqual(proof, sha256(joined));
    assert.notDeepEqual(proofOf(new Uint8Array(32).fill(8), piece, sha256), proof);
    const other = Uint8Array.from(piece);
    other[4999] ^= 1;
    assert.notDeepEqual(proofOf(nonce, other, sha256), proof);
  });
});
