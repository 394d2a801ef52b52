/**
 * The swarm scheduler, one rule at a time, driven by hand: pipelining caps, rarest first, the
 * choice of holder, the endgame and its cancels, what each outcome does to a peer and a block,
 * timeouts, stuck blocks, stale outcomes and the bounds on memory.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SwarmScheduler, TIMEOUT_REASON, type SwarmRequest } from '../../../../src/services/storage/exchange/swarm-scheduler.ts';
import type { SwarmConfig } from '../../../../src/services/storage/exchange/swarm-config.ts';

const BLOCK = 256 * 1024;

/** A scheduler whose peers get their full pipeline from the start (the unmeasured-peer cap has its own test). */
function scheduler(config: Partial<SwarmConfig> = {}): SwarmScheduler {
  return new SwarmScheduler({ inFlightPerUnmeasuredPeerMax: config.inFlightPerPeerMax ?? 8, ...config });
}

function wantAll(swarm: SwarmScheduler, count: number, holders: readonly string[], prefix = 'b'): string[] {
  const names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  for (const name of names) assert.ok(swarm.want(name, holders, BLOCK));
  return names;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items) out.set(key(item), (out.get(key(item)) ?? 0) + 1);
  return out;
}

function peerStats(swarm: SwarmScheduler, peer: string) {
  const stats = swarm.peers().find((p) => p.peer === peer);
  assert.ok(stats, `no stats for ${peer}`);
  return stats;
}

describe('pipelining: the caps on requests in flight', () => {
  it('hands out up to inFlightPerPeerMax per peer, spread over the holders', () => {
    const swarm = scheduler();
    wantAll(swarm, 100, ['a', 'b', 'c']);
    const first = swarm.nextRequests(0);
    assert.equal(first.length, 24);
    assert.deepEqual([...countBy(first, (r) => r.peer)], [['a', 8], ['b', 8], ['c', 8]]);
    // Unmeasured holders are equal, so fewer in flight decides: round robin, blocks in the order wanted.
    assert.deepEqual(first.slice(0, 4).map((r) => `${r.peer}:${r.block}`), ['a:b0', 'b:b1', 'c:b2', 'a:b3']);
    assert.equal(new Set(first.map((r) => r.requestId)).size, 24);
    assert.deepEqual(swarm.nextRequests(0), [], 'every holder is at its cap');
    assert.equal(swarm.progress().inFlight, 24);

    swarm.delivered(first[1].requestId, 300, BLOCK);
    const next = swarm.nextRequests(300);
    assert.equal(next.length, 1);
    assert.equal(next[0].peer, 'b');
    assert.equal(next[0].block, 'b24');
  });

  it('asks the nearest of equally good holders first (nearest-replica choice), ignoring hints that are no RTT', () => {
    const swarm = scheduler();
    assert.ok(swarm.want('only', ['far', 'near', 'unknown'], BLOCK));
    swarm.setRttHint('far', 180);
    swarm.setRttHint('near', 12);
    swarm.setRttHint('unknown', Number.NaN);
    swarm.setRttHint('nobody', 1);
    assert.deepEqual(swarm.nextRequests(0).map((r) => r.peer), ['near'], 'one block, asked of the nearest holder');
    const spread = scheduler();
    wantAll(spread, 3, ['far', 'near']);
    spread.setRttHint('far', 180);
    spread.setRttHint('near', 12);
    assert.deepEqual(spread.nextRequests(0).slice(0, 2).map((r) => r.peer), ['near', 'far'], 'then the load still spreads');
  });

  it('hands out at most inFlightMax in all', () => {
    const swarm = scheduler({ inFlightMax: 10 });
    wantAll(swarm, 100, ['a', 'b', 'c']);
    assert.equal(swarm.nextRequests(0).length, 10);
    assert.deepEqual(swarm.nextRequests(1), []);
  });

  it('counts the blocks waiting to be asked for: none once every one is in flight', () => {
    const swarm = scheduler({ inFlightPerPeerMax: 2 });
    wantAll(swarm, 5, ['a']);
    assert.equal(swarm.blocksWaiting(), 5);
    const requests = swarm.nextRequests(0);
    assert.equal(requests.length, 2);
    assert.equal(swarm.blocksWaiting(), 3);
    swarm.failed(requests[0].requestId, 1, 'reset');
    assert.equal(swarm.blocksWaiting(), 4, 'a failed request puts its block back');
    for (let step = 2; swarm.blocksWaiting() > 0; step++) {
      for (const request of swarm.nextRequests(step)) swarm.delivered(request.requestId, step + 0.5, BLOCK);
    }
    assert.equal(swarm.blocksWaiting(), 0);
  });

  it('never asks for more than there is: a block with one holder is asked once', () => {
    const swarm = scheduler({ endgameCopiesMax: 1 });
    wantAll(swarm, 3, ['a']);
    assert.equal(swarm.nextRequests(0).length, 3);
    assert.deepEqual(swarm.nextRequests(10_000), []);
  });
});

