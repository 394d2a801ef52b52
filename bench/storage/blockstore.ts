/**
 * The local blockstore (src/runtime/storage/): how fast it puts and gets, per durability mode, as
 * ratios to a same-run baseline on the same disk — the same bytes written to one file with
 * fs.writeFile and one fsync, and read back with fs.readFile.
 *
 * N MiB (64 by default) of deterministic incompressible bytes (AES-256-CTR of zeros), cut into
 * 256 KiB and into 1 MiB blocks (raw CIDs, hashed once beforehand: hashing is reported on its own).
 * For each block size:
 *   put      one block per call (a pack of one block), 'block' durability (write the pack, fsync,
 *            rename, fsync packs/, FULL commit) and 'none' (no fsync); 'batch' is the same as 'block'
 *   putMany  16 MiB per call (one pack per 256 blocks), in each durability mode ('block' and
 *            'batch' do the same since packs: one fsync per pack; 'none')
 *   get      every block read back and verified, one at a time and 4 at a time, against
 *            fs.readFile of the one baseline file (warm page cache for both)
 * Each figure is the best of a few repetitions, each in a fresh store whose opening and closing are
 * not timed (a busy machine only slows a run down). Never asserts on time. Run alone: `node bench/storage/blockstore.ts [MiB]` prints the
 * JSON object (progress on stderr).
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CID } from 'multiformats/cid';
import { cidFromDigest, BlockCodecs } from '../../src/runtime/storage/block-cid.ts';
import { Blockstore, Durability } from '../../src/runtime/storage/blockstore.ts';

type Say = (line: string) => void;

const MIB = 1 << 20;
const BLOCK_SIZES_BYTES = [256 * 1024, MIB] as const;
const PUT_MANY_BYTES = 16 * MIB;
const REPETITIONS = 2;
const GET_PARALLELISM = 4;

export interface BlockstoreBenchmarkOptions {
  /** Bytes written per run, in MiB (default 64). */
  readonly totalMiB?: number;
  /** Where the stores and the baseline file go (default the OS temporary directory): the disk measured. */
  readonly dir?: string;
  readonly repetitions?: number;
}

interface Block {
  readonly cid: CID;
  readonly bytes: Uint8Array;
}

interface PutFigure {
  readonly blockKiB: number;
  readonly api: 'put' | 'putMany';
  readonly durability: Durability;
  readonly MiBps: number;
  readonly blocksPerSecond: number;
  /** Throughput over the baseline's (writeFile + one fsync of the same bytes): 1 = as fast. */
  readonly ratioToBaseline: number;
}

interface GetFigure {
  readonly blockKiB: number;
  readonly parallelism: number;
  readonly MiBps: number;
  readonly ratioToBaseline: number;
}

export interface BlockstoreBenchmarkResult {
  readonly totalMiB: number;
  readonly dir: string;
  readonly measure: string;
  readonly sha256MiBps: number;
  readonly baseline: { readonly writeFileFsyncMiBps: number; readonly writeFileNoFsyncMiBps: number; readonly readFileMiBps: number };
  readonly put: readonly PutFigure[];
  readonly get: readonly GetFigure[];
}

