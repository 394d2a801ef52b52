/**
 * Every object's holder record, as flat typed arrays: object o's holders are the identities at
 * holders[o × capacity … o × capacity + count[o]), in the order their pieces were created. This is
 * what the node responsible for o would keep (repair-plan.ts's `record`), minus what the simulator
 * derives from the nodes themselves (whether a holder answers, and since when it has been silent).
 *
 * Memory: objects × (4 × capacity + 7) bytes, e.g. 10^6 objects with a capacity of 10 take 47 MB.
 */
import type { HolderTable } from '../../../services/storage/durability/repair-planner.ts';
import type { NodePopulation } from './node-population.ts';

export class PieceRecords implements HolderTable {
  readonly objects: number;
  readonly capacity: number;
  readonly holders: Int32Array;
  readonly count: Uint8Array;
  /** 1 once fewer pieces than needed survive on nodes that have not left: unrecoverable. */
  readonly lost: Uint8Array;
  /** 1 while a retry of a blocked repair is scheduled. */
  readonly retryPending: Uint8Array;
  /** Scratch for NodePopulation.collectHeld. */
  readonly stamp: Int32Array;
  private readonly population: NodePopulation;
  /** The object the HolderTable methods read (its first slot in `holders`), and the time they read it at. */
  private current = 0;
  private currentBase = 0;
  private nowMs = 0;
  /** The population's arrays as of the last view(): they are replaced only when identities are added. */
  private online: Uint8Array;
  private offlineSinceMs: Float64Array;

  constructor(objects: number, capacity: number, population: NodePopulation) {
    this.objects = objects;
    this.capacity = capacity;
    this.holders = new Int32Array(objects * capacity);
    this.count = new Uint8Array(objects);
    this.lost = new Uint8Array(objects);
    this.retryPending = new Uint8Array(objects);
    this.stamp = new Int32Array(objects).fill(-1);
    this.population = population;
    this.online = population.online;
    this.offlineSinceMs = population.offlineSinceMs;
  }

  /** Points the HolderTable view at `object`, as seen at nowMs. */
  view(object: number, nowMs: number): this {
    this.current = object;
    this.currentBase = object * this.capacity;
    this.nowMs = nowMs;
    this.online = this.population.online;
    this.offlineSinceMs = this.population.offlineSinceMs;
    return this;
  }

  holderCount(): number {
    return this.count[this.current];
  }

  answered(index: number): boolean {
    return this.online[this.holders[this.currentBase + index]] === 1;
  }

  lastSeenAtMs(index: number): number {
    const identity = this.holders[this.currentBase + index];
    return this.online[identity] === 1 ? this.nowMs : this.offlineSinceMs[identity];
  }

  /** Whether `identity` is in `object`'s record. */
  readonly records = (object: number, identity: number): boolean => {
    const base = object * this.capacity;
    const end = base + this.count[object];
    const holders = this.holders;
    for (let k = base; k < end; k++) if (holders[k] === identity) return true;
    return false;
  };

  append(object: number, identity: number): void {
    const count = this.count[object];
    if (count >= this.capacity) throw new Error(`record of object ${object} is full (${this.capacity})`);
    this.holders[object * this.capacity + count] = identity;
    this.count[object] = count + 1;
  }

  /** Removes the entries whose indices are marked in `remove` (indexed 0…count-1), keeping the order of the rest. */
  removeMarked(object: number, remove: Uint8Array): void {
    const base = object * this.capacity;
    const count = this.count[object];
    let kept = 0;
    for (let k = 0; k < count; k++) {
      if (remove[k] === 1) continue;
      this.holders[base + kept++] = this.holders[base + k];
    }
    this.count[object] = kept;
  }

  /** Pieces of `object` on identities that have not left for good. */
  livePieces(object: number): number {
    const base = object * this.capacity;
    const end = base + this.count[object];
    let live = 0;
    for (let k = base; k < end; k++) if (this.population.departed[this.holders[k]] === 0) live++;
    return live;
  }

  /** Pieces of `object` on online identities. */
  onlinePieces(object: number): number {
    const base = object * this.capacity;
    const end = base + this.count[object];
    let online = 0;
    for (let k = base; k < end; k++) online += this.population.online[this.holders[k]];
    return online;
  }
}