describe('rarest first (Cohen 2003, "Rarest First")', () => {
  it('asks for the block with the fewest usable holders first, ties in the order wanted', () => {
    const swarm = scheduler({ inFlightMax: 1 });
    swarm.want('common-1', ['a', 'b', 'c']);
    swarm.want('rare', ['c']);
    swarm.want('common-2', ['a', 'b', 'c']);
    swarm.want('uncommon', ['a', 'b']);
    swarm.want('rare-later', ['b']);
    const order: string[] = [];
    for (let step = 0; step < 5; step++) {
      const [request] = swarm.nextRequests(step);
      order.push(request.block);
      swarm.delivered(request.requestId, step + 0.5, BLOCK);
    }
    assert.deepEqual(order, ['rare', 'rare-later', 'uncommon', 'common-1', 'common-2']);
    assert.ok(swarm.isDone());
  });

  it('skips a rare block whose holders are all busy and asks for the next one', () => {
    const swarm = scheduler({ inFlightPerPeerMax: 1 });
    swarm.want('x', ['a']);
    swarm.want('y', ['a']);
    swarm.want('z', ['a', 'b']);
    const requests = swarm.nextRequests(0);
    assert.deepEqual(requests.map((r) => `${r.peer}:${r.block}`), ['a:x', 'b:z']);
  });

  it('re-ranks blocks when a peer is avoided: its blocks become rarer', () => {
    const swarm = scheduler({ inFlightMax: 1, endgameCopiesMax: 1 });
    swarm.want('first', ['liar', 'a']);
    swarm.want('ab', ['a', 'b']);
    swarm.want('liar-a', ['liar', 'a']);
    const [request] = swarm.nextRequests(0);
    assert.equal(request.block, 'first');
    assert.equal(request.peer, 'liar');
    swarm.invalid(request.requestId, 1, 'hash mismatch');
    // Now 'first' and 'liar-a' have one usable holder, 'ab' two.
    const order: string[] = [];
    for (let step = 2; !swarm.isDone(); step++) {
      const [next] = swarm.nextRequests(step);
      order.push(next.block);
      assert.equal(next.peer === 'liar', false);
      swarm.delivered(next.requestId, step + 0.5, BLOCK);
    }
    assert.deepEqual(order, ['first', 'liar-a', 'ab']);
  });

  it('takes blocks wanted while the download runs, as a DAG walk finds them', () => {
    const swarm = scheduler();
    swarm.want('root', ['a'], 100);
    const [root] = swarm.nextRequests(0);
    swarm.delivered(root.requestId, 10, 100);
    assert.ok(swarm.isDone());
    swarm.want('child-0', ['a', 'b']);
    swarm.want('child-1', ['b']);
    assert.equal(swarm.isDone(), false);
    const children = swarm.nextRequests(11);
    assert.deepEqual(children.map((r) => r.block).sort(), ['child-0', 'child-1']);
    assert.equal(swarm.progress().blocksWanted, 3);
  });
});

