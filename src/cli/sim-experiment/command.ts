/**
 * `peergrid sim experiment <name> [--seed S] [--nodes N,N,…] [--json] …`: one of the survey's claims
 * measured in the simulator (issue 6, item 2). With --json, one JSON object with the series it
 * measured; otherwise a table. The seed goes to stderr first as `seed=<S>`. Built so far:
 * `load-balance`, `hops-vs-n`, `flooding-vs-dht`, `partition`, `replication-vs-erasure`, `churn`,
 * `proximity` (docs/EXPERIMENTS.md) and `search` (issue 7, docs/SEARCH.md).
 */
import { LOAD_BALANCE_DEFAULTS, runLoadBalance, type LoadBalanceResult } from '../../sim/experiments/survey/load-balance.ts';
import { HOPS_VS_N_NODES, runHopsVsN, type HopsVsNResult } from '../../sim/experiments/survey/hops-vs-n.ts';
import { FLOODING_DEFAULTS, runFloodingVsDht, type FloodingResult } from '../../sim/experiments/survey/flooding-vs-dht.ts';
import type { LookupExperimentResult } from '../../sim/experiments/lookup-experiment.ts';
import { PARTITION_DEFAULTS, runPartition, type PartitionResult } from '../../sim/experiments/survey/partition.ts';
import { CHURN_DEFAULTS, runChurn, type ChurnResult } from '../../sim/experiments/survey/churn.ts';
import { REPLICATION_VS_ERASURE_DEFAULTS, runReplicationVsErasure, type ReplicationVsErasureResult } from '../../sim/experiments/survey/replication-vs-erasure.ts';
import { runLookupExperiment } from '../../sim/experiments/lookup-experiment.ts';
import { PROXIMITY_DEFAULTS, runProximity, type ProximityResult } from '../../sim/experiments/survey/proximity.ts';
import { SEARCH_DEFAULTS, runSearch, type SearchResult } from '../../sim/experiments/survey/search.ts';
import { runSwarmExperiment, SWARM_DEFAULTS, type SwarmExperimentResult } from '../../sim/experiments/swarm/swarm-experiment.ts';
import { parseLatencySpec } from '../../sim/latency/spec.ts';
import type { LatencyModel } from '../../sim/latency/model.ts';
import { parseSimLookupArgs } from '../sim-lookup/command.ts';
import { parseCommandLine, parseInteger, UsageError } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { drawSeed } from '../sim-lookup/command.ts';
import { WORKERS_MAX } from '../../sim/parallel/parallel-lookup.ts';
import { TaskPool } from '../../sim/parallel/task-pool.ts';

type ExperimentValues = ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'];

const EXPERIMENTS = ['load-balance', 'hops-vs-n', 'flooding-vs-dht', 'partition', 'replication-vs-erasure', 'churn', 'proximity', 'search', 'swarm'] as const;
const NODES_MIN = 10;
const NODES_MAX = 1_000_000;
const POINTS_MAX = 12;
const HOPS_NODES_MAX = 30_000;
/** Holders in one swarm: the scheduler's own cap on peers is far above this. */
const SWARM_SOURCES_MAX = 64;

