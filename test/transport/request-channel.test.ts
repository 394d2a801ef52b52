/**
 * Request channels (channel-client.ts, channel-pool.ts, serve-channel.ts) over real libp2p nodes on
 * loopback: many requests on one stream, each answered by id and in the order the answers are
 * ready; a request cancelled or timed out is dropped on both sides while the others go on; a handler
 * that fails costs its own request only; idle channels are closed by the client and reset by the
 * server, and the next request opens another; a peer without the protocol is said to be so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Libp2p } from '@libp2p/interface';
import { RequestChannels, ChannelUnsupportedError, type ChannelPoolOptions } from '../../src/transport/libp2p/request-response/channel-pool.ts';
import { waitFor } from '../support/wait-for.ts';
import { aborted, assertSameBytes, expectFailure, freshProtocol, MiB, Nodes, patternBytes, serve, targetOf, type TestServer } from './request-response-harness.ts';
import type { RequestServerOptions } from '../../src/transport/libp2p/request-response/request-server.ts';
import type { RequestHandler } from '../../src/transport/libp2p/request-response/serve-stream.ts';

const POOL: ChannelPoolOptions = {
  responseFrameBytesMax: 4 * MiB, requestsInFlightMax: 32, idleTimeoutMs: 15_000, closeWhenIdleMs: 30_000, openTimeoutMs: 10_000,
};

/** A server answering on streams and channels, and a pool of channels to it. */
async function channelServer(server: Libp2p, client: Libp2p, handler: RequestHandler, overrides: Partial<RequestServerOptions> = {}, pool: Partial<ChannelPoolOptions> = {}): Promise<TestServer & { channelProtocol: string; channels: RequestChannels }> {
  const channelProtocol = freshProtocol();
  const served = await serve(server, handler, { channelProtocol, ...overrides });
  return { ...served, channelProtocol, channels: new RequestChannels(client, channelProtocol, { ...POOL, ...pool }) };
}

