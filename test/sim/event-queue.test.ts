/**
 * The calendar queue must hand out events in exactly the order a binary heap ordered by
 * (time, sequence) would, whatever the mix of near, far and late-arriving events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MinHeap } from '../../src/core/min-heap.ts';
import { EventQueue } from '../../src/sim/event-queue.ts';

interface Event {
  readonly atMs: number;
  readonly sequence: number;
}

/** Each step either pushes an event at now + delay (delay from 0 up to beyond the ring's 65.5 s span) or pops up to a limit. */
const steps = fc.array(
  fc.oneof(
    fc.record({
      push: fc.constant(true),
      delayMs: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 60_000, max: 400_000 })),
      // Sequences need not grow with insertion (the simulator keys them by origin): any order.
      rank: fc.integer({ min: 0, max: 7 }),
    }),
    fc.record({ push: fc.constant(false), lookaheadMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 100_000 }), fc.constant(Infinity)) }),
  ),
  { maxLength: 400 },
);

describe('EventQueue', () => {
  it('pops in (time, sequence) order, exactly as a heap does, never past the limit it is given', () => {
    fc.assert(
      fc.property(steps, (script) => {
        const calendar = new EventQueue<Event>();
        const heap = new MinHeap<Event>();
        let sequence = 0;
        let nowMs = 0;
        for (const step of script) {
          if (step.push) {
            // Unique, but ordered mainly by the drawn rank, not by when the event was pushed.
            const event = { atMs: nowMs + step.delayMs, sequence: step.rank * 1_000_000 + sequence++ };
            calendar.push(event);
            heap.push(event);
          } else {
            const limitMs = nowMs + step.lookaheadMs;
            for (;;) {
              const expected = heap.peek() !== undefined && (heap.peek() as Event).atMs <= limitMs ? heap.pop() : undefined;
              const actual = calendar.popNotAfter(limitMs);
              assert.equal(actual, expected);
              if (actual === undefined) break;
              nowMs = actual.atMs;
            }
            // Later pushes may land anywhere from the last event taken on, even before where the
            // calendar's cursor looked ahead to.
          }
          assert.equal(calendar.size, heap.size);
        }
      }),
      { seed: 11, numRuns: 300 },
    );
  });

  it('refuses an event before the last one taken', () => {
    const queue = new EventQueue<Event>();
    queue.push({ atMs: 10, sequence: 0 });
    queue.popNotAfter(Infinity);
    assert.throws(() => queue.push({ atMs: 9, sequence: 1 }), RangeError);
  });

  it('keeps insertion order within one millisecond, including events added while that millisecond is being taken', () => {
    const queue = new EventQueue<Event>();
    queue.push({ atMs: 5, sequence: 0 });
    queue.push({ atMs: 5, sequence: 1 });
    assert.equal(queue.popNotAfter(5)?.sequence, 0);
    queue.push({ atMs: 5, sequence: 2 });
    assert.equal(queue.popNotAfter(5)?.sequence, 1);
    assert.equal(queue.popNotAfter(5)?.sequence, 2);
    assert.equal(queue.popNotAfter(5), undefined);
  });
});
