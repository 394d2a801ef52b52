/**
 * The benchmarks. Each one is a set of simulator runs given as `peergrid sim lookup` arguments, and
 * each run is a separate `peergrid` process — so its memory and time are its own, and any figure
 * can be reproduced by the command printed. Extra arguments given to a benchmark are appended to
 * every run (for example `--nodes 2000` for a quick look). The others measure code in this process
 * (`codec`, `signatures`, `table-memory`, `vivaldi`) or on real node processes (`storage`, `trees`, `compute`, the
 * devnet ones and `dht-vs-kad`), and take their own options.
 */
import type { LookupExperimentResult } from '../src/sim/experiments/lookup-experiment.ts';
import { codecBenchmark } from './codec.ts';
import { computeBenchmark } from './compute/compute-benchmark.ts';
import { dhtVsKadBenchmark } from './dht-vs-kad/benchmark.ts';
import { runPeergridJson } from './run-peergrid.ts';
import { storageBenchmark } from './storage/storage-benchmark.ts';
import { treesBenchmark, treesOptions } from './storage/trees.ts';
import { vivaldiBenchmark } from './vivaldi.ts';
import { proximityDevnetBenchmark } from './proximity-devnet.ts';
import { searchDevnetBenchmark } from './search-devnet.ts';
import { signaturesBenchmark } from './signatures.ts';
import { round3 } from './support/figures.ts';
import { tableMemoryBenchmark } from './table-memory.ts';

type Say = (line: string) => void;

export interface Benchmark {
  readonly summary: string;
  run(extraArgs: readonly string[], say: Say): Promise<Record<string, unknown>> | Record<string, unknown>;
}

/** Splits `--name value` and bare `--flag` arguments into [name, value-or-null] pairs, in order. */
function optionPairs(argv: readonly string[]): [string, string | null][] {
  const pairs: [string, string | null][] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      pairs.push([argv[i], next]);
      i++;
    } else {
      pairs.push([argv[i], null]);
    }
  }
  return pairs;
}

/** The benchmark's own arguments with those given on the command line put in their place (the CLI refuses an option given twice). */
export function overrideArgs(args: readonly string[], extra: readonly string[]): string[] {
  const overrides = optionPairs(extra);
  const overridden = new Set(overrides.map(([name]) => name));
  return [...optionPairs(args).filter(([name]) => !overridden.has(name)), ...overrides].flatMap(([name, value]) => (value === null ? [name] : [name, value]));
}

/** Runs `peergrid sim lookup <args> --json` in a child process, with `extra` (the command line's) overriding `args`. */
async function simulate(args: readonly string[], extra: readonly string[], say: Say): Promise<LookupExperimentResult> {
  const result = await runPeergridJson<LookupExperimentResult>(['sim', 'lookup', ...overrideArgs(args, extra), '--json'], say);
  say(`  done in ${(result.wallMs / 1000).toFixed(1)} s: correct ${result.correctRate}, hops ${result.hops.mean}, p50 ${result.latencyMs.p50} ms`);
  return result;
}

