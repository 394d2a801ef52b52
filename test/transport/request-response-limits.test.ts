/**
 * The server against hostile or greedy clients, over real libp2p nodes: oversized, malformed,
 * doubled, truncated and slow requests are cut and reported as offences; the stream caps (per peer,
 * which is an offence, and in total, which is not) reset what is beyond them; and the server goes
 * on serving everyone else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Libp2p, Stream } from '@libp2p/interface';
import { encodeFrame } from '../../src/transport/libp2p/frames.ts';
import { requestFrames, sendRequest } from '../../src/transport/libp2p/request-response/request-client.ts';
import { waitFor } from '../support/wait-for.ts';
import { streamClosed } from './libp2p-harness.ts';
import { aborted, clientOptions, expectFailure, Nodes, serve, targetOf, type TestServer } from './request-response-harness.ts';

/** A raw stream of `protocol` to write whatever bytes a test wants. */
function openRaw(from: Libp2p, to: Libp2p, protocol: string): Promise<Stream> {
  return from.dialProtocol(to.getMultiaddrs(), protocol, { signal: AbortSignal.timeout(10_000) });
}

/** Requests held by the handler until released, to fill the server's slots. */
class HeldRequests {
  started = 0;
  private readonly release = new AbortController();

  readonly handler = async (_context: unknown, request: Uint8Array, signal: AbortSignal): Promise<Uint8Array[]> => {
    this.started++;
    await Promise.race([aborted(this.release.signal), aborted(signal)]);
    return [request];
  };

  releaseAll(): void {
    this.release.abort();
  }
}

