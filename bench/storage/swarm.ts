/**
 * `swarm` and `slowSourceSlowdown` (issue 4): does a fetch add up the bandwidth of every holder?
 *
 * For N sources: N grid-node.ts processes, each capped at R bytes a second of what it serves
 * (`storage.serveBytesPerSecondMax`, a token bucket over all its answers: a home uplink), and one
 * getter that holds nothing for others (`bytesForOthersMax` 0). A file is added on source 0 and
 * placed with `replicate:N`, so every source holds every block (the getter refuses and is passed
 * over); then the getter fetches it, timed from the request to the fetch's `done` line. A perfect
 * swarm would take bytes ÷ (N·R); `achievedOverNR` is how close it came (the issue asks ≥ 0.9).
 *
 * The slow-source run follows the all-fast run on the N = 8 grid: one source is restarted at R/10
 * (the same blocks, identity and address) and a new, empty getter fetches the same file from the
 * same placement, so the two times differ by the slow source only. It loses 0.9R of 8R of
 * capacity, so the best it can do is 8 / 7.1 = 1.127 times the all-fast time (the issue asks
 * ≤ 1.15); at N = 4 that floor would be 1.29, which is why it runs at N = 8. Every N has a grid of
 * its own; every file is the same pseudo-random bytes, so the same blocks.
 *
 * One fetch of a few seconds on this shared two-core machine scatters by ±3%, as much as the room
 * between the floor and the target; so the slow-source figure is the median of SLOW_PAIRS pairs,
 * each an all-fast fetch and a slow-source fetch one after the other in the same grid (the source
 * restarted at R/10 and back at R between them, a new empty getter for each fetch), and every
 * pair is reported. The simulator runs the same scheduler without that noise (`peergrid sim
 * experiment swarm`; 1.09–1.14 over thirty seeds).
 */
import { mkdtemp } from 'node:fs/promises';
import { readProgressStream } from '../../src/api/progress-stream.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addPseudoRandomFile, timedFetchExplained, type FetchDone } from './grid-content.ts';
import { finishMachineLoad, keptOnFailure, machineLoadNow, withGrid, type Grid, type GridNode, type GridNodeSpec, type MachineLoad } from './grid.ts';

type Say = (line: string) => void;

const MiB = 1 << 20;
const GiB = 1024 * MiB;
const FILE_SEED = 4;
/** All-fast and slow-source fetches measured in turn, of which the median ratio is the figure. */
const SLOW_PAIRS = 3;

/** Repair checks off; room for every copy placed (the defaults' 1 GiB per peer would refuse a large file). */
const SOURCE_STORAGE = { maintenanceIntervalMs: 0, bytesForOthersMax: 64 * GiB, bytesPerPeerMax: 64 * GiB };
const GETTER_STORAGE = { maintenanceIntervalMs: 0, bytesForOthersMax: 0 };

export interface SwarmOptions {
  readonly fileBytes: number;
  readonly rateBytesPerSecond: number;
  readonly sourceCounts: readonly number[];
  /** The source count of the slow-source run (one of them at a tenth of the rate); null: not run. */
  readonly slowRunSources: number | null;
}

export interface SwarmRun {
  readonly sources: number;
  readonly rateBytesPerSecond: number;
  /** Sources at a tenth of the rate (0 or 1). */
  readonly slowSources: number;
  /** What all sources together may send a second. */
  readonly capacityBytesPerSecond: number;
  readonly achievedBytesPerSecond: number;
  /** Achieved ÷ (N·R), the figure; with a slow source, still ÷ N·R. */
  readonly achievedOverNR: number;
  /** Achieved ÷ what the sources could send together (the same as above when none is slow). */
  readonly achievedOverCapacity: number;
  /** Sources that delivered at least one block. */
  readonly sourcesUsed: number;
  /** Request to `done`, measured by the benchmark. */
  readonly seconds: number;
  /** Request to the first fetched bytes reported (holder discovery and the first blocks; at most 200 ms late). */
  readonly firstBytesSeconds: number | null;
  /** The rate between 10% and 90% of the bytes (grid-content.ts), ÷ N·R: the swarm once it runs. */
  readonly middleOverNR: number | null;
  /** When 10% and 90% of the bytes had come (seconds from the request): with middleOverNR, where the time outside the middle went. */
  readonly at10PercentSeconds: number | null;
  readonly at90PercentSeconds: number | null;
  /** CPU the getter used during the fetch, in cores (1 = one core busy throughout). */
  readonly getterCpuCores: number | null;
  /** The placement the run fetched from (shared by a grid's all-fast and slow-source runs). */
  readonly placement: Placement;
  readonly fetch: FetchDone;
}

