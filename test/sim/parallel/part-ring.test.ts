/**
 * The ring between two parts: records come out in the order they went in, whole, across many
 * wrap-arounds of the buffer; a full ring refuses a record instead of overwriting unread ones.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomId } from '../../../src/core/id.ts';
import { peerRef, type PeerRef } from '../../../src/core/peer.ts';
import type { PeerDirectory } from '../../../src/sim/parallel/part-records.ts';
import { createRingBuffer, PartRing } from '../../../src/sim/parallel/part-ring.ts';
import { Prng } from '../../../src/sim/prng.ts';
import type { CrossPartDelivery } from '../../../src/sim/world.ts';

const random = Prng.fromSeed(9);
const peers: PeerRef[] = Array.from({ length: 40 }, (_, i) => peerRef(randomId(random), String(i)));
const directory: PeerDirectory = {
  indexOf: (peer) => (peers[Number(peer.address)] === peer ? Number(peer.address) : -1),
  peerAt: (index) => peers[index],
};

/** Deliveries of varying size: PINGs, NODES of 0–20 contacts, and STOREs through the codec. */
function delivery(n: number): CrossPartDelivery {
  const kind = n % 3;
  const message = kind === 0
    ? { kind: 'ping' as const, requestId: n }
    : kind === 1
      ? { kind: 'nodes' as const, requestId: n, closer: peers.slice(0, n % 21) }
      : { kind: 'store' as const, requestId: n, key: randomId(random), value: new Uint8Array(n % 50), ttlMs: 1000 };
  return { atMs: n, to: 1, from: 0, order: n, traffic: 'user', message, bytes: null };
}

describe('PartRing', () => {
  it('hands out every record in order, across wrap-arounds', () => {
    const buffer = createRingBuffer(1000);
    const writer = new PartRing(buffer);
    const reader = new PartRing(buffer);
    const received: number[] = [];
    let next = 0;
    for (let round = 0; round < 300; round++) {
      // Write a burst until the ring is full or the burst ends, then read everything.
      const burst = 1 + (round % 9);
      for (let i = 0; i < burst && writer.tryWrite(delivery(next), directory); i++) next++;
      reader.drain(directory, (d) => {
        received.push(d.atMs);
        if (d.message?.kind === 'nodes') assert.equal(d.message.closer.length, d.atMs % 21);
        if (d.message === null) assert.ok(d.bytes !== null && d.bytes.length > 0);
      });
    }
    assert.ok(next > 1000, `${next} records went round a 1,000-byte ring`);
    assert.deepEqual(received, Array.from({ length: next }, (_, i) => i));
    assert.equal(reader.pending, false);
  });

  it('refuses a record when full, and takes it once the reader has read', () => {
    const buffer = createRingBuffer(400);
    const writer = new PartRing(buffer);
    const reader = new PartRing(buffer);
    let written = 0;
    while (writer.tryWrite(delivery(1), directory)) written++;
    assert.ok(written > 0 && written < 20);
    assert.equal(reader.pending, true);
    let read = 0;
    reader.drain(directory, () => read++);
    assert.equal(read, written);
    assert.equal(writer.tryWrite(delivery(1), directory), true);
  });
});
