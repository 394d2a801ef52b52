/**
 * DhtNode and silence: requests nobody answers, contacts that stop answering, lookups among the
 * dead, and the wake-up time a node asks its driver for. One node; nobody answers unless a test
 * answers for them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { randomId } from '../../src/core/id.ts';
import type { Message, Reply, Request } from '../../src/core/messages.ts';
import type { LookupDone } from '../../src/core/node-io.ts';
import type { PeerRef } from '../../src/core/peer.ts';
import { Prng } from '../../src/sim/prng.ts';
import { fcOptions } from './helpers.ts';
import { bytes, config, HandNet, isLookupDone, makeNode, meet, ofKind, randomPeers, replyTo, tickUntil } from './node-harness.ts';

const K = config().k;
const random = Prng.fromSeed(41);
const [self, a, b, c, d, e, f] = randomPeers(7, random);
const target = randomId(random);

function lookupDone(events: readonly { kind: string }[]): LookupDone | undefined {
  return events.find((event): event is LookupDone => event.kind === 'lookupDone');
}

/** A lookup among dead contacts, run to its end; returns its report. */
function deadLookup(overrides: Parameters<typeof config>[0] = {}, startMs = 100): { done: LookupDone; node: ReturnType<typeof makeNode> } {
  const node = makeNode(self, 3, overrides);
  meet(node, [a, b, c, d, e, f], 0);
  node.lookup(startMs, target);
  let done: LookupDone | undefined;
  while (done === undefined && node.nextWakeAtMs() < Infinity) {
    node.tick(node.nextWakeAtMs());
    done = lookupDone(node.takeEvents());
  }
  assert.ok(done, 'the lookup never finished');
  return { done, node };
}

