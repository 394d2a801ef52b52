/**
 * The CIDs a block links to, read from the block itself: dag-pb links, CIDs anywhere inside a
 * dag-cbor value, none for raw blocks (an encrypted node is raw: its links are known only to
 * whoever holds its key). Used when blocks arrive without their links (a CAR import).
 */
import * as DagCbor from '@ipld/dag-cbor';
import * as DagPb from '@ipld/dag-pb';
import { CID, Codec } from '../../services/storage/dag/cids.ts';

/** A bound on the CIDs collected from one dag-cbor block, and on the nesting walked. */
const CBOR_LINKS_MAX = 10_000;
const CBOR_DEPTH_MAX = 64;

/** The block's links, or null when its bytes do not decode as its codec says. */
export function linksOf(cid: CID, bytes: Uint8Array): CID[] | null {
  try {
    if (cid.code === Codec.dagPb) return DagPb.decode(bytes).Links.map((link) => link.Hash);
    if (cid.code === Codec.dagCbor) {
      const out: CID[] = [];
      collectCids(DagCbor.decode(bytes), out, 0);
      return out;
    }
    return [];
  } catch {
    return null;
  }
}

function collectCids(value: unknown, out: CID[], depth: number): void {
  if (out.length >= CBOR_LINKS_MAX || depth > CBOR_DEPTH_MAX || value === null || typeof value !== 'object') return;
  const cid = CID.asCID(value);
  if (cid !== null) {
    out.push(cid);
    return;
  }
  if (value instanceof Uint8Array) return;
  for (const item of Array.isArray(value) ? value : Object.values(value)) collectCids(item, out, depth + 1);
}
