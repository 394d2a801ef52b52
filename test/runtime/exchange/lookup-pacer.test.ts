/** The storage lookups' pacer (src/runtime/exchange/lookup-pacer.ts): a token bucket over lookups, in call order, on a clock the test moves. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { idFromHex, type Id } from '../../../src/core/id.ts';
import type { PeerRef } from '../../../src/core/peer.ts';
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
    const paced = pacedLookups(lookup, { perSecond: 100, burst: 3 }, () => nowMs);
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
    const paced = pacedLookups((target) => (target.bytes[31] === 1 ? Promise.reject(new Error('no route')) : Promise.resolve([])), { perSecond: 1000, burst: 10 });
    const outcomes = await Promise.allSettled([paced(key(0)), paced(key(1)), paced(key(2))]);
    assert.deepEqual(outcomes.map((outcome) => outcome.status), ['fulfilled', 'rejected', 'fulfilled']);
  });
});
