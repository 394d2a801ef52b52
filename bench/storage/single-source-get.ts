/**
 * `getVsRawStream` (issue 4): how fast one node fetches a large file from one other node that holds
 * it, unthrottled, against a raw libp2p stream between the same two processes over the same
 * connection — the most the transport under the exchange can carry.
 *
 * Two grid-node.ts processes on loopback: the source, which adds the file, and the getter, which
 * fetches it (holder discovery, the swarm scheduler's pipelined getBlock requests, one stream per
 * block, every block hashed against its CID and written to the getter's blockstore). The raw
 * stream is one stream of the benchmark's own protocol on the same libp2p nodes, written with
 * backpressure in 1 MiB sends and only counted at the other end: no framing, no hashing, no disk.
 * It is measured just before and just after the fetch, and their mean is the baseline. A small
 * file fetched first, and a raw pull, warm up the connection and both processes' code.
 *
 * A second baseline, the hashed raw stream, is the same pull with both ends hashing every byte
 * with SHA-256 on their main threads, as a source verifies what it reads and a getter what it
 * receives. No verified fetch can beat it on these processes, so `hashedRawOverRaw` is the most
 * `getVsRawStream` could reach here, and `getVsHashedRawStream` is what the exchange, the disk
 * and the blockstore cost beyond the two hashes.
 *
 * That ceiling keeps each end's hashing on its one thread. `cpuCeilingOverRaw` is the looser one
 * for a fetch free to spread its work over every core: the CPU seconds both processes spend per
 * MiB of the hashed pull (the transport's work and the two hashes, nothing of the exchange's),
 * with every core of the machine busy all the time, over the raw stream's rate. Below 1, no fetch
 * that verifies at both ends can keep up with the raw stream on this machine however it is built.
 * `cpuCeilingWithDiskOverRaw` adds the least a store pays on top (disk-floor.ts: one durable
 * write of the bytes at the getter, one read of them from the page cache at the source).
 */
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureDiskFloor, type DiskFloor } from './disk-floor.ts';
import { addPseudoRandomFile, timedFetchExplained, type FetchDone } from './grid-content.ts';
import { finishMachineLoad, keptOnFailure, machineLoadNow, withGrid, type GridNode, type MachineLoad } from './grid.ts';

type Say = (line: string) => void;

const MiB = 1 << 20;
const WARMUP_BYTES = 16 * MiB;

/** Repair checks off; the getter keeps nothing for others, so all it stores is what it fetches. */
export const SOURCE_STORAGE = { maintenanceIntervalMs: 0 };
export const GETTER_STORAGE = { maintenanceIntervalMs: 0, bytesForOthersMax: 0 };

export interface SingleSourceGetResult {
  readonly fileBytes: number;
  readonly fetchSeconds: number;
  readonly fetchMiBps: number;
  /** Request to the first fetched bytes reported: the holder lookup and the first blocks. */
  readonly fetchFirstBytesSeconds: number | null;
  /** The fetch's rate between 10% and 90% of its bytes (grid-content.ts). */
  readonly fetchMiddleMiBps: number | null;
  readonly fetchDone: FetchDone;
  /** CPU each process used during the fetch and during the raw and hashed pulls after it, in cores (1 = one core busy throughout). */
  readonly cpuCores: { readonly fetch: ProcessCores; readonly raw: ProcessCores; readonly hashedRaw: ProcessCores };
  /** The raw stream before and after the fetch. */
  readonly rawSeconds: readonly [number, number];
  readonly rawMiBps: number;
  /** Fetch throughput over raw-stream throughput: the target is ≥ 0.8. */
  readonly getVsRawStream: number;
  /** The hashed raw stream before and after the fetch (both ends hash every byte). */
  readonly hashedRawSeconds: readonly [number, number];
  readonly hashedRawMiBps: number;
  /** The hashed raw stream over the raw stream: the ceiling of getVsRawStream on this machine. */
  readonly hashedRawOverRaw: number;
  /** Fetch throughput over the hashed raw stream's. */
  readonly getVsHashedRawStream: number;
  /**
   * The rate at which every core of the machine would be busy doing only the hashed pull's work
   * per MiB (its CPU seconds in both processes), over the raw stream's rate: the most a fetch that
   * verifies at both ends could reach here with perfect use of the cores. Null without CPU readings.
   */
  readonly cpuCeilingOverRaw: number | null;
  /** The CPU seconds one durable write of the file's bytes and one read of them cost this machine. */
  readonly diskFloor: DiskFloor;
  /**
   * cpuCeilingOverRaw with diskFloor's CPU seconds added to the hashed pull's: the most a fetch
   * that verifies at both ends, reads at the source and writes at the getter could reach here.
   */
  readonly cpuCeilingWithDiskOverRaw: number | null;
  /** The cores those ceilings count. */
  readonly machineCores: number;
  /** Both figures come from the same two processes. */
  readonly sameProcesses: true;
  readonly machine: MachineLoad;
}