describe('the holder expected to deliver soonest', () => {
  function deliverAt(swarm: SwarmScheduler, request: SwarmRequest, nowMs: number): void {
    swarm.delivered(request.requestId, nowMs, BLOCK);
  }

  it('prefers the measured faster holder', () => {
    const swarm = scheduler({ inFlightPerPeerMax: 16, inFlightMax: 2 });
    wantAll(swarm, 20, ['slow', 'fast']);
    const [toSlow, toFast] = swarm.nextRequests(0);
    assert.equal(toSlow.peer, 'slow');
    assert.equal(toFast.peer, 'fast');
    deliverAt(swarm, toFast, 26); // about 10 MB/s
    deliverAt(swarm, toSlow, 262); // about 1 MB/s
    assert.ok(peerStats(swarm, 'fast').rateBytesPerMs > 9 * peerStats(swarm, 'slow').rateBytesPerMs);
    // Even with one request queued, the fast holder is expected sooner: (1+1)·26 ms < 262 ms.
    assert.deepEqual(swarm.nextRequests(262).map((r) => r.peer), ['fast', 'fast']);
  });

  it('credits a holder never measured with the best measured rate, so it gets tried', () => {
    const swarm = scheduler();
    swarm.want('m', ['fast']);
    const [measure] = swarm.nextRequests(0);
    swarm.delivered(measure.requestId, 26, BLOCK); // about 10 MB/s
    swarm.want('p', ['fast', 'newcomer']);
    swarm.want('q', ['fast', 'newcomer']);
    // p: a tie (26 ms each), the first holder wins. q: fast would need (1+1)·26 ms, the newcomer
    // (credited with fast's rate) 26 ms; at the initial 1 MB/s guess it would have needed 262 ms.
    assert.deepEqual(swarm.nextRequests(26).map((r) => `${r.peer}:${r.block}`), ['fast:p', 'newcomer:q']);
  });

  it('uses the size hint, else the mean size delivered but never less than the default, for the estimate and the timeout', () => {
    const swarm = scheduler();
    swarm.want('small', ['a'], 1000);
    const [small] = swarm.nextRequests(0);
    assert.equal(swarm.nextWakeAtMs(), 5000, 'small and unmeasured: the minimum timeout');
    swarm.delivered(small.requestId, 10, 1000);
    swarm.want('unknown', ['b']);
    swarm.nextRequests(10);
    // b unmeasured: timeout at the floor rate (64 B/ms) for a default-sized block (256 KiB), not for
    // the 1,000 B manifest delivered first: 4 × 262,144 / 64 = 16,384 ms.
    const unknownDeadline = 10 + (4 * BLOCK) / 64;
    assert.equal(swarm.nextWakeAtMs(), unknownDeadline);
    swarm.want('big', ['c'], 4 * 1024 * 1024);
    swarm.nextRequests(20);
    const cRequestDeadline = 20 + Math.min(120_000, (4 * 4 * 1024 * 1024) / 64);
    assert.equal(swarm.nextWakeAtMs(), unknownDeadline);
    swarm.tick(unknownDeadline);
    assert.equal(swarm.nextWakeAtMs(), cRequestDeadline);
  });

  /** Both measured: slow at 100 B/ms (2,621 ms a block), then fast at about 10 MB/s, delivering at 2,647 ms. */
  function measuredPair(): SwarmScheduler {
    const swarm = scheduler({ inFlightPerPeerMax: 2 });
    swarm.want('ms', ['slow'], BLOCK);
    deliverAt(swarm, swarm.nextRequests(0)[0], 2621);
    swarm.want('mf', ['fast'], BLOCK);
    deliverAt(swarm, swarm.nextRequests(2621)[0], 2647);
    return swarm;
  }

  it('near the end, a block waits for a faster holder whose pipeline is full instead of going to a much slower free one', () => {
    // Four blocks left: about 100 ms of work at the two holders' summed rate, and the slow one
    // would need 2,621 ms for one. The fast one takes two; the others wait for its next slot.
    const nearEnd = measuredPair();
    wantAll(nearEnd, 4, ['fast', 'slow']);
    assert.deepEqual(nearEnd.nextRequests(2647).map((r) => r.peer), ['fast', 'fast']);
    // A long download still puts the slow holder to work: the download outlasts its block.
    const long = measuredPair();
    wantAll(long, 400, ['fast', 'slow']);
    assert.deepEqual(long.nextRequests(2647).map((r) => r.peer), ['fast', 'fast', 'slow', 'slow']);
    // A full holder that has stopped delivering (nothing for more than twice its time a block) is
    // not waited for.
    assert.deepEqual(nearEnd.nextRequests(2647 + 2 * 26 + 10).map((r) => r.peer), ['slow', 'slow']);
  });
});