describe('request-response server limits', () => {
  const nodes = new Nodes();
  let client: Libp2p;
  let server: Libp2p;
  let echo: TestServer;

  before(async () => {
    client = await nodes.start();
    server = await nodes.start();
    echo = await serve(server, async (_context, request) => [request], { requestBytesMax: 64, requestTimeoutMs: 300 });
  });
  after(() => nodes.stopAll());

  async function stillServes(): Promise<void> {
    const frames = await requestFrames(client, targetOf(server), echo.protocol, Uint8Array.of(42), clientOptions());
    assert.deepEqual(frames, [Uint8Array.of(42)]);
  }

  async function expectOffence(count: number, kind: string, reason: RegExp): Promise<void> {
    await waitFor(`offence ${count}`, () => echo.offences.length >= count);
    const offence = echo.offences[count - 1];
    assert.equal(offence.remotePeerId, client.peerId.toString());
    assert.equal(offence.kind, kind);
    assert.match(offence.reason, reason);
  }

  it('cuts a request above requestBytesMax and reports it, without reading it', async () => {
    const before = echo.offences.length;
    await expectFailure(requestFrames(client, targetOf(server), echo.protocol, new Uint8Array(65), clientOptions()), 'reset');
    await expectOffence(before + 1, 'malformed', /above 64 bytes/);
    // Exactly at the cap is fine.
    const frames = await requestFrames(client, targetOf(server), echo.protocol, new Uint8Array(64).fill(7), clientOptions());
    assert.equal(frames[0].length, 64);
    await stillServes();
  });

  it('cuts a second frame on a one-request stream', async () => {
    const before = echo.offences.length;
    const stream = await openRaw(client, server, echo.protocol);
    stream.send(new Uint8Array([...encodeFrame(Uint8Array.of(1)), ...encodeFrame(Uint8Array.of(2))]));
    assert.deepEqual(await streamClosed(stream), { reset: true });
    await expectOffence(before + 1, 'malformed', /second frame/);
    await stillServes();
  });

  it('cuts bad framing: an empty frame, a length prefix longer than the cap allows', async () => {
    const cases: [Uint8Array, RegExp][] = [[Uint8Array.of(0), /bad request frame: empty frame/], [Uint8Array.of(0x81, 0x00), /above 64 bytes/]];
    for (const [bytes, reason] of cases) {
      const before = echo.offences.length;
      const stream = await openRaw(client, server, echo.protocol);
      stream.send(bytes);
      assert.deepEqual(await streamClosed(stream), { reset: true });
      await expectOffence(before + 1, 'malformed', reason);
    }
    await stillServes();
  });

  it('cuts a stream that ends before a whole request', async () => {
    const before = echo.offences.length;
    const stream = await openRaw(client, server, echo.protocol);
    stream.send(Uint8Array.of(10, 1, 2));
    await stream.close();
    await expectOffence(before + 1, 'malformed', /ended before a whole request/);
    await stillServes();
  });

  it('cuts a request that does not arrive (frame and end) within requestTimeoutMs, as slow', async () => {
    for (const bytes of [Uint8Array.of(10, 1, 2), encodeFrame(Uint8Array.of(1))]) {
      // Half a frame; then a whole frame whose sender never ends its side.
      const before = echo.offences.length;
      const stream = await openRaw(client, server, echo.protocol);
      stream.send(bytes);
      assert.deepEqual(await streamClosed(stream), { reset: true });
      await expectOffence(before + 1, 'slow', /within 300 ms/);
    }
    await stillServes();
  });

  it('resets streams beyond the total cap without calling it an offence, and serves again once slots free', async () => {
    const held = new HeldRequests();
    const { server: registered, protocol, offences } = await serve(server, held.handler, { inboundStreamsTotalMax: 3, inboundStreamsPerPeerMax: 100 });
    try {
      const admitted = [1, 2, 3].map((value) => requestFrames(client, targetOf(server), protocol, Uint8Array.of(value), clientOptions()));
      await waitFor('three requests in the handler', () => held.started === 3);
      await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(4), clientOptions()), 'reset');
      await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(5), clientOptions()), 'reset');
      assert.equal(registered.stats().streamsRefused, 2);
      assert.equal(held.started, 3);
      assert.deepEqual(offences, []);
      held.releaseAll();
      assert.deepEqual((await Promise.all(admitted)).map((frames) => frames[0][0]), [1, 2, 3]);
      await waitFor('the slots to free', () => registered.stats().streamsActive === 0);
      assert.deepEqual(await requestFrames(client, targetOf(server), protocol, Uint8Array.of(6), clientOptions()), [Uint8Array.of(6)]);
    } finally {
      await registered.unregister();
    }
  });

  it('resets streams beyond the per-peer cap as an offence, while another peer is still served', async () => {
    const held = new HeldRequests();
    const other = await nodes.start();
    const { server: registered, protocol, offences } = await serve(server, held.handler, { inboundStreamsTotalMax: 100, inboundStreamsPerPeerMax: 2 });
    try {
      const admitted = [1, 2].map((value) => requestFrames(client, targetOf(server), protocol, Uint8Array.of(value), clientOptions()));
      await waitFor('two requests in the handler', () => held.started === 2);
      await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(3), clientOptions()), 'reset');
      assert.equal(offences.length, 1);
      assert.equal(offences[0].remotePeerId, client.peerId.toString());
      assert.equal(offences[0].kind, 'overRate');
      const fromOther = requestFrames(other, targetOf(server), protocol, Uint8Array.of(9), clientOptions());
      await waitFor('the other peer’s request in the handler', () => held.started === 3);
      held.releaseAll();
      assert.deepEqual(await fromOther, [Uint8Array.of(9)]);
      assert.equal((await Promise.all(admitted)).length, 2);
    } finally {
      await registered.unregister();
    }
  });

  it('resets the streams open when unregistered, aborting their handlers, and refuses new ones', async () => {
    const held = new HeldRequests();
    let handlerSignal: AbortSignal | null = null;
    const { server: registered, protocol } = await serve(server, async (context, request, signal) => {
      handlerSignal = signal;
      return held.handler(context, request, signal);
    });
    const pending = requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions());
    await waitFor('the request in the handler', () => held.started === 1);
    await registered.unregister();
    await expectFailure(pending, 'reset');
    assert.equal((handlerSignal as AbortSignal | null)?.aborted, true);
    await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions()), 'protocol');
  });

  it('treats an empty payload from the handler as the handler’s error, not the client’s', async () => {
    const { server: registered, protocol, errors, offences } = await serve(server, async () => [new Uint8Array(0)]);
    try {
      await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions()), 'reset');
      await waitFor('the error report', () => errors.length === 1);
      assert.ok(errors[0] instanceof RangeError);
      assert.deepEqual(offences, []);
    } finally {
      await registered.unregister();
    }
  });

  it('cuts a client that stops reading a response for responseStallTimeoutMs, as slow', async () => {
    const big = new Uint8Array(4 * 1024 * 1024).fill(1);
    const { server: registered, protocol, offences } = await serve(server, async function* () {
      for (let index = 0; index < 16; index++) yield big;
    }, { responseStallTimeoutMs: 300 });
    try {
      // Read one frame, then stop: the client pauses the stream once its queue is full, and the
      // server's writes stall.
      const iterator = sendRequest(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions({ responseFramesMax: 16 }))[Symbol.asyncIterator]();
      await iterator.next();
      await waitFor('the stall offence', () => offences.length === 1);
      assert.equal(offences[0].kind, 'slow');
      await waitFor('the server to free the stream', () => registered.stats().streamsActive === 0);
      // What had arrived may still be read until the reset does; the response never completes.
      await expectFailure((async () => {
        while (!(await iterator.next()).done);
      })(), 'reset');
    } finally {
      await registered.unregister();
    }
  });
});

describe('request-response server, requests that arrive with their end before the server listens', () => {
  const nodes = new Nodes();
  after(() => nodes.stopAll());

  it('answers a request whose frame and end came during protocol negotiation, without calling it an offence', async () => {
    const client = await nodes.start();
    const server = await nodes.start();
    const { server: registered, protocol, offences } = await serve(server, async (_context, request) => [request]);
    try {
      // Connected first: a burst of streams on a connection the server has not taken up yet is
      // dropped by libp2p (first-stream-gate.ts). Then many at once, so that the server is still
      // busy with one stream's negotiation when another's request and end arrive.
      await requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions());
      await Promise.all(Array.from({ length: 32 }, async (_, attempt) => {
        const stream = await openRaw(client, server, protocol);
        const received: number[] = [];
        stream.addEventListener('message', (event) => {
          for (const chunk of event.data instanceof Uint8Array ? [event.data] : event.data) received.push(...chunk);
        });
        stream.send(encodeFrame(Uint8Array.of(attempt + 1)));
        await stream.close();
        assert.deepEqual(await streamClosed(stream), { reset: false }, `attempt ${attempt}`);
        assert.deepEqual(received, [1, attempt + 1]);
      }));
      assert.deepEqual(offences, []);
    } finally {
      await registered.unregister();
    }
  });
});
