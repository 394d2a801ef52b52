/**
 * Arithmetic in the finite field GF(2^8), the alphabet of the Reed-Solomon code.
 *
 * An element is a byte read as a polynomial over GF(2) of degree below 8 (bit i is the coefficient
 * of x^i). Addition is XOR. Multiplication is polynomial multiplication reduced modulo the primitive
 * polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11d), the conventional choice: Linux RAID-6 uses it
 * (H. P. Anvin, "The mathematics of RAID-6", §2), and so do Intel ISA-L, Backblaze's JavaReedSolomon
 * and klauspost/reedsolomon. It is primitive, so x (the byte 2) generates the multiplicative group: the powers 2^0 … 2^254 run
 * through all 255 non-zero bytes, which gives the logarithm and exponential tables below.
 *
 * With those tables, a·b = exp[log a + log b] for non-zero a and b. The exponential table is stored
 * twice over (510 entries) so that the sum of two logarithms needs no reduction modulo 255.
 * Everything here is checked in the tests against a bit-by-bit multiplication that uses no table.
 */

/** The primitive polynomial x^8 + x^4 + x^3 + x^2 + 1, with the x^8 bit. */
export const PRIMITIVE_POLYNOMIAL = 0x11d;

/** The order of the field's multiplicative group: every non-zero a has a^255 = 1. */
export const GROUP_ORDER = 255;

/** exp[i] = 2^i for 0 ≤ i < 510 (two periods, so that exp[log a + log b] needs no modulo). */
export const EXP_TABLE: Uint8Array = new Uint8Array(2 * GROUP_ORDER);

/** log[a] = i such that 2^i = a, for a ≠ 0; log[0] is unused (0 has no logarithm) and left at 0. */
export const LOG_TABLE: Uint8Array = new Uint8Array(256);

{
  let power = 1;
  for (let i = 0; i < GROUP_ORDER; i++) {
    EXP_TABLE[i] = power;
    EXP_TABLE[i + GROUP_ORDER] = power;
    LOG_TABLE[power] = i;
    power <<= 1;
    if (power & 0x100) power ^= PRIMITIVE_POLYNOMIAL;
  }
}

/** a + b (which is also a − b): XOR, since the field has characteristic 2. */
export function gfAdd(a: number, b: number): number {
  return a ^ b;
}

/** a · b, through the logarithm tables. */
export function gfMultiply(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP_TABLE[LOG_TABLE[a] + LOG_TABLE[b]];
}

/** The multiplicative inverse of a non-zero a; dividing by zero is a programmer error and throws. */
export function gfInverse(a: number): number {
  if (a === 0) throw new RangeError('GF(256): 0 has no inverse');
  return EXP_TABLE[GROUP_ORDER - LOG_TABLE[a]];
}

/** a / b for b ≠ 0. */
export function gfDivide(a: number, b: number): number {
  if (b === 0) throw new RangeError('GF(256): division by 0');
  if (a === 0) return 0;
  return EXP_TABLE[LOG_TABLE[a] + GROUP_ORDER - LOG_TABLE[b]];
}

/** a^n for n ≥ 0 (0^0 = 1). */
export function gfPower(a: number, n: number): number {
  if (n === 0) return 1;
  if (a === 0) return 0;
  return EXP_TABLE[(LOG_TABLE[a] * n) % GROUP_ORDER];
}

/**
 * The full multiplication table: PRODUCT_TABLE[c * 256 + x] = c · x. 64 KiB, built once; the row of
 * one coefficient c (`productRow(c)`) turns "multiply a region by c" into one lookup per byte.
 */
export const PRODUCT_TABLE: Uint8Array = new Uint8Array(256 * 256);

for (let c = 1; c < 256; c++) {
  for (let x = 1; x < 256; x++) PRODUCT_TABLE[c * 256 + x] = EXP_TABLE[LOG_TABLE[c] + LOG_TABLE[x]];
}

/** The 256 products c · x, x = 0 … 255, as a view into PRODUCT_TABLE (no copy). */
export function productRow(c: number): Uint8Array {
  return PRODUCT_TABLE.subarray(c * 256, c * 256 + 256);
}

/**
 * The two 16-entry tables of the split-nibble method (J. S. Plank, K. M. Greenan, E. L. Miller,
 * "Screaming Fast Galois Field Arithmetic Using Intel SIMD Instructions", FAST 2013, §4 and §5.1):
 * multiplication by c is linear over GF(2), so c · x = c · (x & 0x0f) ⊕ c · (x & 0xf0). Bytes 0–15 of
 * the result hold c · n for n = 0 … 15 (the low nibble), bytes 16–31 hold c · (n << 4) (the high
 * nibble). A 16-lane byte shuffle then multiplies 16 bytes by c with two lookups and one XOR.
 */
export function nibbleTables(c: number, into: Uint8Array = new Uint8Array(32), offset = 0): Uint8Array {
  for (let n = 0; n < 16; n++) {
    into[offset + n] = gfMultiply(c, n);
    into[offset + 16 + n] = gfMultiply(c, n << 4);
  }
  return into;
}
