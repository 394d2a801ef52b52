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
import { blocksUnder } from './blocks-under.ts';

/** The CAR of `root` and everything it reaches; `totals`, when given, counts the blocks and their bytes. */
export async function* carStream(root: CID, store: Blockstore, totals?: { blocks: number; bytes: number }): AsyncGenerator<Uint8Array> {
  yield framed(DagCbor.encode({ version: 1, roots: [root] }));
  for (const cid of blocksUnder(root, store)) {
    const bytes = await store.get(cid);
    if (totals) {
      totals.blocks++;
      totals.bytes += bytes.length;
    }
    yield framed(cid.bytes, bytes);
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
