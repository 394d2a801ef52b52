/**
 * A binary min-heap of items ordered by (atMs, sequence). The sequence breaks ties in insertion
 * order, so two things due at the same instant always happen in the same order and runs stay
 * deterministic. Shared by a node's timers and the simulator's event queue.
 */
export interface Scheduled {
  readonly atMs: number;
  readonly sequence: number;
}

export class MinHeap<T extends Scheduled> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(items[index], items[parent])) break;
      swap(items, index, parent);
      index = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop() as T;
    if (items.length > 0) {
      items[0] = last;
      let index = 0;
      const length = items.length;
      for (;;) {
        const left = 2 * index + 1;
        const right = left + 1;
        let smallest = index;
        if (left < length && before(items[left], items[smallest])) smallest = left;
        if (right < length && before(items[right], items[smallest])) smallest = right;
        if (smallest === index) break;
        swap(items, index, smallest);
        index = smallest;
      }
    }
    return top;
  }

  clear(): void {
    this.items.length = 0;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.sequence < b.sequence);
}

function swap<T>(items: T[], i: number, j: number): void {
  const t = items[i];
  items[i] = items[j];
  items[j] = t;
}