describe('endgame (Cohen 2003, "Endgame Mode")', () => {
  it('asks a second holder for a block in flight once nothing is left to hand out, and cancels the spare copy', () => {
    const swarm = scheduler();
    swarm.want('only', ['a', 'b'], BLOCK);
    const [first] = swarm.nextRequests(0);
    assert.equal(first.peer, 'a');
    // Both unmeasured: b would not be expected sooner than a, so no copy yet.
    assert.deepEqual(swarm.nextRequests(100), []);
    // a is overdue against its expected time (262 ms at the initial 1 MB/s): b is asked too.
    const [copy] = swarm.nextRequests(300);
    assert.deepEqual({ peer: copy.peer, block: copy.block }, { peer: 'b', block: 'only' });
    assert.deepEqual(swarm.nextRequests(301), [], 'at most endgameCopiesMax = 2 copies');
    assert.equal(swarm.progress().inFlight, 2);

    swarm.delivered(copy.requestId, 400, BLOCK);
    assert.deepEqual(swarm.takeCancels(), [first.requestId]);
    assert.deepEqual(swarm.takeCancels(), []);
    assert.equal(swarm.progress().inFlight, 0);
    // The cancelled copy's late answer is ignored.
    swarm.delivered(first.requestId, 500, BLOCK);
    swarm.invalid(first.requestId, 500, 'late junk');
    assert.deepEqual(swarm.progress(), { blocksWanted: 1, blocksDone: 1, bytesDone: BLOCK, inFlight: 0 });
    assert.deepEqual(swarm.takePenalties(), []);
    assert.ok(swarm.isDone());
  });

  it('duplicates the blocks held up by a slow holder onto a faster one', () => {
    const swarm = scheduler({ inFlightPerPeerMax: 2 });
    wantAll(swarm, 4, ['slow', 'fast']);
    const initial = swarm.nextRequests(0);
    assert.deepEqual(initial.map((r) => `${r.peer}:${r.block}`), ['slow:b0', 'fast:b1', 'slow:b2', 'fast:b3']);
    // The fast holder delivers both of its blocks quickly; the slow one nothing yet.
    swarm.delivered(initial[1].requestId, 20, BLOCK);
    swarm.delivered(initial[3].requestId, 40, BLOCK);
    // Everything is in flight and fast has room: the slow holder's blocks are asked of fast too.
    const copies = swarm.nextRequests(40);
    assert.deepEqual(copies.map((r) => `${r.peer}:${r.block}`).sort(), ['fast:b0', 'fast:b2']);
    swarm.delivered(copies[0].requestId, 60, BLOCK);
    swarm.delivered(copies[1].requestId, 80, BLOCK);
    assert.deepEqual(swarm.takeCancels().sort(), [initial[0].requestId, initial[2].requestId].sort());
    assert.ok(swarm.isDone());
    assert.equal(peerStats(swarm, 'slow').inFlight, 0);
  });

  it('respects endgameCopiesMax: 1 turns the endgame off, 3 allows three distinct holders', () => {
    for (const [copiesMax, expected] of [[1, 1], [2, 2], [3, 3]] as const) {
      const swarm = scheduler({ endgameCopiesMax: copiesMax });
      swarm.want('x', ['a', 'b', 'c', 'd']);
      const peers: string[] = [];
      for (let nowMs = 0; nowMs < 20_000; nowMs += 1000) for (const request of swarm.nextRequests(nowMs)) peers.push(request.peer);
      assert.equal(peers.length, expected);
      assert.equal(new Set(peers).size, expected, 'copies go to distinct holders');
    }
  });
});

