/**
 * `swarm` (issue 4, retrieval; survey §3.2.3, Kazaa's swarm distribution): the claims of the real
 * swarm benchmark (bench/storage/swarm.ts, `npm run bench -- storage`) measured in the simulator —
 * does a download add up the bandwidth of N holders each sending at rate R (achieved over N·R),
 * and what does one holder 10× slower cost (slowSourceSlowdown against the all-fast run)? The
 * scheduler is the node's own (services/storage/exchange/swarm-scheduler.ts); the network is
 * swarm-network.ts, with each holder's one-way latency to the reader from the latency model.
 *
 * The file is cut as the node cuts one: FastCDC with the default parameters over seeded
 * pseudo-random bytes, so the blocks have the sizes a real put gives (the benchmark's 64 MiB gives
 * about 220 of them). Only the leaves are fetched; the few small DAG nodes above them are not
 * modelled. Every holder holds every block, as in the benchmark.
 */
import { DEFAULT_CHUNKING_CONFIG } from '../../../services/storage/chunking/chunking-config.ts';
import { chunkEnds } from '../../../services/storage/chunking/fastcdc.ts';
import type { LatencyModel } from '../../latency/model.ts';
import { Prng } from '../../prng.ts';
import { TraceHash } from '../../trace-hash.ts';
import { runSwarm, type SwarmBlockSpec, type SwarmHolder } from './swarm-network.ts';

export interface SwarmExperimentOptions {
  readonly seed: number;
  /** The source counts N measured, each at rate R. */
  readonly sources: readonly number[];
  readonly rateBytesPerSecond: number;
  readonly fileBytes: number;
  /** Null: no latency at all (the benchmark's loopback). */
  readonly latency: LatencyModel | null;
}

/** The benchmark's own figures: 64 MiB from 2, 4 and 8 holders at 1 MiB/s each. */
export const SWARM_DEFAULTS = { sources: [2, 4, 8], rateBytesPerSecond: 1024 * 1024, fileBytes: 64 * 1024 * 1024 } as const;

export interface SwarmRunFigures {
  readonly sources: number;
  readonly seconds: number;
  /** Bytes per second over N·R: the benchmark's target is ≥ 0.9. */
  readonly achievedOverNR: number;
  readonly requests: number;
  readonly cancelled: number;
}

export interface SwarmExperimentResult {
  readonly experiment: 'swarm';
  readonly claim: string;
  readonly seed: number;
  readonly latency: string;
  readonly fileBytes: number;
  readonly blocks: number;
  readonly rateBytesPerSecond: number;
  readonly runs: readonly SwarmRunFigures[];
  /** The largest N again with one of its holders at R/10. */
  readonly slowSource: SwarmRunFigures & {
    /** Its time over the all-fast run's: the benchmark's target is ≤ 1.15. */
    readonly slowdown: number;
    /** N / (N − 0.9): what losing nine tenths of one holder costs when blocks split perfectly. */
    readonly floor: number;
    readonly slowBlocks: number;
  };
  readonly traceHash: string;
}

const Streams = { file: 1, placement: 2 } as const;

export function runSwarmExperiment(options: SwarmExperimentOptions): SwarmExperimentResult {
  const sourcesMax = Math.max(...options.sources);
  if (!(options.sources.length > 0 && options.sources.every((n) => Number.isInteger(n) && n >= 1))) throw new RangeError('sources must be counts ≥ 1');
  if (!(options.rateBytesPerSecond > 0) || !(options.fileBytes >= 1)) throw new RangeError('the rate and the file size must be positive');
  const root = Prng.fromSeed(options.seed);
  const sizes = blockSizes(root.stream(Streams.file), options.fileBytes);
  const latencies = holderLatencies(root.stream(Streams.placement), options.latency, sourcesMax);
  const ids = latencies.map((_, index) => `holder-${index}`);
  const hash = new TraceHash();
  hash.addNumber(options.seed);
  const rate = options.rateBytesPerSecond / 1000;
  const download = (count: number, slowIndex: number | null): { figures: SwarmRunFigures; blocksByPeer: ReadonlyMap<string, number> } => {
    const holders: SwarmHolder[] = ids.slice(0, count).map((id, index) => ({
      id, latencyMs: latencies[index], behaviour: 'honest', rateBytesPerMs: index === slowIndex ? rate / 10 : rate,
    }));
    const blocks: SwarmBlockSpec[] = sizes.map((bytes, index) => ({ id: `block-${index}`, bytes, holders: holders.map((holder) => holder.id) }));
    const result = runSwarm({ peers: holders, blocks });
    if (!result.done) throw new Error(`the swarm of ${count} holders did not finish`);
    for (const line of result.trace) hash.addString(line);
    const seconds = result.completionMs / 1000;
    const capacity = count - (slowIndex === null ? 0 : 0.9);
    return {
      figures: {
        sources: count, seconds: round3(seconds), achievedOverNR: round3(options.fileBytes / (capacity * options.rateBytesPerSecond * seconds)),
        requests: result.requestsSent, cancelled: result.cancelled,
      },
      blocksByPeer: result.blocksByPeer,
    };
  };
  const runs = options.sources.map((count) => download(count, null).figures);
  const fast = runs.find((run) => run.sources === sourcesMax) as SwarmRunFigures;
  const slow = download(sourcesMax, sourcesMax - 1);
  return {
    experiment: 'swarm',
    claim: 'a download from N holders at rate R each runs at ≥ 0.9·N·R, and one holder 10× slower costs ≤ 1.15× the time (issue 4)',
    seed: options.seed,
    latency: options.latency?.name ?? 'none',
    fileBytes: options.fileBytes,
    blocks: sizes.length,
    rateBytesPerSecond: options.rateBytesPerSecond,
    runs,
    slowSource: {
      ...slow.figures,
      slowdown: round3(slow.figures.seconds / fast.seconds),
      floor: round3(sourcesMax / (sourcesMax - 0.9)),
      slowBlocks: slow.blocksByPeer.get(ids[sourcesMax - 1]) ?? 0,
    },
    traceHash: hash.hex(),
  };
}

/** The sizes of the blocks FastCDC cuts from `fileBytes` seeded pseudo-random bytes. */
function blockSizes(random: Prng, fileBytes: number): number[] {
  const data = new Uint8Array(fileBytes);
  for (let at = 0; at < fileBytes; at += 4) {
    const word = Math.floor(random.nextFloat() * 0x1_0000_0000);
    data[at] = word;
    if (at + 1 < fileBytes) data[at + 1] = word >>> 8;
    if (at + 2 < fileBytes) data[at + 2] = word >>> 16;
    if (at + 3 < fileBytes) data[at + 3] = word >>> 24;
  }
  const ends = chunkEnds(data, DEFAULT_CHUNKING_CONFIG);
  return ends.map((end, index) => end - (index === 0 ? 0 : ends[index - 1]));
}

/** Each holder's one-way latency to the reader: half their round trip in the model, or 0 with none. */
function holderLatencies(random: Prng, model: LatencyModel | null, count: number): number[] {
  if (model === null) return Array.from({ length: count }, () => 0);
  const reader = model.place(random);
  return Array.from({ length: count }, () => model.rttMs(reader, model.place(random)) / 2);
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
