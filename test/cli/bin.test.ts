/**
 * End-to-end tests of the real executable: each spawns `node bin/peergrid.js ...` with the Node
 * running the tests (Node 24, which strips types by default). Runs are small (200 nodes, geo latency,
 * a 2-minute window) so the whole file takes a few seconds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const BIN = 'bin/peergrid.js';

interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function peergrid(args: readonly string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: repoRoot,
      env: { ...process.env, PEERGRID_DEBUG: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const SMALL_RUN = ['sim', 'lookup', '--nodes', '200', '--lookups', '200', '--latency', 'geo', '--window', '2', '--warmup', '0.5'];

/** The fields of the JSON result and the type each must have. */
const NUMBER_FIELDS = [
  'seed', 'nodes', 'lookups', 'lookupsCompleted', 'lookupsAborted', 'correctRate', 'recallMean', 'messagesPerLookup',
  'bytesPerNodePerSec', 'maintenanceBytesPerNodePerSec', 'nodesOnlineMean', 'identities', 'lossRate', 'k', 'alpha',
  'bits', 'warmupMinutes', 'windowMinutes', 'joinSimSeconds', 'joinWallMs', 'joinMessagesPerNode', 'wallMs', 'simSeconds', 'eventsPerSec',
  'speedupVsRealTime', 'windowSpeedupVsRealTime', 'windowCpuMs', 'windowSpeedupVsCpuTime', 'rssBytesMax',
] as const;
const NESTED_FIELDS = { hops: ['mean', 'p50', 'p95', 'max'], latencyMs: ['p50', 'p95', 'p99', 'mean'], stretch: ['p50', 'p95'] } as const;

type Result = Record<string, unknown> & {
  seed: number; traceHash: string; correctRate: number; recallMean: number; lookupsCompleted: number;
  hops: Record<string, number>; latencyMs: Record<string, number>; stretch: Record<string, number>;
};

/** Parses stdout as exactly one JSON object (one line), and checks the seed line on stderr. */
function parseRun(run: RunResult): Result {
  assert.equal(run.status, 0, run.stderr);
  const lines = run.stdout.split('\n');
  assert.equal(lines.length, 2, 'stdout is one JSON line');
  assert.equal(lines[1], '');
  const result = JSON.parse(lines[0]) as Result;
  assert.equal(run.stderr.split('\n')[0], `seed=${result.seed}`);
  return result;
}

/** The result without the fields that measure the machine rather than the simulation. */
const MACHINE_FIELDS: ReadonlySet<string> = new Set(['joinWallMs', 'wallMs', 'eventsPerSec', 'speedupVsRealTime', 'windowSpeedupVsRealTime', 'windowCpuMs', 'windowSpeedupVsCpuTime', 'rssBytesMax']);
/** Fields that say how a run was split across threads, not what it simulated. */
const SPLIT_FIELDS: ReadonlySet<string> = new Set(['workers', 'lookaheadMs', 'crossPartMessages']);
function simulatedPart(result: Result): Record<string, unknown> {
  return Object.fromEntries(Object.entries(result).filter(([field]) => !MACHINE_FIELDS.has(field)));
}

describe('peergrid bin', () => {
  it('is executable and starts with the type-stripping shebang', () => {
    accessSync(`${repoRoot}${BIN}`, constants.X_OK);
    const firstLine = readFileSync(`${repoRoot}${BIN}`, 'utf8').split('\n')[0];
    assert.equal(firstLine, '#!/usr/bin/env -S node --experimental-strip-types --disable-warning=ExperimentalWarning');
  });
});