describe('outcomes', () => {
  it('invalid: the peer is penalised once, avoided for every block, its other requests cancelled, the block asked elsewhere', () => {
    const swarm = scheduler();
    wantAll(swarm, 6, ['liar', 'good']);
    const requests = swarm.nextRequests(0);
    const liars = requests.filter((r) => r.peer === 'liar');
    assert.equal(liars.length, 3);
    swarm.invalid(liars[0].requestId, 10, 'sha-256 mismatch');
    assert.deepEqual(swarm.takePenalties(), [{ peer: 'liar', reason: 'sha-256 mismatch' }]);
    assert.deepEqual(swarm.takeCancels(), [liars[1].requestId, liars[2].requestId]);
    // Its other requests were cancelled: their outcomes (even bad ones) are ignored, no second penalty.
    swarm.invalid(liars[1].requestId, 11, 'again');
    assert.deepEqual(swarm.takePenalties(), []);
    const again = swarm.nextRequests(12);
    assert.deepEqual(again.map((r) => r.peer), ['good', 'good', 'good']);
    assert.deepEqual(again.map((r) => r.block).sort(), liars.map((r) => r.block).sort());
    const stats = peerStats(swarm, 'liar');
    assert.equal(stats.avoided, true);
    assert.equal(stats.penalised, true);
    assert.equal(stats.inFlight, 0);
    assert.equal(swarm.reinstate('liar'), false, 'a penalised peer stays avoided');
    swarm.want('new', ['liar', 'good']);
    assert.ok(swarm.nextRequests(13).every((r) => r.peer !== 'liar'));
  });

  it('notFound: the peer stops being a holder of that block only', () => {
    const swarm = scheduler({ inFlightPerPeerMax: 1 });
    swarm.want('x', ['a', 'b']);
    const [aForX] = swarm.nextRequests(0);
    assert.deepEqual([aForX.peer, aForX.block], ['a', 'x']);
    swarm.want('y', ['a']);
    swarm.notFound(aForX.requestId, 5);
    assert.equal(swarm.addHolders('x', ['a']), 0, 'a said it lacks x: not added back');
    const next = swarm.nextRequests(6);
    assert.deepEqual(next.map((r) => `${r.peer}:${r.block}`), ['b:x', 'a:y']);
    assert.equal(peerStats(swarm, 'a').avoided, false);
    assert.equal(peerStats(swarm, 'a').failures, 0);
  });

  it('notFound from every holder leaves the block stuck; addHolders brings it back', () => {
    const swarm = scheduler();
    swarm.want('x', ['a']);
    const [request] = swarm.nextRequests(0);
    swarm.notFound(request.requestId, 1);
    assert.deepEqual(swarm.stuck(), ['x']);
    assert.deepEqual(swarm.nextRequests(2), []);
    assert.equal(swarm.addHolders('x', ['b', 'b']), 1);
    assert.deepEqual(swarm.stuck(), []);
    assert.deepEqual(swarm.nextRequests(3).map((r) => r.peer), ['b']);
  });

  it('failed: after failuresBeforeAvoidMax in a row the peer is avoided; an answer in between resets the run', () => {
    const swarm = scheduler({ inFlightPerPeerMax: 1, endgameCopiesMax: 1 });
    wantAll(swarm, 10, ['flaky']);
    const ask = (nowMs: number): SwarmRequest => {
      const [request] = swarm.nextRequests(nowMs);
      assert.ok(request, `a request at ${nowMs}`);
      return request;
    };
    swarm.failed(ask(0).requestId, 1, 'stream reset');
    swarm.failed(ask(1).requestId, 2, 'refused: busy');
    swarm.delivered(ask(2).requestId, 3, BLOCK);
    swarm.failed(ask(3).requestId, 4, 'stream reset');
    swarm.failed(ask(4).requestId, 5, 'stream reset');
    assert.equal(peerStats(swarm, 'flaky').avoided, false);
    swarm.failed(ask(5).requestId, 6, 'stream reset');
    const stats = peerStats(swarm, 'flaky');
    assert.equal(stats.avoided, true);
    assert.equal(stats.failures, 5);
    assert.equal(stats.lastFailure, 'stream reset');
    assert.equal(stats.penalised, false);
    assert.deepEqual(swarm.takePenalties(), [], 'failing is not cheating');
    assert.deepEqual(swarm.nextRequests(7), []);
    assert.equal(swarm.stuck().length, 9);
    // The caller's network came back: the peer may be asked again.
    assert.equal(swarm.reinstate('flaky'), true);
    assert.deepEqual(swarm.stuck(), []);
    assert.equal(swarm.nextRequests(8).length, 1);
  });

  it('ignores outcomes of unknown and finished requests, and calls in any order', () => {
    const swarm = scheduler();
    swarm.tick(0);
    assert.deepEqual(swarm.nextRequests(0), []);
    assert.equal(swarm.nextWakeAtMs(), Infinity);
    for (const id of [0, -1, 1, 999, 1.5, Number.NaN]) {
      swarm.delivered(id, 0, BLOCK);
      swarm.invalid(id, 0, 'x');
      swarm.notFound(id, 0);
      swarm.failed(id, 0, 'x');
    }
    assert.equal(swarm.addHolders('unknown', ['a']), 0);
    assert.equal(swarm.reinstate('nobody'), false);
    assert.ok(swarm.isDone());
    swarm.want('x', ['a']);
    const [request] = swarm.nextRequests(1);
    swarm.delivered(request.requestId, 2, BLOCK);
    for (let i = 0; i < 5; i++) {
      swarm.delivered(request.requestId, 3, BLOCK);
      swarm.failed(request.requestId, 3, 'late');
      swarm.notFound(request.requestId, 3);
      swarm.invalid(request.requestId, 3, 'late');
    }
    swarm.want('x', ['b'], 5);
    assert.equal(swarm.addHolders('x', ['c']), 0, 'a delivered block takes no holders');
    assert.deepEqual(swarm.progress(), { blocksWanted: 1, blocksDone: 1, bytesDone: BLOCK, inFlight: 0 });
    assert.deepEqual(peerStats(swarm, 'a'), {
      peer: 'a', bytesDelivered: BLOCK, blocksDelivered: 1, rateBytesPerMs: BLOCK / 1, inFlight: 0, failures: 0, lastFailure: null, avoided: false, penalised: false,
    });
    assert.deepEqual(swarm.takePenalties(), []);
    assert.deepEqual(swarm.takeCancels(), []);
  });

  it('refuses malformed arguments, which are bugs in the caller', () => {
    const swarm = scheduler();
    assert.throws(() => swarm.want('', ['a']), TypeError);
    assert.throws(() => swarm.want('x', [''] as string[]), TypeError);
    assert.throws(() => swarm.want('x', 'a' as unknown as string[]), TypeError);
    assert.throws(() => swarm.want('x', ['a'], -1), RangeError);
    assert.throws(() => swarm.want('x', ['a'], Number.NaN), RangeError);
    assert.throws(() => swarm.delivered(1, 0, -5), RangeError);
    assert.throws(() => swarm.nextRequests(Number.NaN), RangeError);
    assert.throws(() => swarm.tick(Infinity), RangeError);
    assert.throws(() => swarm.failed(1, Number.NaN, 'x'), RangeError);
    // A refused call changes nothing.
    swarm.want('x', ['a']);
    assert.throws(() => swarm.addHolders('x', ['b', 7 as unknown as string]), TypeError);
    assert.deepEqual(swarm.nextRequests(0).map((r) => `${r.peer}:${r.block}`), ['a:x']);
    assert.deepEqual(swarm.progress(), { blocksWanted: 1, blocksDone: 0, bytesDone: 0, inFlight: 1 });
    assert.deepEqual(swarm.peers().map((p) => p.peer), ['a']);
  });
});

