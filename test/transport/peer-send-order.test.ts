/**
 * Responses to one peer in turn (peer-send-order.ts): at most N at once per peer, the rest in the
 * order they asked, other peers never held up, and a waiter that gives up leaves the line.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerSendOrder } from '../../src/transport/libp2p/request-response/peer-send-order.ts';

const never = new AbortController().signal;

describe('peer send order', () => {
  it('lets N responses to one peer go at once and the rest in the order they asked; other peers are not held up', async () => {
    const order = new PeerSendOrder(2);
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const ask = (peer: string, name: string): Promise<void> => order.turn(peer, never).then((release) => {
      started.push(name);
      releases.set(name, release);
    });
    const waiting = [ask('a', 'a1'), ask('a', 'a2'), ask('a', 'a3'), ask('a', 'a4'), ask('b', 'b1')];
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ['a1', 'a2', 'b1']);
    releases.get('a2')?.();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(started, ['a1', 'a2', 'b1', 'a3']);
    releases.get('a2')?.(); // a second release of the same turn changes nothing
    releases.get('a1')?.();
    await Promise.all(waiting);
    assert.deepEqual(started, ['a1', 'a2', 'b1', 'a3', 'a4']);
    for (const release of releases.values()) release();
    assert.equal(order.peersActive, 0, 'idle peers are forgotten');
  });

  it('a waiter whose request is cut leaves the line without taking a turn', async () => {
    const order = new PeerSendOrder(1);
    const first = await order.turn('a', never);
    const cut = new AbortController();
    const gaveUp = order.turn('a', cut.signal);
    const next = order.turn('a', never);
    cut.abort(new Error('the client went'));
    await assert.rejects(gaveUp, /the client went/);
    first();
    const release = await next;
    release();
    assert.equal(order.peersActive, 0);
    await assert.rejects(order.turn('a', AbortSignal.abort(new Error('already cut'))), /already cut/);
    assert.throws(() => new PeerSendOrder(0), RangeError);
  });
});
