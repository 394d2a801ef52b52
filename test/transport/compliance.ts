/**
 * The transport compliance suite: what every implementation of the Transport contract
 * (src/transport/transport.ts) must do, run against the libp2p transport and the simulated one
 * (js-libp2p's interface-compliance-tests are the model). A fixture hides how time passes: real
 * time on libp2p, the fabric's virtual clock in the simulator.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { idEquals, idFromBytes } from '../../src/core/id.ts';
import { Limits } from '../../src/core/limits.ts';
import type { Message } from '../../src/core/messages.ts';
import type { PeerRef } from '../../src/core/peer.ts';
import type { Transport } from '../../src/transport/transport.ts';

export interface TransportFixture {
  /** Starts `count` more transports, each unbound. */
  start(count: number): Promise<Transport[]>;
  /** Takes a transport's node off the network at once, as a crash would (its host stays up). */
  crash(transport: Transport): Promise<void>;
  /** Lets time pass until `condition` holds; fails after a generous bound. */
  settle(what: string, condition: () => boolean): Promise<void>;
  stop(): Promise<void>;
}

interface Recorder {
  readonly received: { from: PeerRef; message: Message }[];
  readonly undeliverable: { to: PeerRef; message: Message }[];
  /** Set while the test is inside a call to send: no handler may run then. */
  inSend: boolean;
  reentered: boolean;
}

function record(transport: Transport): Recorder {
  const recorder: Recorder = { received: [], undeliverable: [], inSend: false, reentered: false };
  transport.bind({
    onMessage: (from, message) => {
      if (recorder.inSend) recorder.reentered = true;
      recorder.received.push({ from, message });
    },
    onUndeliverable: (to, message) => {
      if (recorder.inSend) recorder.reentered = true;
      recorder.undeliverable.push({ to, message });
    },
    onPenalty: () => {},
  });
  return recorder;
}

function send(transport: Transport, recorders: readonly Recorder[], to: PeerRef, message: Message): void {
  for (const recorder of recorders) recorder.inSend = true;
  try {
    transport.send(to, message);
  } finally {
    for (const recorder of recorders) recorder.inSend = false;
  }
}

function pings(recorder: Recorder): number[] {
  return recorder.received.flatMap(({ message }) => (message.kind === 'ping' ? [message.requestId] : []));
}

export function transportCompliance(name: string, makeFixture: () => Promise<TransportFixture>): void {
  describe(`transport compliance: ${name}`, () => {
    let fixture: TransportFixture;
    before(async () => {
      fixture = await makeFixture();
    });
    after(() => fixture.stop());

    async function pair(): Promise<{ a: Transport; b: Transport; ra: Recorder; rb: Recorder }> {
      const [a, b] = await fixture.start(2);
      return { a, b, ra: record(a), rb: record(b) };
    }

    it('delivers a message once, naming the authenticated sender by id and address', async () => {
      const { a, b, ra, rb } = await pair();
      send(a, [ra, rb], b.self, { kind: 'ping', requestId: 11 });
      await fixture.settle('the ping', () => rb.received.length === 1);
      const [{ from, message }] = rb.received;
      assert.deepEqual(message, { kind: 'ping', requestId: 11 });
      assert.ok(idEquals(from, a.self));
      assert.equal(from.address, a.self.address);
      send(b, [ra, rb], from, { kind: 'pong', requestId: 11 });
      await fixture.settle('the pong', () => ra.received.length === 1);
      assert.deepEqual(ra.received[0].message, { kind: 'pong', requestId: 11 });
      assert.equal(rb.received.length, 1, 'delivered once');
      assert.equal(ra.reentered || rb.reentered, false, 'no handler ran inside send');
    });

    it('keeps the order of messages from one sender to one receiver', async () => {
      const { a, b, ra, rb } = await pair();
      for (let requestId = 1; requestId <= 100; requestId++) send(a, [ra, rb], b.self, { kind: 'ping', requestId });
      await fixture.settle('100 pings', () => rb.received.length === 100);
      assert.deepEqual(pings(rb), Array.from({ length: 100 }, (_, i) => i + 1));
    });

    it('carries the largest message intact', async () => {
      const { a, b, ra, rb } = await pair();
      const value = new Uint8Array(Limits.valueBytesMax);
      for (let i = 0; i < value.length; i++) value[i] = (i * 31) & 255;
      const key = idFromBytes(new Uint8Array(32).fill(7));
      send(a, [ra, rb], b.self, { kind: 'store', requestId: 5, key, value, ttlMs: 60_000 });
      await fixture.settle('the store', () => rb.received.length === 1);
      const message = rb.received[0].message;
      assert.equal(message.kind, 'store');
      if (message.kind !== 'store') return;
      assert.ok(idEquals(message.key, key));
      assert.deepEqual(message.value, value);
      assert.equal(message.ttlMs, 60_000);
    });

    it('reports a message to a node that is gone as undeliverable, after send returns', async () => {
      const { a, b, ra, rb } = await pair();
      await fixture.crash(b);
      send(a, [ra, rb], b.self, { kind: 'findNode', requestId: 3, target: b.self });
      await fixture.settle('the report', () => ra.undeliverable.length === 1);
      const [{ to, message }] = ra.undeliverable;
      assert.equal(to, b.self, 'the PeerRef given to send');
      assert.equal(message.kind, 'findNode');
      assert.equal(rb.received.length, 0);
      assert.equal(ra.reentered, false);
      assert.ok(a.stats().messagesDropped >= 1);
    });

    it('after close, sends are dropped and nothing reaches the closed transport', async () => {
      const [a, b, c] = await fixture.start(3);
      const [ra, rb, rc] = [record(a), record(b), record(c)];
      send(a, [ra, rb, rc], b.self, { kind: 'ping', requestId: 1 });
      await fixture.settle('the first ping', () => rb.received.length === 1);
      await b.close(100);
      const droppedBefore = b.stats().messagesDropped;
      send(b, [ra, rb, rc], c.self, { kind: 'ping', requestId: 2 });
      assert.equal(b.stats().messagesDropped, droppedBefore + 1);
      send(a, [ra, rb, rc], b.self, { kind: 'ping', requestId: 3 });
      send(a, [ra, rb, rc], c.self, { kind: 'ping', requestId: 4 });
      await fixture.settle('a ping to an open transport', () => rc.received.length === 1);
      assert.deepEqual(pings(rc), [4]);
      assert.deepEqual(pings(rb), [1], 'nothing after close');
    });

    it('counts what it sends and receives', async () => {
      const { a, b, ra, rb } = await pair();
      const sentBefore = a.stats().messagesSent;
      for (let requestId = 1; requestId <= 5; requestId++) send(a, [ra, rb], b.self, { kind: 'ping', requestId });
      await fixture.settle('5 pings', () => rb.received.length === 5);
      await fixture.settle('the counters', () => a.stats().messagesSent - sentBefore === 5 && b.stats().messagesReceived === 5);
      assert.ok(a.stats().bytesSent > 0);
      assert.ok(b.stats().bytesReceived > 0);
    });
  });
}