describe('peergrid sim lookup --json', { concurrency: true }, () => {
  // One run without --seed; the others replay or perturb it, so the tests share it.
  const drawn = peergrid([...SMALL_RUN, '--json']).then(parseRun);

  it('prints one JSON object with every field, seed=S first on stderr', async () => {
    const result = await drawn;
    assert.ok(Number.isSafeInteger(result.seed) && result.seed >= 0 && result.seed < 2 ** 48);
    for (const field of NUMBER_FIELDS) {
      assert.equal(typeof result[field], 'number', field);
      assert.ok(Number.isFinite(result[field]), field);
    }
    for (const [field, keys] of Object.entries(NESTED_FIELDS)) {
      const nested = result[field] as Record<string, unknown>;
      for (const key of keys) assert.ok(typeof nested[key] === 'number' && Number.isFinite(nested[key]), `${field}.${key}`);
    }
    assert.match(result.traceHash, /^[0-9a-f]{16}$/);
    // One thread cannot use more CPU time than wall time: the window's speed per CPU second is at least its speed per wall second.
    assert.ok((result.windowCpuMs as number) > 0);
    assert.ok((result.windowSpeedupVsCpuTime as number) >= 0.9 * (result.windowSpeedupVsRealTime as number), `${result.windowSpeedupVsCpuTime} per CPU second, ${result.windowSpeedupVsRealTime} per wall second`);
    for (const field of ['latency', 'churn', 'finish', 'join'] as const) assert.equal(typeof result[field], 'string', field);
    assert.equal(result.wire, false);
    assert.equal(result.nodes, 200);
    assert.equal(result.lookups, 200);
    assert.equal(result.latency, 'geo');
    assert.equal(result.churn, 'none');
    assert.equal(result.warmupMinutes, 0.5);
    assert.equal(result.windowMinutes, 2);
    assert.ok(result.correctRate >= 0 && result.correctRate <= 1);
    assert.ok(result.recallMean >= 0 && result.recallMean <= 1);
    assert.ok(result.lookupsCompleted > 0 && result.lookupsCompleted <= 200);
    assert.ok(result.hops.p50 <= result.hops.p95 && result.hops.p95 <= result.hops.max);
    assert.ok(result.latencyMs.p50 <= result.latencyMs.p95 && result.latencyMs.p95 <= result.latencyMs.p99);
    assert.ok((result.rssBytesMax as number) > 0);
  });

  it('replays: the printed seed gives the same run and trace hash', async () => {
    const first = await drawn;
    const replay = parseRun(await peergrid([...SMALL_RUN, '--json', '--seed', String(first.seed)]));
    assert.equal(replay.traceHash, first.traceHash);
    assert.deepEqual(simulatedPart(replay), simulatedPart(first));
  });

  it('differs with a different seed', async () => {
    const first = await drawn;
    const other = parseRun(await peergrid([...SMALL_RUN, '--json', '--seed', String(first.seed + 1)]));
    assert.equal(other.seed, first.seed + 1);
    assert.notEqual(other.traceHash, first.traceHash);
  });

  it('--wire encodes every message and gives the same correctness', async () => {
    const first = await drawn;
    const wired = parseRun(await peergrid([...SMALL_RUN, '--json', '--wire', '--seed', String(first.seed)]));
    assert.equal(wired.wire, true);
    assert.equal(wired.correctRate, first.correctRate);
    assert.equal(wired.recallMean, first.recallMean);
    assert.equal(wired.lookupsCompleted, first.lookupsCompleted);
  });
});

describe('peergrid sim lookup --workers', () => {
  it('splits the window across threads and reports what one thread reports', async () => {
    const args = ['sim', 'lookup', '--nodes', '200', '--lookups', '300', '--latency', 'planetlab', '--window', '1', '--warmup', '0.5', '--seed', '9', '--json'];
    const [whole, split] = await Promise.all([peergrid(args).then(parseRun), peergrid([...args, '--workers', '2']).then(parseRun)]);
    assert.equal(split.workers, 2);
    assert.equal(whole.workers, 1);
    assert.equal(split.traceHash, whole.traceHash);
    const unsplit = (result: Result) => Object.fromEntries(Object.entries(simulatedPart(result)).filter(([field]) => !SPLIT_FIELDS.has(field)));
    assert.deepEqual(unsplit(split), unsplit(whole));
    assert.ok((split.crossPartMessages as number) > 0);
  });
});

