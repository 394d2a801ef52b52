import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MinHeap, type Scheduled } from '../../src/core/min-heap.ts';
import { TimerQueue } from '../../src/core/timer-queue.ts';
import { fcOptions } from './helpers.ts';

interface Item extends Scheduled {
  readonly label: number;
}

/** Pushes (with some pops interleaved) must come out as a stable sort by (atMs, sequence) would give. */
const heapOps = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ op: fc.constant('push' as const), atMs: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('pop' as const), atMs: fc.constant(0) }) },
  ),
  { maxLength: 200 },
);

describe('MinHeap', () => {
  it('pops in (atMs, sequence) order, as sorting the pending items would', () => {
    fc.assert(
      fc.property(heapOps, (ops) => {
        const heap = new MinHeap<Item>();
        let pending: Item[] = [];
        let sequence = 0;
        const popBoth = (): void => {
          pending.sort((a, b) => a.atMs - b.atMs || a.sequence - b.sequence);
          const expected = pending.shift();
          assert.equal(heap.peek(), expected);
          assert.equal(heap.pop(), expected);
        };
        for (const { op, atMs } of ops) {
          if (op === 'push') {
            const item = { atMs, sequence: sequence++, label: sequence };
            heap.push(item);
            pending.push(item);
          } else {
            popBoth();
          }
          assert.equal(heap.size, pending.length);
        }
        while (pending.length > 0) popBoth();
        assert.equal(heap.pop(), undefined);
        assert.equal(heap.peek(), undefined);
        pending = [];
      }),
      fcOptions(0x4ea9, 300),
    );
  });

  it('breaks ties in insertion order: items due at the same instant come out as they went in', () => {
    const heap = new MinHeap<Item>();
    for (let i = 0; i < 50; i++) heap.push({ atMs: i % 3, sequence: i, label: i });
    const out: Item[] = [];
    for (let item = heap.pop(); item; item = heap.pop()) out.push(item);
    assert.deepEqual(out.map((item) => item.label), [...Array(50).keys()].sort((a, b) => (a % 3) - (b % 3) || a - b));
  });

  it('clear empties it', () => {
    const heap = new MinHeap<Item>();
    heap.push({ atMs: 1, sequence: 0, label: 0 });
    heap.clear();
    assert.equal(heap.size, 0);
    assert.equal(heap.pop(), undefined);
  });
});

describe('TimerQueue', () => {
  it('fires timers in (time, insertion) order with times rounded up to whole milliseconds', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 10_000, noNaN: true }), { maxLength: 100 }), (times) => {
        const queue = new TimerQueue<number>();
        times.forEach((atMs, index) => queue.add(atMs, index));
        assert.equal(queue.size, times.length);
        const expected = times.map((atMs, index) => ({ at: Math.ceil(atMs), index })).sort((a, b) => a.at - b.at || a.index - b.index);
        const fired: number[] = [];
        for (const { at } of expected) {
          assert.equal(queue.nextAtMs(), at);
          const payload = queue.popDue(at);
          assert.notEqual(payload, undefined);
          fired.push(payload as number);
        }
        assert.deepEqual(fired, expected.map((entry) => entry.index));
        assert.equal(queue.nextAtMs(), Infinity);
        assert.equal(queue.popDue(Infinity), undefined);
      }),
      fcOptions(0x71e4, 200),
    );
  });

  it('never fires early: a timer set for 10.2 ms is not due at 10.9 ms but is at 11 ms', () => {
    const queue = new TimerQueue<string>();
    queue.add(10.2, 'a');
    assert.equal(queue.nextAtMs(), 11);
    assert.equal(queue.popDue(10.9), undefined);
    assert.equal(queue.size, 1);
    assert.equal(queue.popDue(11), 'a');
    assert.equal(queue.size, 0);
  });

  it('popDue returns only timers due at or before now, one at a time', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 60 }), fc.integer({ min: -1, max: 101 }), (times, nowMs) => {
        const queue = new TimerQueue<number>();
        times.forEach((atMs, index) => queue.add(atMs, index));
        const due: number[] = [];
        for (let payload = queue.popDue(nowMs); payload !== undefined; payload = queue.popDue(nowMs)) due.push(payload);
        const expected = times.map((atMs, index) => ({ atMs, index })).filter((t) => t.atMs <= nowMs).sort((a, b) => a.atMs - b.atMs || a.index - b.index);
        assert.deepEqual(due, expected.map((t) => t.index));
        assert.equal(queue.size, times.length - due.length);
        assert.ok(queue.nextAtMs() > nowMs);
      }),
      fcOptions(0x71e5, 200),
    );
  });

  it('clear drops every timer', () => {
    const queue = new TimerQueue<number>();
    queue.add(1, 1);
    queue.add(2, 2);
    queue.clear();
    assert.equal(queue.size, 0);
    assert.equal(queue.nextAtMs(), Infinity);
    assert.equal(queue.popDue(100), undefined);
  });
});
