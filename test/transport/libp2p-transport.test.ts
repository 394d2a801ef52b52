/**
 * The libp2p transport on loopback: messages arrive with the sender authenticated and its kernel id
 * derived from its key; hostile bytes reset the stream, are reported, and harm nobody else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { idEquals, idFromBytes, idToHex } from '../../src/core/id.ts';
import type { Message } from '../../src/core/messages.ts';
import { peerRef } from '../../src/core/peer.ts';
import { encodeMessage } from '../../src/wire/codec.ts';
import { encodeFrame } from '../../src/transport/libp2p/frames.ts';
import { kernelIdOfPeerId } from '../../src/transport/libp2p/kernel-id.ts';
import { peerRefFromAddress } from '../../src/transport/libp2p/peer-address.ts';
import { KAD_PROTOCOL } from '../../src/transport/libp2p/protocol.ts';
import { waitFor } from '../support/wait-for.ts';
import { openRawStream, startRawLibp2p, startTestTransport, stopTestTransports, streamClosed, type TestTransport } from './libp2p-harness.ts';

const textEncoder = new TextEncoder();

function ping(requestId: number): Message {
  return { kind: 'ping', requestId };
}

describe('libp2p transport', () => {
  let alice: TestTransport;
  let bob: TestTransport;
  let mallory: TestTransport;

  before(async () => {
    [alice, bob, mallory] = await Promise.all([startTestTransport(), startTestTransport(), startTestTransport()]);
  });
  after(() => stopTestTransports([alice, bob, mallory]));

  function helloFrom(node: TestTransport): Uint8Array {
    return encodeFrame(textEncoder.encode(node.transport.self.address));
  }

  /** Bob still takes messages from someone else: the node keeps serving. */
  async function bobStillServes(requestId: number): Promise<void> {
    alice.transport.send(bob.transport.self, ping(requestId));
    await waitFor('a ping after the attack', () => bob.inbox.some(({ message }) => message.kind === 'ping' && message.requestId === requestId));
  }

  it('names itself by the SHA-256 of its key and its listen address', () => {
    const self = alice.transport.self;
    assert.ok(idEquals(self, kernelIdOfPeerId(alice.libp2p.peerId) ?? assert.fail()));
    assert.equal(self.address, `${alice.libp2p.peerId} ${alice.libp2p.getMultiaddrs()[0].decapsulateCode(421)}`);
  });

  it('delivers messages in order, with the authenticated sender and its address', async () => {
    for (let requestId = 1; requestId <= 50; requestId++) alice.transport.send(bob.transport.self, ping(requestId));
    await waitFor('50 pings', () => bob.inbox.length >= 50);
    assert.deepEqual(bob.inbox.map(({ message }) => message), Array.from({ length: 50 }, (_, index) => ping(index + 1)));
    const from = bob.inbox[0].from;
    assert.equal(idToHex(from), idToHex(alice.transport.self));
    assert.equal(from.address, alice.transport.self.address);
    // The answer goes back on Bob's own link, to the address the hello gave.
    bob.transport.send(from, { kind: 'pong', requestId: 1 });
    await waitFor('the pong', () => alice.inbox.some(({ message }) => message.kind === 'pong'));
    assert.equal(alice.transport.stats().messagesSent, 50);
    assert.equal(bob.transport.stats().messagesReceived >= 50, true);
    bob.inbox.length = 0;
    alice.inbox.length = 0;
  });

  it('carries the largest message the codec allows', async () => {
    const value = new Uint8Array(64 * 1024).fill(42);
    alice.transport.send(bob.transport.self, { kind: 'store', requestId: 9, key: alice.transport.self, value, ttlMs: 1000 });
    await waitFor('the store', () => bob.inbox.some(({ message }) => message.kind === 'store'));
    const stored = bob.inbox.find(({ message }) => message.kind === 'store')?.message;
    assert.ok(stored?.kind === 'store' && stored.value.length === value.length);
    bob.inbox.length = 0;
  });

  it('does not send to a PeerRef whose id does not match its address key', async () => {
    const forged = peerRef(idFromBytes(new Uint8Array(32).fill(1)), bob.transport.self.address);
    const droppedBefore = alice.transport.stats().messagesDropped;
    alice.transport.send(forged, ping(77));
    assert.equal(alice.transport.stats().messagesDropped, droppedBefore + 1);
    assert.equal(alice.undeliverable.length, 0, 'reported after send returns, not from inside it');
    await waitFor('the report', () => alice.undeliverable.some(({ message }) => message.kind === 'ping' && message.requestId === 77));
    assert.equal(alice.undeliverable.find(({ message }) => message.kind === 'ping' && message.requestId === 77)?.to, forged);
  });

  it('counts a failed dial and drops what was queued, without throwing', async () => {
    const dead = peerRef(mallory.transport.self, `${mallory.libp2p.peerId} /ip4/127.0.0.1/tcp/1`);
    const before = alice.transport.stats();
    alice.transport.send(dead, ping(1));
    await waitFor('the dial failure', () => alice.transport.stats().dialFailures > before.dialFailures);
    assert.equal(alice.transport.stats().messagesDropped, before.messagesDropped + 1);
    await waitFor('the report', () => alice.undeliverable.some(({ to }) => to === dead));
  });

  it('resets a stream carrying an undecodable message, reports the sender, and keeps serving', async () => {
    const stream = await openRawStream(mallory.libp2p, bob.libp2p);
    stream.send(helloFrom(mallory));
    stream.send(encodeFrame(Uint8Array.of(1, 200, 0, 0)));
    assert.deepEqual(await streamClosed(stream), { reset: true });
    await waitFor('the penalty', () => bob.penalties.length > 0);
    const penalty = bob.penalties.shift() ?? assert.fail();
    assert.equal(penalty.remote, mallory.libp2p.peerId.toString());
    assert.ok(idEquals(penalty.id ?? assert.fail(), mallory.transport.self));
    assert.match(penalty.reason, /^undecodable message/);
    assert.equal(bob.inbox.length, 0);
    await bobStillServes(1001);
    // Mallory is not banned: a well-formed stream from her is served again.
    mallory.transport.send(bob.transport.self, ping(1002));
    await waitFor('Mallory\'s ping', () => bob.inbox.some(({ from, message }) => message.kind === 'ping' && message.requestId === 1002 && idEquals(from, mallory.transport.self)));
    bob.inbox.length = 0;
  });

  it('resets a stream announcing an oversized frame before reading its body', async () => {
    const stream = await openRawStream(mallory.libp2p, bob.libp2p);
    stream.send(helloFrom(mallory));
    stream.send(Uint8Array.of(0xff, 0xff, 0x7f));
    assert.deepEqual(await streamClosed(stream), { reset: true });
    await waitFor('the penalty', () => bob.penalties.length > 0);
    assert.match(bob.penalties.shift()?.reason ?? '', /exceeds the cap of 73728/);
    await bobStillServes(1003);
  });

  it('resets a stream whose hello names another peer, or is no address', async () => {
    for (const hello of [helloFrom(alice), encodeFrame(textEncoder.encode('hello')), encodeFrame(Uint8Array.of(0xff, 0xfe))]) {
      const stream = await openRawStream(mallory.libp2p, bob.libp2p);
      stream.send(hello);
      stream.send(encodeFrame(encodeMessage(ping(5))));
      assert.deepEqual(await streamClosed(stream), { reset: true });
      await waitFor('the penalty', () => bob.penalties.length > 0);
      assert.match(bob.penalties.shift()?.reason ?? '', /hello/);
    }
    assert.ok(!bob.inbox.some(({ message }) => message.kind === 'ping' && message.requestId === 5));
  });

  it('drops a nodes reply naming a contact whose id does not match its key', async () => {
    const forged = peerRef(idFromBytes(new Uint8Array(32).fill(3)), alice.transport.self.address);
    const stream = await openRawStream(mallory.libp2p, bob.libp2p);
    stream.send(helloFrom(mallory));
    stream.send(encodeFrame(encodeMessage({ kind: 'nodes', requestId: 4, closer: [alice.transport.self, forged] })));
    assert.deepEqual(await streamClosed(stream), { reset: true });
    await waitFor('the penalty', () => bob.penalties.length > 0);
    assert.equal(bob.penalties.shift()?.reason, 'nodes contact 1: kernel id does not match the peer id key');
    assert.ok(!bob.inbox.some(({ message }) => message.kind === 'nodes'));
    await bobStillServes(1004);
  });

  it('resets a peer that writes back on a stream it may only read', async () => {
    const rogue = await startRawLibp2p();
    try {
      await rogue.handle(KAD_PROTOCOL, (stream) => {
        stream.send(encodeFrame(encodeMessage(ping(1))));
      });
      const rogueRef = peerRefFromAddress({ peerId: rogue.peerId, multiaddrs: rogue.getMultiaddrs() });
      assert.ok(rogueRef.ok);
      const linksBefore = alice.transport.stats().linksOpen;
      alice.transport.send(rogueRef.value, ping(8));
      await waitFor('the penalty', () => alice.penalties.length > 0);
      const penalty = alice.penalties.shift() ?? assert.fail();
      assert.equal(penalty.remote, rogue.peerId.toString());
      assert.equal(penalty.reason, 'wrote on a stream it may only read');
      await waitFor('the link to close', () => alice.transport.stats().linksOpen === linksBefore);
    } finally {
      await rogue.stop();
    }
  });
});
