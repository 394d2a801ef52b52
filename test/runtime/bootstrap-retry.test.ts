/**
 * BootstrapRetry on its own, with a fake table and join: a node whose table is empty joins through
 * its bootstrap list again after 30 s, then at doubling waits up to 10 minutes, one join at a time;
 * a contact resets the wait; a node given no bootstrap peers never does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BootstrapRetry, BootstrapRetryTimes } from '../../src/runtime/bootstrap-retry.ts';

function harness(bootstrapPeers = 1) {
  const state = { size: 0, joins: [] as number[], finish: [] as (() => void)[], nowMs: 0 };
  const retry = new BootstrapRetry({
    bootstrapPeers,
    tableSize: () => state.size,
    rejoin: () => {
      state.joins.push(state.nowMs);
      return new Promise<void>((resolve) => state.finish.push(resolve));
    },
    log: () => {},
  });
  /** Runs the checks every few seconds up to `untilMs`, letting each join settle after `joinMs`. */
  const runUntil = async (untilMs: number, joinMs = 1_000): Promise<void> => {
    const settleAt: number[] = [];
    for (; state.nowMs <= untilMs; state.nowMs += BootstrapRetryTimes.checkIntervalMs) {
      while (settleAt.length > 0 && settleAt[0] <= state.nowMs) {
        settleAt.shift();
        state.finish.shift()?.();
        await Promise.resolve();
      }
      const before = state.joins.length;
      retry.check(state.nowMs);
      if (state.joins.length > before) settleAt.push(state.nowMs + joinMs);
    }
  };
  return { state, retry, runUntil };
}

describe('joining again through the bootstrap list', () => {
  it('waits 30 s with an empty table, then joins again at doubling waits up to 10 minutes', async () => {
    const { state, runUntil } = harness();
    await runUntil(60 * 60_000);
    const gapsMs = state.joins.slice(1).map((atMs, i) => atMs - state.joins[i]);
    assert.equal(state.joins[0], 30_000);
    // Each wait runs from the end of the join before (1 s here, rounded up to the next check).
    assert.deepEqual(gapsMs.slice(0, 5), [65_000, 125_000, 245_000, 485_000, 605_000]);
    assert.ok(gapsMs.slice(4).every((gap) => gap === 605_000), `capped at 10 minutes: ${gapsMs}`);
  });

  it('starts no second join while one is under way', async () => {
    const { state, runUntil } = harness();
    await runUntil(30 * 60_000, 60 * 60_000);
    assert.equal(state.joins.length, 1);
  });

  it('a contact resets the wait; a table that empties again waits 30 s once more', async () => {
    const { state, retry, runUntil } = harness();
    await runUntil(200_000);
    assert.equal(state.joins.length, 2);
    state.size = 3;
    await runUntil(3 * 60 * 60_000);
    assert.equal(state.joins.length, 2, 'no join while the table holds contacts');
    state.size = 0;
    const emptiedAtMs = state.nowMs;
    await runUntil(emptiedAtMs + 40_000);
    assert.equal(state.joins.length, 3);
    assert.ok(state.joins[2] - emptiedAtMs <= 30_000 + BootstrapRetryTimes.checkIntervalMs);
    assert.equal(retry.rejoins, 3);
  });

  it('a node given no bootstrap peers is the first of its network: it never rejoins', async () => {
    const { state, runUntil } = harness(0);
    await runUntil(60 * 60_000);
    assert.deepEqual(state.joins, []);
  });
});
