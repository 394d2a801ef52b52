/**
 * Hot-block detection (hot-blocks.ts): a block turns hot when enough distinct peers ask for it in
 * a window, is pushed at most once per interval, and the tracker's memory stays bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HotBlocks } from '../../../../src/services/storage/exchange/hot-blocks.ts';

const config = { requestersMin: 3, windowMs: 1000, pushIntervalMs: 5000, blocksTrackedMax: 4 };

describe('hot blocks', () => {
  it('turns hot at the third distinct requester, not at repeats of one', () => {
    const hot = new HotBlocks(config);
    for (let i = 0; i < 10; i++) assert.equal(hot.served('b', 'alice', i), null);
    assert.equal(hot.served('b', 'bob', 20), null);
    assert.deepEqual(hot.served('b', 'carol', 30), ['alice', 'bob', 'carol']);
  });

  it('forgets requesters once the window has passed', () => {
    const hot = new HotBlocks(config);
    hot.served('b', 'alice', 0);
    hot.served('b', 'bob', 500);
    assert.equal(hot.served('b', 'carol', 1600), null, 'alice and bob asked more than a window ago');
    hot.served('b', 'dave', 1700);
    assert.deepEqual(hot.served('b', 'erin', 1800), ['carol', 'dave', 'erin']);
  });

  it('pushes a block at most once per interval however hot it stays', () => {
    const hot = new HotBlocks(config);
    const pushes: number[] = [];
    for (let t = 0; t < 12_000; t += 10) if (hot.served('b', `peer-${t}`, t) !== null) pushes.push(t);
    assert.ok(pushes.length >= 2 && pushes.length <= 3, `pushes at ${pushes.join(', ')}`);
    for (let i = 1; i < pushes.length; i++) assert.ok(pushes[i] - pushes[i - 1] >= config.pushIntervalMs);
  });

  it('tracks at most blocksTrackedMax blocks, forgetting the least recently asked', () => {
    const hot = new HotBlocks(config);
    for (let i = 0; i < 100; i++) hot.served(`block-${i}`, 'alice', i);
    assert.equal(hot.trackedCount, 4);
    hot.served('block-96', 'bob', 200);
    hot.served('block-100', 'bob', 201);
    // block-97 was the least recently asked, so it went; block-96 is still counted with alice and bob.
    assert.deepEqual(hot.served('block-96', 'carol', 202), ['alice', 'bob', 'carol']);
  });

  it('refuses a nonsensical configuration', () => {
    assert.throws(() => new HotBlocks({ ...config, requestersMin: 0 }), RangeError);
    assert.throws(() => new HotBlocks({ ...config, blocksTrackedMax: 0 }), RangeError);
    assert.throws(() => new HotBlocks({ ...config, windowMs: 0 }), RangeError);
  });
});
