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

/**
 * One trace hash per node plus one for the world (its own calls), kept as lanes in typed arrays.
 * A node's hash takes in the events that node processed, in its order; the run's hash folds them
 * all, the world's first, then the nodes' by index. Two runs that process the same events at every
 * node in the same order end with the same hash, however the events of different nodes interleave:
 * so a run split across worker threads (parallel/parallel-lookup.ts) has the same hash as one on a single thread.
 */
export class NodeTraceHashes {
  /** Lane pairs: slot 0 is the world's, slot i + 1 node i's. */
  private high = new Int32Array(64);
  private low = new Int32Array(64);
  private slots = 1;

  constructor() {
    this.high[0] = 0x9e3779b9 | 0;
    this.low[0] = 0x85ebca6b | 0;
  }

  /** Makes room for node `index` (nodes are added in index order). */
  addNode(index: number): void {
    const slot = index + 1;
    if (slot >= this.high.length) {
      const grownHigh = new Int32Array(this.high.length * 2);
      const grownLow = new Int32Array(this.low.length * 2);
      grownHigh.set(this.high);
      grownLow.set(this.low);
      this.high = grownHigh;
      this.low = grownLow;
    }
    // Seeded by the index, so that two nodes with the same events still differ.
    this.high[slot] = mix(0x9e3779b9 ^ slot);
    this.low[slot] = mix(0x85ebca6b + slot);
    if (slot >= this.slots) this.slots = slot + 1;
  }

  /** Mixes a 32-bit integer into node `node`'s hash; node -1 is the world. */
  addInt(node: number, value: number): void {
    const slot = node + 1;
    const high = mix(this.high[slot] ^ value);
    this.high[slot] = high;
    this.low[slot] = mix((this.low[slot] + Math.imul(value | 0, 0xcc9e2d51)) ^ high);
  }

  /** Mixes in a whole number of milliseconds (or any integer below 2^53). */
  addTime(node: number, timeMs: number): void {
    this.addInt(node, timeMs % 0x1_0000_0000);
    this.addInt(node, Math.floor(timeMs / 0x1_0000_0000));
  }

  /** Every slot's two lanes, the world's first: what `foldTraceLanes` folds into the run's hash. */
  lanes(): Int32Array {
    const lanes = new Int32Array(2 * this.slots);
    for (let slot = 0; slot < this.slots; slot++) {
      lanes[2 * slot] = this.high[slot];
      lanes[2 * slot + 1] = this.low[slot];
    }
    return lanes;
  }

  hex(): string {
    return foldTraceLanes(this.lanes());
  }
}

/** The run's hash from the lanes of every slot (NodeTraceHashes.lanes, or the merged lanes of a split run). */
export function foldTraceLanes(lanes: Int32Array): string {
  const folded = new TraceHash();
  for (let i = 0; i < lanes.length; i++) folded.addInt(lanes[i]);
  return folded.hex();
}
