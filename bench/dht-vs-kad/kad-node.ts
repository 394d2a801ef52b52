/**
 * One `@libp2p/kad-dht` node for the `dht-vs-kad` benchmark, as a process of its own, as each
 * peergrid node is (its configuration: kad-libp2p.ts).
 *
 *   node bench/dht-vs-kad/kad-node.ts [--bootstrap MULTIADDR]
 *
 * Prints `{"event":"started",…}` on stdout, then reads commands as JSON lines on stdin and answers
 * each with one JSON line carrying the command's `seq`:
 *   {"op":"lookup","seq":1,"keyHex":"…"}  getClosestPeers(key bytes), timed here
 *   {"op":"status","seq":2}               routing-table size, connections, RSS
 * It stops on SIGTERM, SIGINT or the end of stdin.
 */
import { multiaddr } from '@multiformats/multiaddr';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startKadNode } from './kad-libp2p.ts';

/** A lookup that has not ended by then is cut and reported as such; peergrid's own cap is 30 s too. */
const LOOKUP_TIMEOUT_MS = 30_000;

const { values } = parseArgs({ options: { bootstrap: { type: 'string' } } });

const { libp2p, dht } = await startKadNode();

const write = (record: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(record)}\n`);
};

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await libp2p.stop();
  } catch {
    // Exiting anyway.
  }
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

if (values.bootstrap !== undefined) await libp2p.dial(multiaddr(values.bootstrap), { signal: AbortSignal.timeout(10_000) });
write({ event: 'started', peerId: libp2p.peerId.toString(), multiaddrs: libp2p.getMultiaddrs().map(String), pid: process.pid });

/** One getClosestPeers, counted as the benchmark counts ours: requests sent and answers received. */
async function lookup(keyHex: string): Promise<Record<string, unknown>> {
  const key = Buffer.from(keyHex, 'hex');
  let requests = 0;
  let answers = 0;
  let failures = 0;
  const closest: string[] = [];
  let error: string | null = null;
  const startedMs = performance.now();
  try {
    for await (const event of dht.getClosestPeers(key, { signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS) })) {
      if (event.name === 'SEND_QUERY') requests++;
      else if (event.name === 'PEER_RESPONSE') answers++;
      else if (event.name === 'QUERY_ERROR') failures++;
      else if (event.name === 'FINAL_PEER') closest.push(event.peer.id.toString());
    }
  } catch (caught) {
    error = (caught as Error).message;
  }
  const durationMs = performance.now() - startedMs;
  return { durationMs, requests, answers, failures, closest, error };
}

function status(): Record<string, unknown> {
  return { routingTableSize: dht.routingTable.size, connections: libp2p.getConnections().length, rssBytes: process.memoryUsage.rss() };
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  let command: { op?: unknown; seq?: unknown; keyHex?: unknown };
  try {
    command = JSON.parse(line) as typeof command;
  } catch {
    return;
  }
  const seq = command.seq;
  if (command.op === 'lookup' && typeof command.keyHex === 'string') {
    void lookup(command.keyHex).then((result) => write({ seq, ...result }));
  } else if (command.op === 'status') {
    write({ seq, ...status() });
  } else {
    write({ seq, error: `unknown command ${JSON.stringify(command.op)}` });
  }
});
lines.on('close', () => void stop());
