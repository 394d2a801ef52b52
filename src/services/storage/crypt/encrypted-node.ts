/**
 * The nodes of encrypted content, before encryption: dag-cbor maps that name their children by
 * CID *and key*, so only a reader holding the parent's key can follow them. Stored encrypted, as
 * raw blocks: a storage node sees neither the tree's shape nor names nor sizes beyond block sizes.
 *
 * file node:      { v: 1, kind: 'file', depth, size, links: [[cid, key, size], …] }
 *                 depth 1: the links are encrypted chunks; depth d > 1: file nodes of depth d - 1.
 * directory node: { v: 1, kind: 'dir', entries: [[name, cid, key, size], …] } — each entry is the
 *                 root node of a file or directory; its kind is in that node.
 *
 * Decoding checks everything a reader relies on and throws DagError otherwise.
 */
import * as DagCbor from '@ipld/dag-cbor';
import { CID } from '../dag/cids.ts';
import { DagError } from '../dag/dag-error.ts';
import { checkEntryNames } from '../dag/entry-name.ts';
import { DagLimits } from '../dag/limits.ts';
import { CONTENT_KEY_BYTES } from './content-cipher.ts';

export interface KeyedLink {
  readonly cid: CID;
  readonly key: Uint8Array;
  /** Plaintext bytes under the link: a chunk's length, or a subtree's file size. */
  readonly size: number;
}

export interface EncryptedFileNode {
  readonly kind: 'file';
  readonly depth: number;
  readonly size: number;
  readonly links: readonly KeyedLink[];
}

export interface EncryptedDirectoryEntry extends KeyedLink {
  readonly name: string;
}

export interface EncryptedDirectoryNode {
  readonly kind: 'dir';
  readonly entries: readonly EncryptedDirectoryEntry[];
}

export type EncryptedNode = EncryptedFileNode | EncryptedDirectoryNode;

const VERSION = 1;

export function encodeEncryptedNode(node: EncryptedNode): Uint8Array {
  if (node.kind === 'file') {
    return DagCbor.encode({ v: VERSION, kind: 'file', depth: node.depth, size: node.size, links: node.links.map((link) => [link.cid, link.key, link.size]) });
  }
  const entries = [...node.entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return DagCbor.encode({ v: VERSION, kind: 'dir', entries: entries.map((entry) => [entry.name, entry.cid, entry.key, entry.size]) });
}

export function decodeEncryptedNode(bytes: Uint8Array, where: string): EncryptedNode {
  let value: unknown;
  try {
    value = DagCbor.decode(bytes);
  } catch (error) {
    throw new DagError(`not an encrypted node: ${(error as Error).message}`, where);
  }
  if (!isRecord(value) || value.v !== VERSION) throw new DagError('not a version-1 encrypted node', where);
  if (value.kind === 'file') {
    const { depth, size, links } = value;
    if (!isCount(depth) || depth < 1 || depth > DagLimits.depthMax) throw new DagError(`bad depth ${String(depth)}`, where);
    if (!isCount(size) || size > DagLimits.fileBytesMax) throw new DagError(`bad size ${String(size)}`, where);
    if (!Array.isArray(links) || links.length > DagLimits.fileLinksPerNodeMax) throw new DagError('bad links', where);
    const decoded = links.map((link) => keyedLink(link, 0, where));
    const total = decoded.reduce((sum, link) => sum + link.size, 0);
    if (total !== size) throw new DagError(`links add up to ${total} bytes, the node says ${size}`, where);
    if (depth === 1 && decoded.some((link) => link.size > DagLimits.blockBytesMax)) throw new DagError('a chunk larger than a block', where);
    return { kind: 'file', depth, size, links: decoded };
  }
  if (value.kind === 'dir') {
    const { entries } = value;
    if (!Array.isArray(entries) || entries.length > DagLimits.directoryEntriesMax) throw new DagError('bad entries', where);
    const decoded = entries.map((entry): EncryptedDirectoryEntry => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') throw new DagError('bad directory entry', where);
      return { name: entry[0], ...keyedLink(entry, 1, where) };
    });
    checkEntryNames(decoded.map((entry) => entry.name), where);
    return { kind: 'dir', entries: decoded };
  }
  throw new DagError(`unknown node kind ${JSON.stringify(String(value.kind))}`, where);
}

function keyedLink(entry: unknown, offset: number, where: string): KeyedLink {
  if (!Array.isArray(entry) || entry.length !== offset + 3) throw new DagError('bad link', where);
  const cid = CID.asCID(entry[offset]);
  const key = entry[offset + 1];
  const size = entry[offset + 2];
  if (cid === null || cid.version !== 1) throw new DagError('a link without a CIDv1', where);
  if (!(key instanceof Uint8Array) || key.length !== CONTENT_KEY_BYTES) throw new DagError('a link without a 32-byte key', where);
  if (!isCount(size) || size > DagLimits.fileBytesMax) throw new DagError(`a link of absurd size ${String(size)}`, where);
  return { cid, key, size };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