interface ProcessCores {
  readonly source: number | null;
  readonly getter: number | null;
}

export async function singleSourceGetBenchmark(say: Say, fileBytes: number): Promise<SingleSourceGetResult> {
  const machine = machineLoadNow();
  const dir = await mkdtemp(join(tmpdir(), 'peergrid-bench-get-'));
  const specs = [{ name: 'source', storage: SOURCE_STORAGE }, { name: 'getter', storage: GETTER_STORAGE }];
  const result = await keptOnFailure(dir, say, () => withGrid(dir, specs, say, (grid) => measure(say, dir, grid.node('source'), grid.node('getter'), fileBytes)));
  return { ...result, machine: finishMachineLoad(machine) };
}

async function measure(say: Say, dir: string, source: GridNode, getter: GridNode, fileBytes: number): Promise<Omit<SingleSourceGetResult, 'machine'>> {
  const nodes = [source, getter];
  say(`  two nodes up; adding a ${WARMUP_BYTES / MiB} MiB warm-up file and the ${fileBytes / MiB} MiB file to the source`);
  const warmup = await addPseudoRandomFile(source.api, WARMUP_BYTES, 1);
  const file = await addPseudoRandomFile(source.api, fileBytes, 2);
  say(`  warm-up: a ${WARMUP_BYTES / MiB} MiB fetch and a raw pull`);
  await timedFetchExplained(getter, nodes, warmup.cid);
  await getter.process.rawPull(source.started.peerId, Math.min(fileBytes, 64 * MiB));
  await getter.process.rawPull(source.started.peerId, Math.min(fileBytes, 64 * MiB), true);
  const before = await getter.process.rawPull(source.started.peerId, fileBytes);
  say(`  raw stream: ${mibps(fileBytes, before.durationMs / 1000)} MiB/s`);
  const hashedBefore = await getter.process.rawPull(source.started.peerId, fileBytes, true);
  say(`  hashed raw stream: ${mibps(fileBytes, hashedBefore.durationMs / 1000)} MiB/s`);
  const cpu = (): CpuReading => [source.process.cpuSeconds(), getter.process.cpuSeconds()];
  const fetchCpuBefore = cpu();
  const fetched = await timedFetchExplained(getter, nodes, file.cid);
  const fetchCpu = cores(fetchCpuBefore, cpu(), fetched.seconds);
  say(`  fetch: ${mibps(fileBytes, fetched.seconds)} MiB/s (${fetched.done.blocksDone} blocks from ${fetched.done.sources} source)`);
  const hashedCpuBefore = cpu();
  const hashedAfter = await getter.process.rawPull(source.started.peerId, fileBytes, true);
  const hashedCpu = cores(hashedCpuBefore, cpu(), hashedAfter.durationMs / 1000);
  say(`  hashed raw stream: ${mibps(fileBytes, hashedAfter.durationMs / 1000)} MiB/s`);
  const rawCpuBefore = cpu();
  const after = await getter.process.rawPull(source.started.peerId, fileBytes);
  const rawCpu = cores(rawCpuBefore, cpu(), after.durationMs / 1000);
  say(`  raw stream: ${mibps(fileBytes, after.durationMs / 1000)} MiB/s`);
  const rawSeconds = (before.durationMs + after.durationMs) / 2000;
  const hashedRawSeconds = (hashedBefore.durationMs + hashedAfter.durationMs) / 2000;
  const diskFloor = measureDiskFloor(dir, fileBytes);
  say(`  disk floor: ${diskFloor.writeCpuSeconds} CPU s to write the file's bytes durably, ${diskFloor.readCpuSeconds} to read them`);
  const machineCores = availableParallelism();
  // The hashed pull's CPU seconds, both processes. With every core busy, the same work would take
  // hashedCpuSeconds / machineCores; over the raw stream's time, that is the ceiling.
  const hashedCpuSeconds = hashedCpu.source === null || hashedCpu.getter === null ? null : ((hashedCpu.source + hashedCpu.getter) * hashedAfter.durationMs) / 1000;
  const ceiling = (cpuSeconds: number | null): number | null => (cpuSeconds === null || cpuSeconds <= 0 ? null : round3((machineCores * rawSeconds) / cpuSeconds));
  const withDisk = hashedCpuSeconds === null ? null : hashedCpuSeconds + diskFloor.writeCpuSeconds + diskFloor.readCpuSeconds;
  return {
    fileBytes,
    fetchSeconds: round3(fetched.seconds),
    fetchMiBps: mibps(fileBytes, fetched.seconds),
    fetchFirstBytesSeconds: fetched.firstBytesSeconds === null ? null : round3(fetched.firstBytesSeconds),
    fetchMiddleMiBps: fetched.middleBytesPerSecond === null ? null : mibps(fetched.middleBytesPerSecond, 1),
    fetchDone: fetched.done,
    cpuCores: { fetch: fetchCpu, raw: rawCpu, hashedRaw: hashedCpu },
    rawSeconds: [round3(before.durationMs / 1000), round3(after.durationMs / 1000)],
    rawMiBps: mibps(fileBytes, rawSeconds),
    getVsRawStream: round3(rawSeconds / fetched.seconds),
    hashedRawSeconds: [round3(hashedBefore.durationMs / 1000), round3(hashedAfter.durationMs / 1000)],
    hashedRawMiBps: mibps(fileBytes, hashedRawSeconds),
    hashedRawOverRaw: round3(rawSeconds / hashedRawSeconds),
    getVsHashedRawStream: round3(hashedRawSeconds / fetched.seconds),
    cpuCeilingOverRaw: ceiling(hashedCpuSeconds),
    diskFloor,
    cpuCeilingWithDiskOverRaw: ceiling(withDisk),
    machineCores,
    sameProcesses: true,
  };
}

/** CPU seconds so far of [source, getter]. */
type CpuReading = [number | null, number | null];

/** CPU seconds used between two readings, per second of `seconds`. */
function cores(before: CpuReading, after: CpuReading, seconds: number): ProcessCores {
  const one = (index: 0 | 1): number | null => {
    const start = before[index];
    const end = after[index];
    return start === null || end === null ? null : round3((end - start) / seconds);
  };
  return { source: one(0), getter: one(1) };
}

function mibps(bytes: number, seconds: number): number {
  return Math.round((bytes / MiB / seconds) * 10) / 10;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

// Run alone: `node bench/storage/single-source-get.ts [MiB]` (256 by default) prints the JSON object.
if (import.meta.main) {
  const fileMiB = Number(process.argv[2] ?? 256);
  const result = await singleSourceGetBenchmark((line) => process.stderr.write(`${line}\n`), fileMiB * MiB);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