const OPTIONS = {
  seed: { type: 'string' },
  nodes: { type: 'string' },
  'keys-per-node': { type: 'string' },
  lookups: { type: 'string' },
  queries: { type: 'string' },
  keys: { type: 'string' },
  objects: { type: 'string' },
  sessions: { type: 'string' },
  days: { type: 'string' },
  warmup: { type: 'string' },
  documents: { type: 'string' },
  sources: { type: 'string' },
  latency: { type: 'string' },
  workers: { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** Experiments made of separate lookup runs, which `--workers` spreads over threads. */
export const POOLED_EXPERIMENTS: readonly string[] = ['hops-vs-n', 'churn', 'proximity'];
/** Where a pool's thread finds a lookup run made from `sim lookup`'s arguments. */
const LOOKUP_RUN = { module: new URL('../sim-lookup/command.ts', import.meta.url).href, export: 'lookupResultFromArgs' } as const;

export async function runSimExperiment(args: readonly string[], io: CliIo, seedSource: () => number = drawSeed): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError(`which experiment? one of: ${EXPERIMENTS.join(', ')}`);
  if (rest.length > 0) throw new UsageError(`one experiment at a time, got also: ${rest.join(' ')}`);
  if (!(EXPERIMENTS as readonly string[]).includes(name)) throw new UsageError(`no experiment '${name}' (built: ${EXPERIMENTS.join(', ')})`);
  const workers = values.workers === undefined ? 1 : parseInteger('--workers', values.workers, 1, WORKERS_MAX);
  if (workers > 1 && !POOLED_EXPERIMENTS.includes(name)) throw new UsageError(`--workers is for ${POOLED_EXPERIMENTS.join(', ')}: the experiments made of separate lookup runs`);
  const pool = new TaskPool(workers);
  try {
    await runNamed(name, values, pool, io, seedSource);
  } finally {
    await pool.close();
  }
}

async function runNamed(name: string, values: ExperimentValues, pool: TaskPool, io: CliIo, seedSource: () => number): Promise<void> {
  const seed = values.seed === undefined ? seedSource() : parseInteger('--seed', values.seed, 0, Number.MAX_SAFE_INTEGER);
  // A run as `peergrid sim lookup ARGS --seed S` makes it, on a thread of the pool.
  const lookupRun = (lookupArgs: readonly string[]): Promise<LookupExperimentResult> =>
    pool.run<LookupExperimentResult>({ ...LOOKUP_RUN, input: { args: [...lookupArgs, '--seed', String(seed)], seed } });
  if (name !== 'replication-vs-erasure' && (values.objects !== undefined || values.days !== undefined)) throw new UsageError('--objects and --days are for replication-vs-erasure');
  if (name !== 'churn' && values.sessions !== undefined) throw new UsageError('--sessions is for churn');
  if (name !== 'proximity' && values.warmup !== undefined) throw new UsageError('--warmup is for proximity');
  if (name !== 'search' && values.documents !== undefined) throw new UsageError('--documents is for search');
  if (name !== 'swarm' && (values.sources !== undefined || values.latency !== undefined)) throw new UsageError('--sources and --latency are for swarm');
  if (name === 'swarm') {
    if (values.nodes !== undefined || values['keys-per-node'] !== undefined || values.lookups !== undefined || values.queries !== undefined || values.keys !== undefined) {
      throw new UsageError('swarm takes --sources N,N,… and --latency none|geo|planetlab|<file>');
    }
    const sources = values.sources === undefined ? [...SWARM_DEFAULTS.sources] : parseCountList('--sources', values.sources, 1, SWARM_SOURCES_MAX);
    let latency: LatencyModel | null = null;
    const spec = values.latency ?? 'planetlab';
    if (spec !== 'none') {
      try {
        latency = parseLatencySpec(spec);
      } catch (error) {
        throw new UsageError(`--latency: ${(error as Error).message}, or 'none'`);
      }
    }
    io.err(`seed=${seed}\n`);
    const result = runSwarmExperiment({ ...SWARM_DEFAULTS, seed, sources, latency });
    io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatSwarm(result));
    return;
  }
  if (name === 'search') {
    if (values['keys-per-node'] !== undefined || values.lookups !== undefined || values.keys !== undefined) throw new UsageError('search takes --nodes N (one size), --documents D and --queries Q');
    const nodes = values.nodes === undefined ? SEARCH_DEFAULTS.nodes : parseInteger('--nodes', values.nodes, 50, HOPS_NODES_MAX);
    const documents = values.documents === undefined ? SEARCH_DEFAULTS.documents : parseInteger('--documents', values.documents, 1, 10_000_000);
    const queries = values.queries === undefined ? SEARCH_DEFAULTS.queries : parseInteger('--queries', values.queries, 1, 1_000_000);
    io.err(`seed=${seed}\n`);
    // The lookups as `peergrid sim lookup --nodes N --lookups 1000 --seed S` makes them.
    const result = runSearch({ ...SEARCH_DEFAULTS, seed, nodes, documents, queries }, (count) => lookupRunner(seed, 1000).run(count));
    io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatSearch(result));
    return;
  }
  if (name === 'proximity') {
    if (values['keys-per-node'] !== undefined || values.queries !== undefined || values.keys !== undefined) throw new UsageError('proximity takes --nodes N,N,…, --lookups L and --warmup MIN');
    const nodes = values.nodes === undefined ? [...PROXIMITY_DEFAULTS.nodes] : parseNodeList(values.nodes);
    for (const count of nodes) if (count > HOPS_NODES_MAX) throw new UsageError(`--nodes: proximity runs lookups on up to ${HOPS_NODES_MAX} nodes in one process; for more, run peergrid sim lookup --nodes ${count} --proximity on`);
    const lookups = values.lookups === undefined ? 1000 : parseInteger('--lookups', values.lookups, 1, 1_000_000);
    const warmupMinutes = values.warmup === undefined ? PROXIMITY_DEFAULTS.warmupMinutes : parseInteger('--warmup', values.warmup, 0, 24 * 60);
    io.err(`seed=${seed}\n`);
    // Each as `peergrid sim lookup --nodes N --lookups L --warmup W --proximity on|off --seed S` would run it.
    const result = await runProximity({ seed, nodes, lookups, warmupMinutes }, (count, proximity) => lookupRun([
      '--nodes', String(count), '--lookups', String(lookups), '--warmup', String(warmupMinutes), '--proximity', proximity ? 'on' : 'off',
    ]));
    io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatProximity(result));
    return;
  }
  if (name === 'churn') {
    if (values['keys-per-node'] !== undefined || values.queries !== undefined || values.keys !== undefined) throw new UsageError('churn takes --nodes N (one size), --sessions M,M,… and --lookups L');
    const nodes = values.nodes === undefined ? CHURN_DEFAULTS.nodes : parseInteger('--nodes', values.nodes, 50, HOPS_NODES_MAX);
    const sessionMinutes = values.sessions === undefined ? CHURN_DEFAULTS.sessionMinutes : values.sessions.split(',').map((part) => parseInteger('--sessions', part.trim(), 1, 100_000));
    if (sessionMinutes.length > POINTS_MAX) throw new UsageError(`--sessions: at most ${POINTS_MAX} medians`);
    const lookups = values.lookups === undefined ? nodes : parseInteger('--lookups', values.lookups, 1, 1_000_000);
    io.err(`seed=${seed}\n`);
    // Each as `peergrid sim lookup --nodes N --lookups L --churn SPEC --eviction P --seed S` would run it.
    const result = await runChurn({ seed, nodes, sessionMinutes }, (churn, eviction) => lookupRun([
      '--nodes', String(nodes), '--lookups', String(lookups), '--churn', churn, '--eviction', eviction,
    ]));
    io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatChurn(result));
    return;
  }
  if (name === 'replication-vs-erasure') {
    if (values['keys-per-node'] !== undefined || values.lookups !== undefined || values.queries !== undefined || values.keys !== undefined) throw new UsageError('replication-vs-erasure takes --nodes N (one size), --objects O and --days D');
    const defaults = REPLICATION_VS_ERASURE_DEFAULTS;
    const nodes = values.nodes === undefined ? defaults.nodes : parseInteger('--nodes', values.nodes, 100, 1_000_000);
    const objects = values.objects === undefined ? defaults.objects : parseInteger('--objects', values.objects, 1, 10_000_000);
    const days = values.days === undefined ? defaults.days : parseInteger('--days', values.days, 1, 3650);
    io.err(`seed=${seed}\n`);
    const result = runReplicationVsErasure({ ...defaults, seed, nodes, objects, days });
    io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatReplicationVsErasure(result));
    return;
  }
  if (name === 'partition') {
    if (values['keys-per-node'] !== undefined || values.lookups !== undefined || values.queries !== undefined) throw new UsageError('partition takes --nodes N (one size) and --keys K');
    const nodes = values.nodes === undefined ? PARTITION_DEFAULTS.nodes : parseInteger('--nodes', values.nodes, 50, HOPS_NODES_MAX);
    const keys = values.keys === undefined ? PARTITION_DEFAULTS.keys : parseInteger('--keys', values.keys, 1, 100_000);
    // The DHT, latency and network `peergrid sim lookup` would use.
    const plan = parseSimLookupArgs(['--nodes', String(nodes), '--seed', String(seed)]).experiment;
    io.err(`seed=${seed}\n`);
    const result = runPartition({
      seed, nodes, keys, shares: PARTITION_DEFAULTS.shares, dht: plan.dht, latency: plan.latency, network: plan.network,
      joinSpacingMs: plan.joinSpacingMs, settleMs: PARTITION_DEFAULTS.settleMs, worlds: PARTITION_DEFAULTS.worlds,
    });
    io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatPartition(result));
    return;
  }
  if (values.keys !== undefined) throw new UsageError('--keys is for partition');
  if (name === 'hops-vs-n' || name === 'flooding-vs-dht') {
    if (values['keys-per-node'] !== undefined) throw new UsageError('--keys-per-node is for load-balance');
    if (name === 'hops-vs-n' && values.queries !== undefined) throw new UsageError('--queries is for flooding-vs-dht');
    const nodes = values.nodes === undefined ? (name === 'hops-vs-n' ? HOPS_VS_N_NODES : FLOODING_DEFAULTS.nodes) : parseNodeList(values.nodes);
    // Larger networks need `peergrid sim lookup`, which gives a run the heap it needs.
    for (const count of nodes) if (count > HOPS_NODES_MAX) throw new UsageError(`--nodes: ${name} runs lookups on up to ${HOPS_NODES_MAX} nodes in one process; for more, run peergrid sim lookup --nodes ${count}`);
    const lookups = values.lookups === undefined ? 1000 : parseInteger('--lookups', values.lookups, 1, 1_000_000);
    const lookupAt = lookupRunner(seed, lookups);
    io.err(`seed=${seed}\n`);
    if (name === 'hops-vs-n') {
      const result = await runHopsVsN({ seed, nodes, lookups, bitsPerDigit: lookupAt.bitsPerDigit }, (count) => lookupRun(['--nodes', String(count), '--lookups', String(lookups)]));
      io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatHopsVsN(result));
      return;
    }
    const queries = values.queries === undefined ? FLOODING_DEFAULTS.queries : parseInteger('--queries', values.queries, 1, 1_000_000);
    const result = runFloodingVsDht({ ...FLOODING_DEFAULTS, seed, nodes, queries }, lookupAt.run);
    io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatFlooding(result));
    return;
  }
  if (values.lookups !== undefined || values.queries !== undefined) throw new UsageError('--lookups and --queries are not for load-balance');
  const nodes = values.nodes === undefined ? LOAD_BALANCE_DEFAULTS.nodes : parseNodeList(values.nodes);
  const keysPerNode = values['keys-per-node'] === undefined ? LOAD_BALANCE_DEFAULTS.keysPerNode : parseInteger('--keys-per-node', values['keys-per-node'], 1, 1000);
  io.err(`seed=${seed}\n`);
  const result = runLoadBalance({ seed, nodes, keysPerNode });
  io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatLoadBalance(result));
}

