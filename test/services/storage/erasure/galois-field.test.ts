/** GF(2^8) with polynomial 0x11d: the tables against a multiplication that uses none, and the field axioms. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  EXP_TABLE,
  LOG_TABLE,
  PRIMITIVE_POLYNOMIAL,
  PRODUCT_TABLE,
  gfDivide,
  gfInverse,
  gfMultiply,
  gfPower,
  nibbleTables,
  productRow,
} from '../../../../src/services/storage/erasure/galois-field.ts';

/** Shift-and-add multiplication modulo the polynomial, bit by bit: the oracle for every table. */
function slowMultiply(a: number, b: number): number {
  let product = 0;
  let shifted = a;
  for (let bit = 0; bit < 8; bit++) {
    if (b & (1 << bit)) product ^= shifted;
    shifted <<= 1;
    if (shifted & 0x100) shifted ^= PRIMITIVE_POLYNOMIAL;
  }
  return product;
}

const element = fc.integer({ min: 0, max: 255 });
const nonZero = fc.integer({ min: 1, max: 255 });

describe('GF(256) tables', () => {
  it('2 generates the multiplicative group: its powers run through all 255 non-zero bytes', () => {
    const seen = new Set(EXP_TABLE.subarray(0, 255));
    assert.equal(seen.size, 255);
    assert.ok(!seen.has(0));
    assert.equal(slowMultiply(EXP_TABLE[254], 2), 1, '2^255 = 1');
  });

  it('exp and log are inverse, and exp is stored for two periods', () => {
    for (let a = 1; a < 256; a++) assert.equal(EXP_TABLE[LOG_TABLE[a]], a);
    for (let i = 0; i < 255; i++) {
      assert.equal(LOG_TABLE[EXP_TABLE[i]], i);
      assert.equal(EXP_TABLE[i + 255], EXP_TABLE[i]);
      assert.equal(EXP_TABLE[i + 1], slowMultiply(EXP_TABLE[i], 2));
    }
  });

  it('every product, by logs and by the product table, equals shift-and-add', () => {
    for (let a = 0; a < 256; a++) {
      for (let b = 0; b < 256; b++) {
        const expected = slowMultiply(a, b);
        assert.equal(gfMultiply(a, b), expected);
        assert.equal(PRODUCT_TABLE[a * 256 + b], expected);
      }
      assert.deepEqual(productRow(a), PRODUCT_TABLE.subarray(a * 256, a * 256 + 256));
    }
  });

  it('nibble tables: c·x = low[x & 15] ^ high[x >> 4] for every c and x', () => {
    for (let c = 0; c < 256; c++) {
      const tables = nibbleTables(c);
      for (let x = 0; x < 256; x++) assert.equal(tables[x & 15] ^ tables[16 + (x >> 4)], gfMultiply(c, x));
    }
  });

  it('inverse, division and powers', () => {
    for (let a = 1; a < 256; a++) {
      assert.equal(gfMultiply(a, gfInverse(a)), 1);
      for (let b = 1; b < 256; b += 17) assert.equal(gfMultiply(gfDivide(a, b), b), a);
      assert.equal(gfPower(a, 255), 1);
      assert.equal(gfPower(a, 3), slowMultiply(slowMultiply(a, a), a));
    }
    assert.equal(gfDivide(0, 7), 0);
    assert.equal(gfPower(0, 0), 1);
    assert.equal(gfPower(0, 5), 0);
    assert.throws(() => gfInverse(0), RangeError);
    assert.throws(() => gfDivide(1, 0), RangeError);
  });
});

describe('GF(256) field axioms', () => {
  it('multiplication is commutative, with identity 1 and absorbing 0 (exhaustive)', () => {
    for (let a = 0; a < 256; a++) {
      assert.equal(gfMultiply(a, 1), a);
      assert.equal(gfMultiply(a, 0), 0);
      for (let b = a; b < 256; b++) assert.equal(gfMultiply(a, b), gfMultiply(b, a));
    }
  });

  it('multiplication is associative and distributes over addition (XOR)', () => {
    fc.assert(
      fc.property(element, element, element, (a, b, c) => {
        assert.equal(gfMultiply(gfMultiply(a, b), c), gfMultiply(a, gfMultiply(b, c)));
        assert.equal(gfMultiply(a, b ^ c), gfMultiply(a, b) ^ gfMultiply(a, c));
      }),
      { seed: 1, numRuns: 20_000 },
    );
  });

  it('there are no zero divisors', () => {
    fc.assert(fc.property(nonZero, nonZero, (a, b) => gfMultiply(a, b) !== 0), { seed: 2, numRuns: 5000 });
  });
});
