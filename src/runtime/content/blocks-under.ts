/**
 * Every block a root reaches through the links the store recorded at put: the root first, then
 * depth first in link order, each block once. A CAR export streams them in this order; placement
 * places each of them. The walk reads only the index, never a block's bytes.
 */
import type { CID } from '../../services/storage/dag/cids.ts';
import type { Blockstore } from '../storage/blockstore.ts';

/** Distinct blocks one walk visits at most (a bound on its visited set). */
export const BLOCKS_UNDER_MAX = 10_000_000;

export function* blocksUnder(root: CID, store: Blockstore): Generator<CID> {
  const seen = new Set<string>();
  const stack: CID[] = [root];
  while (stack.length > 0) {
    const cid = stack.pop() as CID;
    const key = cid.toString();
    if (seen.has(key)) continue;
    if (seen.size >= BLOCKS_UNDER_MAX) throw new Error(`more than ${BLOCKS_UNDER_MAX} blocks under ${root}`);
    seen.add(key);
    yield cid;
    const children = store.links(cid);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}
