/**
 * Request-response over real libp2p nodes on loopback (TCP, Noise, Yamux): responses of every size
 * arrive intact, many at once; and each way a request can fail gives the reason a caller scores
 * the peer by, while the server goes on serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Libp2p } from '@libp2p/interface';
import { requestFrames, sendRequest } from '../../src/transport/libp2p/request-response/request-client.ts';
import { waitFor } from '../support/wait-for.ts';
import {
  aborted, assertSameBytes, clientOptions, expectFailure, freshProtocol, MiB, Nodes, patternBytes, serve, targetOf,
} from './request-response-harness.ts';

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

describe('request-response over libp2p', () => {
  const nodes = new Nodes();
  let client: Libp2p;
  let server: Libp2p;

  before(async () => {
    client = await nodes.start();
    server = await nodes.start();
  });
  after(() => nodes.stopAll());

  it('answers a small request with the frames the handler gives, in order, to a peer id given as a string too', async () => {
    const { server: registered, protocol } = await serve(server, async (context, request) => [
      textEncoder.encode(`from ${context.remotePeerId}`),
      request.slice().reverse(),
    ]);
    try {
      const frames = await requestFrames(client, targetOf(server), protocol, textEncoder.encode('hello'), clientOptions());
      assert.deepEqual(frames.map((frame) => textDecoder.decode(frame)), [`from ${client.peerId.toString()}`, 'olleh']);
      // Now connected: the peer id alone finds the connection.
      const again = await requestFrames(client, { peerId: server.peerId.toString() }, protocol, textEncoder.encode('abc'), clientOptions());
      assert.equal(textDecoder.decode(again[1]), 'cba');
    } finally {
      await registered.unregister();
    }
  });

  it('carries a 4 MiB response frame intact', async () => {
    const block = patternBytes(4 * MiB, 4);
    const { server: registered, protocol } = await serve(server, async () => [block]);
    try {
      const frames = await requestFrames(client, targetOf(server), protocol, textEncoder.encode('block'), clientOptions({ responseFrameBytesMax: 4 * MiB }));
      assert.equal(frames.length, 1);
      assertSameBytes(frames[0], block, 'the 4 MiB block');
    } finally {
      await registered.unregister();
    }
  });

  it('carries 32 requests in flight at once, 1 MiB each, all intact and each to its own request', async () => {
    const { server: registered, protocol, offences } = await serve(server, async function* (_context, request) {
      const seed = request[0];
      yield patternBytes(MiB / 2, seed);
      yield patternBytes(MiB / 2, seed + 100);
    });
    try {
      // All 32 are sent before any is read: requests start at once, not on the first read.
      const responses = Array.from({ length: 32 }, (_, seed) => sendRequest(client, targetOf(server), protocol, Uint8Array.of(seed), clientOptions()));
      await Promise.all(responses.map(async (response, seed) => {
        const frames: Uint8Array[] = [];
        for await (const frame of response) frames.push(frame);
        assert.equal(frames.length, 2, `request ${seed}`);
        assertSameBytes(frames[0], patternBytes(MiB / 2, seed), `request ${seed}, frame 0`);
        assertSameBytes(frames[1], patternBytes(MiB / 2, seed + 100), `request ${seed}, frame 1`);
      }));
      assert.equal(registered.stats().framesSent, 64);
      assert.deepEqual(offences, [], 'honest requests are no offence');
    } finally {
      await registered.unregister();
    }
  });

  it('carries 32 requests sent at once to a peer not yet connected (libp2p would drop a burst of early streams)', async () => {
    const fresh = await nodes.start();
    const { server: registered, protocol } = await serve(fresh, async (_context, request) => [request]);
    try {
      const responses = await Promise.all(Array.from({ length: 32 }, (_, index) => requestFrames(client, targetOf(fresh), protocol, Uint8Array.of(index), clientOptions())));
      assert.deepEqual(responses.map((frames) => frames[0][0]), Array.from({ length: 32 }, (_, index) => index));
      assert.equal(client.getConnections(fresh.peerId).length, 1);
    } finally {
      await registered.unregister();
    }
  });

  it('fails a response frame above responseFrameBytesMax as tooLarge, and the server sees its stream cut', async () => {
    let handlerSawAbort = false;
    const { server: registered, protocol } = await serve(server, async function* (_context, _request, signal) {
      try {
        yield patternBytes(2 * MiB, 1);
        yield patternBytes(2 * MiB, 2);
      } finally {
        handlerSawAbort = signal.aborted;
      }
    });
    try {
      await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions({ responseFrameBytesMax: MiB })), 'tooLarge');
      await waitFor('the handler to stop', () => handlerSawAbort);
      await waitFor('the server to free the stream', () => registered.stats().streamsActive === 0);
    } finally {
      await registered.unregister();
    }
  });

  it('fails a response of more than responseFramesMax frames as tooLarge', async () => {
    const { server: registered, protocol } = await serve(server, async () => [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
    try {
      await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions({ responseFramesMax: 2 })), 'tooLarge');
      // Exactly at the cap is fine.
      const frames = await requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions({ responseFramesMax: 3 }));
      assert.equal(frames.length, 3);
    } finally {
      await registered.unregister();
    }
  });

  it('resets the stream when the handler throws, reports the error, and serves the next request', async () => {
    const { server: registered, protocol, errors, offences } = await serve(server, async function* (_context, request) {
      yield Uint8Array.of(1);
      if (request[0] === 0) throw new Error('the store broke');
      yield Uint8Array.of(2);
    });
    try {
      await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(0), clientOptions()), 'reset');
      await waitFor('the error report', () => errors.length === 1);
      assert.match(String(errors[0]), /the store broke/);
      assert.deepEqual(offences, [], 'a failing handler is not the client’s offence');
      const frames = await requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions());
      assert.deepEqual(frames.map((frame) => frame[0]), [1, 2]);
    } finally {
      await registered.unregister();
    }
  });

  it('sends a frame given as a head and a body as one frame; a payload of neither kind is the handler’s error', async () => {
    const block = patternBytes(MiB, 9);
    const { server: registered, protocol, errors, offences } = await serve(server, async (_context, request) => {
      if (request[0] === 0) return [{ head: Uint8Array.of(0xaa, 0xbb), body: block }, { head: Uint8Array.of(7), body: new Uint8Array(0) }];
      return ['not bytes' as unknown as Uint8Array];
    });
    try {
      const frames = await requestFrames(client, targetOf(server), protocol, Uint8Array.of(0), clientOptions({ responseFrameBytesMax: 2 * MiB }));
      assert.equal(frames.length, 2);
      assert.deepEqual([...frames[0].subarray(0, 2)], [0xaa, 0xbb]);
      assertSameBytes(frames[0].subarray(2), block, 'the body behind its head');
      assert.deepEqual(frames[1], Uint8Array.of(7));
      await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions()), 'reset');
      await waitFor('the error report', () => errors.length === 1);
      assert.match(String(errors[0]), /neither a Uint8Array nor a \{ head, body \}/);
      assert.deepEqual(offences, []);
    } finally {
      await registered.unregister();
    }
  });

  it('aborts promptly mid-response when the caller’s signal fires, and the handler’s signal aborts too', async () => {
    let handlerSignal: AbortSignal | null = null;
    const { server: registered, protocol, offences } = await serve(server, async function* (_context, _request, signal) {
      handlerSignal = signal;
      yield Uint8Array.of(1);
      await aborted(signal);
    });
    try {
      const controller = new AbortController();
      const response = sendRequest(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions({ signal: controller.signal }));
      const iterator = response[Symbol.asyncIterator]();
      const first = await iterator.next();
      assert.deepEqual(first.value, Uint8Array.of(1));
      const pending = iterator.next();
      controller.abort();
      await expectFailure(pending, 'aborted');
      await waitFor('the handler’s signal', () => (handlerSignal as AbortSignal | null)?.aborted === true);
      assert.deepEqual(offences, [], 'cancelling is not an offence');
    } finally {
      await registered.unregister();
    }
  });

  it('fails with aborted at once when the signal has already fired', async () => {
    const controller = new AbortController();
    controller.abort();
    await expectFailure(requestFrames(client, targetOf(server), freshProtocol(), Uint8Array.of(1), clientOptions({ signal: controller.signal })), 'aborted');
  });

  it('resets the stream when the caller stops reading (break), and the handler’s signal aborts', async () => {
    let handlerSignal: AbortSignal | null = null;
    const { server: registered, protocol } = await serve(server, async function* (_context, _request, signal) {
      handlerSignal = signal;
      yield Uint8Array.of(1);
      await aborted(signal);
    });
    try {
      for await (const frame of sendRequest(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions())) {
        assert.equal(frame[0], 1);
        break;
      }
      await waitFor('the handler’s signal', () => (handlerSignal as AbortSignal | null)?.aborted === true);
    } finally {
      await registered.unregister();
    }
  });

  it('times out a server that never answers, within the bound, and the handler’s signal aborts', async () => {
    let handlerSignal: AbortSignal | null = null;
    const { server: registered, protocol } = await serve(server, async (_context, _request, signal) => {
      handlerSignal = signal;
      await aborted(signal);
      return [];
    });
    try {
      const timeoutMs = 500;
      const startedMs = performance.now();
      const error = await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions({ timeoutMs, idleTimeoutMs: 60_000 })), 'timeout');
      const elapsedMs = performance.now() - startedMs;
      assert.ok(elapsedMs >= timeoutMs - 5, `not before the timeout (${elapsedMs.toFixed(0)} ms)`);
      assert.ok(elapsedMs < timeoutMs + 10_000, `and within its bound (${elapsedMs.toFixed(0)} ms)`);
      assert.match(error.message, /500 ms/);
      await waitFor('the handler’s signal', () => (handlerSignal as AbortSignal | null)?.aborted === true);
    } finally {
      await registered.unregister();
    }
  });

  it('times out a response that goes silent for idleTimeoutMs', async () => {
    const { server: registered, protocol } = await serve(server, async function* (_context, _request, signal) {
      yield Uint8Array.of(1);
      await aborted(signal);
    });
    try {
      const error = await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions({ idleTimeoutMs: 300 })), 'timeout');
      assert.match(error.message, /no byte/);
    } finally {
      await registered.unregister();
    }
  });

  it('fails with dial when the peer is gone, or its id is not a peer id', async () => {
    const gone = await nodes.start();
    const target = targetOf(gone);
    await gone.stop();
    await expectFailure(requestFrames(client, target, freshProtocol(), Uint8Array.of(1), clientOptions()), 'dial');
    await expectFailure(requestFrames(client, { peerId: 'not-a-peer-id' }, freshProtocol(), Uint8Array.of(1), clientOptions()), 'dial');
  });

  it('fails with protocol when the peer does not speak the protocol', async () => {
    await expectFailure(requestFrames(client, targetOf(server), freshProtocol(), Uint8Array.of(1), clientOptions()), 'protocol');
  });

  it('gives a slow reader the whole of a response larger than its queue, pausing the stream meanwhile', async () => {
    const frameCount = 24;
    const { server: registered, protocol } = await serve(server, async function* () {
      for (let index = 0; index < frameCount; index++) yield patternBytes(MiB, index);
    });
    try {
      // The reader stops for longer than the idle timeout: silence it causes is not the server's.
      const response = sendRequest(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions({ responseFramesMax: frameCount, idleTimeoutMs: 200 }));
      let index = 0;
      for await (const frame of response) {
        assertSameBytes(frame, patternBytes(MiB, index), `frame ${index}`);
        if (index === 0) await new Promise((resolve) => setTimeout(resolve, 600));
        index++;
      }
      assert.equal(index, frameCount);
    } finally {
      await registered.unregister();
    }
  });

  it('fails a response with bad framing, or cut inside a frame, as protocol', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['an empty frame', Uint8Array.of(0), /bad response frame/],
      ['half a frame', Uint8Array.of(10, 1, 2), /inside a frame/],
    ];
    for (const [what, bytes, message] of cases) {
      const protocol = freshProtocol();
      await server.handle(protocol, (stream) => {
        stream.send(bytes);
        stream.close().catch(() => {});
      });
      try {
        const error = await expectFailure(requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions()), 'protocol');
        assert.match(error.message, message, what);
      } finally {
        await server.unhandle(protocol);
      }
    }
  });

  it('refuses its own bad arguments at once, as programmer errors', () => {
    assert.throws(() => sendRequest(client, targetOf(server), freshProtocol(), new Uint8Array(0), clientOptions()), RangeError);
    assert.throws(() => sendRequest(client, targetOf(server), freshProtocol(), Uint8Array.of(1), clientOptions({ timeoutMs: 0 })), RangeError);
  });
});
