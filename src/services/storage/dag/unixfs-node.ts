/** Decodes a dag-pb block carrying UnixFS data; anything else is a DagError naming the block. */
import * as DagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from './cids.ts';
import { DagError } from './dag-error.ts';

export function decodeUnixfsNode(cid: CID, bytes: Uint8Array): { node: DagPb.PBNode; unixfs: UnixFS } {
  try {
    const node = DagPb.decode(bytes);
    if (node.Data === undefined) throw new Error('no UnixFS data');
    return { node, unixfs: UnixFS.unmarshal(node.Data) };
  } catch (error) {
    throw new DagError(`not a UnixFS node: ${(error as Error).message}`, cid.toString());
  }
}
