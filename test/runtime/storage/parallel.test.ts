/**
 * Bounded parallel work (runtime/storage/parallel.ts): forEachLimited over a list, TaskSlots over
 * work found as it goes. Both keep at most their limit running, start nothing after a failure,
 * and report the first failure only once everything started has finished.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forEachLimited, TaskSlots } from '../../../src/runtime/storage/parallel.ts';

/** A task that counts how many run at once and finishes when told to. */
class Gauge {
  running = 0;
  most = 0;
  finished: number[] = [];
  private readonly waiting: (() => void)[] = [];

  task(id: number, fail = false): () => Promise<void> {
    return async () => {
      this.running++;
      this.most = Math.max(this.most, this.running);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
      this.running--;
      this.finished.push(id);
      if (fail) throw new Error(`task ${id} failed`);
    };
  }

  /** Lets every waiting task finish, over and over, until `until` settles. */
  async drain(until: Promise<unknown>): Promise<void> {
    let settled = false;
    void until.then(() => (settled = true), () => (settled = true));
    while (!settled) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const resolve of this.waiting.splice(0)) resolve();
    }
  }
}

describe('forEachLimited', () => {
  it('runs every item, at most `limit` at once', async () => {
    const gauge = new Gauge();
    const done = forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, (id) => gauge.task(id)());
    await gauge.drain(done);
    await done;
    assert.equal(gauge.most, 3);
    assert.deepEqual([...gauge.finished].sort(), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts nothing after a failure and rejects with the first once the started ones are done', async () => {
    const gauge = new Gauge();
    const done = forEachLimited([1, 2, 3, 4, 5, 6], 2, (id) => gauge.task(id, id === 1 || id === 2)());
    await gauge.drain(done);
    await assert.rejects(done, /task 1 failed/);
    assert.equal(gauge.running, 0);
    assert.deepEqual([...gauge.finished].sort(), [1, 2]);
  });
});

describe('TaskSlots', () => {
  it('keeps at most `limit` tasks running; start waits for a free slot; settle waits for all', async () => {
    const gauge = new Gauge();
    const slots = new TaskSlots(2);
    const walk = (async () => {
      for (let id = 1; id <= 5; id++) await slots.start(gauge.task(id));
      await slots.settle();
    })();
    await gauge.drain(walk);
    await walk;
    assert.equal(gauge.most, 2);
    assert.equal(gauge.running, 0);
    assert.deepEqual([...gauge.finished].sort(), [1, 2, 3, 4, 5]);
  });

  it('after a failure start refuses with it, and settle rejects with the first failure only when nothing runs', async () => {
    const gauge = new Gauge();
    const slots = new TaskSlots(2);
    let started = 0;
    const walk = (async () => {
      for (let id = 1; id <= 6; id++) {
        await slots.start(gauge.task(id, id === 2 || id === 3));
        started++;
      }
    })();
    await gauge.drain(walk);
    await assert.rejects(walk, /task 2 failed/);
    const settled = slots.settle();
    await gauge.drain(settled);
    await assert.rejects(settled, /task 2 failed/);
    assert.equal(gauge.running, 0);
    // Tasks 1 and 2 ran first; 3 and 4 took their slots before the failure was known; none after.
    assert.ok(started <= 4, `started ${started}`);
    assert.ok(!gauge.finished.includes(5) && !gauge.finished.includes(6));
  });

  it('a task that throws before its first await counts as a failure, not an escape', async () => {
    const slots = new TaskSlots(1);
    await slots.start(() => {
      throw new Error('at once');
    });
    await assert.rejects(slots.settle(), /at once/);
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new TaskSlots(0), RangeError);
    assert.throws(() => new TaskSlots(1.5), RangeError);
  });
});