describe('DhtNode timeouts', () => {
  for (const [rtoInitialMs, expectedTimeoutMs] of [[400, 1200], [200, 1000]] as const) {
    it(`a request nobody answers fails at max(requestTimeoutMinMs, requestTimeoutRtoMultiple × RTO) = ${expectedTimeoutMs} ms (RTO ${rtoInitialMs}), learnt by tick at nextWakeAtMs`, () => {
      const node = makeNode(self, 1, { rtoInitialMs, requestTimeoutRtoMultiple: 3, requestTimeoutMinMs: 1000 });
      meet(node, [a], 0);
      node.lookup(100, target);
      assert.equal(ofKind(node.takeMessages(), 'findNode').length, 1);
      // The peer is silent past one RTO (its soft deadline), but it is the only one to ask and
      // nobody has answered: the lookup waits for it ...
      assert.equal(node.nextWakeAtMs(), 100 + rtoInitialMs);
      node.tick(100 + rtoInitialMs);
      assert.equal(lookupDone(node.takeEvents()), undefined, 'the lookup waits past the soft deadline for its only contact');
      // ... until the request itself fails at its timeout, which ends the lookup.
      assert.equal(node.nextWakeAtMs(), 100 + expectedTimeoutMs);
      node.tick(100 + expectedTimeoutMs - 1);
      assert.equal(node.stats.requestsTimedOut, 0);
      assert.equal(node.table.find(a)?.failures, 0);
      node.tick(100 + expectedTimeoutMs);
      assert.equal(node.stats.requestsTimedOut, 1);
      assert.equal(node.table.find(a)?.failures, 1);
      assert.equal(node.pendingRequestCount, 0);
      const done = lookupDone(node.takeEvents());
      assert.ok(done, 'the lookup ends when its last request fails');
      assert.equal(done.finishedAtMs, 100 + expectedTimeoutMs);
      assert.deepEqual(done.closest, []);
    });
  }

  it('a contact that misses failuresToEvict requests in a row is evicted; hearing from it in between starts the count again', () => {
    const node = makeNode(self, 2, { failuresToEvict: 3 });
    meet(node, [a], 0);
    let now = 0;
    const missOne = (): void => {
      now += 10_000;
      node.lookup(now, target);
      now = tickUntil(node, now + 5_000).at(-1)?.atMs ?? now + 5_000;
      now += 5_000;
      tickUntil(node, now);
    };
    missOne();
    missOne();
    assert.equal(node.table.find(a)?.failures, 2);
    node.receive(now, a, { kind: 'ping', requestId: 1 });
    assert.equal(node.table.find(a)?.failures, 0, 'heard from: failures reset');
    missOne();
    missOne();
    assert.equal(node.table.find(a)?.failures, 2);
    assert.equal(node.table.has(a), true);
    missOne();
    assert.equal(node.table.has(a), false, 'evicted after the third failure in a row');
    assert.equal(node.stats.requestsTimedOut, 5);
  });

  it('a lookup whose contacts are all dead moves on at each soft deadline (one RTO per wave of α), starts again from the rest of the table when its k closest have failed, and ends when the last fails, long before lookupDurationMaxMs', () => {
    const { done } = deadLookup();
    const { k, alpha, rtoInitialMs, lookupDurationMaxMs, requestTimeoutMinMs, requestTimeoutRtoMultiple } = config();
    const contacts = 6;
    assert.equal(done.queries, contacts, 'asks the k closest contacts, then the others');
    assert.equal(done.answers, 0);
    assert.equal(done.hops, 0, 'nothing was found');
    assert.equal(done.startedAtMs, 100);
    const requestTimeoutMs = Math.max(requestTimeoutMinMs, requestTimeoutRtoMultiple * rtoInitialMs);
    // The k closest in waves of α, the last failing a request timeout after it left; then the other
    // contacts, at most α of them here, in one more wave.
    assert.ok(contacts - k <= alpha);
    assert.equal(done.finishedAtMs - done.startedAtMs, (k / alpha - 1) * rtoInitialMs + requestTimeoutMs + requestTimeoutMs);
    assert.ok(done.finishedAtMs - done.startedAtMs < lookupDurationMaxMs);
  });

  it('a lookup whose k closest contacts are dead starts again from the next ones, and one live contact there leads it on', () => {
    const net = new HandNet(10);
    const node = net.add(makeNode(self, 5));
    meet(node, [a, b, c, d, e, f], 0);
    const byDistance = node.table.closest(target, 6);
    const farthest = byDistance[5];
    net.respond(farthest, (_from, message) => (message.kind === 'findNode' ? replyTo(message) : null));
    const operationId = net.run(node, (n, now) => n.lookup(now, target));
    const done = net.runUntilEvent(node, isLookupDone(operationId), 60_000);
    assert.ok(done);
    assert.equal(done.answers, 1);
    const reported = done.closest.map((peer) => peer.address);
    assert.ok(reported.includes(farthest.address), JSON.stringify(reported));
    for (const dead of byDistance.slice(0, config().k)) assert.ok(!reported.includes(dead.address), 'the k closest failed');
    assert.equal(done.queries, 6, 'the k closest, then the two others');
  });

  it('the requests of a dead lookup still time out later, counting against each contact', () => {
    const { node } = deadLookup();
    tickUntil(node, 10_000);
    assert.equal(node.stats.requestsTimedOut, 6, 'every contact was asked once');
    const failing = [a, b, c, d, e, f].filter((peer) => node.table.find(peer)?.failures === 1);
    assert.equal(failing.length, 6);
  });

  it('lookupDone of a lookup among dead contacts counts them as failures', () => {
    const { done } = deadLookup();
    assert.equal(done.failures, done.queries);
  });

  it('a lookup nobody answered reports nothing found, consistently: hops 0 and no closest peers (LookupDone: "up to k closest live peers")', () => {
    const { done } = deadLookup();
    assert.equal(done.hops, 0);
    assert.deepEqual(done.closest, []);
  });

  it('lookupDone.closest keeps a silent contact closer than α answers but drops a silent one beyond them', () => {
    // The closest and the fourth closest contacts to the target are dead; the others answer, naming nobody.
    const net = new HandNet(10);
    const node = net.add(makeNode(self, 5));
    meet(node, [a, b, c, d, e, f], 0);
    const byDistance = node.table.closest(target, K);
    for (const peer of [byDistance[1], byDistance[2]]) net.respond(peer, (_from, message) => (message.kind === 'findNode' ? replyTo(message) : null));
    const operationId = net.run(node, (n, now) => n.lookup(now, target));
    const done = net.runUntilEvent(node, isLookupDone(operationId), 60_000);
    assert.ok(done);
    assert.equal(done.answers, 2);
    assert.deepEqual(
      done.closest.map((peer) => peer.address),
      [byDistance[0], byDistance[1], byDistance[2]].map((peer) => peer.address),
      'the silent closest stays (it may only be slow); the silent fourth, beyond α = 2 answers, goes',
    );
  });

  it('lookupDurationMaxMs bounds a lookup that soft deadlines alone would end later', () => {
    const { done } = deadLookup({ lookupDurationMaxMs: 1500 });
    assert.equal(done.finishedAtMs - done.startedAtMs, 1500);
    assert.ok(done.queries >= config().alpha);
  });
});

