/**
 * The kernel's Random (core/random.ts) for a real node: node:crypto, so ids for refresh lookups and
 * request ids cannot be predicted by other peers (a guessable request id would let an off-path
 * peer forge replies). Bytes are drawn in blocks, because one randomFillSync call per number
 * would cost more than the numbers are worth.
 */
import { randomFillSync } from 'node:crypto';
import type { Random } from '../core/random.ts';

const BLOCK_WORDS = 256;
/** A double has 53 bits of precision: 27 bits from one word and 26 from the next fill them. */
const TWO_POW_26 = 2 ** 26;
const TWO_POW_53 = 2 ** 53;

export class CryptoRandom implements Random {
  private readonly block = new Uint32Array(BLOCK_WORDS);
  private next = BLOCK_WORDS;

  nextUint32(): number {
    if (this.next === BLOCK_WORDS) {
      randomFillSync(this.block);
      this.next = 0;
    }
    return this.block[this.next++];
  }

  /** 53 random bits, the whole precision of a double, so every representable step in [0, 1) can come up. */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * TWO_POW_26 + low) / TWO_POW_53;
  }
}
