/**
 * One node of the storage network benchmarks, as a process of its own: the same NodeRuntime, HTTP
 * API and GC settings that `peergrid node start` runs (src/cli/node/command.ts), plus one benchmark-only
 * protocol on the node's own libp2p — a raw stream that carries as many bytes as asked, written
 * with backpressure — so that a fetch and the raw stream it is compared with run between the same
 * two processes, over the same connection.
 *
 *   node bench/storage/grid-node.ts --data-dir DIR [--listen MULTIADDR] [--bootstrap MULTIADDR] [--log-level LEVEL]
 *
 * Stdout: `{"event":"started",…}` (the CLI's fields), `{"event":"joined",…}`, then one answer per
 * command read on stdin as a JSON line, carrying the command's `seq`:
 *   {"op":"rawPull","seq":1,"peerId":"…","bytes":N[,"hashed":true]}
 *                                                       pull N bytes from that peer over one raw stream
 *                                                       (hashed: both ends hash every byte with SHA-256)
 *   {"op":"profileStart","seq":2}                       start CPU and allocation profiles of this process
 *   {"op":"profileStop","seq":3,"path":"…"}             stop them, write them to path (.cpuprofile, and
 *                                                       .heapprofile beside it); answer with the GCs meanwhile
 * It stops gracefully on SIGTERM, SIGINT or the end of stdin (so it never outlives the benchmark).
 */
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { createHash, randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startNodeApi, type NodeApiServer } from '../../src/api/node-api.ts';
import { idToHex } from '../../src/core/id.ts';
import { isLogLevel, structuredLog } from '../../src/cli/node/logger.ts';
import { NodeRuntime } from '../../src/runtime/node-runtime.ts';
import { sha256 } from '../../src/runtime/storage/sha256.ts';
import { tuneHeapForBulkData } from '../../src/runtime/heap-tuning.ts';
import { waitForDrain } from '../../src/transport/libp2p/request-response/stream-drain.ts';

const RAW_STREAM_PROTOCOL = '/peergrid-bench/raw-stream/1.0.0';

/** The request: the byte count as a big-endian 64-bit integer, then 1 for a hashed pull or 0. */
const RAW_REQUEST_BYTES = 9;
/** The most one raw pull may ask for: 64 GiB. */
const RAW_PULL_BYTES_MAX = 64 * 1024 ** 3;
/** What the server writes, over and over: 1 MiB of random bytes (a send of the size the test of the request layer used). */
const RAW_CHUNK = new Uint8Array(randomBytes(1024 * 1024));
/** A raw pull that has not ended by then is a stuck one. */
const RAW_PULL_TIMEOUT_MS = 10 * 60_000;

// The node's GC settings, as `peergrid node start` sets them (heap-tuning.ts).
tuneHeapForBulkData();

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    listen: { type: 'string', default: '/ip4/127.0.0.1/tcp/0' },
    bootstrap: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
  },
});
const dataDir = values['data-dir'];
if (dataDir === undefined) throw new Error('--data-dir is required');
const logLevel = values['log-level'];
if (!isLogLevel(logLevel)) throw new Error(`--log-level: not a level: ${logLevel}`);
const log = structuredLog(logLevel);

