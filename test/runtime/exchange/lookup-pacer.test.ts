/**
 * The storage lookups' pacer (src/runtime/exchange/lookup-pacer.ts): a token bucket over lookups,
 * in call order, on a clock the test moves; and on a grid small enough that a lookup names fewer
 * nodes than k, those nodes answer for every key for a while, with no lookup.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idFromHex, type Id } from '../../../src/core/id.ts';
import { peerRef, type PeerRef } from '../../../src/core/peer.ts';
import { pacedLookups } from '../../../src/runtime/exchange/lookup-pacer.ts';

const key = (index: number): Id => idFromHex(index.toString(16).padStart(64, '0'));

describe('paced lookups', () => {
  it('starts a burst at once, the rest only as time gives tokens, in the order asked, each answered with its own result', async () => {
    let nowMs = 0;
    const started: number[] = [];
    const lookup = (target: Id): Promise<readonly PeerRef[]> => {
      started.push(target.bytes[31]);
      return Promise.resolve([]);
    };
    const paced = pacedLookups(lookup, { perSecond: 100, burst: 3, smallGridNodesMax: 0, smallGridMemoryMs: 0 }, () => nowMs);
    const all = Promise.all(Array.from({ length: 8 }, (_, index) => paced(key(index))));
    // The clock stands still: only the burst may start, however long we wait in real time.
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(started, [0, 1, 2]);
    // 30 ms give 3 more tokens.
    nowMs += 30;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5]);
    nowMs += 1000;
    const results = await all;
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(results.length, 8);
  });

  it('passes a failed lookup on to its caller and goes on with the next', async () => {
    const paced = pacedLookups((target) => (target.bytes[31] === 1 ? Promise.reject(new Error('no route')) : Promise.resolve([])), { perSecond: 1000, burst: 10, smallGridNodesMax: 0, smallGridMemoryMs: 0 });
    const outcomes = await Promise.allSettled([paced(key(0)), paced(key(1)), paced(key(2))]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'fulfilled']);
  });

  it('on a small grid answers every key for smallGridMemoryMs with the nodes a lookup found, without a lookup; on a large one always looks up', async () => {
    let nowMs = 0;
    let lookups = 0;
    let grid: PeerRef[] = [1, 2, 3].map((index) => peerRef(key(index), `/ip4/127.0.0.1/tcp/${4000 + index}`));
    const lookup = (): Promise<readonly PeerRef[]> => {
      lookups++;
      // A lookup's result and the routing table's contacts, which repeat it.
      return Promise.resolve([...grid, ...grid]);
    };
    const paced = pacedLookups(lookup, { perSecond: 1000, burst: 100, smallGridNodesMax: 4, smallGridMemoryMs: 10_000 }, () => nowMs);
    const first = await paced(key(10));
    assert.equal(first.length, 6, 'the first call returns what the lookup gave');
    const answers = await Promise.all([paced(key(11)), paced(key(12)), paced(key(13))]);
    assert.equal(lookups, 1, 'three grid nodes < 4: no further lookup');
    for (const answer of answers) assert.deepEqual(answer.map((peer) => peer.address), grid.map((peer) => peer.address), 'each node once');
    nowMs += 10_000;
    grid = [1, 2, 3, 4, 5].map((index) => peerRef(key(index), `/ip4/127.0.0.1/tcp/${4000 + index}`));
    assert.equal((await paced(key(14))).length, 10);
    assert.equal(lookups, 2, 'the memory ran out: a lookup again, which found a larger grid');
    await paced(key(15));
    await paced(key(16));
    assert.equal(lookups, 4, 'five nodes are not fewer than 4: every call looks up');
  });
});