/** Lookup runs as `peergrid sim lookup --nodes N --lookups L --seed S` would make them (its defaults). */
function lookupRunner(seed: number, lookups: number): { readonly bitsPerDigit: number; readonly run: (nodes: number) => LookupExperimentResult } {
  const planOf = (nodes: number) => parseSimLookupArgs(['--nodes', String(nodes), '--lookups', String(lookups), '--seed', String(seed)]);
  return { bitsPerDigit: planOf(100).experiment.dht.bitsPerDigit, run: (nodes) => runLookupExperiment(planOf(nodes).experiment) };
}

function formatSwarm(result: SwarmExperimentResult): string {
  const rate = result.rateBytesPerSecond / (1024 * 1024);
  const lines = [`swarm (seed ${result.seed}, ${result.fileBytes / (1024 * 1024)} MiB in ${result.blocks} blocks, holders at ${rate} MiB/s each, latency ${result.latency}): ${result.claim}`, ''];
  lines.push('holders    seconds   achieved ÷ N·R   requests   cancelled');
  for (const run of result.runs) lines.push(`${String(run.sources).padEnd(9)}  ${run.seconds.toFixed(2).padStart(7)}   ${run.achievedOverNR.toFixed(3).padStart(14)}   ${String(run.requests).padStart(8)}   ${String(run.cancelled).padStart(9)}`);
  const slow = result.slowSource;
  lines.push('', `one of ${slow.sources} at ${rate / 10} MiB/s: ${slow.seconds.toFixed(2)} s, ${slow.slowdown.toFixed(3)}× the all-fast time (floor ${slow.floor.toFixed(3)}); the slow holder served ${slow.slowBlocks} blocks`);
  lines.push(`trace hash ${result.traceHash}`);
  return `${lines.join('\n')}\n`;
}

