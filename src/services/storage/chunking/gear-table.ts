/**
 * The Gear table: 256 pseudo-random 32-bit values, one for each byte value, that the Gear rolling
 * hash adds in (Gear-based chunking as FastCDC builds on it: a table of 256 random integers, one
 * per byte value). Our values are computed
 * here from a documented seed rather than pasted from another implementation.
 *
 * The table is part of the storage format: the same bytes must be cut at the same places on every
 * node and in every version of peergrid, or chunks stored earlier would no longer deduplicate against
 * new ones. Changing the seed or the generator changes every cut point; a test pins the table.
 */

/** The seed: the ASCII bytes of "gear" read as a big-endian 32-bit integer. */
export const GEAR_SEED = 0x67656172;

/** 2^32 divided by the golden ratio, odd: the increment of a Weyl sequence, which visits every 32-bit value once. */
const WEYL_INCREMENT = 0x9e3779b9;

/**
 * MurmurHash3's 32-bit finaliser (Appleby, public domain): a bijection on 32-bit integers whose
 * every output bit depends on every input bit. Applied to the distinct points of a Weyl sequence it
 * gives 256 distinct, well-mixed values.
 */
function mix32(value: number): number {
  let x = value | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The 256 Gear values for `seed`: entry b is mix32(seed + (b + 1) · WEYL_INCREMENT mod 2^32). */
export function gearTable(seed: number): Uint32Array {
  const table = new Uint32Array(256);
  let state = seed >>> 0;
  for (let byte = 0; byte < 256; byte++) {
    state = (state + WEYL_INCREMENT) >>> 0;
    table[byte] = mix32(state);
  }
  return table;
}

/**
 * The table the chunker uses. An Int32Array holding the same bits as gearTable(GEAR_SEED): the hot
 * loop works in int32 arithmetic (`| 0`), and int32 loads stay small integers in V8 where uint32
 * loads above 2^31 would not.
 */
export const GEAR: Int32Array = new Int32Array(gearTable(GEAR_SEED).buffer);
