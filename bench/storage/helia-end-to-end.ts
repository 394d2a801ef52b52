/**
 * `heliaSpeedup` (issue 4): a file added on one process and fetched whole by another over loopback,
 * Helia against ours, the same file in the same run.
 *
 * Helia: two Helia node processes (bench/helia/helia-node.mjs: TCP, Noise, Yamux, bitswap,
 * blockstore-fs). A adds the file from disk; B, connected to A, reads every byte of it with
 * UnixFS `cat` — blocks come over bitswap, are checked against their CIDs and stored in B's
 * blockstore on the way.
 * Ours: two grid-node.ts processes (the real runtime and HTTP API, as single-source-get.ts runs
 * them; TCP, Noise, Yamux). The source adds the file, plain, as `peergrid put` has a node on the
 * same machine do it: the node reads the file from disk itself (POST /api/v1/local-adds), as
 * Helia's A does; before 2026-11-28 the file was streamed to the node's API instead. The
 * getter gets it as `peergrid get` does: the fetch through its API (holder discovery, the swarm's
 * pipelined requests, every block checked and stored; grid-content.ts's timedFetch, for its
 * progress and sources) and, at the same time, every byte through its content route, which joins
 * that fetch and hands out each block as it is stored. The get ends when both have.
 * Each side's end-to-end time is its add plus its fetch, both timed here, from the request to
 * the last byte or the answer. Before, each side adds and fetches a 16 MiB warm-up file (other
 * bytes), so that connections are up and code is warm; one side's processes are stopped before
 * the other's start.
 */
