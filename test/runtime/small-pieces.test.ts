/** The runtime's small parts: randomness, the wake timer, the penalty book. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Clock } from '../../src/runtime/clock.ts';
import { monotonicClock } from '../../src/runtime/clock.ts';
import { CryptoRandom } from '../../src/runtime/crypto-random.ts';
import { PenaltyBook } from '../../src/runtime/penalty-book.ts';
import { WakeTimer } from '../../src/runtime/wake-timer.ts';
import { waitFor } from '../support/wait-for.ts';

describe('crypto random', () => {
  it('gives 32-bit integers and floats in [0, 1) that vary', () => {
    const random = new CryptoRandom();
    const words = new Set<number>();
    for (let index = 0; index < 2000; index++) {
      const word = random.nextUint32();
      assert.ok(Number.isInteger(word) && word >= 0 && word < 2 ** 32);
      words.add(word);
      const float = random.nextFloat();
      assert.ok(float >= 0 && float < 1);
    }
    // 2,000 draws from 2^32 values: a repeat is possible but more than a few means a broken source.
    assert.ok(words.size > 1990);
  });
});

describe('monotonic clock', () => {
  it('gives whole milliseconds that never go back', () => {
    let last = monotonicClock.nowMs();
    for (let index = 0; index < 1000; index++) {
      const now = monotonicClock.nowMs();
      assert.ok(Number.isInteger(now) && now >= last);
      last = now;
    }
  });
});

describe('wake timer', () => {
  it('wakes once at the latest requested time, not before', async () => {
    const wakes: number[] = [];
    const timer = new WakeTimer(monotonicClock, (nowMs) => wakes.push(nowMs));
    const startMs = monotonicClock.nowMs();
    timer.wakeAt(startMs + 5);
    timer.wakeAt(startMs + 30);
    await waitFor('the wake-up', () => wakes.length > 0);
    assert.equal(wakes.length, 1);
    assert.ok(wakes[0] >= startMs + 30);
    timer.stop();
  });

  it('does nothing for Infinity, and nothing after stop', async () => {
    const wakes: number[] = [];
    const timer = new WakeTimer(monotonicClock, (nowMs) => wakes.push(nowMs));
    timer.wakeAt(Infinity);
    timer.wakeAt(monotonicClock.nowMs() + 1);
    timer.stop();
    timer.wakeAt(monotonicClock.nowMs());
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(wakes, []);
  });

  it('re-arms rather than waking early when the clock says it is not yet time', async () => {
    let nowMs = 0;
    const clock: Clock = { nowMs: () => nowMs };
    const wakes: number[] = [];
    const timer = new WakeTimer(clock, (at) => wakes.push(at));
    timer.wakeAt(20);
    // Real time passes, but this clock stands still: the timeout fires and must not wake the node.
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(wakes, []);
    nowMs = 20;
    await waitFor('the wake-up at 20', () => wakes.length > 0);
    assert.deepEqual(wakes, [20]);
    timer.stop();
  });
});

describe('penalty book', () => {
  it('counts per remote, keeps the last reason, and forgets the oldest beyond its bound', () => {
    const book = new PenaltyBook(2);
    book.record('a', 'bad frame', 1);
    book.record('b', 'bad hello', 2);
    book.record('a', 'forged contact', 3);
    book.record('c', 'bad frame', 4);
    assert.equal(book.totalCount, 4);
    assert.equal(book.countOf('a'), 2);
    assert.equal(book.countOf('b'), 0);
    assert.deepEqual(book.recent(5).map((record) => [record.remote, record.count, record.lastReason]), [
      ['c', 1, 'bad frame'], ['a', 2, 'forged contact'],
    ]);
  });
});