describe('peergrid sim lookup, readable output', () => {
  it('prints an aligned summary and progress on stderr', async () => {
    const run = await peergrid(['sim', 'lookup', '--nodes', '100', '--lookups', '50', '--latency', 'geo', '--window', '1',
      '--warmup', '0', '--seed', '12', '--progress']);
    assert.equal(run.status, 0, run.stderr);
    const errLines = run.stderr.trim().split('\n');
    assert.equal(errLines[0], 'seed=12');
    assert.ok(errLines.length >= 2, 'progress lines follow the seed');
    assert.match(run.stdout, /^100 nodes, 50 lookups, seed 12; latency geo, churn none/);
    for (const label of ['correct', 'recall', 'hops', 'latency', 'stretch', 'traffic', 'speed', 'memory', 'trace hash']) {
      assert.match(run.stdout, new RegExp(`\\n  ${label} +\\S`), label);
    }
    // Values start in one column.
    const columns = run.stdout.trim().split('\n').slice(1).map((line) => line.search(/(?<=\S {2,})\S/));
    assert.equal(new Set(columns).size, 1, run.stdout);
  });
});

describe('peergrid usage errors exit 2 naming the flag', { concurrency: true }, () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown flag', ['sim', 'lookup', '--frobnicate'], /unknown option '--frobnicate'/],
    ['--nodes 0', ['sim', 'lookup', '--nodes', '0'], /--nodes must be an integer from 1 to 1,000,000, got '0'/],
    ['--nodes abc', ['sim', 'lookup', '--nodes', 'abc'], /--nodes must be an integer from 1 to 1,000,000, got 'abc'/],
    ['--loss 1', ['sim', 'lookup', '--loss', '1'], /--loss must be a probability in \[0, 1\), got '1'/],
    ['--bits 6', ['sim', 'lookup', '--bits', '6'], /--bits must be an integer from 1 to 5, got '6'/],
    ['--finish 99 with k 20', ['sim', 'lookup', '--k', '20', '--finish', '99'], /--finish must be 'strict' or an integer from 1 to k = 20/],
    ['--seed -1', ['sim', 'lookup', '--seed', '-1'], /--seed must be an integer from 0 to 2\^53-1, got '-1'/],
    ['--window 0', ['sim', 'lookup', '--window', '0'], /--window must be a duration in \(0, 43,200\] in minutes/],
    ['--churn bogus', ['sim', 'lookup', '--churn', 'bogus'], /--churn: bad churn model 'bogus'/],
    ['--latency /nonexistent', ['sim', 'lookup', '--latency', '/nonexistent'], /--latency: unknown latency model '\/nonexistent'/],
    ['stray positional', ['sim', 'lookup', 'extra'], /unexpected argument 'extra'/],
    ['unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['missing value', ['sim', 'lookup', '--nodes'], /option '--nodes' needs a value/],
  ];
  for (const [name, args, pattern] of cases) {
    it(name, async () => {
      const run = await peergrid(args);
      assert.equal(run.status, 2, run.stderr);
      assert.equal(run.stdout, '');
      assert.match(run.stderr, /^peergrid: /);
      assert.match(run.stderr, pattern);
      assert.match(run.stderr, /Run 'peergrid( sim lookup)? --help' for usage\.\n$/);
      assert.doesNotMatch(run.stderr, /^seed=/m, 'no run was started');
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    });
  }
});

describe('peergrid --help exits 0', { concurrency: true }, () => {
  const cases: [string[], RegExp][] = [
    [['--help'], /^Usage: peergrid <command>/],
    [['help'], /^Usage: peergrid <command>/],
    [['sim', '--help'], /^Usage: peergrid sim <subcommand>/],
    [['sim', 'lookup', '--help'], /^Usage: peergrid sim lookup \[options\]/],
  ];
  for (const [args, pattern] of cases) {
    it(args.join(' '), async () => {
      const run = await peergrid(args);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, pattern);
      assert.equal(run.stderr, '');
    });
  }
});
