/**
 * The nodes a lookup experiment draws bootstraps and origins from: a finished join enters the set
 * at its time, nodes due together in the order of their indices whatever order they were reported
 * in (in a split run each part hears of the others' joins late), and a node that went offline or
 * restarted since its join does not enter.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadyQueue, ReadySet } from '../../src/sim/experiments/ready-nodes.ts';
import { Prng } from '../../src/sim/prng.ts';
import type { SimNode } from '../../src/sim/world.ts';

function node(index: number): SimNode {
  return { index, online: true, generation: 1 } as SimNode;
}

/** The order of the set, read back by drawing every member from a fresh stream. */
function drawAll(ready: ReadySet, seed: number): number[] {
  const random = Prng.fromSeed(seed);
  return Array.from({ length: 8 }, () => (ready.pick(random) as SimNode).index);
}

describe('ReadyQueue', () => {
  it('lets nodes in at their time, those due together by index, whatever order they came in', () => {
    const nodes = Array.from({ length: 6 }, (_, i) => node(i));
    const inOrder = new ReadyQueue();
    const shuffled = new ReadyQueue();
    const joins: [number, number][] = [[1_000, 0], [1_000, 1], [1_500, 2], [1_500, 3], [2_000, 4], [2_000, 5]];
    for (const [atMs, index] of joins) inOrder.add(atMs, index, 1);
    for (const [atMs, index] of [joins[5], joins[3], joins[0], joins[4], joins[2], joins[1]]) shuffled.add(atMs, index, 1);
    const a = new ReadySet();
    const b = new ReadySet();
    inOrder.moveDue(999, a, nodes);
    assert.equal(a.size, 0, 'nobody before the first is due');
    inOrder.moveDue(1_500, a, nodes);
    shuffled.moveDue(1_500, b, nodes);
    assert.equal(a.size, 4);
    assert.deepEqual(drawAll(b, 3), drawAll(a, 3), 'the same members in the same order');
    inOrder.moveDue(5_000, a, nodes);
    shuffled.moveDue(5_000, b, nodes);
    assert.equal(b.size, 6);
    assert.deepEqual(drawAll(b, 4), drawAll(a, 4));
  });

  it('leaves out a node that went offline, or restarted, after the join it was due for', () => {
    const gone = node(0);
    const restarted = node(1);
    const stays = node(2);
    const nodes = [gone, restarted, stays];
    const queue = new ReadyQueue();
    queue.add(1_000, 0, 1);
    queue.add(1_000, 1, 1);
    queue.add(1_000, 2, 1);
    gone.online = false;
    restarted.generation = 2;
    const ready = new ReadySet();
    queue.moveDue(1_000, ready, nodes);
    assert.equal(ready.size, 1);
    assert.equal(ready.pick(Prng.fromSeed(1)), stays);
    queue.moveDue(9_000, ready, nodes);
    assert.equal(ready.size, 1, 'an entry is used once');
  });
});