describe('timeouts', () => {
  it('gives each request a deadline from its peer’s rate, reports the earliest, and fails overdue ones on tick', () => {
    const swarm = scheduler();
    wantAll(swarm, 10, ['a', 'b']);
    const requests = swarm.nextRequests(0);
    // Unmeasured: as if at the floor rate (64 B/ms), 4× the expected transfer, behind what is queued.
    const firstDeadline = (4 * BLOCK) / 64;
    assert.equal(swarm.nextWakeAtMs(), firstDeadline);
    swarm.tick(firstDeadline - 1);
    assert.deepEqual(swarm.takeCancels(), []);
    swarm.tick(firstDeadline);
    const timedOut = swarm.takeCancels();
    assert.deepEqual(timedOut, [requests[0].requestId, requests[1].requestId]);
    assert.equal(peerStats(swarm, 'a').lastFailure, TIMEOUT_REASON);
    assert.equal(peerStats(swarm, 'a').failures, 1);
    // The timed-out blocks are asked again; a late answer to a timed-out request is ignored.
    swarm.delivered(requests[0].requestId, firstDeadline + 1, BLOCK);
    assert.equal(swarm.progress().blocksDone, 0);
    const again = swarm.nextRequests(firstDeadline + 1);
    assert.deepEqual(again.slice(0, 2).map((r) => r.block).sort(), [requests[0].block, requests[1].block].sort());
    // Nothing else is left to hand out and every other request is overdue against its expected time: endgame copies.
    assert.ok(again.slice(2).every((r) => r.block !== requests[0].block && r.block !== requests[1].block));
    // Later deadlines grow with the queue ahead, up to requestTimeoutMaxMs.
    assert.ok(swarm.nextWakeAtMs() > firstDeadline);
  });

  it('a measured peer gets max(requestTimeoutMinMs, factor × expected transfer)', () => {
    const swarm = scheduler({ inFlightPerPeerMax: 1 });
    wantAll(swarm, 3, ['a']);
    const [first] = swarm.nextRequests(0);
    swarm.delivered(first.requestId, 100, BLOCK); // 2,621 B/ms: a block in 100 ms
    const [second] = swarm.nextRequests(100);
    assert.ok(second);
    assert.equal(swarm.nextWakeAtMs(), 100 + 5000, 'the minimum: 4 × 100 ms is less');
    swarm.delivered(second.requestId, 5000, BLOCK); // now much slower
    swarm.nextRequests(5000);
    assert.ok(swarm.nextWakeAtMs() > 5000 + 5000, 'the slower rate gives a longer timeout');
  });

  it('a silent peer is avoided after failuresBeforeAvoidMax timeouts, and its blocks go elsewhere', () => {
    const swarm = scheduler({ inFlightPerPeerMax: 1, endgameCopiesMax: 1 });
    wantAll(swarm, 4, ['silent']);
    let nowMs = 0;
    for (let round = 0; round < 3; round++) {
      assert.equal(swarm.nextRequests(nowMs).length, 1);
      nowMs = swarm.nextWakeAtMs();
      swarm.tick(nowMs);
      assert.equal(swarm.takeCancels().length, 1);
    }
    assert.equal(peerStats(swarm, 'silent').avoided, true);
    assert.equal(swarm.stuck().length, 4);
    for (const block of swarm.stuck()) swarm.addHolders(block, ['other']);
    assert.equal(swarm.nextRequests(nowMs).length, 1);
  });
});

