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
import { BalancedTree } from './balanced-tree.ts';
import { cidOf, Codec, type Block, type CID, type Sha256 } from './cids.ts';
import { ChunkIntake, checkFanOut } from './chunk-intake.ts';
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
  private readonly tree: BalancedTree<PendingLink>;
  /** Blocks made since the caller last took them. */
  private out: Block[] = [];
  private readonly intake = new ChunkIntake();

  constructor(sha256: Sha256, linksPerNodeMax: number = DagLimits.fileLinksPerNodeMax) {
    this.sha256 = sha256;
    this.tree = new BalancedTree(checkFanOut(linksPerNodeMax), (children) => this.parentOf(children));
  }

  /** Adds the next chunk; returns the blocks now complete (its leaf, and any parent that filled up). */
  add(chunk: Uint8Array): Block[] {
    if (!this.intake.accept(chunk)) return [];
    const cid = cidOf(Codec.raw, chunk, this.sha256);
    this.out.push({ cid, bytes: chunk, links: [] });
    this.tree.addLeaf({ cid, fileBytes: chunk.length, dagBytes: chunk.length });
    return this.take();
  }

  /** Closes the file: returns the blocks still pending (parents up to the root) and the root. */
  finish(): { blocks: Block[]; dag: FileDag } {
    this.intake.finish();
    let root = this.tree.close();
    if (root === null) {
      const empty = new Uint8Array(0);
      const cid = cidOf(Codec.raw, empty, this.sha256);
      this.out.push({ cid, bytes: empty, links: [] });
      root = { cid, fileBytes: 0, dagBytes: 0 };
    }
    return { blocks: this.take(), dag: { root: root.cid, fileBytes: root.fileBytes, dagBytes: root.dagBytes } };
  }

  private take(): Block[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private parentOf(children: readonly PendingLink[]): PendingLink {
    const unixfs = new UnixFS({ type: 'file', blockSizes: children.map((child) => BigInt(child.fileBytes)) });
    const bytes = DagPb.encode({ Data: unixfs.marshal(), Links: children.map((child) => ({ Hash: child.cid, Name: '', Tsize: child.dagBytes })) });
    const cid = cidOf(Codec.dagPb, bytes, this.sha256);
    this.out.push({ cid, bytes, links: children.map((child) => child.cid) });
    let fileBytes = 0;
    let dagBytes = bytes.length;
    for (const child of children) {
      fileBytes += child.fileBytes;
      dagBytes += child.dagBytes;
    }
    return { cid, fileBytes, dagBytes };
  }
}
