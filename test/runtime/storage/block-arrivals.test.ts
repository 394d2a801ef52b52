/**
 * BlockArrivals: a wait for a block ends when it is stored (true), when the work it waits on is
 * fulfilled first (false), or with that work's error; and nothing is left registered afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockArrivals } from '../../../src/runtime/storage/block-arrivals.ts';
import { deferred } from '../../support/deferred.ts';

describe('BlockArrivals', () => {
  it('wakes every waiter of a block when it is stored, and only those', async () => {
    const arrivals = new BlockArrivals();
    const fetch = deferred();
    const first = arrivals.wait('aa', fetch.promise);
    const second = arrivals.wait('aa', fetch.promise);
    const other = arrivals.wait('bb', fetch.promise);
    assert.equal(arrivals.waitedFor, 2);
    arrivals.stored(['aa', 'cc']);
    assert.deepEqual(await Promise.all([first, second]), [true, true]);
    assert.equal(arrivals.waitedFor, 1);
    fetch.resolve();
    assert.equal(await other, false);
    assert.equal(arrivals.waitedFor, 0);
  });

  it('gives the fetch\'s error to a waiter whose block never came', async () => {
    const arrivals = new BlockArrivals();
    const fetch = deferred();
    const waiting = arrivals.wait('aa', fetch.promise);
    fetch.reject(new Error('no holder has it'));
    await assert.rejects(waiting, /no holder has it/);
    assert.equal(arrivals.waitedFor, 0);
  });

  it('a block stored before the fetch ends stays true when the fetch fails later', async () => {
    const arrivals = new BlockArrivals();
    const fetch = deferred();
    const waiting = arrivals.wait('aa', fetch.promise);
    arrivals.stored(['aa']);
    fetch.reject(new Error('later'));
    assert.equal(await waiting, true);
    await fetch.promise.catch(() => undefined);
  });
});
