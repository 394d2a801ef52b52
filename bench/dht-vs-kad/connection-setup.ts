/**
 * How many round trips a new connection costs, measured rather than argued: two nodes in this
 * process talk through delay proxies (delay-proxy.ts) that add a known one-way delay to every
 * chunk, so time divided by the round-trip time counts the message exchanges that wait on each
 * other. On loopback alone a round trip is ~0 and a dial's time is CPU, which says nothing about a
 * WAN; this is what the simulator's `--connect-rtts` should be set from.
 *
 * Measured, at each delay, on a fresh pair of nodes:
 * - ours: a kernel request (ping) and its reply (pong) over our transport, first on a new
 *   connection, then again on the open links. The difference is what the simulator charges as
 *   connection set-up: it includes our dial (TCP, multistream-select, Noise, Yamux, our protocol's
 *   stream) and the replier opening its own one-way stream back — as the transport does by
 *   default (on the first inbound stream) and, for comparison, as it did before (on the first reply).
 * - libp2p.dial alone (a connection, without any protocol stream), on kad-dht's node.
 * - kad-dht: one FIND_NODE request on a connection that is already open (kad-dht opens a new
 *   stream for every request).
 * The proxies hide TCP's own handshake (connect() completes against the local proxy at once), so
 * one round trip is added to the connection figures (`tcpHandshakeRtts`).
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { randomBytes } from 'node:crypto';
import type { Message } from '../../src/core/messages.ts';
import { startLibp2pNode } from '../../src/transport/libp2p/create-libp2p.ts';
import { Libp2pTransport } from '../../src/transport/libp2p/libp2p-transport.ts';
import { startDelayProxy, type DelayProxy } from './delay-proxy.ts';
import { startKadNode } from './kad-libp2p.ts';

/** TCP's SYN / SYN-ACK: the dialler may send only one round trip after connect() begins. */
const TCP_HANDSHAKE_RTTS = 1;

export interface SetupSample {
  readonly rttMs: number;
  /** Our first request → reply on a new connection, and the same on open links. */
  readonly oursColdMs: number;
  readonly oursWarmMs: number;
  /** The same with the link back opened only for the first reply (`linkBackOnInbound: false`). */
  readonly oursLateLinkBackColdMs: number;
  readonly oursLateLinkBackWarmMs: number;
  /** libp2p.dial: a connection with Noise and Yamux, without a protocol stream. */
  readonly connectionMs: number;
  /** kad-dht: a FIND_NODE on an open connection, from DIAL_PEER (before its stream opens) to PEER_RESPONSE. */
  readonly kadRequestMs: number;
}

export async function measureConnectionSetup(oneWayMsList: readonly number[], trials: number, say: (line: string) => void): Promise<Record<string, unknown>> {
  const samples: SetupSample[] = [];
  for (const oneWayMs of oneWayMsList) {
    for (let trial = 0; trial < trials; trial++) {
      const ours = await ourExchange(oneWayMs, true);
      const late = await ourExchange(oneWayMs, false);
      const kad = await kadExchange(oneWayMs);
      samples.push({ rttMs: 2 * oneWayMs, ...ours, oursLateLinkBackColdMs: late.oursColdMs, oursLateLinkBackWarmMs: late.oursWarmMs, ...kad });
    }
    say(`  connection set-up at RTT ${2 * oneWayMs} ms: ${trials} trials done`);
  }
  const byRtt = oneWayMsList.map((oneWayMs) => {
    const rttMs = 2 * oneWayMs;
    const at = samples.filter((sample) => sample.rttMs === rttMs);
    const median = (pick: (sample: SetupSample) => number): number => medianOf(at.map(pick));
    const cold = median((s) => s.oursColdMs);
    const warm = median((s) => s.oursWarmMs);
    const lateCold = median((s) => s.oursLateLinkBackColdMs);
    const lateWarm = median((s) => s.oursLateLinkBackWarmMs);
    return {
      rttMs,
      oursFirstRequestMs: round1(cold),
      oursRequestOnOpenLinkMs: round1(warm),
      oursSetupRttsSeenByProxy: round2((cold - warm) / rttMs),
      oursRequestRtts: round2(warm / rttMs),
      oursLateLinkBackFirstRequestMs: round1(lateCold),
      oursLateLinkBackSetupRttsSeenByProxy: round2((lateCold - lateWarm) / rttMs),
      connectionMs: round1(median((s) => s.connectionMs)),
      connectionRttsSeenByProxy: round2(median((s) => s.connectionMs) / rttMs),
      kadRequestOnOpenConnectionMs: round1(median((s) => s.kadRequestMs)),
      kadRequestRtts: round2(median((s) => s.kadRequestMs) / rttMs),
    };
  });
  // The slope between the smallest and largest delay removes the CPU time, as long as the machine's
  // load stays the same between them (a cross-check; a busy machine makes it noisy).
  const low = byRtt[0];
  const high = byRtt[byRtt.length - 1];
  const slope = (pick: (row: (typeof byRtt)[number]) => number): number => round2((pick(high) - pick(low)) / (high.rttMs - low.rttMs));
  const oursSetupSlope = slope((row) => row.oursFirstRequestMs - row.oursRequestOnOpenLinkMs);
  const lateSetupSlope = slope((row) => row.oursLateLinkBackSetupRttsSeenByProxy * row.rttMs);
  return {
    method: 'two nodes in one process through 127.0.0.1 delay proxies; medians of the trials at each RTT',
    trialsPerRtt: trials,
    tcpHandshakeRtts: TCP_HANDSHAKE_RTTS,
    byRtt,
    slope: {
      oursSetupRtts: oursSetupSlope,
      oursLateLinkBackSetupRtts: lateSetupSlope,
      oursRequestRtts: slope((row) => row.oursRequestOnOpenLinkMs),
      connectionRtts: slope((row) => row.connectionMs),
      kadRequestRtts: slope((row) => row.kadRequestOnOpenConnectionMs),
    },
    // At the largest delay the CPU's share is smallest; whole round trips are what the exchanges count.
    recommendedConnectRtts: Math.round(high.oursSetupRttsSeenByProxy) + TCP_HANDSHAKE_RTTS,
    recommendedConnectRttsLateLinkBack: Math.round(high.oursLateLinkBackSetupRttsSeenByProxy) + TCP_HANDSHAKE_RTTS,
  };
}