export interface SlowSourcePair {
  readonly fastSeconds: number;
  readonly slowSeconds: number;
  readonly slowdown: number;
}

export interface Placement {
  readonly blocks: number;
  readonly piecesStored: number;
  readonly blocksShort: number;
  /** The getter's (it keeps nothing for others), and any source's that refused. */
  readonly refusals: number;
  readonly failures: number;
  /** Every block on every source: piecesStored = blocks × N. */
  readonly complete: boolean;
  readonly seconds: number;
}

export interface SwarmResult {
  readonly fileBytes: number;
  readonly rateBytesPerSecond: number;
  readonly runs: readonly SwarmRun[];
  /** The slow-source run of the median pair. */
  readonly slowSource: SwarmRun | null;
  /** Each pair's all-fast and slow-source times at the same N, and their ratio. */
  readonly slowSourcePairs: readonly SlowSourcePair[];
  /** The median of the pairs' slow-source time ÷ all-fast time; null when not run. */
  readonly slowSourceSlowdown: number | null;
  /** The best the slow-source run can do: N ÷ (N − 0.9). */
  readonly slowSourceSlowdownFloor: number | null;
  readonly machine: MachineLoad;
}

export async function swarmBenchmark(say: Say, options: SwarmOptions): Promise<SwarmResult> {
  const machine = machineLoadNow();
  const runs: SwarmRun[] = [];
  let pairs: MeasuredPair[] = [];
  for (const sources of options.sourceCounts) {
    const slowRun = sources === options.slowRunSources;
    const measured = await swarmGrid(say, sources, options.rateBytesPerSecond, options.fileBytes, slowRun);
    runs.push(measured.fast);
    if (slowRun) pairs = measured.pairs;
  }
  if (options.slowRunSources !== null && pairs.length === 0) {
    pairs = (await swarmGrid(say, options.slowRunSources, options.rateBytesPerSecond, options.fileBytes, true)).pairs;
  }
  const median = pairs.length === 0 ? null : [...pairs].sort((a, b) => a.slowdown - b.slowdown)[Math.floor(pairs.length / 2)];
  return {
    fileBytes: options.fileBytes,
    rateBytesPerSecond: options.rateBytesPerSecond,
    runs,
    slowSource: median?.slow ?? null,
    slowSourcePairs: pairs.map((pair) => ({ fastSeconds: pair.fast.seconds, slowSeconds: pair.slow.seconds, slowdown: pair.slowdown })),
    slowSourceSlowdown: median?.slowdown ?? null,
    slowSourceSlowdownFloor: median === null ? null : round3(median.slow.sources / (median.slow.sources - 0.9)),
    machine: finishMachineLoad(machine),
  };
}

interface MeasuredPair {
  readonly fast: SwarmRun;
  readonly slow: SwarmRun;
  readonly slowdown: number;
}

/**
 * One grid of `sources` sources at `rate` and a getter: the file is placed on all of them and the
 * getter's fetch timed. With `slowRun`, the same grid then measures SLOW_PAIRS pairs: the last
 * source restarted at a tenth of the rate (same data, identity and port) and a new getter, which
 * holds nothing yet, fetching the same file from the same placement; then, for the next pair, the
 * source back at the full rate and another new getter; and so on. The first pair's all-fast fetch
 * is the grid's own.
 */
