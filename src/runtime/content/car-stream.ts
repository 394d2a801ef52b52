/**
 * A CAR v1 file (the CAR specification: a varint-framed dag-cbor header `{ version: 1, roots }`,
 * then one varint-framed `CID bytes ‖ block bytes` per block) written as a stream, for the API's
 * export and for car-files.ts's exportCar: the root, then every block it reaches
 * through the links the store recorded, depth first in link order, each block once — yielded
 * piece by piece so a large export is never held in memory or written to a file first. The
 * framing is a few lines; @ipld/car reads what this writes (tested).
 */
import * as DagCbor from '@ipld/dag-cbor';
import { varint } from 'multiformats';
import type { CID } from '../../services/storage/dag/cids.ts';
import type { Blockstore } from '../storage/blockstore.ts';

/** Distinct blocks one export walks at most (a bound on the visited set), as exportCar. */
const EXPORT_BLOCKS_MAX = 10_000_000;

/** The CAR of `root` and everything it reaches; `totals`, when given, counts the blocks and their bytes. */
export async function* carStream(root: CID, store: Blockstore, totals?: { blocks: number; bytes: number }): AsyncGenerator<Uint8Array> {
  yield framed(DagCbor.encode({ version: 1, roots: [root] }));
  const seen = new Set<string>();
  const stack: CID[] = [root];
  while (stack.length > 0) {
    const cid = stack.pop() as CID;
    const key = cid.toString();
    if (seen.has(key)) continue;
    if (seen.size >= EXPORT_BLOCKS_MAX) throw new Error(`more than ${EXPORT_BLOCKS_MAX} blocks under ${root}`);
    seen.add(key);
    const bytes = await store.get(cid);
    if (totals) {
      totals.blocks++;
      totals.bytes += bytes.length;
    }
    yield framed(cid.bytes, bytes);
    const children = store.links(cid);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
  }
}

function framed(...parts: Uint8Array[]): Uint8Array {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const prefix = varint.encodingLength(length);
  const out = new Uint8Array(prefix + length);
  varint.encodeTo(length, out, 0);
  let at = prefix;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
