/**
 * The task pool: tasks run on up to W threads at once and each resolves with its own result; one
 * that throws, or takes its thread down, fails alone; with one worker everything runs in this
 * thread; a closed pool takes no more.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TaskPool, type TaskRecipe } from '../../../src/sim/parallel/task-pool.ts';

const tasksModule = new URL('./pool-tasks.ts', import.meta.url).href;
const task = (name: string, input: unknown = {}): TaskRecipe => ({ module: tasksModule, export: name, input });

interface Squared { readonly value: number; readonly thread: number; readonly mainThread: boolean }

describe('a task pool', () => {
  it('runs tasks on its threads, at most W, each answered with its own result', async () => {
    const pool = new TaskPool(2);
    try {
      const results = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => pool.run<Squared>(task('square', { n, spinMs: 30 }))));
      assert.deepEqual(results.map((result) => result.value), [1, 4, 9, 16, 25, 36]);
      assert.ok(results.every((result) => !result.mainThread));
      assert.equal(new Set(results.map((result) => result.thread)).size, 2, 'two threads shared the six tasks');
    } finally {
      await pool.close();
    }
  });

  it('fails only the task that throws or ends its thread, and goes on with the rest', async () => {
    const pool = new TaskPool(2);
    try {
      const outcomes = await Promise.allSettled([
        pool.run(task('fail', { message: 'no such input' })),
        pool.run<Squared>(task('square', { n: 7 })),
        pool.run(task('endThread')),
        pool.run<Squared>(task('square', { n: 8 })),
        pool.run(task('nothingHere')),
      ]);
      assert.equal(outcomes[0].status, 'rejected');
      assert.match(String((outcomes[0] as PromiseRejectedResult).reason), /no such input/);
      assert.deepEqual((outcomes[1] as PromiseFulfilledResult<Squared>).value.value, 49);
      assert.equal(outcomes[2].status, 'rejected');
      assert.match(String((outcomes[2] as PromiseRejectedResult).reason), /exit code 3/);
      assert.deepEqual((outcomes[3] as PromiseFulfilledResult<Squared>).value.value, 64);
      assert.match(String((outcomes[4] as PromiseRejectedResult).reason), /has no function nothingHere/);
      // The pool still works after losing a thread.
      assert.equal((await pool.run<Squared>(task('square', { n: 9 }))).value, 81);
    } finally {
      await pool.close();
    }
  });

  it('with one worker, runs every task in this thread', async () => {
    const pool = new TaskPool(1);
    const result = await pool.run<Squared>(task('square', { n: 3 }));
    assert.deepEqual([result.value, result.mainThread], [9, true]);
    await pool.close();
  });

  it('refuses tasks once closed, and a pool of no workers', async () => {
    const pool = new TaskPool(2);
    await pool.close();
    await assert.rejects(pool.run(task('square', { n: 1 })), /closed/);
    assert.throws(() => new TaskPool(0), /at least one worker/);
  });
});