describe('queries and bounds', () => {
  it('reports progress, peers and sources', () => {
    const swarm = scheduler();
    wantAll(swarm, 4, ['a', 'b']);
    const requests = swarm.nextRequests(0);
    swarm.delivered(requests[0].requestId, 100, 1000);
    swarm.delivered(requests[1].requestId, 100, 3000);
    assert.deepEqual(swarm.progress(), { blocksWanted: 4, blocksDone: 2, bytesDone: 4000, inFlight: 2 });
    assert.equal(swarm.sources(), 2);
    assert.deepEqual(swarm.peers().map((p) => [p.peer, p.blocksDelivered, p.bytesDelivered, p.inFlight]), [['a', 1, 1000, 1], ['b', 1, 3000, 1]]);
    assert.equal(swarm.isDone(), false);
  });

  it('bounds blocks, holders per block and peers', () => {
    const swarm = scheduler({ blocksWantedMax: 3, holdersPerBlockMax: 2, peersMax: 3 });
    assert.ok(swarm.want('x', ['a', 'b', 'c']));
    assert.ok(swarm.want('y', ['c', 'd', 'e']));
    assert.ok(swarm.want('z'));
    assert.equal(swarm.want('w', ['a']), false, 'blocksWantedMax reached');
    assert.ok(swarm.want('x', ['a']), 'a known block is still accepted');
    assert.deepEqual(swarm.peers().map((p) => p.peer), ['a', 'b', 'c']);
    assert.deepEqual(swarm.stuck(), ['z']);
    const requests = swarm.nextRequests(0);
    // y kept one holder (c: d and e are beyond peersMax), so it is the rarer.
    assert.deepEqual(requests.map((r) => `${r.peer}:${r.block}`), ['c:y', 'a:x']);
    swarm.delivered(requests[1].requestId, 1, 10);
    assert.equal(swarm.forgetDelivered(), 1);
    assert.ok(swarm.want('w', ['a']), 'room again once delivered blocks are forgotten');
    assert.equal(swarm.progress().blocksWanted, 4);
  });

  it('a full holder list makes room by forgetting a peer that lacks the block', () => {
    const swarm = scheduler({ holdersPerBlockMax: 2 });
    swarm.want('x', ['a', 'b']);
    const requests = swarm.nextRequests(0);
    swarm.notFound(requests[0].requestId, 1);
    assert.equal(swarm.addHolders('x', ['c']), 1);
    assert.equal(swarm.addHolders('x', ['d']), 0);
  });
});

