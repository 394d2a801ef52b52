/**
 * A running 64-bit hash of the simulator's event trace, as two 32-bit lanes (murmur3's finaliser
 * mixes each word in). Two runs with one seed process the same events in the same order and end
 * with the same hash; any divergence, however small, changes it. Cheap enough to feed every event.
 */
export class TraceHash {
  private high = 0x9e3779b9;
  private low = 0x85ebca6b;

  /** Mixes in one 32-bit integer (larger or fractional numbers are folded first, see addNumber). */
  addInt(value: number): void {
    this.high = mix(this.high ^ value);
    this.low = mix((this.low + Math.imul(value | 0, 0xcc9e2d51)) ^ this.high);
  }

  /** Mixes in any finite number: times in ms are fractional, so they go in at microsecond resolution. */
  addNumber(value: number): void {
    const micros = Math.round(value * 1000);
    this.addInt(micros % 0x1_0000_0000);
    this.addInt(Math.floor(micros / 0x1_0000_0000));
  }

  addString(text: string): void {
    for (let i = 0; i < text.length; i++) this.addInt(text.charCodeAt(i));
  }

  hex(): string {
    return (this.high >>> 0).toString(16).padStart(8, '0') + (this.low >>> 0).toString(16).padStart(8, '0');
  }
}

function mix(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}