import { mkdtemp, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { localAddProof } from '../../src/api/local-add-proof.ts';
import { readProgressStream } from '../../src/api/progress-stream.ts';
import { localAddedSchema } from '../../src/api/routes.ts';
import { readApiTokenFile } from '../../src/api/token-file.ts';
import { localPathIdentity } from '../../src/runtime/content/local-path-guard.ts';
import { timedFetch } from './grid-content.ts';
import { finishMachineLoad, keptOnFailure, machineLoadNow, withGrid, type GridNode, type MachineLoad } from './grid.ts';
import { withHeliaNodes, type HeliaNode } from './helia-process.ts';
import { writePseudoRandomFile } from './pseudo-random-file.ts';
import { GETTER_STORAGE, SOURCE_STORAGE } from './single-source-get.ts';
import { mibps, round1, round3, timed } from '../support/figures.ts';

type Say = (line: string) => void;

const MiB = 1 << 20;
const WARMUP_BYTES = 16 * MiB;
const WARMUP_SEED = 1;
const FILE_SEED = 2;
/** Our content route answers only once the fetch is done, and the client counts that as the stream standing still. */
const API_TIMEOUT_MS = 10 * 60_000;

export interface EndToEndSide {
  readonly addMs: number;
  readonly fetchMs: number;
  readonly endToEndMs: number;
  readonly addMiBps: number;
  readonly fetchMiBps: number;
  /** CPU each process used during the fetch, in cores (1 = one core busy throughout). */
  readonly fetchCpuCores: { readonly adder: number | null; readonly fetcher: number | null };
}

/** What only our side can tell apart. */
export interface OursDetails {
  readonly cid: string;
  readonly chunks: number;
  /** The fetch into the getter's blockstore, timed alone; the bytes were read while it ran (fetchMs ends when both are done). */
  readonly gridFetchMs: number;
  readonly gridFetchSources: number;
}

export interface HeliaEndToEndResult {
  readonly fileBytes: number;
  readonly helia: EndToEndSide & { readonly cid: string };
  readonly ours: EndToEndSide & OursDetails;
  /** Helia's end-to-end time ÷ ours: above 1, ours is faster. */
  readonly heliaSpeedup: number;
  readonly heliaVersions: Readonly<Record<string, string | null>>;
  readonly machine: MachineLoad;
}

export async function heliaEndToEndBenchmark(say: Say, fileBytes: number): Promise<HeliaEndToEndResult> {
  const machine = machineLoadNow();
  const dir = await mkdtemp(join(tmpdir(), 'peergrid-bench-helia-e2e-'));
  const result = await keptOnFailure(dir, say, async () => {
    const warmup = join(dir, 'warmup.bin');
    const file = join(dir, 'file.bin');
    say(`  writing a ${WARMUP_BYTES / MiB} MiB warm-up file and the ${fileBytes / MiB} MiB file`);
    await writePseudoRandomFile(warmup, WARMUP_BYTES, WARMUP_SEED);
    await writePseudoRandomFile(file, fileBytes, FILE_SEED);
    say('  Helia: two nodes, warm-up, then add on A and cat on B');
    let heliaVersions: Readonly<Record<string, string | null>> = {};
    const helia = await withHeliaNodes(join(dir, 'helia'), ['a', 'b'], say, ([a, b]) => {
      heliaVersions = a.started.versions;
      return heliaSide(a, b, warmup, file, fileBytes);
    });
    say(`  Helia: add ${helia.addMiBps} MiB/s, fetch ${helia.fetchMiBps} MiB/s, end to end ${(helia.endToEndMs / 1000).toFixed(2)} s`);
    say('  ours: two nodes, warm-up, then add on the source and get on the getter');
    const specs = [{ name: 'source', storage: SOURCE_STORAGE }, { name: 'getter', storage: GETTER_STORAGE }];
    const ours = await withGrid(join(dir, 'ours'), specs, say, (grid) => oursSide(grid.node('source'), grid.node('getter'), warmup, file, fileBytes));
    say(`  ours: add ${ours.addMiBps} MiB/s, get ${ours.fetchMiBps} MiB/s (the fetch alone ${(ours.gridFetchMs / 1000).toFixed(2)} s, read while it ran), end to end ${(ours.endToEndMs / 1000).toFixed(2)} s`);
    return { fileBytes, helia, ours, heliaSpeedup: round3(helia.endToEndMs / ours.endToEndMs), heliaVersions };
  });
  return { ...result, machine: finishMachineLoad(machine) };
}

async function heliaSide(a: HeliaNode, b: HeliaNode, warmup: string, file: string, fileBytes: number): Promise<EndToEndSide & { cid: string }> {
  const warm = await a.process.add(warmup);
  await b.process.connect(a.started.multiaddrs[0]);
  await b.process.cat(warm.cid);
  const added = await timed(() => a.process.add(file));
  if (added.value.bytes !== fileBytes) throw new Error(`Helia added ${added.value.bytes} bytes, not ${fileBytes}`);
  const cpuBefore = [a.process.cpuSeconds(), b.process.cpuSeconds()] as const;
  const fetched = await timed(() => b.process.cat(added.value.cid));
  const cpuAfter = [a.process.cpuSeconds(), b.process.cpuSeconds()] as const;
  if (fetched.value.bytes !== fileBytes) throw new Error(`Helia's cat read ${fetched.value.bytes} bytes, not ${fileBytes}`);
  return { cid: added.value.cid, ...side(fileBytes, added.ms, fetched.ms, cpuBefore, cpuAfter) };
}

async function oursSide(source: GridNode, getter: GridNode, warmup: string, file: string, fileBytes: number): Promise<EndToEndSide & OursDetails> {
  const sourceApi = await patientClient(source);
  const getterApi = await patientClient(getter);
  const sourceToken = await readApiTokenFile(source.started.apiTokenFile);
  const warm = await addFromDisk(sourceApi, sourceToken, warmup);
  await timedFetch(getterApi, warm.cid);
  await readWhole(getterApi, warm.cid);
  const added = await timed(() => addFromDisk(sourceApi, sourceToken, file));
  if (added.value.bytes !== fileBytes) throw new Error(`our source added ${added.value.bytes} bytes, not ${fileBytes}`);
  const cpuBefore = [source.process.cpuSeconds(), getter.process.cpuSeconds()] as const;
  const got = await timed(() => Promise.all([timedFetch(getterApi, added.value.cid), readWhole(getterApi, added.value.cid)]));
  const cpuAfter = [source.process.cpuSeconds(), getter.process.cpuSeconds()] as const;
  const [fetched, read] = got.value;
  if (read !== fileBytes) throw new Error(`our getter read ${read} bytes, not ${fileBytes}`);
  return {
    cid: added.value.cid, chunks: added.value.chunks, gridFetchMs: round1(fetched.seconds * 1000), gridFetchSources: fetched.done.sources,
    ...side(fileBytes, added.ms, got.ms, cpuBefore, cpuAfter),
  };
}

/** A client of the node's API that waits as long as a large fetch may take before its content route answers. */
async function patientClient(node: GridNode): Promise<ApiClient> {
  return createApiClient({ baseUrl: node.started.api, token: await readApiTokenFile(node.started.apiTokenFile), timeoutMs: API_TIMEOUT_MS });
}

/** Has the node add the file at `path` from disk itself, unencrypted (as Helia stores it), as `peergrid put` does (cli/put/local-add.ts). */
async function addFromDisk(api: ApiClient, token: string, path: string): Promise<{ cid: string; bytes: number; chunks: number }> {
  const resolved = await realpath(path);
  const request = { path: resolved, identity: await localPathIdentity(resolved), encrypt: false, atMs: Date.now() };
  const answer = await api.addLocalPath({ ...request, proof: localAddProof(token, request) });
  const done = localAddedSchema.check(await readProgressStream(answer.body, () => {}), 'done');
  if (!done.ok) throw new Error(`the local add's answer: ${done.error}`);
  return { cid: done.value.cid, bytes: done.value.bytes, chunks: done.value.chunks };
}

/** Reads every byte of the file `cid` through the node's content route (which fetches what is missing first); the byte count. */
async function readWhole(api: ApiClient, cid: string): Promise<number> {
  const response = await api.getContent({ ref: cid });
  let bytes = 0;
  for await (const piece of response.body) bytes += piece.length;
  return bytes;
}

type CpuReading = readonly [number | null, number | null];

function side(fileBytes: number, addMs: number, fetchMs: number, cpuBefore: CpuReading, cpuAfter: CpuReading): EndToEndSide {
  const cores = (index: 0 | 1): number | null => {
    const start = cpuBefore[index];
    const end = cpuAfter[index];
    return start === null || end === null ? null : round3((end - start) / (fetchMs / 1000));
  };
  return {
    addMs: round1(addMs),
    fetchMs: round1(fetchMs),
    endToEndMs: round1(addMs + fetchMs),
    addMiBps: mibps(fileBytes, addMs),
    fetchMiBps: mibps(fileBytes, fetchMs),
    fetchCpuCores: { adder: cores(0), fetcher: cores(1) },
  };
}

