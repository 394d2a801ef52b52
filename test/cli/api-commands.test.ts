/**
 * The client commands (status, peers, lookup, dht put, dht get) against two running
 * `peergrid node start` processes: their output, with and without --json, and their exit statuses
 * — 0 on success, 1 when the API cannot be reached, refuses, or has nothing to give, 2 on bad usage.
 * Most runs call main() in this process; a few run the real executable to check real exit codes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { main, type CliIo } from '../../src/cli/main.ts';
import { NodeProcess, type NodeEvent } from '../runtime/node-process.ts';
import { LOOPBACK_LISTEN, removeDataDirs, temporaryDataDir } from '../runtime/runtime-harness.ts';
import { waitFor } from '../support/wait-for.ts';
import { closedPort } from '../support/closed-port.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

interface Run {
  readonly status: number | null;
  readonly out: string;
  readonly err: string;
}

async function peergrid(argv: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (text) => (out += text), err: (text) => (err += text), env };
  const status = await main(argv, io);
  return { status, out, err };
}

function peergridProcess(argv: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/peergrid.js', ...argv], {
      cwd: repoRoot, env: { ...process.env, PEERGRID_DEBUG: '', PEERGRID_API: '', PEERGRID_API_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, out, err }));
  });
}


function parseJsonLine(run: Run): Record<string, unknown> {
  assert.equal(run.status, 0, run.err);
  assert.match(run.out, /^\{.*\}\n$/, 'stdout is one JSON line');
  return JSON.parse(run.out) as Record<string, unknown>;
}

describe('client commands against running nodes', () => {
  const processes: NodeProcess[] = [];
  const dataDirs: string[] = [];
  let first: NodeEvent;
  let second: NodeEvent;

  before(async () => {
    for (let index = 0; index < 2; index++) dataDirs.push(await temporaryDataDir());
    const a = NodeProcess.start(['--data-dir', dataDirs[0], '--listen', LOOPBACK_LISTEN[0], '--api', '127.0.0.1:0']);
    processes.push(a);
    first = await a.event('started');
    const b = NodeProcess.start([
      '--data-dir', dataDirs[1], '--listen', LOOPBACK_LISTEN[0], '--api', '127.0.0.1:0', '--bootstrap', (first.multiaddrs as string[])[0],
    ]);
    processes.push(b);
    second = await b.event('started');
    await b.event('joined');
  });

  after(async () => {
    for (const child of processes) child.kill();
    await removeDataDirs(dataDirs);
  });

  const api = (event: NodeEvent): string => event.api as string;

  it('the started line names the API and its token file', () => {
    assert.match(api(first), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(first.apiTokenFile, `${dataDirs[0]}/api-token`);
    assert.equal(first.apiTokenRequired, false);
  });

  it('status: text, or one JSON object with --json', async () => {
    const json = parseJsonLine(await peergrid(['status', '--api', api(first), '--json']));
    assert.equal(json.id, first.id);
    assert.equal(json.state, 'ready');
    const text = await peergrid(['status', '--api', api(first).replace('http://', '')]);
    assert.equal(text.status, 0, text.err);
    assert.match(text.out, new RegExp(`^id +${first.id as string}\\n`));
    assert.match(text.out, /^state +ready$/m);
  });

  it('peers: lists the other node', async () => {
    const json = parseJsonLine(await peergrid(['peers', '--api', api(second), '--json']));
    assert.equal(json.count, 1);
    assert.equal((json.contacts as { id: string }[])[0].id, first.id);
    const text = await peergrid(['peers', '--api', api(second)]);
    assert.match(text.out, /^1 contact, closest to this node first\n/);
    assert.match(text.out, new RegExp((first.id as string).slice(0, 16)));
  });

  it('storage: what the node keeps for the grid, its quota and cache', async () => {
    const json = parseJsonLine(await peergrid(['storage', '--api', api(first), '--json']));
    assert.equal(json.redundancy, 'replicate:3');
    assert.equal(typeof json.bytesForOthersMax, 'number');
    assert.equal((json.cache as { bytesMax: number }).bytesMax, 1024 ** 3);
    const text = await peergrid(['storage', '--api', api(first)]);
    assert.equal(text.status, 0, text.err);
    assert.match(text.out, /^redundancy +replicate:3 /m);
    assert.match(text.out, /^for others +0 B of 10\.0 GiB; at most 1\.0 GiB per peer$/m);
    assert.match(text.out, /^cache +0 hot blocks, 0 B of 1\.0 GiB; /m);
    assert.deepEqual(json.leases, {
      leaseMs: 90 * 86_400_000, renewIntervalMs: 7 * 86_400_000, piecesExpiringWithinWeek: 0, nextExpiryAtMs: null,
      renewals: { rounds: 0, contentRenewed: 0, blocksRenewed: 0, contentPlacedAgain: 0, failures: 0, lastRoundAtMs: null },
    });
    assert.match(text.out, /^leases +90 days at most; 0 pieces run out within a week, 0 expired and dropped, 0 repairs not made for a lease about to end$/m);
    assert.match(text.out, /^renewals +every 7 days: 0 contents renewed \(0 blocks\), 0 placed again, 0 failed$/m);
  });

  it('lookup: finds the other node by its id', async () => {
    const json = parseJsonLine(await peergrid(['lookup', second.id as string, '--api', api(first), '--json']));
    assert.equal((json.closest as { id: string }[])[0].id, second.id);
    const text = await peergrid(['lookup', second.id as string, '--api', api(first)]);
    assert.equal(text.status, 0, text.err);
    assert.match(text.out, /= the key/);
  });

  it('dht put and get: a value stored through one node is printed by the other', async () => {
    const put = await peergrid(['dht', 'put', 'cli key', 'a value with spaces', '--api', api(first)]);
    assert.equal(put.status, 0, put.err);
    assert.match(put.out, /^stored 19 bytes under 'cli key' \(text, id = SHA-256 of it\) on [12] nodes/);
    const got = await peergrid(['dht', 'get', 'cli key', '--api', api(second)]);
    assert.deepEqual([got.status, got.out], [0, 'a value with spaces\n']);
    const json = parseJsonLine(await peergrid(['dht', 'get', 'cli key', '--api', api(second), '--json']));
    assert.deepEqual([json.found, json.value], [true, 'a value with spaces']);
    const base64 = await peergrid(['dht', 'get', 'cli key', '--api', api(second), '--base64']);
    assert.equal(base64.out, `${Buffer.from('a value with spaces').toString('base64')}\n`);
  });

  it('dht get: nothing under the key is exit status 1 with a message (and the JSON with --json)', async () => {
    const missing = await peergrid(['dht', 'get', 'no such key', '--api', api(first)]);
    assert.deepEqual([missing.status, missing.out], [1, '']);
    assert.match(missing.err, /^peergrid: no value found under 'no such key' \(id [0-9a-f]{64}\)\n$/);
    const json = await peergrid(['dht', 'get', 'no such key', '--api', api(first), '--json']);
    assert.equal(json.status, 1);
    assert.equal((JSON.parse(json.out) as { found: boolean }).found, false);
  });

  const usageErrors: [string[], RegExp][] = [
    [['lookup'], /^peergrid: missing <key>$/m],
    [['lookup', 'a', 'b'], /^peergrid: unexpected argument 'b' \(expected <key>\)$/m],
    [['lookup', '..'], /^peergrid: <key>: must be a key/m],
    [['lookup', 'x'.repeat(1025)], /got 1,025 bytes/],
    [['dht', 'put', 'k'], /^peergrid: missing <value>$/m],
    [['dht', 'put', 'k', 'v', '--ttl', '0'], /^peergrid: --ttl must be a duration/m],
    [['dht', 'put', 'k', 'v', '--ttl', '49h'], /^peergrid: --ttl must be a duration/m],
    [['dht', 'put', 'k', 'x'.repeat(65_537)], /at most 65,536 bytes, got 65,537/],
    [['dht'], /^peergrid: .* for 'dht' \(subcommands: put, get\)$/m],
    [['status', '--api', 'ftp://127.0.0.1:1'], /^peergrid: --api: the API speaks http/m],
    [['status', '--api', 'http://127.0.0.1:1/path'], /^peergrid: --api: expected only scheme, host and port/m],
    [['status', '--bogus'], /^peergrid: unknown option '--bogus'$/m],
    [['peers', 'extra'], /unexpected argument 'extra'/],
    [['storage', 'extra'], /unexpected argument 'extra'/],
    [['status', '--token-file', '/nonexistent/api-token'], /^peergrid: --token-file: cannot use \/nonexistent\/api-token/m],
  ];
  for (const [argv, message] of usageErrors) {
    it(`bad usage exits 2: ${argv.join(' ').slice(0, 60)}`, async () => {
      const run = await peergrid([...argv, ...(argv.includes('--api') ? [] : ['--api', api(first)])]);
      assert.equal(run.status, 2, run.err);
      assert.equal(run.out, '');
      assert.match(run.err, message);
    });
  }

  it('a value the node refuses (bad base64) is bad usage too', async () => {
    const run = await peergrid(['dht', 'put', 'k', 'not base64!', '--base64', '--api', api(first)]);
    assert.equal(run.status, 2);
    assert.match(run.err, /^peergrid: body\.value: not valid base64/);
  });

  it('the token: read from --token-file or PEERGRID_API_TOKEN; a wrong one exits 1 with a hint', async () => {
    const withFile = await peergrid(['status', '--api', api(first), '--token-file', first.apiTokenFile as string, '--json']);
    assert.equal(withFile.status, 0, withFile.err);
    const wrong = await peergrid(['status', '--api', api(first)], { PEERGRID_API_TOKEN: 'wrong-token-0123456789' });
    assert.equal(wrong.status, 1);
    assert.match(wrong.err, /refused the request: wrong API token\nPass --token-file/);
  });

  it('the read-only token (api-read-token) reads, and is refused anything else with a clear reason', async () => {
    assert.equal(first.apiReadTokenFile, `${dataDirs[0]}/api-read-token`);
    const readFile = first.apiReadTokenFile as string;
    const status = await peergrid(['status', '--api', api(first), '--token-file', readFile, '--json']);
    assert.equal(status.status, 0, status.err);
    const gc = await peergrid(['gc', '--api', api(first), '--token-file', readFile]);
    assert.equal(gc.status, 1);
    assert.match(gc.err, /the read-only API token may only read \(GET\), not POST: use the node's api-token/);
    const withFull = await peergrid(['gc', '--api', api(first), '--token-file', first.apiTokenFile as string, '--json']);
    assert.equal(withFull.status, 0, withFull.err);
  });

  it('node start exits 1 with a clear message when its API port is taken', async () => {
    const dir = await temporaryDataDir();
    dataDirs.push(dir);
    const port = new URL(api(first)).port;
    const blocked = NodeProcess.start(['--data-dir', dir, '--listen', LOOPBACK_LISTEN[0], '--api', `127.0.0.1:${port}`]);
    processes.push(blocked);
    await waitFor('the node with a taken API port to exit', () => !blocked.running, 30_000);
    assert.equal(blocked.exitCode, 1);
    assert.match(blocked.stderr, new RegExp(`peergrid: the API cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use`));
  });

  it('PEERGRID_API chooses the node when --api is absent', async () => {
    const json = parseJsonLine(await peergrid(['status', '--json'], { PEERGRID_API: api(second) }));
    assert.equal(json.id, second.id);
  });

  it('the real executable: exit 0 with JSON, exit 1 when nothing listens, exit 2 on bad usage', async () => {
    const [ok, unreachable, usage] = await Promise.all([
      peergridProcess(['lookup', first.id as string, '--api', api(second), '--json']),
      peergridProcess(['status', '--api', `127.0.0.1:${await closedPort()}`]),
      peergridProcess(['lookup']),
    ]);
    assert.equal((parseJsonLine(ok).closest as { id: string }[])[0].id, first.id);
    assert.equal(unreachable.status, 1);
    assert.match(unreachable.err, /^peergrid: cannot reach the peergrid API at http:\/\/127\.0\.0\.1:\d+: connection refused/);
    assert.match(unreachable.err, /Start a node \('peergrid node start', or 'npm start' for a local devnet\), or pass --api URL\.\n$/);
    assert.doesNotMatch(unreachable.err, /PEERGRID_DEBUG/);
    assert.equal(usage.status, 2);
    assert.match(usage.err, /^peergrid: missing <key>\nRun 'peergrid lookup --help' for usage\.\n$/);
  });
});
