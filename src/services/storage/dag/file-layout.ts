/**
 * Builds the DAG of one file as UnixFS (dag-pb) over raw leaves, streaming: chunks go in one at a
 * time and blocks come out as soon as they are complete, so a 1 GiB file never sits in memory.
 *
 * The shape is kubo's "balanced" layout: leaves in order, grouped under parents of at most 174
 * links, parents grouped the same way, until one root remains; all leaves are at one depth. A file
 * of one chunk is that raw leaf itself (as `ipfs add --raw-leaves` does), an empty file the raw
 * block of no bytes. IPFS tools can therefore read what we store (docs/STORAGE.md: why UnixFS).
 */
import * as DagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { cidOf, Codec, type Block, type CID, type Sha256 } from './cids.ts';
import { DagError } from './dag-error.ts';
import { DagLimits } from './limits.ts';

/** A finished subtree waiting for its parent. */
interface PendingLink {
  readonly cid: CID;
  /** File bytes under it. */
  readonly fileBytes: number;
  /** Encoded bytes of every block under it, itself included (dag-pb's Tsize). */
  readonly dagBytes: number;
}

export interface FileDag {
  readonly root: CID;
  readonly fileBytes: number;
  readonly dagBytes: number;
}

export class FileDagBuilder {
  private readonly sha256: Sha256;
  private readonly linksPerNodeMax: number;
  /** layers[0] holds leaves without a parent yet, layers[1] their parents, and so on. */
  private readonly layers: PendingLink[][] = [[]];
  private fileBytes = 0;
  private leafCount = 0;
  private finished = false;

  constructor(sha256: Sha256, linksPerNodeMax: number = DagLimits.fileLinksPerNodeMax) {
    if (!Number.isInteger(linksPerNodeMax) || linksPerNodeMax < 2 || linksPerNodeMax > DagLimits.fileLinksPerNodeMax) {
      throw new RangeError(`linksPerNodeMax must be an integer in [2, ${DagLimits.fileLinksPerNodeMax}]`);
    }
    this.sha256 = sha256;
    this.linksPerNodeMax = linksPerNodeMax;
  }

  /** Adds the next chunk; returns the blocks now complete (its leaf, and any parent that filled up). */
  add(chunk: Uint8Array): Block[] {
    if (this.finished) throw new Error('the file DAG is finished');
    if (chunk.length > DagLimits.blockBytesMax) throw new RangeError(`a chunk is at most ${DagLimits.blockBytesMax} bytes`);
    if (chunk.length === 0) return [];
    this.fileBytes += chunk.length;
    if (this.fileBytes > DagLimits.fileBytesMax) throw new DagError(`a file is at most ${DagLimits.fileBytesMax} bytes`);
    const cid = cidOf(Codec.raw, chunk, this.sha256);
    const out: Block[] = [{ cid, bytes: chunk, links: [] }];
    this.leafCount++;
    this.push(0, { cid, fileBytes: chunk.length, dagBytes: chunk.length }, out, false);
    return out;
  }

  /** Closes the file: returns the blocks still pending (parents up to the root) and the root. */
  finish(): { blocks: Block[]; dag: FileDag } {
    if (this.finished) throw new Error('the file DAG is finished');
    this.finished = true;
    const out: Block[] = [];
    if (this.leafCount === 0) {
      const empty = new Uint8Array(0);
      const cid = cidOf(Codec.raw, empty, this.sha256);
      out.push({ cid, bytes: empty, links: [] });
      return { blocks: out, dag: { root: cid, fileBytes: 0, dagBytes: 0 } };
    }
    // Close every layer from the bottom up: each partial group gets its parent, until the top
    // layer holds one node, the root.
    for (let level = 0; ; level++) {
      const layer = this.layers[level];
      const higherPending = this.layers.slice(level + 1).some((above) => above.length > 0);
      if (layer.length === 1 && !higherPending) {
        const root = layer[0];
        return { blocks: out, dag: { root: root.cid, fileBytes: root.fileBytes, dagBytes: root.dagBytes } };
      }
      if (layer.length > 0) this.push(level + 1, this.parentOf(layer, out), out, true);
      layer.length = 0;
    }
  }

  /** Adds a finished subtree to a layer, emitting a parent when the layer is full. */
  private push(level: number, link: PendingLink, out: Block[], closing: boolean): void {
    if (this.layers.length <= level) this.layers.push([]);
    const layer = this.layers[level];
    layer.push(link);
    if (layer.length === this.linksPerNodeMax && !closing) {
      const parent = this.parentOf(layer, out);
      layer.length = 0;
      this.push(level + 1, parent, out, false);
    }
  }

  private parentOf(children: readonly PendingLink[], out: Block[]): PendingLink {
    const unixfs = new UnixFS({ type: 'file', blockSizes: children.map((child) => BigInt(child.fileBytes)) });
    const bytes = DagPb.encode({ Data: unixfs.marshal(), Links: children.map((child) => ({ Hash: child.cid, Name: '', Tsize: child.dagBytes })) });
    const cid = cidOf(Codec.dagPb, bytes, this.sha256);
    out.push({ cid, bytes, links: children.map((child) => child.cid) });
    let fileBytes = 0;
    let dagBytes = bytes.length;
    for (const child of children) {
      fileBytes += child.fileBytes;
      dagBytes += child.dagBytes;
    }
    return { cid, fileBytes, dagBytes };
  }
}