function formatFlooding(result: FloodingResult): string {
  const lines = [`flooding-vs-dht (seed ${result.seed}, ${result.options.queries} queries a size, degree ${result.options.degree}, copies on ${result.options.replication * 100}% of nodes): ${result.claim}`, ''];
  lines.push('nodes      messages per query (success rate)');
  lines.push(`           flood TTL ${result.options.ttl}        expanding ring      ${result.options.walkers} random walks     DHT lookup`);
  const cell = (figures: { messagesPerQuery: number; successRate: number }): string => `${figures.messagesPerQuery.toFixed(1).padStart(8)} (${figures.successRate.toFixed(3)})`;
  for (const point of result.points) lines.push(`${String(point.nodes).padEnd(10)} ${cell(point.flooding)}   ${cell(point.expandingRing)}   ${cell(point.randomWalks)}   ${cell(point.dht)}`);
  return `${lines.join('\n')}\n`;
}

function formatSearch(result: SearchResult): string {
  const lines = [`search (seed ${result.seed}, ${result.nodes} nodes, ${result.options.documents} documents, ${result.queries} queries of ${result.options.termsPerQuery} terms): ${result.claim}`, ''];
  lines.push(`matches per query ${result.matchesPerQuery}; the DHT finds all of them (recall ${result.recall})`);
  lines.push(`DHT (Bloom chain)      ${String(result.dhtMessagesPerQuery).padStart(10)} messages  ${String(result.dhtBytesPerQuery).padStart(12)} bytes a query (lookups ${result.lookup.messagesPerLookup} messages, ${result.lookup.bytesPerLookup} bytes each)`);
  lines.push(`flooding, recall 1     ${String(result.floodMessagesPerQuery).padStart(10)} messages  ${String(result.floodBytesPerQuery).padStart(12)} bytes a query (TTL ${result.floodTtlMean} on average)`);
  lines.push(`flooding, TTL 7        ${String(result.floodTtl7.messagesPerQuery).padStart(10)} messages  recall ${result.floodTtl7.recall}`);
  lines.push(`intersection: Bloom filters save ${(result.bloomBytesSavedRatio * 100).toFixed(1)}% of the bytes of shipping whole lists (${result.wholeListBytesPerQuery} bytes a query)`);
  return `${lines.join('\n')}\n`;
}