describe('request channels over libp2p', () => {
  const nodes = new Nodes();
  let client: Libp2p;
  let server: Libp2p;

  before(async () => {
    client = await nodes.start();
    server = await nodes.start();
  });
  after(() => nodes.stopAll());

  it('carries 32 requests in flight on one stream, each answer to its own request, intact', async () => {
    const { server: registered, channels, offences } = await channelServer(server, client, async (_context, request) => [patternBytes(MiB / 4, request[0])]);
    try {
      const answers = await Promise.all(Array.from({ length: 32 }, (_, seed) => channels.request(targetOf(server), Uint8Array.of(seed), { timeoutMs: 30_000 })));
      answers.forEach((answer, seed) => assertSameBytes(answer, patternBytes(MiB / 4, seed), `answer ${seed}`));
      // And more than the channel holds at once: the rest wait their turn on the client.
      const more = await Promise.all(Array.from({ length: 40 }, (_, seed) => channels.request(targetOf(server), Uint8Array.of(seed), { timeoutMs: 30_000 })));
      assert.equal(more.length, 40);
      assert.equal(registered.stats().channelsAccepted, 1);
      assert.equal(registered.stats().streamsAccepted, 1, 'one stream for all 72 requests');
      assert.equal(channels.size, 1);
      assert.deepEqual(offences, []);
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('sends each answer when it is ready: a small one does not wait behind a slow large one', async () => {
    const slow = new AbortController();
    const { server: registered, channels } = await channelServer(server, client, async (_context, request) => {
      if (request[0] === 1) await aborted(slow.signal);
      return [request[0] === 1 ? patternBytes(MiB, 1) : Uint8Array.of(request[0])];
    });
    try {
      const order: number[] = [];
      const first = channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }).then((answer) => order.push(answer.length));
      const second = channels.request(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000 }).then((answer) => order.push(answer[0]));
      await second;
      slow.abort();
      await first;
      assert.deepEqual(order, [2, MiB]);
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('a cancelled request aborts its handler and fails as aborted; the others on the channel go on', async () => {
    let sawCancel = false;
    const { server: registered, channels } = await channelServer(server, client, async (_context, request, signal) => {
      if (request[0] === 1) {
        await aborted(signal);
        sawCancel = true;
        return [Uint8Array.of(1)];
      }
      return [request];
    });
    try {
      const controller = new AbortController();
      const cancelled = channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000, signal: controller.signal });
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000 }), Uint8Array.of(2));
      controller.abort();
      await expectFailure(cancelled, 'aborted');
      await waitFor('the handler to see the cancel', () => sawCancel);
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(3), { timeoutMs: 30_000 }), Uint8Array.of(3));
      assert.equal(registered.stats().channelsAccepted, 1);
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('a request aborted in the very turn it was asked is no offence: its cancel never overtakes it', async () => {
    const { server: registered, channels, offences } = await channelServer(server, client, async (_context, request) => [request]);
    try {
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), Uint8Array.of(1));
      const controller = new AbortController();
      const asked = channels.request(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000, signal: controller.signal });
      controller.abort();
      await expectFailure(asked, 'aborted');
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(3), { timeoutMs: 30_000 }), Uint8Array.of(3));
      assert.deepEqual(offences, []);
      assert.equal(registered.stats().channelsAccepted, 1);
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('a request past its timeout fails as timeout and is cancelled on the server', async () => {
    let sawCancel = false;
    const { server: registered, channels } = await channelServer(server, client, async (_context, request, signal) => {
      if (request[0] === 1) {
        await aborted(signal);
        sawCancel = true;
      }
      return [request];
    });
    try {
      await expectFailure(channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 200 }), 'timeout');
      await waitFor('the handler to see the cancel', () => sawCancel);
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000 }), Uint8Array.of(2));
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('a handler that throws fails its own request (reset) and is reported; the channel goes on', async () => {
    const { server: registered, channels, errors, offences } = await channelServer(server, client, async (_context, request) => {
      if (request[0] === 1) throw new Error('a bug in the handler');
      return [request];
    });
    try {
      await expectFailure(channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), 'reset');
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000 }), Uint8Array.of(2));
      assert.equal(errors.length, 1);
      assert.deepEqual(offences, [], 'our bug is no offence of the client');
      assert.equal(registered.stats().channelsAccepted, 1);
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('an answer above responseFrameBytesMax fails the channel as tooLarge; the next request opens another', async () => {
    const { server: registered, channels } = await channelServer(server, client, async (_context, request) => [request[0] === 1 ? patternBytes(2 * MiB, 1) : request], {}, { responseFrameBytesMax: MiB });
    try {
      await expectFailure(channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), 'tooLarge');
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000 }), Uint8Array.of(2));
      assert.equal(registered.stats().channelsAccepted, 2);
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('the client closes a channel idle for closeWhenIdleMs; the server frees its slot', async () => {
    const { server: registered, channels } = await channelServer(server, client, async (_context, request) => [request], {}, { closeWhenIdleMs: 100 });
    try {
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), Uint8Array.of(1));
      await waitFor('the client to close its idle channel', () => channels.size === 0);
      await waitFor('the server to free the channel', () => registered.stats().streamsActive === 0);
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000 }), Uint8Array.of(2));
      assert.equal(registered.stats().channelsAccepted, 2);
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('the server resets a channel idle for channelIdleTimeoutMs, without an offence; the next request opens another', async () => {
    const { server: registered, channels, offences } = await channelServer(server, client, async (_context, request) => [request], { channelIdleTimeoutMs: 100 });
    try {
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), Uint8Array.of(1));
      await waitFor('the server to reset the idle channel', () => registered.stats().streamsActive === 0);
      await waitFor('the client to drop it', () => channels.size === 0);
      assert.deepEqual(await channels.request(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000 }), Uint8Array.of(2));
      assert.deepEqual(offences, []);
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('requestIfOpen leaves the requests to the caller until the channel is open, then sends them on it', async () => {
    const { server: registered, channels } = await channelServer(server, client, async (_context, request) => [request]);
    try {
      assert.equal(channels.requestIfOpen(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), null, 'no channel yet: the caller asks some other way');
      await waitFor('the channel to open', () => channels.size === 1);
      const onChannel = channels.requestIfOpen(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000 });
      assert.notEqual(onChannel, null);
      assert.deepEqual(await onChannel, Uint8Array.of(2));
      assert.equal(registered.stats().channelsAccepted, 1);
    } finally {
      channels.closeAll();
      await registered.unregister();
    }
  });

  it('requestIfOpen never sends to a peer without the protocol, nor fails for it: the caller keeps asking some other way', async () => {
    const { server: plain } = await serve(server, async (_context, request) => [request]);
    const channels = new RequestChannels(client, freshProtocol(), POOL);
    try {
      assert.equal(channels.requestIfOpen(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), null);
      // Once the negotiation has failed, the peer is known not to speak it.
      await assert.rejects(channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), ChannelUnsupportedError);
      assert.equal(channels.requestIfOpen(targetOf(server), Uint8Array.of(2), { timeoutMs: 30_000 }), null);
      assert.equal(channels.size, 0);
    } finally {
      await plain.unregister();
    }
  });

  it('a peer that does not speak the channel protocol fails with ChannelUnsupportedError, remembered for a while', async () => {
    const channelProtocol = freshProtocol();
    const { server: plain } = await serve(server, async (_context, request) => [request]);
    const channels = new RequestChannels(client, channelProtocol, POOL);
    let upgraded: TestServer | null = null;
    try {
      await assert.rejects(channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), (error: unknown) => {
        assert.ok(error instanceof ChannelUnsupportedError);
        assert.equal(error.reason, 'protocol');
        return true;
      });
      // Now it does, but the pool does not ask again so soon: the caller goes on using streams.
      upgraded = await serve(server, async (_context, request) => [request], { channelProtocol });
      await assert.rejects(channels.request(targetOf(server), Uint8Array.of(1), { timeoutMs: 30_000 }), ChannelUnsupportedError);
      assert.equal(upgraded.server.stats().channelsAccepted, 0);
    } finally {
      await plain.unregister();
      await upgraded?.server.unregister();
    }
  });
});
