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
import { asFloat32 } from '../../../src/core/vivaldi.ts';
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

  it('carry coordinates in the compact forms, and through the codec otherwise, unchanged', () => {
    // A node holds only coordinates that float32 represents exactly (core/vivaldi.ts, asFloat32).
    const near = asFloat32({ x: 0.1, y: -1 / 3, height: Math.PI, error: 0.7 });
    const far = asFloat32({ x: 120.5, y: 2 / 7, height: 5.25, error: 0.3 });
    const stranger = peerRef(randomId(random), '999');
    const compact: Message[] = [
      { kind: 'ping', requestId: 1, coordinate: near },
      { kind: 'pong', requestId: 2, coordinate: far },
      { kind: 'findNode', requestId: 3, target: randomId(random), coordinate: near },
      { kind: 'nodes', requestId: 4, closer: peers.slice(0, 3), coordinate: far, closerCoordinates: [near, null, far] },
      // A coordinate without the contacts' stays without them.
      { kind: 'nodes', requestId: 5, closer: peers.slice(0, 2), coordinate: near },
    ];
    const plain = roundTrip({ kind: 'nodes', requestId: 4, closer: peers.slice(0, 3) }).length;
    for (const message of compact) {
      const { delivery, length, written } = roundTrip(message);
      assert.equal(length, written);
      assert.deepEqual(delivery.message, message, message.kind);
      assert.equal(delivery.bytes, null, 'no codec');
    }
    // Sixteen bytes for the sender's coordinate, a count, and a byte and sixteen per known contact.
    assert.equal(roundTrip(compact[3]).length, plain + 16 + 2 + 3 + 2 * 16);
    const encoded: Message[] = [
      { kind: 'nodes', requestId: 6, closer: [peers[0], stranger], coordinate: near, closerCoordinates: [null, far] },
      { kind: 'store', requestId: 8, key: randomId(random), value: new Uint8Array([9]), ttlMs: 1_000, coordinate: far },
    ];
    for (const message of encoded) {
      const { delivery } = roundTrip(message);
      assert.equal(delivery.message, null);
      const decoded = decodeMessage(delivery.bytes as Uint8Array);
      assert.ok(decoded.ok);
      assert.deepEqual(decoded.message.kind === 'leave' ? null : decoded.message.coordinate, message.kind === 'leave' ? null : message.coordinate);
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
