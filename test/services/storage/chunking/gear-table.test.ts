import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { GEAR, GEAR_SEED, gearTable } from '../../../../src/services/storage/chunking/gear-table.ts';

describe('the Gear table', () => {
  it('is pinned: its values are part of the storage format', () => {
    const table = gearTable(GEAR_SEED);
    assert.equal(GEAR_SEED, 0x67656172);
    assert.deepEqual([table[0], table[1], table[255]].map((value) => value.toString(16)), ['edfcf67a', '1bf798ca', 'e48914d9']);
    const littleEndian = new DataView(new ArrayBuffer(1024));
    table.forEach((value, byte) => littleEndian.setUint32(byte * 4, value, true));
    const digest = createHash('sha256').update(new Uint8Array(littleEndian.buffer)).digest('hex');
    assert.equal(digest, '41ce678ad52aeeea3a3ed05e5ee3055917b16140732c77d78df8a554f1f65143');
  });

  it('holds the same bits in the int32 view the hot loop reads', () => {
    assert.deepEqual(Array.from(GEAR, (value) => value >>> 0), Array.from(gearTable(GEAR_SEED)));
  });

  it('has 256 distinct values, each bit set in about half of them', () => {
    const table = gearTable(GEAR_SEED);
    assert.equal(new Set(table).size, 256);
    for (let bit = 0; bit < 32; bit++) {
      const ones = table.filter((value) => ((value >>> bit) & 1) === 1).length;
      // Binomial(256, 1/2): mean 128, standard deviation 8; ±40 is five deviations.
      assert.ok(ones >= 88 && ones <= 168, `bit ${bit} is set in ${ones} of 256 values`);
    }
  });

  it('depends on the seed', () => {
    assert.notDeepEqual(gearTable(1), gearTable(2));
    assert.deepEqual(gearTable(GEAR_SEED), gearTable(GEAR_SEED));
  });
});