function deterministicBytes(length: number): Buffer {
  const cipher = createCipheriv('aes-256-ctr', Buffer.alloc(32, 7), Buffer.alloc(16, 0));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

async function bestMs(repetitions: number, body: () => Promise<void>): Promise<number> {
  let best = Infinity;
  for (let repetition = 0; repetition < repetitions; repetition++) {
    const started = performance.now();
    await body();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

async function writeOneFile(path: string, data: Uint8Array, sync: boolean): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    if (sync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rm(path);
}

export async function blockstoreBenchmark(say: Say, options: BlockstoreBenchmarkOptions = {}): Promise<BlockstoreBenchmarkResult> {
  const totalMiB = options.totalMiB ?? 64;
  const repetitions = options.repetitions ?? REPETITIONS;
  const totalBytes = totalMiB * MIB;
  const root = await mkdtemp(join(options.dir ?? tmpdir(), 'peergrid-blockstore-bench-'));
  const perSecond = (ms: number): number => round(totalBytes / MIB / (ms / 1000));
  try {
    const data = deterministicBytes(totalBytes);
    say(`blockstore benchmark: ${totalMiB} MiB in ${root}, best of ${repetitions}`);

    const hashMs = await bestMs(repetitions, async () => {
      for (let offset = 0; offset < totalBytes; offset += MIB) createHash('sha256').update(data.subarray(offset, offset + MIB)).digest();
    });
    const sha256MiBps = perSecond(hashMs);
    say(`sha256 (node:crypto): ${sha256MiBps} MiB/s`);

    const baselinePath = join(root, 'baseline.bin');
    const syncedMs = await bestMs(repetitions, () => writeOneFile(baselinePath, data, true));
    const unsyncedMs = await bestMs(repetitions, () => writeOneFile(baselinePath, data, false));
    const baseline = { writeFileFsyncMiBps: perSecond(syncedMs), writeFileNoFsyncMiBps: perSecond(unsyncedMs), readFileMiBps: 0 };
    say(`baseline: writeFile + fsync ${baseline.writeFileFsyncMiBps} MiB/s, without fsync ${baseline.writeFileNoFsyncMiBps} MiB/s`);

    const put: PutFigure[] = [];
    const get: GetFigure[] = [];
    for (const blockBytes of BLOCK_SIZES_BYTES) {
      const blocks: Block[] = [];
      for (let offset = 0; offset < totalBytes; offset += blockBytes) {
        const bytes = data.subarray(offset, offset + blockBytes);
        blocks.push({ cid: cidFromDigest(BlockCodecs.raw, createHash('sha256').update(bytes).digest()), bytes });
      }
      const blockKiB = blockBytes / 1024;
      const runs: { api: 'put' | 'putMany'; durability: Durability }[] = [
        { api: 'put', durability: Durability.block },
        { api: 'put', durability: Durability.none },
        { api: 'putMany', durability: Durability.block },
        { api: 'putMany', durability: Durability.batch },
        { api: 'putMany', durability: Durability.none },
      ];
      for (const run of runs) {
        // Opening (258 directories, the schema) and closing are not timed: only the puts.
        let ms = Infinity;
        for (let repetition = 0; repetition < repetitions; repetition++) {
          const store = await Blockstore.open(join(root, `${blockKiB}-${run.api}-${run.durability}-${repetition}`), { durability: run.durability });
          try {
            const started = performance.now();
            if (run.api === 'put') {
              for (const block of blocks) await store.put(block.cid, block.bytes);
            } else {
              const perCall = Math.max(1, PUT_MANY_BYTES / blockBytes);
              for (let start = 0; start < blocks.length; start += perCall) await store.putMany(blocks.slice(start, start + perCall));
            }
            ms = Math.min(ms, performance.now() - started);
          } finally {
            await store.close();
            await rm(store.dir, { recursive: true, force: true });
          }
        }
        const figure: PutFigure = {
          blockKiB,
          api: run.api,
          durability: run.durability,
          MiBps: perSecond(ms),
          blocksPerSecond: round(blocks.length / (ms / 1000)),
          ratioToBaseline: round(syncedMs / ms),
        };
        put.push(figure);
        say(`${blockKiB} KiB ${run.api} ${run.durability}: ${figure.MiBps} MiB/s, ${figure.blocksPerSecond} blocks/s, ${figure.ratioToBaseline} × writeFile+fsync`);
      }

      // Reads: one store holding every block, against the one file holding the same bytes.
      const store = await Blockstore.open(join(root, `${blockKiB}-get`), { durability: Durability.none });
      try {
        await store.putMany(blocks);
        const file = join(root, 'baseline-read.bin');
        const handle = await open(file, 'w');
        await handle.writeFile(data);
        await handle.close();
        const readMs = await bestMs(repetitions, async () => {
          await readFile(file);
        });
        baseline.readFileMiBps = perSecond(readMs);
        for (const parallelism of [1, GET_PARALLELISM]) {
          const ms = await bestMs(repetitions, async () => {
            let next = 0;
            await Promise.all(
              Array.from({ length: parallelism }, async () => {
                while (next < blocks.length) await store.get(blocks[next++].cid);
              }),
            );
          });
          const figure: GetFigure = { blockKiB, parallelism, MiBps: perSecond(ms), ratioToBaseline: round(readMs / ms) };
          get.push(figure);
          say(`${blockKiB} KiB get ×${parallelism}: ${figure.MiBps} MiB/s, ${figure.ratioToBaseline} × readFile (${baseline.readFileMiBps} MiB/s)`);
        }
        await rm(file);
      } finally {
        await store.close();
      }
    }
    return {
      totalMiB,
      dir: root,
      measure: `best of ${repetitions}; each put run in a fresh store; putMany ${PUT_MANY_BYTES / MIB} MiB per call; get verifies every block (sha2-256)`,
      sha256MiBps,
      baseline,
      put,
      get,
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const totalMiB = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
  const result = await blockstoreBenchmark((line) => process.stderr.write(`${line}\n`), { totalMiB });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