async function swarmGrid(say: Say, sources: number, rate: number, fileBytes: number, slowRun: boolean): Promise<{ fast: SwarmRun; pairs: MeasuredPair[] }> {
  say(`swarm: ${sources} sources at ${rate / MiB} MiB/s each, one getter, a ${fileBytes / MiB} MiB file`);
  const specs: GridNodeSpec[] = [];
  for (let index = 0; index < sources; index++) specs.push({ name: `source-${index}`, storage: { ...SOURCE_STORAGE, serveBytesPerSecondMax: rate } });
  specs.push({ name: 'getter', storage: GETTER_STORAGE });
  const dir = await mkdtemp(join(tmpdir(), `peergrid-bench-swarm-${sources}-`));
  return keptOnFailure(dir, say, () => withGrid(dir, specs, say, async (grid) => {
    const origin = grid.node('source-0');
    const file = await addPseudoRandomFile(origin.api, fileBytes, FILE_SEED);
    const placeStartedMs = performance.now();
    const answer = await origin.api.placeContent({ ref: file.cid }, { redundancy: `replicate:${sources}` });
    const report = await readProgressStream(answer.body, () => {}) as Record<string, number>;
    const placement: Placement = {
      blocks: report.blocks, piecesStored: report.piecesStored, blocksShort: report.blocksShort, refusals: report.refusals, failures: report.failures,
      complete: report.piecesStored === report.blocks * sources && report.blocksShort === 0,
      seconds: round3((performance.now() - placeStartedMs) / 1000),
    };
    say(`  placed ${placement.blocks} blocks × ${sources} in ${placement.seconds} s: ${placement.piecesStored} pieces stored${placement.complete ? '' : ' — NOT on every source'}`);
    const fast = await measureFetch(say, grid, grid.node('getter'), file.cid, fileBytes, sources, rate, 0, placement);
    if (!slowRun) return { fast, pairs: [] };
    const slowName = `source-${sources - 1}`;
    let getterName = 'getter';
    let getters = 1;
    /** A new, empty getter after `slowName` restarted at `serveRate`, and its fetch. */
    const fetchWith = async (serveRate: number, slowSources: number): Promise<SwarmRun> => {
      await grid.stop(getterName);
      await grid.restart(slowName, { ...SOURCE_STORAGE, serveBytesPerSecondMax: Math.round(serveRate) });
      getterName = `getter-${++getters}`;
      const [getter] = await grid.add([{ name: getterName, storage: GETTER_STORAGE }]);
      return measureFetch(say, grid, getter, file.cid, fileBytes, sources, rate, slowSources, placement);
    };
    const pairs: MeasuredPair[] = [];
    for (let pair = 0; pair < SLOW_PAIRS; pair++) {
      const pairFast = pair === 0 ? fast : await fetchWith(rate, 0);
      say(`slow source (pair ${pair + 1} of ${SLOW_PAIRS}): ${slowName} restarted at ${rate / 10 / MiB} MiB/s, and a new getter`);
      const slow = await fetchWith(rate / 10, 1);
      pairs.push({ fast: pairFast, slow, slowdown: round3(slow.seconds / pairFast.seconds) });
      say(`  slowdown ${pairs[pair].slowdown}`);
    }
    return { fast, pairs };
  }));
}

/** Times `getter`'s fetch of `ref` from the grid's sources and makes a SwarmRun of it. */
async function measureFetch(
  say: Say, grid: Grid, getter: GridNode, ref: string, fileBytes: number, sources: number, rate: number, slowSources: number, placement: Placement,
): Promise<SwarmRun> {
  const cpuBefore = getter.process.cpuSeconds();
  const fetched = await timedFetchExplained(getter, grid.nodes, ref);
  const cpuAfter = getter.process.cpuSeconds();
  const capacity = (sources - 0.9 * slowSources) * rate;
  const achieved = fileBytes / fetched.seconds;
  const run: SwarmRun = {
    sources,
    rateBytesPerSecond: rate,
    slowSources,
    capacityBytesPerSecond: Math.round(capacity),
    achievedBytesPerSecond: Math.round(achieved),
    achievedOverNR: round3(achieved / (sources * rate)),
    achievedOverCapacity: round3(achieved / capacity),
    sourcesUsed: fetched.done.sources,
    seconds: round3(fetched.seconds),
    firstBytesSeconds: fetched.firstBytesSeconds === null ? null : round3(fetched.firstBytesSeconds),
    middleOverNR: fetched.middleBytesPerSecond === null ? null : round3(fetched.middleBytesPerSecond / (sources * rate)),
    at10PercentSeconds: fetched.at10PercentSeconds === null ? null : round3(fetched.at10PercentSeconds),
    at90PercentSeconds: fetched.at90PercentSeconds === null ? null : round3(fetched.at90PercentSeconds),
    getterCpuCores: cpuBefore === null || cpuAfter === null ? null : round3((cpuAfter - cpuBefore) / fetched.seconds),
    placement,
    fetch: fetched.done,
  };
  say(`  fetched in ${run.seconds} s from ${run.sourcesUsed} sources: ${(achieved / MiB).toFixed(2)} MiB/s, ${run.achievedOverNR} of N·R (${run.middleOverNR} between 10% and 90% of the bytes)`);
  return run;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

// Run alone: `node bench/storage/swarm.ts [MiB] [sources…]` (64 MiB; 2 4 8 sources at 1 MiB/s each, then the slow-source run at 8).
if (import.meta.main) {
  const [fileMiB = '64', ...counts] = process.argv.slice(2);
  const result = await swarmBenchmark((line) => process.stderr.write(`${line}\n`), {
    fileBytes: Number(fileMiB) * 1024 * 1024,
    rateBytesPerSecond: 1024 * 1024,
    sourceCounts: counts.length > 0 ? counts.map(Number) : [2, 4, 8],
    slowRunSources: 8,
  });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
