/**
 * `npm run bench -- dht-vs-kad`: our lookup against `@libp2p/kad-dht`'s getClosestPeers on one
 * loopback machine, in one run (issue 3, "Benchmarks"; docs/BENCHMARKS.md says why it is built so).
 *
 * - A `peergrid devnet --nodes N` (N processes) and N kad-node.ts processes beside it, on the same
 *   libp2p stack, started and left to settle.
 * - Sequential lookups for the same random keys from the same node index in both, alternating
 *   which goes first; one warm-up round per node first, reported apart. Latency is what each node
 *   measured around its lookup.
 * - Where our time goes: the transport timings of every node, scraped before and after.
 * - Load: concurrent callers for a fixed time, lookups per second, for both.
 * - Memory per node process, and the start time of one more node of each kind.
 * - First, the round trips a new connection costs, through delay proxies (connection-setup.ts).
 *
 * Options: --nodes N (16) --lookups L (480) --concurrency C (32) --load-seconds S (15)
 * --starts K (3) --setup-trials T (3). Every process started is stopped by its process group,
 * also when the run fails.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { measureConnectionSetup } from './connection-setup.ts';
import { DevnetRun } from './devnet-run.ts';
import { ClosestJudge } from './judge.ts';
import { KadProcess } from './kad-process.ts';
import { scrapeDevnet, summarizeLinkTimings } from './link-timings.ts';
import { LOOKUP_BOUND_MS, kadDht, ourDht, round1, runLoad, summarizeLookups, type Dht, type LookupSample } from './lookup-runs.ts';
import { measureKadStarts, measureOurStarts } from './node-starts.ts';
import { memorySummary } from './process-memory.ts';

type Say = (line: string) => void;

/** The issue's figures for 16 kad-dht processes on loopback. */
const ISSUE_REFERENCE_KAD = { p50Ms: 121, p95Ms: 205, p99Ms: 366, maxMs: 854, requestsPerLookup: 15 };
/** How long kad-dht nodes get to fill their routing tables after start (self-queries run every second at first). */
const KAD_SETTLE_MS_MAX = 30_000;