describe('DhtNode.nextWakeAtMs', () => {
  it('is Infinity for a node that has nothing scheduled: fresh, only serving requests, or gone', () => {
    const node = makeNode(self, 4);
    assert.equal(node.nextWakeAtMs(), Infinity);
    meet(node, [a, b], 0);
    node.receive(1, c, { kind: 'findNode', requestId: 1, target });
    assert.equal(node.nextWakeAtMs(), Infinity);
    node.join(2, []);
    assert.ok(Number.isFinite(node.nextWakeAtMs()), 'a joined node has maintenance to do');
    node.leave(3);
    assert.equal(node.nextWakeAtMs(), Infinity);
    assert.equal(node.pendingRequestCount, 0);
  });

  type Action =
    | { kind: 'request'; dtMs: number; peer: number; what: number }
    | { kind: 'reply'; dtMs: number; pick: number; how: number }
    | { kind: 'lookup' | 'get' | 'put' | 'join' | 'tick'; dtMs: number; peer: number };

  const dt = fc.oneof(
    { weight: 2, arbitrary: fc.constant(0) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 4000 }) },
    { weight: 3, arbitrary: fc.double({ min: 0, max: 50, noNaN: true }) },
    { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 120_000 }) },
  );
  const action: fc.Arbitrary<Action> = fc.oneof(
    fc.record({ kind: fc.constant('request' as const), dtMs: dt, peer: fc.nat(5), what: fc.nat(3) }),
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('reply' as const), dtMs: dt, pick: fc.nat(), how: fc.nat(5) }) },
    fc.record({ kind: fc.constantFrom('lookup' as const, 'get' as const, 'put' as const, 'join' as const, 'tick' as const), dtMs: dt, peer: fc.nat(5) }),
  );

  it('is never before the time of the call just made (after a tick, strictly after), and Infinity only when nothing is pending', () => {
    const peers = [a, b, c, d, e, f];
    fc.assert(
      fc.property(fc.array(action, { minLength: 10, maxLength: 60 }), fc.nat(1000), (actions, seed) => {
        const node = makeNode(self, seed, { neighbourhoodProbeIntervalMs: 30_000 });
        const targets = Prng.fromSeed(seed);
        const outstanding: { to: PeerRef; message: Request }[] = [];
        let now = 0;
        let joined = false;
        const check = (callMs: number, wasTick: boolean): void => {
          for (const out of node.takeMessages()) {
            if (out.message.kind === 'ping' || out.message.kind === 'findNode' || out.message.kind === 'findValue' || out.message.kind === 'store') {
              outstanding.push({ to: out.to, message: out.message });
            }
          }
          node.takeEvents();
          const wakeMs = node.nextWakeAtMs();
          if (wasTick) assert.ok(wakeMs > callMs, `after tick(${callMs}) the next wake is ${wakeMs}`);
          else assert.ok(wakeMs >= callMs, `after a call at ${callMs} the next wake is ${wakeMs}`);
          if (wakeMs === Infinity) {
            assert.equal(node.pendingRequestCount, 0, 'Infinity with requests in flight');
            assert.ok(!joined, 'a joined node always has maintenance scheduled');
          }
        };
        for (const step of actions) {
          const atMs = now + step.dtMs;
          for (let wakeMs = node.nextWakeAtMs(); wakeMs <= atMs; wakeMs = node.nextWakeAtMs()) {
            now = Math.max(now, wakeMs);
            node.tick(now);
            check(now, true);
          }
          now = atMs;
          switch (step.kind) {
            case 'request': {
              const key = randomId(targets);
              const requests: Message[] = [
                { kind: 'ping', requestId: 1 },
                { kind: 'findNode', requestId: 2, target: key },
                { kind: 'findValue', requestId: 3, key },
                { kind: 'store', requestId: 4, key, value: bytes('v'), ttlMs: 90_000 },
              ];
              node.receive(now, peers[step.peer], requests[step.what]);
              break;
            }
            case 'reply': {
              if (outstanding.length === 0) break;
              const [request] = outstanding.splice(step.pick % outstanding.length, 1);
              const named = [peers[step.pick % peers.length], peers[(step.pick + 1) % peers.length]];
              let reply: Reply = replyTo(request.message, named);
              if (step.how === 1 && request.message.kind === 'findValue') reply = { kind: 'value', requestId: request.message.requestId, value: bytes('v'), ttlMs: 80_000 };
              if (step.how === 2) reply = { kind: 'pong', requestId: request.message.requestId };
              const from = step.how === 3 ? peers[(peers.indexOf(request.to) + 1) % peers.length] : request.to;
              if (step.how === 4) break; // never answered
              node.receive(now, from, reply);
              break;
            }
            case 'lookup':
              node.lookup(now, randomId(targets));
              break;
            case 'get':
              node.get(now, randomId(targets));
              break;
            case 'put':
              node.put(now, randomId(targets), bytes('p'), 120_000);
              break;
            case 'join':
              node.join(now, peers.slice(0, step.peer));
              joined = true;
              break;
            case 'tick':
              node.tick(now);
              check(now, true);
              continue;
          }
          check(now, false);
        }
        node.leave(now);
        assert.equal(node.nextWakeAtMs(), Infinity);
        assert.equal(node.pendingRequestCount, 0);
      }),
      fcOptions(0x7a11, 150),
    );
  });
});
