/**
 * BlockArrivals: a wait for a block ends when it is stored (with the bytes put), when the work it
 * waits on is fulfilled first (null), or with that work's error; and nothing is left registered
 * afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockArrivals } from '../../../src/runtime/storage/block-arrivals.ts';
import { deferred } from '../../support/deferred.ts';

const AA = Uint8Array.of(0xaa);
const CC = Uint8Array.of(0xcc);

describe('BlockArrivals', () => {
  it('wakes every waiter of a block when it is stored, and only those', async () => {
    const arrivals = new BlockArrivals();
    const fetch = deferred();
    const first = arrivals.wait('aa', fetch.promise);
    const second = arrivals.wait('aa', fetch.promise);
    const other = arrivals.wait('bb', fetch.promise);
    assert.equal(arrivals.waitedFor, 2);
    arrivals.stored([{ hex: 'aa', bytes: AA }, { hex: 'cc', bytes: CC }]);
    const woken = await Promise.all([first, second]);
    assert.ok(woken[0] === AA && woken[1] === AA, 'each waiter gets the bytes that were put');
    assert.equal(arrivals.waitedFor, 1);
    fetch.resolve();
    assert.equal(await other, null);
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

  it('a block stored before the fetch ends is given when the fetch fails later', async () => {
    const arrivals = new BlockArrivals();
    const fetch = deferred();
    const waiting = arrivals.wait('aa', fetch.promise);
    arrivals.stored([{ hex: 'aa', bytes: AA }]);
    fetch.reject(new Error('later'));
    assert.equal(await waiting, AA);
    await fetch.promise.catch(() => undefined);
  });

  it('keeps blocks stored while a reader watches, hands each over once, and lets them go when no reader watches', () => {
    const arrivals = new BlockArrivals(3);
    arrivals.stored([{ hex: 'aa', bytes: AA }]);
    assert.equal(arrivals.take('aa'), undefined, 'nothing is kept without a reader');
    const endFirst = arrivals.watch();
    const endSecond = arrivals.watch();
    arrivals.stored([{ hex: 'aa', bytes: AA }, { hex: 'cc', bytes: CC }]);
    assert.equal(arrivals.bytesKept, 2);
    assert.equal(arrivals.take('aa'), AA);
    assert.equal(arrivals.take('aa'), undefined, 'handed over once');
    endFirst();
    endFirst();
    assert.equal(arrivals.bytesKept, 1, 'another reader still watches');
    endSecond();
    assert.equal(arrivals.bytesKept, 0);
    assert.equal(arrivals.take('cc'), undefined);
  });

  it('keeps at most keptBytesMax, the oldest going first; a block someone waits for goes to the waiter, not kept', async () => {
    const arrivals = new BlockArrivals(5);
    arrivals.watch();
    const two = (byte: number): Uint8Array => Uint8Array.of(byte, byte);
    arrivals.stored([{ hex: '01', bytes: two(1) }, { hex: '02', bytes: two(2) }]);
    arrivals.stored([{ hex: '03', bytes: two(3) }, { hex: '04', bytes: Uint8Array.of(1, 2, 3, 4, 5, 6) }]);
    assert.equal(arrivals.bytesKept, 4, 'a block larger than the whole allowance is not kept');
    assert.equal(arrivals.take('01'), undefined, 'the oldest went');
    assert.deepEqual([arrivals.take('02'), arrivals.take('03')], [two(2), two(3)]);
    const fetch = deferred();
    const waiting = arrivals.wait('05', fetch.promise);
    arrivals.stored([{ hex: '05', bytes: two(5) }]);
    assert.deepEqual(await waiting, two(5));
    assert.equal(arrivals.take('05'), undefined);
    fetch.resolve();
  });

  it('hands on and keeps copies of bytes whose memory the putter reuses', async () => {
    const arrivals = new BlockArrivals(1024);
    arrivals.watch();
    const fetch = deferred();
    const waiting = arrivals.wait('aa', fetch.promise);
    const piece = Uint8Array.of(1, 2, 3, 4);
    arrivals.stored([{ hex: 'aa', bytes: piece.subarray(0, 2) }, { hex: 'bb', bytes: piece.subarray(2) }], true);
    piece.fill(9);
    assert.deepEqual(await waiting, Uint8Array.of(1, 2), 'the waiter got a copy');
    assert.deepEqual(arrivals.take('bb'), Uint8Array.of(3, 4), 'what is kept is a copy');
    fetch.resolve();
  });
});
