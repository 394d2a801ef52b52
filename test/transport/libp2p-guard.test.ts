/**
 * Hostile peers against a live libp2p transport: a message flood is rate-limited and then banned,
 * a slow frame is cut off, a stream flood is refused, and random bytes (fuzzing) never hurt the
 * node — in every case another peer is served as before. A ban earned on another protocol sharing
 * the guard (a service's) cuts the peer's connections too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Stream } from '@libp2p/interface';
import fc from 'fast-check';
import { idEquals } from '../../src/core/id.ts';
import type { Message } from '../../src/core/messages.ts';
import { encodeMessage } from '../../src/wire/codec.ts';
import { encodeFrame } from '../../src/transport/libp2p/frames.ts';
import { defaultPeerGuardConfig, Offence, PeerGuard } from '../../src/transport/peer-guard.ts';
import { waitFor } from '../support/wait-for.ts';
import { openRawStream, startTestTransport, stopTestTransports, streamClosed, type TestTransport } from './libp2p-harness.ts';

const textEncoder = new TextEncoder();

function ping(requestId: number): Message {
  return { kind: 'ping', requestId };
}

function helloFrom(node: TestTransport): Uint8Array {
  return encodeFrame(textEncoder.encode(node.transport.self.address));
}

/** Writes if the stream still takes writes: a refused stream may be closed before we write. */
function trySend(stream: Stream, bytes: Uint8Array): void {
  try {
    stream.send(bytes);
  } catch {
    // Closed already: what we test is that the other side refused it.
  }
}

function pingsFrom(node: TestTransport, requestId: number): number {
  return node.inbox.filter(({ message }) => message.kind === 'ping' && message.requestId === requestId).length;
}