/** The figures most benchmarks report, in a stable order. */
function figures(r: LookupExperimentResult): Record<string, unknown> {
  return {
    nodes: r.nodes, lookups: r.lookups, lookupsCompleted: r.lookupsCompleted, correctRate: r.correctRate, recallMean: r.recallMean,
    hops: r.hops, latencyMs: r.latencyMs, stretch: r.stretch, messagesPerLookup: r.messagesPerLookup,
    bytesPerNodePerSec: r.bytesPerNodePerSec, maintenanceBytesPerNodePerSec: r.maintenanceBytesPerNodePerSec,
    nodesOnlineMean: r.nodesOnlineMean, joinMessagesPerNode: r.joinMessagesPerNode, joinWallMs: r.joinWallMs, wallMs: r.wallMs, simSeconds: r.simSeconds,
    eventsPerSec: r.eventsPerSec, speedupVsRealTime: r.speedupVsRealTime, windowSpeedupVsRealTime: r.windowSpeedupVsRealTime,
    windowSpeedupVsCpuTime: r.windowSpeedupVsCpuTime, rssBytesMax: r.rssBytesMax, traceHash: r.traceHash,
  };
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

const STATIC = ['--seed', '1', '--latency', 'planetlab'];

export const benchmarks: Record<string, Benchmark> = {
  'lookup-static': {
    summary: '10^4 nodes, PlanetLab, no churn: default lookups against the paper\'s strict finish rule',
    async run(extra, say) {
      const base = [...STATIC, '--nodes', '10000', '--lookups', '10000'];
      const ours = await simulate(base, extra, say);
      const strict = await simulate([...base, '--finish', 'strict'], extra, say);
      return {
        default: figures(ours),
        strictFinish: figures(strict),
        ratioToStrict: {
          latencyP50: ratio(ours.latencyMs.p50, strict.latencyMs.p50),
          latencyP99: ratio(ours.latencyMs.p99, strict.latencyMs.p99),
          messagesPerLookup: ratio(ours.messagesPerLookup, strict.messagesPerLookup),
          recallMean: ratio(ours.recallMean, strict.recallMean),
        },
      };
    },
  },
  bits: {
    summary: 'bits per digit b = 1…5 at 10^4 nodes: hops, latency, table cost (chooses the default b)',
    async run(extra, say) {
      const runs: Record<string, unknown> = {};
      let baseline: LookupExperimentResult | undefined;
      for (const bits of [1, 2, 3, 4, 5]) {
        const r = await simulate([...STATIC, '--nodes', '10000', '--lookups', '10000', '--bits', String(bits)], extra, say);
        baseline ??= r;
        runs[`b${bits}`] = { ...figures(r), hopsRatioToB1: ratio(r.hops.mean, baseline.hops.mean), joinWallRatioToB1: ratio(r.joinWallMs, baseline.joinWallMs) };
      }
      return runs;
    },
  },
  join: {
    summary: 'how a joining node fills its far buckets at 10^4 nodes: one FIND_NODE per bucket against a lookup per sibling subtree (Kademlia)',
    async run(extra, say) {
      const base = [...STATIC, '--nodes', '10000', '--lookups', '10000'];
      const requests = await simulate([...base, '--join', 'requests'], extra, say);
      const lookups = await simulate([...base, '--join', 'lookups'], extra, say);
      return {
        requests: figures(requests),
        lookups: figures(lookups),
        ratioToLookups: {
          joinMessagesPerNode: ratio(requests.joinMessagesPerNode, lookups.joinMessagesPerNode),
          joinWallMs: ratio(requests.joinWallMs, lookups.joinWallMs),
          hopsMean: ratio(requests.hops.mean, lookups.hops.mean),
          latencyP50: ratio(requests.latencyMs.p50, lookups.latencyMs.p50),
          messagesPerLookup: ratio(requests.messagesPerLookup, lookups.messagesPerLookup),
          rssBytesMax: ratio(requests.rssBytesMax, lookups.rssBytesMax),
        },
      };
    },
  },
  finish: {
    summary: 'finish rules strict and q = 1…5 at 10^4 nodes: latency, recall, messages',
    async run(extra, say) {
      const runs: Record<string, unknown> = {};
      let strict: LookupExperimentResult | undefined;
      for (const finish of ['strict', '1', '2', '3', '5']) {
        const r = await simulate([...STATIC, '--nodes', '10000', '--lookups', '10000', '--finish', finish], extra, say);
        strict ??= r;
        runs[finish] = { ...figures(r), latencyP50RatioToStrict: ratio(r.latencyMs.p50, strict.latencyMs.p50) };
      }
      return runs;
    },
  },
  scale: {
    summary: '10^5 nodes join through the protocol, then 10^5 lookups; 10^4 in the same run as baseline',
    async run(extra, say) {
      const small = await simulate([...STATIC, '--nodes', '10000', '--lookups', '10000'], extra, say);
      const large = await simulate([...STATIC, '--nodes', '100000', '--lookups', '100000', '--progress'], extra, say);
      return {
        n1e4: figures(small),
        n1e5: figures(large),
        ratio1e5To1e4: {
          wallMs: ratio(large.wallMs, small.wallMs),
          rssBytesMax: ratio(large.rssBytesMax, small.rssBytesMax),
          hopsMean: ratio(large.hops.mean, small.hops.mean),
        },
      };
    },
  },
  realtime: {
    summary: '10^4 nodes, one lookup per node per minute with routine maintenance: simulated vs wall time, on one thread and split across two',
    async run(extra, say) {
      const args = [...STATIC, '--nodes', '10000', '--lookups', '100000', '--window', '10'];
      const r = await simulate(args, extra, say);
      // The same run on two worker threads, joins included: the same trace, in less wall time.
      const split = await simulate([...args, '--workers', '2'], extra, say);
      if (split.traceHash !== r.traceHash) throw new Error(`the split run's trace ${split.traceHash} differs from one thread's ${r.traceHash}`);
      return {
        ...figures(r),
        lookupsPerNodePerMinute: r.lookups / r.nodes / r.windowMinutes,
        split: {
          workers: split.workers, lookaheadMs: split.lookaheadMs, crossPartMessages: split.crossPartMessages,
          joinWallMs: split.joinWallMs, wallMs: split.wallMs, speedupVsRealTime: split.speedupVsRealTime,
          windowSpeedupVsRealTime: split.windowSpeedupVsRealTime, windowSpeedupVsCpuTime: split.windowSpeedupVsCpuTime, rssBytesMax: split.rssBytesMax, traceHash: split.traceHash,
        },
        splitWindowSpeedup: ratio(split.windowSpeedupVsRealTime, r.windowSpeedupVsRealTime),
        splitWholeRunSpeedup: ratio(split.speedupVsRealTime, r.speedupVsRealTime),
      };
    },
  },
  'realtime-sizes': {
    summary: 'the realtime load (one lookup per node per minute, 10-minute window) at 300, 1,000, 3,000 and 10^4 nodes: CPU per lookup and per message against the 50× budget',
    async run(extra, say) {
      // 50× real time at 10^4 nodes leaves 600 s / 50 of one thread's time for 100,000 lookups.
      const budgetMicrosPerLookup = (600_000 / 50 / 100_000) * 1000;
      const runs: Record<string, unknown>[] = [];
      let smallestMicrosPerMessage = Number.NaN;
      for (const nodes of [300, 1_000, 3_000, 10_000]) {
        const r = await simulate([...STATIC, '--nodes', String(nodes), '--lookups', String(nodes * 10), '--window', '10'], extra, say);
        const microsPerLookup = (r.windowCpuMs * 1000) / r.lookups;
        const microsPerMessage = microsPerLookup / r.messagesPerLookup;
        if (Number.isNaN(smallestMicrosPerMessage)) smallestMicrosPerMessage = microsPerMessage;
        runs.push({
          nodes, messagesPerLookup: r.messagesPerLookup, windowCpuMs: r.windowCpuMs, windowSpeedupVsRealTime: r.windowSpeedupVsRealTime,
          cpuMicrosPerLookup: Math.round(microsPerLookup), cpuMicrosPerMessage: round3(microsPerMessage),
          perMessageOverSmallest: ratio(microsPerMessage, smallestMicrosPerMessage), perLookupOverBudget: ratio(microsPerLookup, budgetMicrosPerLookup),
          rssBytesMax: r.rssBytesMax, traceHash: r.traceHash,
        });
      }
      return { budgetMicrosPerLookup, runs };
    },
  },
  churn: {
    summary: 'churn at 10^4 nodes: exponential sessions of 60 and 10 minutes, and the Mojo profile; static baseline',
    async run(extra, say) {
      const base = [...STATIC, '--nodes', '10000', '--lookups', '10000'];
      const none = await simulate(base, extra, say);
      const out: Record<string, unknown> = { none: figures(none) };
      // Mojo starts in its stationary state; a 2-hour warm-up is 2.6 median sessions of all its
      // sessions (45 min), and saves the 6 hours that 3 of its established users' 2-hour sessions would take.
      const runs: [string, string[]][] = [['exp:60', []], ['exp:10', []], ['mojo', ['--warmup', '120', '--window', '60']]];
      for (const [churn, window] of runs) {
        const r = await simulate([...base, '--churn', churn, ...window], extra, say);
        out[churn] = { ...figures(r), latencyP50RatioToStatic: ratio(r.latencyMs.p50, none.latencyMs.p50) };
      }
      return out;
    },
  },
  probe: {
    summary: 'neighbourhood probe interval (off, 120, 60, 30, 15 s) under 10-minute exponential churn, 2,000 nodes',
    async run(extra, say) {
      const base = [...STATIC, '--nodes', '2000', '--lookups', '2000', '--churn', 'exp:10'];
      const runs: Record<string, unknown> = {};
      let off: LookupExperimentResult | undefined;
      for (const probe of ['0', '120', '60', '30', '15']) {
        const r = await simulate([...base, '--probe', probe], extra, say);
        off ??= r;
        runs[probe === '0' ? 'off' : `${probe}s`] = {
          ...figures(r),
          ratioToOff: {
            latencyP50: ratio(r.latencyMs.p50, off.latencyMs.p50),
            recallMean: ratio(r.recallMean, off.recallMean),
            maintenanceBytes: ratio(r.maintenanceBytesPerNodePerSec, off.maintenanceBytesPerNodePerSec),
            wallMs: ratio(r.wallMs, off.wallMs),
          },
        };
      }
      return runs;
    },
  },
  codec: {
    summary: 'wire codec encode/decode throughput against JSON in the same run',
    run: () => codecBenchmark(),
  },
  'table-memory': {
    summary: 'routing-table operations on one table (in the caches) against the same on 2,000 tables (in memory), alternating (--tables N)',
    run: (extra) => tableMemoryBenchmark(extra),
  },
  signatures: {
    summary: 'Ed25519 signing and checking as nodes do it (one key object per key) against libp2p\'s keys, in the same run',
    run: () => signaturesBenchmark(),
  },
  storage: {
    summary: 'issue 4: local add vs SHA-256 and cp, FastCDC, Reed-Solomon 10+4, a durability year (--add-mib N, --durability-objects N, --skip-durability)',
    run: (extra, say) => storageBenchmark(extra, say),
  },
  trees: {
    summary: 'peergrid put of 1,000 small files and get of a 32-file directory, each against the same bytes as one file (--small-files N, --large-files N)',
    run: async (extra, say) => {
      const options = treesOptions(extra);
      return { ...await treesBenchmark(say, options.smallFiles, options.largeFiles) };
    },
  },
  compute: {
    summary: 'issue 5: metering overhead, dispatch and efficiency on a loopback devnet, work lost per departure, cheaters in the simulator',
    run: (_extra, say) => computeBenchmark(say),
  },
  vivaldi: {
    summary: 'issue 6: Vivaldi coordinates on the PlanetLab matrix at 10^4 nodes, median relative error against a median-RTT predictor',
    run: (extra, say) => ({ ...vivaldiBenchmark(extra, say) }),
  },
  proximity: {
    summary: 'issue 6: lookups at 10^4 nodes on PlanetLab with proximity on and off, after 1 and 30 simulated minutes of warm-up',
    async run(extra, say) {
      const base = [...STATIC, '--nodes', '10000', '--lookups', '10000'];
      const runs: Record<string, unknown> = {};
      for (const warmup of ['1m', '30m']) {
        const off = await simulate([...base, '--warmup', warmup, '--proximity', 'off'], extra, say);
        const on = await simulate([...base, '--warmup', warmup, '--proximity', 'on'], extra, say);
        runs[`warmup${warmup}`] = {
          off: figures(off),
          on: { ...figures(on), vivaldiRelErrorP50: on.vivaldiRelErrorP50 },
          ratioOnToOff: {
            latencyP50: ratio(on.latencyMs.p50, off.latencyMs.p50),
            latencyP99: ratio(on.latencyMs.p99, off.latencyMs.p99),
            stretchP50: ratio(on.stretch.p50, off.stretch.p50),
            messagesPerLookup: ratio(on.messagesPerLookup, off.messagesPerLookup),
            bytesPerNodePerSec: ratio(on.bytesPerNodePerSec, off.bytesPerNodePerSec),
          },
        };
      }
      return runs;
    },
  },
  'proximity-devnet': {
    summary: 'issue 6: two loopback devnets of 24 nodes on emulated PlanetLab latency, proximity off and on: lookup latency and stretch on real nodes',
    run: (extra, say) => proximityDevnetBenchmark(extra, say),
  },
  'search-devnet': {
    summary: 'issue 7: an 8-process loopback devnet, 500 documents published, 200 queries: query latency p50/p95 against one DHT lookup',
    run: (extra, say) => searchDevnetBenchmark(extra, say),
  },
  'dht-vs-kad': {
    summary: 'a 16-process loopback devnet: our lookup vs @libp2p/kad-dht getClosestPeers on 16 processes beside it; dials vs requests',
    run: (extra, say) => dhtVsKadBenchmark(extra, say),
  },
};
