/**
 * The records parts trade: a lookup's messages in the compact form come back as equal messages
 * naming the same PeerRef objects; everything else goes through the wire codec and comes back
 * equal; a record that does not fit is refused, not truncated.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomId } from '../../../src/core/id.ts';
import type { Message } from '../../../src/core/messages.ts';
import { peerRef, type PeerRef } from '../../../src/core/peer.ts';
import { isNotice, joinNotice, readRecord, writeRecord, type PeerDirectory } from '../../../src/sim/parallel/part-records.ts';
import { Prng } from '../../../src/sim/prng.ts';
import { decodeMessage } from '../../../src/wire/codec.ts';
import type { CrossPartDelivery } from '../../../src/sim/world.ts';

const random = Prng.fromSeed(5);
const peers: PeerRef[] = Array.from({ length: 30 }, (_, i) => peerRef(randomId(random), String(i)));
const directory: PeerDirectory = {
  indexOf: (peer) => (peers[Number(peer.address)] === peer ? Number(peer.address) : -1),
  peerAt: (index) => peers[index],
};

function roundTrip(message: Message): { delivery: CrossPartDelivery; length: number; written: number } {
  const view = new DataView(new SharedArrayBuffer(4096));
  const delivery: CrossPartDelivery = { atMs: 123_456, to: 3, from: 17, order: 18 * 2 ** 32 + 9, traffic: 'maintenance', message, bytes: null };
  const written = writeRecord(view, 40, 4096, delivery, directory);
  const read = readRecord(view, 40, directory);
  return { ...read, written };
}

describe('part records', () => {
  it('carry FIND_NODE, NODES, PING and PONG compactly, naming the same PeerRefs', () => {
    const target = randomId(random);
    const messages: Message[] = [
      { kind: 'ping', requestId: 4_000_000_000 },
      { kind: 'pong', requestId: 7 },
      { kind: 'findNode', requestId: 12, target },
      { kind: 'nodes', requestId: 13, closer: peers.slice(0, 20) },
      { kind: 'nodes', requestId: 14, closer: [] },
    ];
    for (const message of messages) {
      const { delivery, length, written } = roundTrip(message);
      assert.equal(length, written);
      assert.deepEqual(delivery.message, message);
      assert.equal(delivery.bytes, null);
      assert.deepEqual([delivery.atMs, delivery.to, delivery.from, delivery.order, delivery.traffic], [123_456, 3, 17, 18 * 2 ** 32 + 9, 'maintenance']);
      if (message.kind === 'nodes' && delivery.message?.kind === 'nodes') {
        delivery.message.closer.forEach((peer, i) => assert.equal(peer, message.closer[i], 'the node\'s own object'));
      }
    }
    // Twenty contacts as indices: far smaller than twenty ids and addresses.
    assert.ok(roundTrip(messages[3]).length < 120);
  });

  it('carry anything else through the wire codec', () => {
    const stranger = peerRef(randomId(random), '999');
    const messages: Message[] = [
      { kind: 'store', requestId: 1, key: randomId(random), value: new Uint8Array([1, 2, 3]), ttlMs: 60_000 },
      { kind: 'nodes', requestId: 2, closer: [peers[0], stranger] },
      { kind: 'ping', requestId: 3, coordinate: { x: 1, y: 2, height: 3, error: 0.5 } },
      { kind: 'leave' },
    ];
    for (const message of messages) {
      const { delivery } = roundTrip(message);
      assert.equal(delivery.message, null);
      const decoded = decodeMessage(delivery.bytes as Uint8Array);
      assert.ok(decoded.ok);
      assert.equal(decoded.message.kind, message.kind);
    }
  });

  it('carry a notice of a finished join as a header alone: node, generation, time', () => {
    const view = new DataView(new SharedArrayBuffer(4096));
    const written = writeRecord(view, 8, 4096, joinNotice(29, 3, 61_000), directory);
    const { delivery, length } = readRecord(view, 8, directory);
    assert.equal(length, written);
    assert.ok(isNotice(delivery));
    assert.deepEqual([delivery.from, delivery.order, delivery.atMs], [29, 3, 61_000]);
    // A message is never taken for a notice, nor a notice's header for a message's.
    assert.ok(!isNotice(roundTrip({ kind: 'ping', requestId: 1 }).delivery));
    assert.ok(written < roundTrip({ kind: 'ping', requestId: 1 }).written);
  });

  it('refuses a record that does not fit before the end', () => {
    const view = new DataView(new SharedArrayBuffer(64));
    const delivery: CrossPartDelivery = { atMs: 1, to: 0, from: 1, order: 0, traffic: 'user', message: { kind: 'nodes', requestId: 1, closer: peers.slice(0, 20) }, bytes: null };
    assert.equal(writeRecord(view, 0, 64, delivery, directory), -1);
  });
});
