/**
 * The balanced layout of a file DAG, apart from what its nodes look like: subtrees come in left to
 * right, groups of at most `fanOut` get a parent as soon as they fill, and closing the tree gives
 * each partial group its parent, bottom up, until one root remains — so every leaf sits at the same
 * depth (kubo's "balanced" layout). Plain UnixFS files (file-layout.ts) and encrypted files
 * (encrypted-file-layout.ts) differ only in how a parent is made.
 */
export class BalancedTree<Subtree> {
  private readonly fanOut: number;
  private readonly makeParent: (children: readonly Subtree[]) => Subtree;
  /** layers[0] holds leaves without a parent yet, layers[1] their parents, and so on. */
  private readonly layers: Subtree[][] = [[]];
  private count = 0;

  constructor(fanOut: number, makeParent: (children: readonly Subtree[]) => Subtree) {
    this.fanOut = fanOut;
    this.makeParent = makeParent;
  }

  get leafCount(): number {
    return this.count;
  }

  addLeaf(leaf: Subtree): void {
    this.count++;
    this.push(0, leaf, false);
  }

  /** The root; null for a tree without leaves. */
  close(): Subtree | null {
    if (this.count === 0) return null;
    for (let level = 0; ; level++) {
      const layer = this.layers[level];
      const higherPending = this.layers.slice(level + 1).some((above) => above.length > 0);
      if (layer.length === 1 && !higherPending) return layer[0];
      if (layer.length > 0) this.push(level + 1, this.makeParent(layer.slice()), true);
      layer.length = 0;
    }
  }

  private push(level: number, subtree: Subtree, closing: boolean): void {
    if (this.layers.length <= level) this.layers.push([]);
    const layer = this.layers[level];
    layer.push(subtree);
    if (layer.length === this.fanOut && !closing) {
      const parent = this.makeParent(layer.slice());
      layer.length = 0;
      this.push(level + 1, parent, false);
    }
  }
}
