/**
 * CAR files (IPLD's content-addressed archives, v1) in and out of the blockstore: `peergrid export`
 * and `peergrid import`. Plain content is UnixFS, so a CAR we write can be imported by kubo or
 * Helia and read there, and theirs by us (docs/STORAGE.md). The @ipld/car library does the framing.
 *
 * Import trusts nothing in the file: every block is checked against its CID before it is stored;
 * blocks that do not match, or are too large, are counted and named in the report, the rest are
 * stored. The roots are pinned recursively (name `import`); blocks the roots do not reach through
 * readable links — encrypted nodes are opaque — are pinned directly under the same name, so a gc
 * right after an import keeps everything it brought.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { CarBlockIterator } from '@ipld/car';
import { CID, matchesCid } from '../../services/storage/dag/cids.ts';
import type { Blockstore } from '../storage/blockstore.ts';
import { BlockstoreLimits } from '../storage/blockstore-limits.ts';
import { linksOf } from './block-links.ts';
import { carStream } from './car-stream.ts';
import { sha256 } from './content-hash.ts';

/** Blocks stored per batch while importing. */
const IMPORT_BATCH_BLOCKS = 64;
/** Bad blocks named in an import report (the count is exact). */
const BAD_BLOCKS_LISTED_MAX = 20;

export const IMPORT_PIN_NAME = 'import';

export interface ExportResult {
  readonly blocks: number;
  readonly bytes: number;
}

/** Writes `root` and every block it reaches through recorded links to `path` (which must not exist). */
export async function exportCar(root: CID, store: Blockstore, path: string): Promise<ExportResult> {
  const totals = { blocks: 0, bytes: 0 };
  await pipeline(carStream(root, store, totals), createWriteStream(path, { flags: 'wx' }));
  return totals;
}

export interface ImportResult {
  readonly roots: readonly CID[];
  readonly blocks: number;
  readonly bytes: number;
  /** Blocks refused: not matching their CID, or over the block size limit. */
  readonly refused: number;
  readonly refusedCids: readonly string[];
}

export function importCar(path: string, store: Blockstore): Promise<ImportResult> {
  return importCarStream(createReadStream(path), store);
}

/** Imports a CAR as it arrives (a file, an HTTP upload): nothing is staged on disk first. */
export async function importCarStream(source: AsyncIterable<Uint8Array>, store: Blockstore): Promise<ImportResult> {
  const iterator = await CarBlockIterator.fromIterable(source);
  const roots = await iterator.getRoots();
  const session = store.openSession();
  const linked = new Map<string, CID[]>();
  const stored: CID[] = [];
  const refusedCids: string[] = [];
  let refused = 0;
  let bytes = 0;
  let batch: { cid: CID; bytes: Uint8Array; links: CID[] }[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    await store.putMany(batch, { session });
    batch = [];
  };
  try {
    for await (const block of iterator) {
      const cid = CID.asCID(block.cid);
      const ok = cid !== null && block.bytes.length <= BlockstoreLimits.blockBytesMax && matchesCid(cid, block.bytes, sha256);
      const links = ok ? linksOf(cid, block.bytes) : null;
      if (!ok || links === null) {
        refused++;
        if (refusedCids.length < BAD_BLOCKS_LISTED_MAX) refusedCids.push(String(block.cid));
        continue;
      }
      linked.set(cid.toString(), links);
      stored.push(cid);
      bytes += block.bytes.length;
      batch.push({ cid, bytes: block.bytes, links });
      if (batch.length >= IMPORT_BATCH_BLOCKS) await flush();
    }
    await flush();
    pinImported(store, roots, stored, linked);
  } finally {
    session.close();
  }
  return { roots, blocks: stored.length, bytes, refused, refusedCids };
}

function pinImported(store: Blockstore, roots: readonly CID[], stored: readonly CID[], linked: ReadonlyMap<string, CID[]>): void {
  const reached = new Set<string>();
  const stack = roots.filter((root) => linked.has(root.toString()));
  for (const root of stack) store.pin(root, { recursive: true, name: IMPORT_PIN_NAME });
  while (stack.length > 0) {
    const cid = stack.pop() as CID;
    const key = cid.toString();
    if (reached.has(key)) continue;
    reached.add(key);
    for (const child of linked.get(key) ?? []) stack.push(child);
  }
  for (const cid of stored) if (!reached.has(cid.toString())) store.pin(cid, { recursive: false, name: IMPORT_PIN_NAME });
}