/** A ping and its pong between two fresh nodes of ours, through delay proxies both ways. */
async function ourExchange(oneWayMs: number, linkBackOnInbound: boolean): Promise<{ oursColdMs: number; oursWarmMs: number }> {
  const nodes: Libp2p[] = [];
  const proxies: DelayProxy[] = [];
  const transports: Libp2pTransport[] = [];
  try {
    for (let index = 0; index < 2; index++) nodes.push(await startOurLibp2p());
    for (const node of nodes) proxies.push(await startDelayProxy(portOf(node), oneWayMs));
    for (let index = 0; index < 2; index++) {
      // Each announces its proxy, so whichever way a message goes, it is delayed.
      transports.push(await Libp2pTransport.start(nodes[index], {
        dialTimeoutMs: 10_000, announce: [multiaddr(`/ip4/127.0.0.1/tcp/${proxies[index].port}`)], linkBackOnInbound,
      }));
    }
    const [asker, answerer] = transports;
    const waiting = new Map<number, () => void>();
    const ignore = (): void => {};
    answerer.bind({
      onMessage: (from, message) => {
        if (message.kind === 'ping') answerer.send(from, { kind: 'pong', requestId: message.requestId });
      },
      onUndeliverable: ignore, onPenalty: ignore,
    });
    asker.bind({
      onMessage: (_from, message) => {
        if (message.kind === 'pong') waiting.get(message.requestId)?.();
      },
      onUndeliverable: ignore, onPenalty: ignore,
    });
    const exchange = async (requestId: number): Promise<number> => {
      const startedMs = performance.now();
      const answered = new Promise<void>((resolve) => waiting.set(requestId, resolve));
      const ping: Message = { kind: 'ping', requestId };
      asker.send(answerer.self, ping);
      await withTimeout(answered, 30_000, 'no pong through the delay proxy');
      return performance.now() - startedMs;
    };
    const oursColdMs = await exchange(1);
    const oursWarmMs = Math.min(await exchange(2), await exchange(3));
    return { oursColdMs, oursWarmMs };
  } finally {
    await Promise.allSettled(transports.map((transport) => transport.close(500)));
    await Promise.allSettled(nodes.map((node) => node.stop()));
    await Promise.allSettled(proxies.map((proxy) => proxy.close()));
  }
}

/** A libp2p.dial, and then FIND_NODE requests, from one kad-dht node to another through a delay proxy. */
async function kadExchange(oneWayMs: number): Promise<{ connectionMs: number; kadRequestMs: number }> {
  const asker = await startKadNode();
  const answerer = await startKadNode();
  const proxy = await startDelayProxy(portOf(answerer.libp2p), oneWayMs);
  try {
    const startedMs = performance.now();
    await asker.libp2p.dial(multiaddr(`/ip4/127.0.0.1/tcp/${proxy.port}/p2p/${answerer.libp2p.peerId}`), { signal: AbortSignal.timeout(30_000) });
    const connectionMs = performance.now() - startedMs;
    // kad-dht adds a peer once identify has said it speaks the protocol.
    const untilMs = performance.now() + 30_000;
    while (asker.dht.routingTable.size === 0 && performance.now() < untilMs) await sleep(10);
    let kadRequestMs = Infinity;
    for (let attempt = 0; attempt < 3; attempt++) {
      let sentAtMs = NaN;
      for await (const event of asker.dht.getClosestPeers(randomBytes(32), { signal: AbortSignal.timeout(30_000) })) {
        // DIAL_PEER comes before kad-dht opens the request's stream, SEND_QUERY only after.
        if (event.name === 'DIAL_PEER') sentAtMs = performance.now();
        if (event.name === 'PEER_RESPONSE' && Number.isFinite(sentAtMs)) kadRequestMs = Math.min(kadRequestMs, performance.now() - sentAtMs);
      }
    }
    return { connectionMs, kadRequestMs };
  } finally {
    await Promise.allSettled([asker.libp2p.stop(), answerer.libp2p.stop()]);
    await proxy.close();
  }
}

async function startOurLibp2p(): Promise<Libp2p> {
  return startLibp2pNode({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    connectionsMax: 100,
    inboundConnectionsPerHostPerSecondMax: 1000,
    inboundPendingConnectionsMax: 100,
    dialTimeoutMs: 10_000,
  });
}

function portOf(node: Libp2p): number {
  const match = /\/tcp\/(\d+)/.exec(node.getMultiaddrs()[0]?.toString() ?? '');
  if (match === null) throw new Error('node listens on no TCP port');
  return Number(match[1]);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