function formatProximity(result: ProximityResult): string {
  const lines = [`proximity (seed ${result.seed}, ${result.lookups} lookups a size, ${result.warmupMinutes} min warm-up): ${result.claim}`, ''];
  lines.push('nodes      latency p50 off → on     stretch p50 off → on   hops off → on    correct off / on   vivaldi error p50');
  for (const point of result.points) {
    const { off, on } = point;
    lines.push(`${String(point.nodes).padEnd(10)} ${String(Math.round(off.latencyP50Ms)).padStart(6)} → ${String(Math.round(on.latencyP50Ms)).padStart(4)} ms   ${off.stretchP50.toFixed(2).padStart(10)} → ${on.stretchP50.toFixed(2)}   ${off.hopsMean.toFixed(2).padStart(7)} → ${on.hopsMean.toFixed(2)}   ${off.correctRate.toFixed(3).padStart(9)} / ${on.correctRate.toFixed(3)}   ${point.vivaldiRelErrorP50.toFixed(3).padStart(17)}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatChurn(result: ChurnResult): string {
  const lines = [`churn (seed ${result.seed}, ${result.nodes} nodes; ping-first is Kademlia's eviction, lru plain LRU): ${result.claim}`, ''];
  lines.push('churn        eviction     correct   recall   latency p50   p95        dead contacts a lookup   maintenance B/s per node');
  for (const point of result.points) {
    for (const [eviction, figures] of [['ping-first', point], ['lru', point.lru]] as const) {
      lines.push(`${point.churn.padEnd(11)}  ${eviction.padEnd(10)}  ${figures.correctRate.toFixed(3).padStart(7)}   ${figures.recallMean.toFixed(3).padStart(6)}   ${String(Math.round(figures.latencyP50Ms)).padStart(8)} ms   ${String(Math.round(figures.latencyP95Ms)).padStart(5)} ms   ${figures.failuresPerLookup.toFixed(2).padStart(22)}   ${figures.maintenanceBytesPerNodePerSec.toFixed(1).padStart(24)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function formatReplicationVsErasure(result: ReplicationVsErasureResult): string {
  const { options } = result;
  const lines = [`replication-vs-erasure (seed ${result.seed}, ${options.objects} objects on ${options.nodes} nodes, ${options.days} days; ${options.permanentLossPerMonth * 100}% leave a month, ${options.offlineFraction * 100}% of time offline): ${result.claim}`, ''];
  lines.push('scheme              overhead   lost          availability   repair bytes ÷ stored');
  for (const series of result.series) {
    for (const point of series.points) lines.push(`${point.scheme.padEnd(18)}  ${String(point.overhead).padStart(8)}   ${point.lostFraction.toExponential(2).padStart(10)}   ${point.availability.toFixed(6).padStart(12)}   ${point.repairBytesPerStoredByte.toFixed(3).padStart(21)}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatPartition(result: PartitionResult): string {
  const lines = [`partition (seed ${result.seed}, ${result.nodes} nodes, ${result.keys} keys, k = ${result.k}): ${result.claim}`, ''];
  lines.push('share cut off   nodes inside   keys found from inside (least–most)   one home node   k copies at random   copy inside at cut   found when a copy was inside');
  for (const point of result.points) {
    lines.push(`${point.share.toFixed(2).padStart(13)}   ${String(point.nodesInside).padStart(12)}   ${point.reachableFromInside.toFixed(3).padStart(14)} (${point.reachableMin.toFixed(3)}–${point.reachableMax.toFixed(3)})   ${point.oneHomeNode.toFixed(3).padStart(13)}   ${point.kCopiesAtRandom.toFixed(3).padStart(18)}   ${point.copyInsideAtCut.toFixed(3).padStart(18)}   ${point.foundWhenCopyInside.toFixed(3).padStart(28)}`);
  }
  return `${lines.join('\n')}\n`;
}

function formatHopsVsN(result: HopsVsNResult): string {
  const lines = [`hops-vs-n (seed ${result.seed}, ${result.lookups} lookups a size, b = ${result.bitsPerDigit}): ${result.claim}`, ''];
  lines.push('nodes      hops mean   p95   max   log_2^b n   log2 n   correct   latency p50');
  for (const point of result.points) {
    lines.push(`${String(point.nodes).padEnd(10)} ${point.hopsMean.toFixed(3).padStart(9)}   ${String(point.hopsP95).padStart(3)}   ${String(point.hopsMax).padStart(3)}   ${point.logBaseDigitN.toFixed(2).padStart(9)}   ${point.log2N.toFixed(2).padStart(6)}   ${point.correctRate.toFixed(3).padStart(7)}   ${String(Math.round(point.latencyP50Ms)).padStart(8)} ms`);
  }
  return `${lines.join('\n')}\n`;
}

function parseCountList(flag: string, text: string, min: number, max: number): number[] {
  const parts = text.split(',');
  if (parts.length > POINTS_MAX) throw new UsageError(`${flag}: at most ${POINTS_MAX} values, got ${parts.length}`);
  return parts.map((part) => parseInteger(flag, part.trim(), min, max));
}

function parseNodeList(text: string): number[] {
  const parts = text.split(',');
  if (parts.length > POINTS_MAX) throw new UsageError(`--nodes: at most ${POINTS_MAX} sizes, got ${parts.length}`);
  return parts.map((part) => parseInteger('--nodes', part.trim(), NODES_MIN, NODES_MAX));
}

function formatLoadBalance(result: LoadBalanceResult): string {
  const lines = [`load-balance (seed ${result.seed}, ${result.keysPerNode} keys per node): ${result.claim}`, ''];
  lines.push('nodes      ln n   max/mean (1 id)   p99/mean   ids/node   max/mean (virtual)   p99/mean');
  const [plain, virtual] = result.series;
  plain.points.forEach((point, index) => {
    const other = virtual.points[index];
    lines.push(`${String(point.nodes).padEnd(10)} ${point.lnN.toFixed(2).padStart(5)}   ${point.maxOverMean.toFixed(2).padStart(15)}   ${point.p99OverMean.toFixed(2).padStart(8)}   ${String(other.virtualPerNode).padStart(8)}   ${other.maxOverMean.toFixed(2).padStart(18)}   ${other.p99OverMean.toFixed(2).padStart(8)}`);
  });
  return `${lines.join('\n')}\n`;
}

export function simExperimentUsage(): string {
  return `Usage: peergrid sim experiment <name> [options]

Measures one of the survey's claims in the simulator. Built so far:
  load-balance   keys per node by XOR placement with random identifiers, with and without
                 log2 n virtual identifiers per node (survey §4.6: max ≈ log n × mean)
  hops-vs-n      lookup hops against network size (survey §3.1.2: O(log n)), each size as
                 \`peergrid sim lookup --nodes N --lookups L --seed S\` would run it
  flooding-vs-dht  messages per query and success of flooding (TTL 7), an expanding ring and 16
                 random walks on a random graph of degree 4, against a DHT lookup (survey §3.1.1)
  partition      a random share of the nodes cut off: the keys found from inside (survey §4.7)
  replication-vs-erasure  objects lost, availability and repair traffic of replication and
                 Reed–Solomon (10 data fragments) at storage overheads 2, 3, 4 (survey §4.7)
  churn          lookups under exponential sessions of each median, and the Mojo Nation
                 profile: correctness, latency, dead contacts met, maintenance traffic, with
                 Kademlia's ping-first eviction and with plain LRU (survey §4.2)
  search         keyword queries on an inverted index over the DHT (Bloom-filter intersection,
                 rarest first) against flooding at equal recall, and against shipping whole
                 posting lists (survey §3.1.1, Figure 8; Reynolds & Vahdat 2003)
  proximity      lookup latency and stretch with proximity off and on, each size as
                 \`peergrid sim lookup --proximity on|off\` would run it (survey §4.5)
  swarm          a 64 MiB download from N holders at 1 MiB/s each with the node's own swarm
                 scheduler: achieved over N·R, and what one holder 10× slower costs (issue 4,
                 the figures \`npm run bench -- storage\` measures over libp2p)

Options:
  --seed S              the run's seed (default: drawn, printed to stderr)
  --nodes N,N,…         the network sizes (load-balance: ${LOAD_BALANCE_DEFAULTS.nodes.join(',')}; hops-vs-n: ${HOPS_VS_N_NODES.join(',')})
  --keys-per-node K     load-balance: keys placed per node (default ${LOAD_BALANCE_DEFAULTS.keysPerNode})
  --lookups L           hops-vs-n, flooding-vs-dht, proximity: lookups at each size (default 1000)
  --documents D         search: documents in the corpus (default ${SEARCH_DEFAULTS.documents}; --nodes one size, default ${SEARCH_DEFAULTS.nodes}; --queries default ${SEARCH_DEFAULTS.queries})
  --warmup MIN          proximity: simulated minutes before the lookups (default ${PROXIMITY_DEFAULTS.warmupMinutes}; --nodes default ${PROXIMITY_DEFAULTS.nodes.join(',')})
  --queries Q           flooding-vs-dht: unstructured searches at each size (default ${FLOODING_DEFAULTS.queries})
  --keys K              partition: values stored before the cut (default ${PARTITION_DEFAULTS.keys}; --nodes is one size, default ${PARTITION_DEFAULTS.nodes})
  --sources N,N,…       swarm: holder counts (default ${SWARM_DEFAULTS.sources.join(',')}; the slow holder joins the largest)
  --latency L           swarm: none, geo, planetlab (default) or an RTT matrix file: each holder's latency to the reader
  --sessions M,M,…      churn: median session minutes (default ${CHURN_DEFAULTS.sessionMinutes.join(',')}; mojo is always added)
  --objects O, --days D replication-vs-erasure: objects stored and days simulated (default ${REPLICATION_VS_ERASURE_DEFAULTS.objects}, ${REPLICATION_VS_ERASURE_DEFAULTS.days}; --nodes default ${REPLICATION_VS_ERASURE_DEFAULTS.nodes})
  --workers W           hops-vs-n, churn, proximity: run their lookup runs on W threads at once
                        (default 1); the figures are those of one thread
  --json                one JSON object with the series measured
`;
}

export const simExperimentCommand: CliCommand = {
  path: ['sim', 'experiment'],
  usage: simExperimentUsage,
  run: (args, io) => runSimExperiment(args, io),
};
