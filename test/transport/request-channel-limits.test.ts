/**
 * The serving side of request channels (serve-channel.ts) against hostile or greedy clients, over
 * real libp2p nodes: bad messages, ids that do not increase, oversized requests, cancels of
 * requests never sent, answers sent to the server, too many requests at once and frames that never
 * finish each reset the channel and are reported as offences — and the server goes on serving.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Libp2p, Stream } from '@libp2p/interface';
import { encodeFrame } from '../../src/transport/libp2p/frames.ts';
import { ChannelKind, encodeChannelMessage, type ChannelMessage } from '../../src/transport/libp2p/request-response/channel-messages.ts';
import { RequestChannels } from '../../src/transport/libp2p/request-response/channel-pool.ts';
import { waitFor } from '../support/wait-for.ts';
import { streamClosed } from './libp2p-harness.ts';
import { aborted, freshProtocol, MiB, Nodes, serve, targetOf, type TestServer } from './request-response-harness.ts';

function frames(...messages: (ChannelMessage | Uint8Array)[]): Uint8Array {
  const parts = messages.map((message) => encodeFrame(message instanceof Uint8Array ? message : encodeChannelMessage(message)));
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

describe('request channel server limits', () => {
  const nodes = new Nodes();
  let client: Libp2p;
  let server: Libp2p;
  let echo: TestServer;
  let channelProtocol: string;
  const release = new AbortController();

  before(async () => {
    client = await nodes.start();
    server = await nodes.start();
    channelProtocol = freshProtocol();
    // Request 0xff is held until the suite ends: it keeps requests in flight.
    echo = await serve(server, async (_context, request, signal) => {
      if (request[0] === 0xff) await Promise.race([aborted(release.signal), aborted(signal)]);
      return [request];
    }, { channelProtocol, requestBytesMax: 64, requestTimeoutMs: 300, channelRequestsInFlightMax: 4 });
  });
  after(async () => {
    release.abort();
    await nodes.stopAll();
  });

  /** A raw channel stream, to write whatever bytes a test wants. */
  function openRaw(): Promise<Stream> {
    return client.dialProtocol(server.getMultiaddrs(), channelProtocol, { signal: AbortSignal.timeout(10_000) });
  }

  async function stillServes(): Promise<void> {
    const channels = new RequestChannels(client, channelProtocol, { responseFrameBytesMax: MiB, requestsInFlightMax: 4, idleTimeoutMs: 10_000, closeWhenIdleMs: 10_000, openTimeoutMs: 10_000 });
    try {
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(42), { timeoutMs: 10_000 }), Uint8Array.of(42));
    } finally {
      channels.closeAll();
    }
  }

  async function expectCut(bytes: Uint8Array, kind: string, reason: RegExp): Promise<void> {
    const before = echo.offences.length;
    const stream = await openRaw();
    stream.send(bytes);
    assert.deepEqual(await streamClosed(stream), { reset: true });
    await waitFor('the offence', () => echo.offences.length > before);
    const offence = echo.offences[before];
    assert.equal(offence.remotePeerId, client.peerId.toString());
    assert.equal(offence.kind, kind);
    assert.match(offence.reason, reason);
    await stillServes();
  }

  it('answers a well-formed request on a raw stream, by id', async () => {
    const stream = await openRaw();
    const answer = new Promise<Uint8Array>((resolve) => stream.addEventListener('message', (event) => resolve(Uint8Array.from(event.data.subarray())), { once: true }));
    stream.send(frames({ kind: ChannelKind.request, id: 7, payload: Uint8Array.of(9) }));
    assert.deepEqual(await answer, encodeFrame(encodeChannelMessage({ kind: ChannelKind.response, id: 7, payload: Uint8Array.of(9) })));
    await stream.close();
  });

  it('cuts a message that does not decode', async () => {
    await expectCut(frames(Uint8Array.of(9, 1, 1)), 'malformed', /unknown channel message kind 9/);
  });

  it('cuts a request whose id does not increase', async () => {
    await expectCut(frames({ kind: ChannelKind.request, id: 5, payload: Uint8Array.of(1) }, { kind: ChannelKind.request, id: 5, payload: Uint8Array.of(2) }), 'malformed', /ids must increase/);
  });

  it('cuts a request above requestBytesMax', async () => {
    await expectCut(frames({ kind: ChannelKind.request, id: 1, payload: new Uint8Array(65) }), 'malformed', /above 64 bytes/);
  });

  it('cuts a cancel of a request never sent, and an answer sent to the server', async () => {
    await expectCut(frames({ kind: ChannelKind.cancel, id: 3 }), 'malformed', /never sent/);
    await expectCut(frames({ kind: ChannelKind.response, id: 1, payload: Uint8Array.of(1) }), 'malformed', /answer sent to the server/);
  });

  it('cuts more than channelRequestsInFlightMax requests at once', async () => {
    const held = [1, 2, 3, 4].map((id) => ({ kind: ChannelKind.request, id, payload: Uint8Array.of(0xff) }) as const);
    await expectCut(frames(...held, { kind: ChannelKind.request, id: 5, payload: Uint8Array.of(0xff) }), 'overRate', /more than 4 requests at once/);
  });

  it('cuts a frame that does not finish within requestTimeoutMs', async () => {
    // The prefix of a 10-byte frame, and 3 of its bytes.
    await expectCut(Uint8Array.of(10, ChannelKind.request, 1, 1), 'slow', /no whole frame within 300 ms/);
  });
});
