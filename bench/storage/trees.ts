/**
 * Trees through the command line (`npm run bench -- trees`): what `peergrid put` and `peergrid get`
 * pay for content that comes as many files rather than one, each measured against the same bytes
 * as one file, by the same commands, on the same nodes, in the same run.
 *
 * - put: a tree of many small files (10 directories) into one node, `--local`, encrypted as by
 *   default, against `put --local` of one file of the same total size: `treePutVsFilePut` (time
 *   over time; 1 would mean the files cost nothing beyond their bytes).
 * - get: a plain directory of a few large files, added by a source, fetched by a getter that holds
 *   none of it, over loopback, against a get of one file of the same size from the same source:
 *   `treeGetVsFileGet`, and when the first complete file of the tree was on disk
 *   (`firstFileSeconds`: a directory streams while it is fetched, docs/storage-network.md).
 * - get of the small tree: the tree of many small files that the put stored, fetched by the getter,
 *   against a get of the one file of the same size: `smallTreeGetVsFileGet`.
 *
 * Each command is a real `peergrid` process against a grid-node.ts node's API, timed from its start
 * to its exit. Run alone: `node bench/storage/trees.ts [--small-files N] [--large-files N]`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addPseudoRandomFile } from './grid-content.ts';
import { finishMachineLoad, keptOnFailure, machineLoadNow, withGrid, type GridNode, type MachineLoad } from './grid.ts';
import { GETTER_STORAGE, SOURCE_STORAGE } from './single-source-get.ts';

type Say = (line: string) => void;

const MiB = 1 << 20;
const BIN = fileURLToPath(new URL('../../bin/peergrid.js', import.meta.url));
const SMALL_FILE_BYTES = 10_000;
const LARGE_FILE_BYTES = 8 * MiB;
const SUBDIRECTORIES = 10;

export interface TreesResult {
  readonly put: {
    readonly files: number;
    readonly bytes: number;
    readonly seconds: number;
    readonly filesPerSecond: number;
    readonly oneFileSeconds: number;
    readonly treePutVsFilePut: number;
  };
  readonly smallTreeGet: {
    readonly files: number;
    readonly bytes: number;
    readonly seconds: number;
    readonly filesPerSecond: number;
    readonly oneFileSeconds: number;
    readonly smallTreeGetVsFileGet: number;
  };
  readonly get: {
    readonly files: number;
    readonly bytes: number;
    readonly seconds: number;
    readonly firstFileSeconds: number | null;
    readonly oneFileSeconds: number;
    readonly treeGetVsFileGet: number;
  };
  readonly machine: MachineLoad;
}

export async function treesBenchmark(say: Say, smallFiles = 1000, largeFiles = 32): Promise<TreesResult> {
  const machine = machineLoadNow();
  const dir = await mkdtemp(join(tmpdir(), 'peergrid-bench-trees-'));
  const specs = [{ name: 'source', storage: SOURCE_STORAGE }, { name: 'getter', storage: GETTER_STORAGE }];
  const result = await keptOnFailure(dir, say, () => withGrid(dir, specs, say, async (grid) => {
    const source = grid.node('source');
    const getter = grid.node('getter');
    const { put, tree, one } = await measurePut(say, dir, source, smallFiles);
    const smallTreeGet = await measureSmallTreeGet(say, dir, getter, put, tree, one);
    const get = await measureGet(say, dir, source, getter, largeFiles);
    return { put, smallTreeGet, get };
  }));
  return { ...result, machine: finishMachineLoad(machine) };
}

/** What `peergrid put --json` printed: the reference to read the content by. */
interface PutAnswer {
  readonly cid: string;
  readonly capability: string | null;
}

function refOf(answer: PutAnswer): string {
  return answer.capability ?? answer.cid;
}

async function measurePut(say: Say, dir: string, node: GridNode, files: number): Promise<{ put: TreesResult['put']; tree: string; one: string }> {
  const tree = join(dir, 'small-tree');
  for (let index = 0; index < files; index++) {
    const sub = join(tree, `d${index % SUBDIRECTORIES}`);
    await mkdir(sub, { recursive: true });
    await writeFile(join(sub, `f${index}`), randomBytes(SMALL_FILE_BYTES));
  }
  const one = join(dir, 'small-tree-as-one-file');
  await writeFile(one, randomBytes(files * SMALL_FILE_BYTES));
  say(`  put --local of ${files} files of ${SMALL_FILE_BYTES} bytes, and of one file of the same size`);
  const treeRun = await peergrid(['put', tree, '--local'], node);
  const oneRun = await peergrid(['put', one, '--local'], node);
  say(`  tree ${treeRun.seconds.toFixed(2)} s, one file ${oneRun.seconds.toFixed(2)} s`);
  const put = {
    files, bytes: files * SMALL_FILE_BYTES, seconds: round3(treeRun.seconds), filesPerSecond: Math.round(files / treeRun.seconds),
    oneFileSeconds: round3(oneRun.seconds), treePutVsFilePut: round3(treeRun.seconds / oneRun.seconds),
  };
  return { put, tree: refOf(JSON.parse(treeRun.stdout) as PutAnswer), one: refOf(JSON.parse(oneRun.stdout) as PutAnswer) };
}

