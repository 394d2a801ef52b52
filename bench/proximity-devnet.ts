/**
 * `npm run bench -- proximity-devnet [--nodes N] [--rounds R] [--settle-seconds S]`: proximity
 * measured on real nodes (issue 6; the simulator's figures are `npm run bench -- proximity`). Two
 * loopback devnets of N node processes (default 24), one with `dht.proximity` off and one with it
 * on, each node placed on a host of the simulator's cleaned PlanetLab matrix and its DHT messages
 * held for half the RTT between hosts (runtime/emulated-latency.ts: the kernel has no netem). After
 * the nodes have run a while, every node looks up R random keys (default 20) through its API; the
 * same keys from the same nodes in both, which are the same nodes (one set of data directories, so
 * one set of identities and emulated hosts), started afresh with the other setting. Figures: latency as each node measured it, and stretch —
 * that latency over the emulated RTT between the node and the closest node it found. Baseline in
 * the same run: proximity off.
 *
 * What this does not emulate: connection set-up (the handshakes run at loopback speed) and the
 * storage and compute protocols (only DHT messages are held). With N nodes of which each knows
 * nearly all, a lookup is about one hop: this measures route selection and the finish rule on real
 * nodes, not neighbour selection in large tables, which the simulator measures. Every process
 * started is stopped by its process group, also when the run fails.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createApiClient } from '../src/api/client.ts';
import { EMULATED_RTT_MATRIX_ENV, emulatedLatency, type EmulatedLatency } from '../src/runtime/emulated-latency.ts';
import { loadPlanetLabMatrix } from '../src/sim/latency/planetlab.ts';
import { quantileSorted } from '../src/sim/stats.ts';
import { DevnetRun } from './dht-vs-kad/devnet-run.ts';
import { ClosestJudge } from './dht-vs-kad/judge.ts';

type Say = (line: string) => void;

const DEFAULTS = { nodes: 24, rounds: 20, settleSeconds: 90 };

interface Sample {
  readonly durationMs: number;
  readonly stretch: number;
  readonly correct: boolean;
  readonly messages: number;
}

export async function proximityDevnetBenchmark(extra: readonly string[], say: Say): Promise<Record<string, unknown>> {
  const { values } = parseArgs({ args: [...extra], options: { nodes: { type: 'string' }, rounds: { type: 'string' }, 'settle-seconds': { type: 'string' } } });
  const nodes = positive(values.nodes, DEFAULTS.nodes, '--nodes');
  const rounds = positive(values.rounds, DEFAULTS.rounds, '--rounds');
  const settleSeconds = positive(values['settle-seconds'], DEFAULTS.settleSeconds, '--settle-seconds');
  const work = await mkdtemp(join(tmpdir(), 'peergrid-proximity-devnet-'));
  try {
    // The simulator's cleaned PlanetLab matrix, in the plain format a node reads.
    const planetLab = loadPlanetLabMatrix().matrix;
    const rows: number[][] = [];
    for (let i = 0; i < planetLab.hosts; i++) rows.push(Array.from(planetLab.rttMs.subarray(i * planetLab.hosts, (i + 1) * planetLab.hosts), (value) => Math.round(value * 1000) / 1000));
    const matrixPath = join(work, 'planetlab.txt');
    await writeFile(matrixPath, `${rows.map((row) => row.join(' ')).join('\n')}\n`);
    const emulation = emulatedLatency(rows);
    // The same keys, from the same node indices, in both devnets.
    const keys = Array.from({ length: rounds * nodes }, () => randomBytes(32).toString('hex'));
    const runs: Record<string, Record<string, unknown>> = {};
    for (const proximity of [false, true]) {
      const name = proximity ? 'on' : 'off';
      say(`proximity ${name}: ${nodes} nodes on emulated PlanetLab latency`);
      // One set of data directories for both: the same identities, so the same emulated hosts and
      // the same closest nodes for each key (fresh identities would place the nodes anew).
      runs[name] = await measure({ dir: join(work, 'devnet'), nodes, proximity, matrixPath, emulation, keys, settleSeconds, say });
    }
    const off = runs.off as { latencyMs: { p50: number; p95: number }; stretch: { p50: number } };
    const on = runs.on as { latencyMs: { p50: number; p95: number }; stretch: { p50: number } };
    return {
      nodes, lookups: keys.length, settleSeconds, off: runs.off, on: runs.on,
      ratioOnToOff: { latencyP50: ratio(on.latencyMs.p50, off.latencyMs.p50), latencyP95: ratio(on.latencyMs.p95, off.latencyMs.p95), stretchP50: ratio(on.stretch.p50, off.stretch.p50) },
    };
  } finally {
    delete process.env[EMULATED_RTT_MATRIX_ENV];
    await rm(work, { recursive: true, force: true });
  }
}

async function measure(options: {
  readonly dir: string; readonly nodes: number; readonly proximity: boolean; readonly matrixPath: string;
  readonly emulation: EmulatedLatency; readonly keys: readonly string[]; readonly settleSeconds: number; readonly say: Say;
}): Promise<Record<string, unknown>> {
  const { dir, nodes, emulation, say } = options;
  for (let index = 0; index < nodes; index++) {
    await mkdir(join(dir, `node-${index}`), { recursive: true });
    await writeFile(join(dir, `node-${index}`, 'config.json'), `${JSON.stringify({ dht: { proximity: options.proximity } })}\n`);
    // The identity stays; the routing snapshot goes, since every node listens on a new port and
    // each run should start from the same state: a join through node 0.
    await rm(join(dir, `node-${index}`, 'routing.json'), { force: true });
  }
  // The previous run's devnet.json would pass for this one's (DevnetRun waits for the file).
  await rm(join(dir, 'devnet.json'), { force: true });
  // The devnet's nodes inherit the benchmark's environment.
  process.env[EMULATED_RTT_MATRIX_ENV] = options.matrixPath;
  const devnet = new DevnetRun(nodes, dir, say);
  try {
    await devnet.ready;
    const entries = devnet.entries;
    const peerIds = entries.map((entry) => peerIdOf(entry.multiaddrs[0]));
    const judge = ClosestJudge.forKernelIds(entries.map((entry) => entry.id));
    const apis = entries.map((entry) => createApiClient({ baseUrl: entry.api }));
    say(`  started in ${(devnet.startMs / 1000).toFixed(1)} s; letting the nodes run ${options.settleSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, options.settleSeconds * 1000));
    const samples: Sample[] = [];
    let failed = 0;
    for (const [index, key] of options.keys.entries()) {
      const requester = index % nodes;
      try {
        const found = await apis[requester].lookup({ key });
        const closest = found.closest[0];
        const rttMs = closest?.peerId ? emulation.rttMs(peerIds[requester], closest.peerId) : NaN;
        samples.push({
          durationMs: found.durationMs, stretch: rttMs > 0 ? found.durationMs / rttMs : NaN,
          correct: closest?.id === judge.closest(key, entries[requester].id), messages: found.queries + found.answers,
        });
      } catch {
        failed++;
      }
    }
    const coordinates = await Promise.all(apis.map(async (api) => (await api.status()).coordinate));
    const latencies = samples.map((sample) => sample.durationMs).sort((a, b) => a - b);
    const stretches = samples.map((sample) => sample.stretch).filter(Number.isFinite).sort((a, b) => a - b);
    const result = {
      lookups: samples.length, failed,
      correctRate: round3(samples.filter((sample) => sample.correct).length / Math.max(1, samples.length)),
      latencyMs: { p50: quantileSorted(latencies, 0.5), p95: quantileSorted(latencies, 0.95), p99: quantileSorted(latencies, 0.99) },
      stretch: { p50: round3(quantileSorted(stretches, 0.5)), p95: round3(quantileSorted(stretches, 0.95)) },
      messagesPerLookup: round3(samples.reduce((sum, sample) => sum + sample.messages, 0) / Math.max(1, samples.length)),
      coordinateErrorP50: round3(quantileSorted(coordinates.map((coordinate) => coordinate?.error ?? NaN).filter(Number.isFinite).sort((a, b) => a - b), 0.5)),
      startMs: Math.round(devnet.startMs),
    };
    say(`  ${samples.length} lookups: p50 ${result.latencyMs.p50} ms, stretch p50 ${result.stretch.p50}, correct ${result.correctRate}`);
    return result;
  } finally {
    await devnet.stop();
  }
}

function peerIdOf(multiaddr: string): string {
  const at = multiaddr.lastIndexOf('/p2p/');
  if (at < 0) throw new Error(`no peer id in ${multiaddr}`);
  return multiaddr.slice(at + 5);
}

function positive(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${flag} must be a positive integer, got '${text}'`);
  return value;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}