describe('libp2p transport against hostile peers', () => {
  const started: TestTransport[] = [];
  let alice: TestTransport;

  before(async () => {
    alice = await startTestTransport();
    started.push(alice);
  });
  after(() => stopTestTransports(started));

  async function start(options: Parameters<typeof startTestTransport>[0] = {}): Promise<TestTransport> {
    const node = await startTestTransport(options);
    started.push(node);
    return node;
  }

  async function stillServes(node: TestTransport, requestId: number): Promise<void> {
    alice.transport.send(node.transport.self, ping(requestId));
    await waitFor(`ping ${requestId} from Alice`, () => node.inbox.some(({ from, message }) => message.kind === 'ping' && message.requestId === requestId && idEquals(from, alice.transport.self)));
  }

  it('a message flood is cut to the peer\'s rate, then the peer is banned and cannot connect again', async () => {
    const guard = new PeerGuard({ ...defaultPeerGuardConfig, messagesPerSecond: 20, messagesBurst: 20, banScore: -100 });
    const bob = await start({ guard });
    const mallory = await start();
    const stream = await openRawStream(mallory.libp2p, bob.libp2p);
    stream.send(helloFrom(mallory));
    const frame = encodeFrame(encodeMessage(ping(7)));
    const floodStartedMs = performance.now();
    for (let i = 0; i < 500; i++) stream.send(frame);
    await waitFor('the ban', () => guard.isBanned(mallory.libp2p.peerId.toString(), Math.floor(performance.now())));
    const elapsedS = (performance.now() - floodStartedMs) / 1000;
    const delivered = pingsFrom(bob, 7);
    assert.ok(delivered >= 20, `the burst got through (${delivered})`);
    assert.ok(delivered <= 20 + 20 * elapsedS + 1, `no more than burst + rate × time (${delivered} in ${elapsedS.toFixed(2)} s)`);
    assert.ok(bob.transport.stats().messagesRefused >= 100, 'the rest was refused');
    assert.equal(bob.transport.stats().peersBanned, 1);
    // Closed: reset by the guard, or ended with the connection the ban hangs up (whichever comes first).
    await streamClosed(stream);
    assert.notEqual(stream.status, 'open');
    // Banned: a new stream (over a new connection, if need be) is refused.
    const refused = await openRawStream(mallory.libp2p, bob.libp2p).then(
      async (again) => {
        trySend(again, helloFrom(mallory));
        trySend(again, frame);
        return (await streamClosed(again)).reset;
      },
      () => true,
    );
    assert.ok(refused, 'a banned peer gets nowhere');
    const before = pingsFrom(bob, 7);
    await stillServes(bob, 4001);
    assert.equal(pingsFrom(bob, 7), before, 'nothing more from Mallory');
  });

  it('a ban earned on a service protocol sharing the guard closes the peer\'s open connections and streams', async () => {
    const guard = new PeerGuard({ ...defaultPeerGuardConfig, banScore: -100 });
    const bob = await start({ guard });
    const mallory = await start();
    // A stream of a service's protocol, held open as a request that has not finished arriving
    // would be: the connection is what a ban must cut, with all the streams on it.
    const held: Stream[] = [];
    await bob.libp2p.handle('/peergrid-test/service/1.0.0', (stream) => void held.push(stream));
    const stream = await mallory.libp2p.dialProtocol(bob.libp2p.getMultiaddrs(), '/peergrid-test/service/1.0.0', { signal: AbortSignal.timeout(10_000) });
    await waitFor('the stream served', () => held.length === 1);
    const mallorysId = mallory.libp2p.peerId.toString();
    // What the block exchange, compute and search servers do with a peer's undecodable requests.
    for (let offence = 0; offence < 5; offence++) guard.penalize(mallorysId, Offence.malformed, Math.floor(performance.now()));
    assert.ok(guard.isBanned(mallorysId, Math.floor(performance.now())));
    await waitFor('the stream closed', () => stream.status !== 'open');
    await waitFor('the connection closed', () => bob.libp2p.getConnections(mallory.libp2p.peerId).length === 0);
    await stillServes(bob, 4002);
  });

  it('a frame begun and not finished within frameTimeoutMs resets the stream', async () => {
    const bob = await start({ frameTimeoutMs: 200 });
    const mallory = await start();
    const stream = await openRawStream(mallory.libp2p, bob.libp2p);
    stream.send(helloFrom(mallory));
    // A prefix announcing 100 bytes, then 10 of them, then nothing.
    stream.send(Uint8Array.of(100, ...new Uint8Array(10)));
    assert.deepEqual(await streamClosed(stream), { reset: true });
    await waitFor('the penalty', () => bob.penalties.length > 0);
    assert.match(bob.penalties[0].reason, /took longer than 200 ms/);
    await stillServes(bob, 4002);
  });

  it('a frame trickled in slowly but completed in time is delivered', async () => {
    const bob = await start({ frameTimeoutMs: 2000 });
    const mallory = await start();
    const stream = await openRawStream(mallory.libp2p, bob.libp2p);
    stream.send(helloFrom(mallory));
    const frame = encodeFrame(encodeMessage(ping(9)));
    for (const byte of frame) {
      stream.send(Uint8Array.of(byte));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await waitFor('the trickled ping', () => pingsFrom(bob, 9) === 1);
    assert.equal(bob.penalties.length, 0);
  });

  it('streams opened beyond the peer\'s stream rate are refused', async () => {
    const guard = new PeerGuard({ ...defaultPeerGuardConfig, streamsBurst: 3, streamsPerMinute: 1, banScore: -1e12 });
    const bob = await start({ guard });
    // Mallory's raw streams bypass her transport, which has no link to Bob; it would open one back
    // when Bob links back to her, spending one of the stream tokens this test counts.
    const mallory = await start({ linkBackOnInbound: false });
    const outcomes: boolean[] = [];
    for (let i = 0; i < 6; i++) {
      const stream = await openRawStream(mallory.libp2p, bob.libp2p);
      trySend(stream, helloFrom(mallory));
      trySend(stream, encodeFrame(encodeMessage(ping(100 + i))));
      outcomes.push(await waitFor(`stream ${i} to settle`, () => pingsFrom(bob, 100 + i) === 1 || stream.status !== 'open').then(() => pingsFrom(bob, 100 + i) === 1));
    }
    assert.deepEqual(outcomes, [true, true, true, false, false, false]);
    assert.ok(bob.transport.stats().streamsRefused >= 3);
    await stillServes(bob, 4003);
  });

  it('fuzz: random bytes — raw, after a hello, or framed after a hello — never reach the kernel unchecked nor stop the node', async () => {
    const bob = await start();
    const mallory = await start();
    const hello = helloFrom(mallory);
    const inputs = fc.sample(fc.tuple(
      fc.constantFrom('raw', 'afterHello', 'framed'),
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
    ), { seed: 0xf022, numRuns: 60 });
    for (const [mode, bytes] of inputs) {
      const stream = await openRawStream(mallory.libp2p, bob.libp2p);
      if (mode !== 'raw') trySend(stream, hello);
      trySend(stream, mode === 'framed' ? encodeFrame(bytes) : bytes);
      // Settled: reset, or everything sent has been read (a partial frame waits for the slow-frame timer).
      await stream.close().catch(() => {});
    }
    await stillServes(bob, 4004);
    for (const { from } of bob.inbox) {
      assert.ok(idEquals(from, mallory.transport.self) || idEquals(from, alice.transport.self), 'every message has an authenticated sender');
    }
    assert.ok(bob.penalties.length > 0, 'garbage was noticed');
  });
});
