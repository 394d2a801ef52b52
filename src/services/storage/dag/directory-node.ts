/**
 * Directories as UnixFS (dag-pb) nodes: one link per entry, named, sorted by name (as dag-pb
 * requires), each with the total encoded size of what it names (Tsize). Directories larger than
 * DagLimits.directoryEntriesMax are refused rather than sharded (UnixFS HAMT sharding is not
 * implemented: docs/STORAGE.md).
 */
import * as DagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { cidOf, Codec, type Block, type CID, type Sha256 } from './cids.ts';
import { DagError } from './dag-error.ts';
import { checkEntryNames } from './entry-name.ts';
import { decodeUnixfsNode } from './unixfs-node.ts';

export interface DirectoryEntry {
  readonly name: string;
  readonly cid: CID;
  /** Encoded bytes of everything under the entry (dag-pb Tsize). */
  readonly dagBytes: number;
}

export function directoryBlock(entries: readonly DirectoryEntry[], sha256: Sha256): Block {
  checkEntryNames(entries.map((entry) => entry.name));
  const links = entries.map((entry) => ({ Hash: entry.cid, Name: entry.name, Tsize: entry.dagBytes }));
  // dag-pb sorts links by the bytes of their names; sorting here keeps the encoding canonical.
  links.sort((a, b) => compareBytes(encoder.encode(a.Name), encoder.encode(b.Name)));
  const bytes = DagPb.encode({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: links });
  return { cid: cidOf(Codec.dagPb, bytes, sha256), bytes, links: links.map((link) => link.Hash) };
}

/** Whether a block is a UnixFS directory (false for files and raw leaves; throws on garbage). */
export function isDirectoryBlock(cid: CID, bytes: Uint8Array): boolean {
  return cid.code === Codec.dagPb && decodeUnixfsNode(cid, bytes).unixfs.type === 'directory';
}

/** The entries of a directory block, every name checked; a bad name refuses the whole directory. */
export function readDirectory(cid: CID, bytes: Uint8Array): DirectoryEntry[] {
  const { node, unixfs } = decodeUnixfsNode(cid, bytes);
  if (unixfs.type === 'hamt-sharded-directory') throw new DagError('sharded (HAMT) directories are not supported yet', cid.toString());
  if (unixfs.type !== 'directory') throw new DagError(`expected a directory, found a UnixFS ${unixfs.type}`, cid.toString());
  const entries = node.Links.map((link) => ({ name: link.Name ?? '', cid: link.Hash, dagBytes: link.Tsize ?? 0 }));
  checkEntryNames(entries.map((entry) => entry.name), cid.toString());
  return entries;
}

const encoder = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
