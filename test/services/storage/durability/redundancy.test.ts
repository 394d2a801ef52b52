/**
 * Redundancy schemes: parsing, what a piece is, and what a repair moves over the network.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatRedundancy, parseRedundancy, pieceBytes, piecesNeeded, piecesTarget, repairTransferBytes, type Redundancy,
} from '../../../../src/services/storage/durability/redundancy.ts';

const MIB = 1 << 20;
const three: Redundancy = { kind: 'replicate', copies: 3 };
const fourPlusTwo: Redundancy = { kind: 'erasure', dataFragments: 4, parityFragments: 2 };

describe('parseRedundancy', () => {
  it('parses both forms and formats them back', () => {
    for (const text of ['replicate:1', 'replicate:3', 'replicate:16', 'erasure:4+2', 'erasure:10+4', 'erasure:32+32']) {
      const parsed = parseRedundancy(text);
      assert.ok(parsed.ok, text);
      assert.equal(formatRedundancy(parsed.value), text);
    }
    assert.deepEqual(parseRedundancy('erasure:4+2'), { ok: true, value: fourPlusTwo });
  });

  it('returns an error value, never throws, for bad text', () => {
    for (const text of ['', 'replicate', 'replicate:0', 'replicate:17', 'replicate:-1', 'erasure:4', 'erasure:0+2', 'erasure:4+0',
      'erasure:40+30', 'erasure:4+2+1', 'mirror:3', ' replicate:3']) {
      const parsed = parseRedundancy(text);
      assert.equal(parsed.ok, false, text);
      if (!parsed.ok) assert.ok(parsed.error.length > 0);
    }
  });
});

describe('pieces', () => {
  it('a copy scheme keeps R whole copies and needs one', () => {
    assert.equal(piecesTarget(three), 3);
    assert.equal(piecesNeeded(three), 1);
    assert.equal(pieceBytes(three, MIB), MIB);
  });

  it('an erasure scheme keeps K+M fragments of 1/K each and needs K', () => {
    assert.equal(piecesTarget(fourPlusTwo), 6);
    assert.equal(piecesNeeded(fourPlusTwo), 4);
    assert.equal(pieceBytes(fourPlusTwo, MIB), MIB / 4);
    assert.equal(pieceBytes({ kind: 'erasure', dataFragments: 3, parityFragments: 1 }, 10), 4, 'padded up to K equal fragments');
  });
});

describe('repairTransferBytes', () => {
  it('a new copy moves one object', () => {
    assert.equal(repairTransferBytes(three, MIB, 0), 0);
    assert.equal(repairTransferBytes(three, MIB, 1), MIB);
    assert.equal(repairTransferBytes(three, MIB, 2), 2 * MIB);
  });

  it('fragments: one new holder reads K fragments, keeps one and sends the others on', () => {
    assert.equal(repairTransferBytes(fourPlusTwo, MIB, 0), 0);
    // One fragment: 4 fragments read = one object's worth.
    assert.equal(repairTransferBytes(fourPlusTwo, MIB, 1), MIB);
    // Two fragments: 4 read + 1 sent on = 5 quarter-MiB.
    assert.equal(repairTransferBytes(fourPlusTwo, MIB, 2), 5 * (MIB / 4));
    // Lazy repair is cheaper per fragment than repairing one at a time.
    assert.ok(repairTransferBytes(fourPlusTwo, MIB, 2) < 2 * repairTransferBytes(fourPlusTwo, MIB, 1));
  });
});