describe('requests to a fast peer leave in batches (requestBatchMs)', () => {
  /** Delivers the oldest request of `inFlight` at `nowMs` and returns how many requests nextRequests then makes. */
  function deliverOldest(swarm: SwarmScheduler, inFlight: SwarmRequest[], nowMs: number): number {
    swarm.delivered((inFlight.shift() as SwarmRequest).requestId, nowMs, BLOCK);
    const next = swarm.nextRequests(nowMs);
    inFlight.push(...next);
    return next.length;
  }

  it('a peer delivering a block a millisecond is refilled eight at a time, once fewer than pipelinePerPeer are in flight', () => {
    const swarm = scheduler();
    wantAll(swarm, 200, ['fast']);
    const inFlight = swarm.nextRequests(0);
    assert.equal(inFlight.length, 8);
    const made = Array.from({ length: 17 }, (_, i) => deliverOldest(swarm, inFlight, i + 1));
    // Measured at 256 KiB/ms: ten blocks in 10 ms, capped at requestBatchMax = 8, on top of the
    // pipeline of 8 (7 + 8 = 15 in flight); then nothing until 7 are left, then 8 again.
    assert.deepEqual(made, [8, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 8]);
    assert.equal(swarm.progress().inFlight, 15);
  });

  it('a peer delivering a block every 262 ms (1 MB/s) is refilled one at a time, as without batching', () => {
    const swarm = scheduler();
    wantAll(swarm, 40, ['slow']);
    const inFlight = swarm.nextRequests(0);
    const made = Array.from({ length: 10 }, (_, i) => deliverOldest(swarm, inFlight, 262 * (i + 1)));
    assert.deepEqual(made, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert.equal(swarm.progress().inFlight, 8);
  });

  it('never gives a peer more than inFlightPerPeerMax, batch or not', () => {
    const swarm = scheduler({ inFlightPerPeerMax: 12, inFlightPerUnmeasuredPeerMax: 8 });
    wantAll(swarm, 200, ['fast']);
    const inFlight = swarm.nextRequests(0);
    const made = Array.from({ length: 10 }, (_, i) => deliverOldest(swarm, inFlight, i + 1));
    assert.deepEqual(made, [5, 0, 0, 0, 0, 5, 0, 0, 0, 0]);
    assert.ok(swarm.progress().inFlight <= 12);
  });
});

describe('peers not yet measured', () => {
  it('get inFlightPerUnmeasuredPeerMax requests until their first delivery, then the full pipeline', () => {
    const swarm = new SwarmScheduler({ inFlightPerPeerMax: 8, inFlightPerUnmeasuredPeerMax: 2, inFlightMax: 64 });
    for (let i = 0; i < 20; i++) swarm.want(`b${i}`, ['fast', 'slow'], BLOCK);
    const first = swarm.nextRequests(0);
    assert.deepEqual([first.filter((r) => r.peer === 'fast').length, first.filter((r) => r.peer === 'slow').length], [2, 2]);
    const fromFast = first.find((r) => r.peer === 'fast') as { requestId: number };
    swarm.delivered(fromFast.requestId, 100, BLOCK);
    const next = swarm.nextRequests(100);
    // Measured now: 'fast' fills its pipeline of 8 (one delivered, one still in flight); 'slow' stays at 2.
    assert.equal(next.filter((r) => r.peer === 'fast').length, 7);
    assert.equal(next.filter((r) => r.peer === 'slow').length, 0);
  });
});