const write = (record: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(record)}\n`);
};

// Watched before the node starts, so that a signal, or the end of stdin, during start-up still
// stops it gracefully once it is up.
let runtime: NodeRuntime | null = null;
let api: NodeApiServer | null = null;
let stopRequested = false;
let stopping: Promise<void> | null = null;
function stop(): Promise<void> {
  stopRequested = true;
  if (runtime === null) return Promise.resolve();
  const node = runtime;
  stopping ??= (async () => {
    try {
      await node.stop();
      await api?.close();
    } finally {
      process.exit(0);
    }
  })();
  return stopping;
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
const commands = createInterface({ input: process.stdin });
commands.on('close', () => void stop());

runtime = await NodeRuntime.start({
  dataDir,
  listen: [values.listen],
  bootstrap: values.bootstrap === undefined ? [] : [values.bootstrap],
  log,
});
const node = runtime;
if (stopRequested) await stop();

// Connections that open and close while a benchmark measures tell why a transfer stalled or broke.
for (const name of ['connection:open', 'connection:close'] as const) {
  node.libp2pNode.addEventListener(name, (event) => {
    const connection = event.detail;
    log({ level: 'info', event: name, peerId: connection.remotePeer.toString(), direction: connection.direction, remoteAddress: connection.remoteAddr.toString() });
  });
}
try {
  api = await startNodeApi(node, { host: '127.0.0.1', port: 0 }, log);
  await serveRawStreams(node.libp2pNode);
} catch (error) {
  await node.stop();
  throw error;
}
write({
  event: 'started', id: idToHex(node.id), peerId: node.peerId, multiaddrs: node.multiaddrs(),
  api: api.url, apiTokenFile: api.tokenPath, dataDir: node.dataDir, pid: process.pid,
});
node.joined.then(
  (joined) => write({ event: 'joined', contacts: joined.contacts, joinMs: joined.finishedAtMs - joined.startedAtMs }),
  () => {},
);

commands.on('line', (line) => {
  let command: Record<string, unknown>;
  try {
    command = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const seq = command.seq;
  void answer(command).then(
    (result) => write({ seq, ...result }),
    (error: unknown) => write({ seq, error: error instanceof Error ? error.message : String(error) }),
  );
});

async function answer(command: Record<string, unknown>): Promise<Record<string, unknown>> {
  if (command.op === 'rawPull' && typeof command.peerId === 'string' && typeof command.bytes === 'number') {
    return rawPull(node.libp2pNode, command.peerId, command.bytes, command.hashed === true);
  }
  if (command.op === 'profileStart') return profileStart();
  if (command.op === 'profileStop' && typeof command.path === 'string') return profileStop(command.path);
  throw new Error(`unknown command: ${JSON.stringify(command)}`);
}

/** A CPU profile of one stretch of a benchmark (a fetch alone, say), rather than of the whole process. */
let profiler: Session | null = null;

/**
 * Garbage collections during the profile: count and milliseconds by kind and flags (node:perf_hooks
 * constants: kind 4 major, 1 minor, 8 incremental; flags 64 the old generation's allocation limit
 * reached, 32 external memory) — a fetch's major collections come from the arrays it allocates.
 */
let collections: Record<string, { count: number; ms: number }> = {};
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const detail = (entry as unknown as { detail?: { kind?: number; flags?: number } }).detail;
    const kind = `kind ${detail?.kind ?? '?'} flags ${detail?.flags ?? '?'}`;
    const total = (collections[kind] ??= { count: 0, ms: 0 });
    total.count++;
    total.ms += entry.duration;
  }
});

async function profileStart(): Promise<Record<string, unknown>> {
  if (profiler !== null) throw new Error('a profile is running already');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 64 * 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  collections = {};
  gcObserver.observe({ entryTypes: ['gc'] });
  profiler = session;
  return { profiling: true };
}

/** Writes the CPU profile to `path` and the allocation profile beside it (.heapprofile); answers with the collections. */
async function profileStop(path: string): Promise<Record<string, unknown>> {
  const session = profiler;
  if (session === null) throw new Error('no profile is running');
  profiler = null;
  gcObserver.disconnect();
  const { profile } = await session.post('Profiler.stop');
  const { profile: heap } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  await writeFile(path, JSON.stringify(profile));
  await writeFile(path.replace(/\.cpuprofile$/, '') + '.heapprofile', JSON.stringify(heap));
  return { path, collections, memory: process.memoryUsage() };
}

/** Answers each raw stream's request with that many bytes, written with backpressure, then ends it. */
async function serveRawStreams(libp2p: Libp2p): Promise<void> {
  await libp2p.handle(RAW_STREAM_PROTOCOL, (stream: Stream) => {
    let request = new Uint8Array(0);
    let started = false;
    stream.addEventListener('message', (event) => {
      if (started) return;
      const chunk = event.data instanceof Uint8Array ? event.data : event.data.subarray();
      const joined = new Uint8Array(request.length + chunk.length);
      joined.set(request);
      joined.set(chunk, request.length);
      request = joined;
      if (request.length < RAW_REQUEST_BYTES) return;
      started = true;
      const bytes = Number(new DataView(request.buffer, request.byteOffset).getBigUint64(0));
      void sendBytes(stream, bytes, request[8] === 1).catch((error: unknown) => stream.abort(error instanceof Error ? error : new Error(String(error))));
    });
  });
}

/**
 * A hashed pull hashes every piece before it is sent, as a source verifies each block it reads,
 * and the puller hashes every byte it receives, as a getter verifies each block: the raw stream
 * plus the two SHA-256 passes that no verified fetch can skip, on the same main threads.
 */
async function sendBytes(stream: Stream, bytes: number, hashed: boolean): Promise<void> {
  if (!Number.isSafeInteger(bytes) || bytes < 1 || bytes > RAW_PULL_BYTES_MAX) throw new RangeError(`a raw pull of ${bytes} bytes`);
  const signal = AbortSignal.timeout(RAW_PULL_TIMEOUT_MS);
  for (let sent = 0; sent < bytes; sent += RAW_CHUNK.length) {
    const piece = bytes - sent >= RAW_CHUNK.length ? RAW_CHUNK : RAW_CHUNK.subarray(0, bytes - sent);
    if (hashed) sha256(piece);
    if (!stream.send(piece)) await waitForDrain(stream, signal);
  }
  await stream.close({ signal });
}

/** Opens one raw stream to `peerIdText` (on the open connection), asks for `bytes` and counts them until the end. */
async function rawPull(libp2p: Libp2p, peerIdText: string, bytes: number, hashed: boolean): Promise<Record<string, unknown>> {
  const signal = AbortSignal.timeout(RAW_PULL_TIMEOUT_MS);
  const startedMs = performance.now();
  const stream = await libp2p.dialProtocol(peerIdFromString(peerIdText), RAW_STREAM_PROTOCOL, { signal });
  let received = 0;
  const hash = hashed ? createHash('sha256') : null;
  const ended = new Promise<void>((resolve, reject) => {
    stream.addEventListener('message', (event) => {
      received += event.data.byteLength;
      if (hash === null) return;
      if (event.data instanceof Uint8Array) hash.update(event.data);
      else for (const piece of event.data) hash.update(piece);
    });
    // A reset also ends the readable side ('end', then 'close' with the error), so 'end' alone is
    // not success: only all the bytes are.
    stream.addEventListener('end', () => {
      if (received === bytes) resolve();
    }, { once: true });
    stream.addEventListener('close', (event) => {
      if (event.error !== undefined) reject(event.error);
      else if (received === bytes) resolve();
      else reject(new Error(`the stream closed after ${received} of ${bytes} bytes`));
    }, { once: true });
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  const request = new Uint8Array(RAW_REQUEST_BYTES);
  new DataView(request.buffer).setBigUint64(0, BigInt(bytes));
  request[8] = hashed ? 1 : 0;
  stream.send(request);
  await ended;
  hash?.digest();
  const durationMs = performance.now() - startedMs;
  await stream.close({ signal }).catch(() => {});
  if (received !== bytes) throw new Error(`a raw pull of ${bytes} bytes brought ${received}`);
  return { bytes: received, durationMs };
}
