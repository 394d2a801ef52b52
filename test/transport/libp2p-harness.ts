/** Transports on real libp2p nodes on 127.0.0.1, recording what they deliver, for the transport tests. */
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Libp2p, Stream } from '@libp2p/interface';
import type { Message } from '../../src/core/messages.ts';
import type { PeerRef } from '../../src/core/peer.ts';
import { startLibp2pNode, type Libp2pNodeOptions } from '../../src/transport/libp2p/create-libp2p.ts';
import { Libp2pTransport } from '../../src/transport/libp2p/libp2p-transport.ts';
import { KAD_PROTOCOL } from '../../src/transport/libp2p/protocol.ts';
import { defaultPeerGuardConfig, PeerGuard } from '../../src/transport/peer-guard.ts';
import type { TransportPenalty } from '../../src/transport/transport.ts';

export interface TestTransport {
  readonly libp2p: Libp2p;
  readonly transport: Libp2pTransport;
  readonly inbox: { from: PeerRef; message: Message }[];
  readonly penalties: TransportPenalty[];
  /** What the transport reported it could not send. */
  readonly undeliverable: { to: PeerRef; message: Message }[];
}

/** A libp2p node as peergrid configures it, without the transport: tests drive its streams by hand. */
export async function startRawLibp2p(options: Partial<Libp2pNodeOptions> = {}): Promise<Libp2p> {
  return startLibp2pNode({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    connectionsMax: 100,
    inboundConnectionsPerHostPerSecondMax: 1000,
    inboundPendingConnectionsMax: 100,
    dialTimeoutMs: 10_000,
    ...options,
  });
}

/**
 * A guard that limits rates as a node's does but never bans, so tests of one offence after another
 * each reach the code they test; tests of banning pass their own.
 */
export function lenientGuard(): PeerGuard {
  return new PeerGuard({ ...defaultPeerGuardConfig, banScore: -1e12 });
}

export async function startTestTransport(options: { guard?: PeerGuard; frameTimeoutMs?: number; linkBackOnInbound?: boolean } = {}): Promise<TestTransport> {
  const guard = options.guard ?? lenientGuard();
  const libp2p = await startRawLibp2p({ denyPeer: (peerId) => guard.isBanned(peerId, Math.floor(performance.now())) });
  const transport = await Libp2pTransport.start(libp2p, {
    dialTimeoutMs: 10_000, guard, frameTimeoutMs: options.frameTimeoutMs, linkBackOnInbound: options.linkBackOnInbound,
  });
  const node: TestTransport = { libp2p, transport, inbox: [], penalties: [], undeliverable: [] };
  transport.bind({
    onMessage: (from, message) => node.inbox.push({ from, message }),
    onUndeliverable: (to, message) => node.undeliverable.push({ to, message }),
    onPenalty: (penalty) => node.penalties.push(penalty),
  });
  return node;
}

export async function stopTestTransports(nodes: readonly TestTransport[]): Promise<void> {
  await Promise.allSettled(nodes.map(async (node) => {
    await node.transport.close(1000);
    await node.libp2p.stop();
  }));
}

/** A raw `/peergrid/kad/1.0.0` stream from `from` to `to`, to write whatever bytes a test wants. */
export async function openRawStream(from: Libp2p, to: Libp2p): Promise<Stream> {
  return from.dialProtocol(to.getMultiaddrs(), KAD_PROTOCOL, { signal: AbortSignal.timeout(10_000) });
}

/** Resolves when the stream has closed, with whether it was reset (closed with an error). */
export function streamClosed(stream: Stream): Promise<{ reset: boolean }> {
  if (stream.status !== 'open') return Promise.resolve({ reset: stream.status === 'reset' || stream.status === 'aborted' });
  return new Promise((resolve) => stream.addEventListener('close', (event) => resolve({ reset: event.error !== undefined }), { once: true }));
}
