/**
 * The block exchange between two libp2p nodes (exchange-client.ts, exchange-server.ts): reads go on
 * the peer's request channel once it is open — the first on streams of their own while it opens —
 * so many blocks cost one stream; a node that serves no channels (an older one) is read one stream
 * per request all along; other requests keep a stream each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Libp2p } from '@libp2p/interface';
import { peerRef, type PeerRef } from '../../../src/core/peer.ts';
import { ExchangeClient } from '../../../src/runtime/exchange/exchange-client.ts';
import { serveExchange } from '../../../src/runtime/exchange/exchange-server.ts';
import type { ExchangeService } from '../../../src/runtime/exchange/exchange-service.ts';
import { BLOCKS_PROTOCOL, decodeRequest, encodeResponse, type ExchangeRequest, type ExchangeResponse } from '../../../src/services/storage/exchange/exchange-messages.ts';
import { ExchangeLimits } from '../../../src/services/storage/exchange/exchange-limits.ts';
import { kernelIdOfPeerId } from '../../../src/transport/libp2p/kernel-id.ts';
import { formatPeerAddress } from '../../../src/transport/libp2p/peer-address.ts';
import { handleRequests } from '../../../src/transport/libp2p/request-response/request-server.ts';
import { waitFor } from '../../support/wait-for.ts';
import { lenientGuard, startRawLibp2p } from '../../transport/libp2p-harness.ts';
import { testBlock } from '../storage/blockstore-harness.ts';

const blocks = Array.from({ length: 24 }, (_, index) => testBlock(`block ${index}`, 64 * 1024));
const byCid = new Map(blocks.map((block) => [block.cid.toString(), block.bytes]));

/** A service that holds `blocks` and answers every other request as unavailable. */
const service = {
  answer: async (_peerId: string, request: ExchangeRequest): Promise<ExchangeResponse> => {
    if (request.kind !== 'getBlock') return { kind: 'refused', reason: 'unavailable', message: 'only blocks here' };
    const bytes = byCid.get(request.cid.toString());
    return bytes === undefined ? { kind: 'notFound' } : { kind: 'block', bytes };
  },
} as unknown as ExchangeService;

function refOf(node: Libp2p): PeerRef {
  const id = kernelIdOfPeerId(node.peerId);
  assert.ok(id !== null);
  return peerRef(id, formatPeerAddress(node.peerId, node.getMultiaddrs()));
}

describe('the block exchange between two nodes', () => {
  const started: Libp2p[] = [];
  let reader: Libp2p;

  before(async () => {
    reader = await startRawLibp2p();
    started.push(reader);
  });
  after(() => Promise.allSettled(started.map((node) => node.stop())));

  it('every request goes on one request channel once it is open: reads, a have, a store', async () => {
    const holder = await startRawLibp2p();
    started.push(holder);
    const server = await serveExchange(holder, service, { guard: lenientGuard(), nowMs: () => performance.now(), log: () => {} });
    const client = new ExchangeClient(reader);
    const peer = refOf(holder);
    try {
      const first = await client.getBlock(peer, blocks[0].cid);
      assert.deepEqual(first, { kind: 'block', bytes: blocks[0].bytes });
      await waitFor('the channel to open', () => server.stats().channelsAccepted === 1);
      const streamsBefore = server.stats().streamsAccepted;
      const answers = await Promise.all(blocks.map((block) => client.getBlock(peer, block.cid)));
      answers.forEach((answer, index) => assert.deepEqual(answer, { kind: 'block', bytes: blocks[index].bytes }));
      assert.equal(server.stats().streamsAccepted, streamsBefore, `${blocks.length} blocks, not one new stream`);
      assert.deepEqual(await client.getBlock(peer, testBlock('not here').cid), { kind: 'notFound' });
      const have = await client.have(peer, [blocks[0].cid]);
      assert.equal(have.kind, 'refused');
      const stored = await client.storeBlock(peer, blocks[0].cid, blocks[0].bytes, 3);
      assert.equal(stored.kind, 'refused', 'this test service takes no stores, and says so');
      assert.equal(server.stats().streamsAccepted, streamsBefore, 'the have and the store went on the channel too');
      assert.equal(server.stats().channelsAccepted, 1);
    } finally {
      await server.unregister();
    }
  });

  it('reads a node that serves no channels one stream per request', async () => {
    const holder = await startRawLibp2p();
    started.push(holder);
    // An older node: the exchange on streams only.
    const server = await handleRequests(holder, {
      protocol: BLOCKS_PROTOCOL, requestBytesMax: ExchangeLimits.messageBytesMax, requestTimeoutMs: 10_000,
      inboundStreamsPerPeerMax: 32, inboundStreamsTotalMax: 64, onOffence: () => {},
      handler: async (context, bytes) => {
        const decoded = decodeRequest(bytes);
        assert.ok(decoded.ok);
        return [encodeResponse(await service.answer(context.remotePeerId, decoded.value))];
      },
    });
    const client = new ExchangeClient(reader);
    const peer = refOf(holder);
    try {
      for (const block of blocks.slice(0, 6)) assert.deepEqual(await client.getBlock(peer, block.cid), { kind: 'block', bytes: block.bytes });
      assert.equal(server.stats().streamsAccepted, 6);
      assert.equal(server.stats().channelsAccepted, 0);
    } finally {
      await server.unregister();
    }
  });
});