/** The small tree the put stored, and the one file of its size, fetched by a node that holds neither. */
async function measureSmallTreeGet(say: Say, dir: string, getter: GridNode, put: TreesResult['put'], tree: string, one: string): Promise<TreesResult['smallTreeGet']> {
  say(`  get of the ${put.files} small files, and of the one file of their size`);
  const treeRun = await peergrid(['get', tree, '-o', join(dir, 'got-small-tree')], getter);
  const oneRun = await peergrid(['get', one, '-o', join(dir, 'got-small-tree-as-one-file')], getter);
  say(`  tree ${treeRun.seconds.toFixed(2)} s, one file ${oneRun.seconds.toFixed(2)} s`);
  return {
    files: put.files, bytes: put.bytes, seconds: round3(treeRun.seconds), filesPerSecond: Math.round(put.files / treeRun.seconds),
    oneFileSeconds: round3(oneRun.seconds), smallTreeGetVsFileGet: round3(treeRun.seconds / oneRun.seconds),
  };
}

async function measureGet(say: Say, dir: string, source: GridNode, getter: GridNode, files: number): Promise<TreesResult['get']> {
  const entries: { name: string; ref: string }[] = [];
  for (let index = 0; index < files; index++) {
    const added = await addPseudoRandomFile(source.api, LARGE_FILE_BYTES, 1000 + index);
    entries.push({ name: `f${String(index).padStart(3, '0')}`, ref: added.cid });
  }
  const directory = await source.api.makeDirectory({ entries, encrypt: false });
  const one = await addPseudoRandomFile(source.api, files * LARGE_FILE_BYTES, 7);
  say(`  get of a directory of ${files} files of ${LARGE_FILE_BYTES / MiB} MiB from the source, and of one file of the same size`);
  const treeOut = join(dir, 'got-tree');
  const firstFile = watchFirstFile(treeOut, LARGE_FILE_BYTES);
  const treeRun = await peergrid(['get', directory.cid, '-o', treeOut], getter);
  firstFile.stop();
  const oneRun = await peergrid(['get', one.cid, '-o', join(dir, 'got-one')], getter);
  say(`  tree ${treeRun.seconds.toFixed(2)} s (first file ${firstFile.seconds()?.toFixed(2) ?? '—'} s), one file ${oneRun.seconds.toFixed(2)} s`);
  const firstSeconds = firstFile.seconds();
  return {
    files, bytes: files * LARGE_FILE_BYTES, seconds: round3(treeRun.seconds), firstFileSeconds: firstSeconds === null ? null : round3(firstSeconds),
    oneFileSeconds: round3(oneRun.seconds), treeGetVsFileGet: round3(treeRun.seconds / oneRun.seconds),
  };
}

/**
 * Runs `peergrid <args> --json` against `node`'s API; its time from start to exit, and what it
 * printed. Fails with its stderr on a non-zero exit.
 */
function peergrid(args: readonly string[], node: GridNode): Promise<{ seconds: number; stdout: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args, '--api', node.started.api, '--token-file', node.started.apiTokenFile, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status) => {
      if (status === 0) resolve({ seconds: (performance.now() - started) / 1000, stdout });
      else reject(new Error(`peergrid ${args.join(' ')} exited with ${status}: ${stderr.trim()}`));
    });
  });
}

/** Polls `directory` every 10 ms until a file of `bytes` appears in it (the get writes each under a temporary name first). */
function watchFirstFile(directory: string, bytes: number): { stop(): void; seconds(): number | null } {
  const started = performance.now();
  let found: number | null = null;
  let polling = false;
  const timer = setInterval(() => {
    if (found !== null || polling) return;
    polling = true;
    void firstComplete(directory, bytes).then((complete) => {
      if (complete && found === null) found = (performance.now() - started) / 1000;
    }).finally(() => (polling = false));
  }, 10);
  return { stop: () => clearInterval(timer), seconds: () => found };
}

async function firstComplete(directory: string, bytes: number): Promise<boolean> {
  const names = await readdir(directory).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const size = await stat(join(directory, name)).then((stats) => stats.size, () => -1);
    if (size === bytes) return true;
  }
  return false;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** `--small-files N` and `--large-files N` from the benchmark's arguments. */
export function treesOptions(argv: readonly string[]): { smallFiles: number; largeFiles: number } {
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(name);
    if (at < 0) return fallback;
    const parsed = Number(argv[at + 1]);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} wants a positive integer, got ${argv[at + 1]}`);
    return parsed;
  };
  return { smallFiles: value('--small-files', 1000), largeFiles: value('--large-files', 32) };
}

if (import.meta.main) {
  const options = treesOptions(process.argv.slice(2));
  const result = await treesBenchmark((line) => process.stderr.write(`${line}\n`), options.smallFiles, options.largeFiles);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
