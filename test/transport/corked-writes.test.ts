/**
 * Corked writes (transport/libp2p/corked-writes.ts): a TCP connection's socket is corked around
 * each send, also when the send throws, and what the send returns passes through; a connection
 * without a corkable socket is left alone; real TCP connections between two nodes are corked and
 * carry the bytes unchanged.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { Libp2p, MessageStream, Stream } from '@libp2p/interface';
import { corkedConnections, corkWrites } from '../../src/transport/libp2p/corked-writes.ts';
import { waitForDrain } from '../../src/transport/libp2p/request-response/stream-drain.ts';
import { startRawLibp2p } from './libp2p-harness.ts';

const PROTOCOL = '/peergrid-test/corked/1.0.0';

/** A stand-in for @libp2p/tcp's connection: what sendData was given, and the socket's cork calls, in order. */
function fakeConnection(failOn?: unknown): { connection: MessageStream; calls: string[] } {
  const calls: string[] = [];
  const fake = {
    socket: { cork: () => calls.push('cork'), uncork: () => calls.push('uncork') },
    sendData(data: unknown) {
      calls.push(`send ${String(data)}`);
      if (data === failOn) throw new Error('the socket is gone');
      return { sentBytes: 1, canSendMore: true };
    },
  };
  return { connection: fake as unknown as MessageStream, calls };
}

describe('corked writes', () => {
  const nodes: Libp2p[] = [];
  after(() => Promise.all(nodes.map((node) => node.stop())));

  it('corks around each send, also one that throws, and passes its result on', () => {
    const before = corkedConnections();
    const { connection, calls } = fakeConnection('b');
    assert.equal(corkWrites(connection), connection);
    assert.equal(corkedConnections(), before + 1);
    const send = (data: string): unknown => (connection as unknown as { sendData(data: unknown): unknown }).sendData(data);
    assert.deepEqual(send('a'), { sentBytes: 1, canSendMore: true });
    assert.throws(() => send('b'), /the socket is gone/);
    assert.deepEqual(calls, ['cork', 'send a', 'uncork', 'cork', 'send b', 'uncork']);
  });

  it('leaves a connection without a corkable socket as it is', () => {
    const before = corkedConnections();
    const plain = { sendData: () => undefined } as unknown as MessageStream;
    const sendData = (plain as unknown as { sendData: unknown }).sendData;
    corkWrites(plain);
    assert.equal((plain as unknown as { sendData: unknown }).sendData, sendData);
    assert.equal(corkedConnections(), before);
  });

  it('corks real TCP connections, which carry the bytes unchanged', async () => {
    const before = corkedConnections();
    const [a, b] = await Promise.all([startRawLibp2p(), startRawLibp2p()]);
    nodes.push(a, b);
    const sent = randomBytes(3 * 65_536 + 7);
    let received: Promise<Buffer> | null = null;
    await b.handle(PROTOCOL, (stream: Stream) => {
      received = (async () => {
        const parts: Uint8Array[] = [];
        for await (const part of stream) parts.push(part.subarray());
        return Buffer.concat(parts);
      })();
    });
    const stream = await a.dialProtocol(b.getMultiaddrs(), PROTOCOL, { signal: AbortSignal.timeout(10_000) });
    if (!stream.send(sent)) await waitForDrain(stream, AbortSignal.timeout(10_000));
    await stream.close();
    for (let waitedMs = 0; received === null && waitedMs < 10_000; waitedMs += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(await received, sent);
    assert.ok(corkedConnections() >= before + 2, 'both ends of the connection corked');
  });
});
