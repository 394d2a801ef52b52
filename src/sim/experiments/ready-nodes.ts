/**
 * The nodes a lookup experiment draws bootstraps and lookup origins from: those online that have
 * finished their joins (lookup-experiment.ts).
 */
import { randomBelow } from '../../core/random.ts';
import type { Prng } from '../prng.ts';
import type { SimNode } from '../world.ts';

/**
 * Nodes that finished their joins, waiting to become ready: each enters the ReadySet at its time,
 * and nodes due at the same time in the order of their indices, so the set's order (which random
 * choices from it depend on) is the same whatever order the joins were reported in — in a split
 * run, each part learns of the others' joins later than of its own.
 */
export class ReadyQueue {
  /** Sorted by time, then node index. */
  private readonly entries: { atMs: number; index: number; generation: number }[] = [];

  /**
   * Node `index` finished the join of its `generation` (its count of starts): it is ready at `atMs`
   * if still online in it. Nodes are named by index: in a split run, a notice may come before this
   * part has made the node, which it will have by then.
   */
  add(atMs: number, index: number, generation: number): void {
    const entries = this.entries;
    let at = entries.length;
    while (at > 0 && (entries[at - 1].atMs > atMs || (entries[at - 1].atMs === atMs && entries[at - 1].index > index))) at--;
    entries.splice(at, 0, { atMs, index, generation });
  }

  /** Moves every node due by `nowMs` into `ready`, unless it has gone offline (or restarted) since. */
  moveDue(nowMs: number, ready: ReadySet, nodes: readonly SimNode[]): void {
    const entries = this.entries;
    let due = 0;
    while (due < entries.length && entries[due].atMs <= nowMs) {
      const { index, generation } = entries[due++];
      const node = nodes[index];
      if (node === undefined) throw new RangeError(`node ${index} became ready at ${nowMs} ms before it existed`);
      if (node.online && node.generation === generation) ready.add(node);
    }
    if (due > 0) entries.splice(0, due);
  }
}

/** A set of nodes with O(1) add, remove and uniform random choice. */
export class ReadySet {
  private readonly items: SimNode[] = [];
  private readonly positions = new Map<SimNode, number>();

  get size(): number {
    return this.items.length;
  }

  add(node: SimNode): void {
    if (this.positions.has(node)) return;
    this.positions.set(node, this.items.length);
    this.items.push(node);
  }

  remove(node: SimNode): void {
    const at = this.positions.get(node);
    if (at === undefined) return;
    const last = this.items.pop() as SimNode;
    if (last !== node) {
      this.items[at] = last;
      this.positions.set(last, at);
    }
    this.positions.delete(node);
  }

  pick(random: Prng): SimNode | undefined {
    return this.items.length === 0 ? undefined : this.items[randomBelow(random, this.items.length)];
  }
}