export async function dhtVsKadBenchmark(extra: readonly string[], say: Say): Promise<Record<string, unknown>> {
  const { values } = parseArgs({
    args: [...extra],
    options: {
      nodes: { type: 'string', default: '16' }, lookups: { type: 'string', default: '480' },
      concurrency: { type: 'string', default: '32' }, 'load-seconds': { type: 'string', default: '15' },
      starts: { type: 'string', default: '3' }, 'setup-trials': { type: 'string', default: '3' },
    },
  });
  const nodes = positive('--nodes', values.nodes);
  const lookups = positive('--lookups', values.lookups);
  const concurrency = positive('--concurrency', values.concurrency);
  const loadSeconds = positive('--load-seconds', values['load-seconds']);
  const starts = positive('--starts', values.starts);
  const setupTrials = positive('--setup-trials', values['setup-trials']);
  const machine = { cores: cpus().length, loadAverage1mAtStart: round1(loadavg()[0]) };

  const dir = await mkdtemp(join(tmpdir(), 'peergrid-dht-vs-kad-'));
  let devnet: DevnetRun | null = null;
  const kads: KadProcess[] = [];
  const kadLog = (text: string): void => {
    for (const line of text.split('\n')) if (line.trim() !== '') say(`  kad-dht: ${line}`);
  };
  let cleaning: Promise<void> | null = null;
  const cleanUp = (): Promise<void> => {
    cleaning ??= (async () => {
      await Promise.allSettled(kads.map((kad) => kad.stop()));
      await devnet?.stop();
      await rm(dir, { recursive: true, force: true });
    })();
    return cleaning;
  };
  // The children run in process groups of their own, so a Ctrl-C reaches only us: stop them first.
  const onSignal = (signal: NodeJS.Signals): void => {
    say(`${signal}: stopping every process started`);
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // First, while none of our processes runs: it is the part most disturbed by a busy machine.
    say('connection set-up through delay proxies (RTT 100 and 400 ms)');
    const connectionSetup = await measureConnectionSetup([50, 200], setupTrials, say);
    say(`starting peergrid devnet --nodes ${nodes} in ${dir}`);
    devnet = new DevnetRun(nodes, join(dir, 'devnet'), say);
    await devnet.ready;
    say(`devnet up in ${Math.round(devnet.startMs)} ms; starting ${nodes} kad-dht processes`);
    const kadStartedMs = performance.now();
    kads.push(KadProcess.spawn(null, kadLog));
    const kadBootstrap = (await kads[0].started).multiaddrs[0];
    for (let index = 1; index < nodes; index++) kads.push(KadProcess.spawn(kadBootstrap, kadLog));
    const kadStarted = await Promise.all(kads.map((kad) => kad.started));
    const kadFleetStartMs = performance.now() - kadStartedMs;
    const settleStartedMs = performance.now();
    const kadTables = await settleKad(kads, nodes - 1);
    const kadSettleMs = performance.now() - settleStartedMs;
    say(`kad-dht up in ${Math.round(kadFleetStartMs)} ms, tables settled in ${Math.round(kadSettleMs)} ms: ${kadTables.join(',')}`);

    const entries = devnet.entries;
    const ours = ourDht(entries, ClosestJudge.forKernelIds(entries.map((entry) => entry.id)));
    const peerIds = kadStarted.map((started) => started.peerId);
    const theirs = kadDht(kads, peerIds, ClosestJudge.forPeerIds(peerIds));
    const ourContacts = await Promise.all(ours.apis.map(async (api) => (await api.status()).contacts));
    const newKey = (): string => randomBytes(32).toString('hex');

    say('warm-up: one lookup from every node in each DHT');
    const beforeWarmup = await scrapeDevnet(entries);
    const warmup = await alternate(ours, theirs, nodes, newKey);
    const beforeMeasured = await scrapeDevnet(entries);
    say(`measuring ${lookups} lookups in each DHT, one at a time`);
    const measured = await alternate(ours, theirs, lookups, newKey, (done) => {
      if (done % 100 === 0) say(`  ${done} / ${lookups}`);
    });
    const afterMeasured = await scrapeDevnet(entries);
    const ourContactsAfter = await Promise.all(ours.apis.map(async (api) => (await api.status()).contacts));
    const kadTablesAfter = await Promise.all(kads.map(async (kad) => (await kad.status()).routingTableSize));

    say(`load: ${concurrency} concurrent callers for ${loadSeconds} s, ours then kad-dht`);
    const oursLoad = await runLoad(ours, newKey, concurrency, loadSeconds, 100_000);
    const kadLoad = await runLoad(theirs, newKey, concurrency, loadSeconds, 100_000);
    const afterLoad = await scrapeDevnet(entries);
    const memory = {
      ours: await memorySummary(entries.map((entry) => entry.pid)),
      kadDht: await memorySummary(kadStarted.map((started) => started.pid)),
    };

    say(`start time: ${starts} more nodes of each kind, one at a time`);
    const ourStarts = await measureOurStarts(join(dir, 'starts'), entries[0].multiaddrs[0], starts);
    const kadStarts = await measureKadStarts(kadBootstrap, starts, kadLog);

    const oursSummary = summarizeLookups(measured.ours);
    const kadSummary = summarizeLookups(measured.kad);
    const oursWarmup = summarizeLookups(warmup.ours);
    const oursWorstMs = Math.max(oursWarmup.maxMs, oursSummary.maxMs, oursLoad.maxMs);
    const oursFailed = oursWarmup.errors + oursSummary.errors + oursLoad.errors;
    const ratio = (a: number, b: number): number => Math.round((a / b) * 1000) / 1000;
    return {
      nodes, lookups, machine: { ...machine, loadAverage1mAtEnd: round1(loadavg()[0]) },
      ours: oursSummary,
      kadDht: kadSummary,
      ratioP50: ratio(oursSummary.p50Ms, kadSummary.p50Ms),
      ratioP99: ratio(oursSummary.p99Ms, kadSummary.p99Ms),
      ratioMessagesPerLookup: ratio(oursSummary.messagesPerLookup, kadSummary.messagesPerLookup),
      goals: {
        ratioP50AtMostQuarter: oursSummary.p50Ms / kadSummary.p50Ms <= 0.25,
        oursP99BelowKadDht: oursSummary.p99Ms < kadSummary.p99Ms,
        // Every lookup of ours in the run counts here: warm-up, measured and under load.
        noLookupOfOursOver5s: oursWorstMs <= LOOKUP_BOUND_MS && oursFailed === 0,
        oursSlowestMsAllPhases: oursWorstMs,
        oursFailedAllPhases: oursFailed,
        lookupBoundMs: LOOKUP_BOUND_MS,
      },
      issueReferenceKadDht: ISSUE_REFERENCE_KAD,
      warmup: { ours: oursWarmup, kadDht: summarizeLookups(warmup.kad) },
      whereOurTimeGoes: {
        warmup: summarizeLinkTimings(beforeWarmup, beforeMeasured),
        measured: summarizeLinkTimings(beforeMeasured, afterMeasured),
        load: summarizeLinkTimings(afterMeasured, afterLoad),
      },
      load: { ours: oursLoad, kadDht: kadLoad },
      memoryPerNodeProcess: memory,
      start: {
        devnetAllNodesJoinedMs: Math.round(devnet.startMs),
        kadDhtAllNodesStartedMs: Math.round(kadFleetStartMs),
        kadDhtTablesSettledMs: Math.round(kadSettleMs),
        oursOneNode: startFigures(ourStarts.startedMs, ourStarts.readyMs, 'joinedMs'),
        kadDhtOneNode: startFigures(kadStarts.startedMs, kadStarts.readyMs, 'tableNotEmptyMs'),
      },
      routingTables: {
        beforeWarmup: { oursContacts: ourContacts, kadDhtSizes: kadTables },
        afterMeasured: { oursContacts: ourContactsAfter, kadDhtSizes: kadTablesAfter },
      },
      connectionSetup,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanUp();
  }
}

/** `count` lookups in each DHT for the same keys from the same node index, alternating which goes first. */
async function alternate(ours: Dht, theirs: Dht, count: number, newKey: () => string, progress: (done: number) => void = () => {}): Promise<{ ours: LookupSample[]; kad: LookupSample[] }> {
  const result = { ours: [] as LookupSample[], kad: [] as LookupSample[] };
  for (let index = 0; index < count; index++) {
    const requester = index % ours.nodes;
    const key = newKey();
    if (index % 2 === 0) {
      result.ours.push(await ours.lookup(requester, key));
      result.kad.push(await theirs.lookup(requester, key));
    } else {
      result.kad.push(await theirs.lookup(requester, key));
      result.ours.push(await ours.lookup(requester, key));
    }
    progress(index + 1);
  }
  return result;
}

/** Waits until every kad-dht table holds `wanted` peers, or KAD_SETTLE_MS_MAX; returns the sizes. */
async function settleKad(kads: readonly KadProcess[], wanted: number): Promise<number[]> {
  const deadlineMs = performance.now() + KAD_SETTLE_MS_MAX;
  for (;;) {
    const sizes = await Promise.all(kads.map(async (kad) => (await kad.status()).routingTableSize));
    if (sizes.every((size) => size >= wanted) || performance.now() > deadlineMs) return sizes;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function startFigures(startedMs: readonly number[], readyMs: readonly number[], readyName: string): Record<string, unknown> {
  const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  return { startedMsMedian: Math.round(median(startedMs)), [`${readyName}Median`]: Math.round(median(readyMs)), startedMs: startedMs.map(Math.round), [readyName]: readyMs.map(Math.round) };
}

function positive(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${text}`);
  return value;
}
