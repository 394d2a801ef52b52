/** The rarity queue against a naive oracle (a list sorted after every change), under random operations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RarityQueue, type RarityKeyed } from '../../../../src/services/storage/exchange/rarity-queue.ts';

interface Entry extends RarityKeyed {
  readonly name: string;
}

function oracleOrder(entries: readonly Entry[]): string[] {
  return [...entries].sort((a, b) => a.rarity - b.rarity || a.order - b.order).map((entry) => entry.name);
}

function contents(queue: RarityQueue<Entry>): string[] {
  return Array.from({ length: queue.length }, (_, index) => queue.at(index).name);
}

describe('RarityQueue', () => {
  it('keeps entries in (rarity, order) order through inserts, removals from anywhere and rekeying', () => {
    const opArb = fc.record({ op: fc.nat(9), a: fc.nat(), rarity: fc.integer({ min: 0, max: 4 }) });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 3000, size: 'max' }), (ops) => {
        const queue = new RarityQueue<Entry>();
        const all: Entry[] = Array.from({ length: 2500 }, (_, order) => ({ name: `e${order}`, order, rarity: 1 + (order % 3), queued: false }));
        let queued: Entry[] = [];
        for (const { op, a, rarity } of ops) {
          if (op <= 4) {
            const entry = all[a % all.length];
            if (!entry.queued) {
              entry.rarity = Math.max(1, rarity);
              queued.push(entry);
            }
            queue.insert(entry);
          } else if (op <= 6 && queue.length > 0) {
            // Mostly near the front, as the scheduler takes them.
            const index = op === 5 ? a % Math.min(queue.length, 4) : a % queue.length;
            const taken = queue.removeAt(index);
            assert.equal(taken.queued, false);
            queued = queued.filter((entry) => entry !== taken);
          } else if (op <= 8 && queued.length > 0) {
            const entry = queued[a % queued.length];
            queue.remove(entry);
            assert.equal(entry.queued, false);
            queued = queued.filter((other) => other !== entry);
          } else if (op === 9) {
            const emptied: Entry[] = [];
            queue.rekey((entry) => (entry.order + a) % 4, (entry) => emptied.push(entry));
            for (const entry of emptied) assert.equal(entry.queued, false);
            queued = queued.filter((entry) => !emptied.includes(entry));
          }
          assert.equal(queue.length, queued.length);
        }
        assert.deepEqual(contents(queue), oracleOrder(queued));
        assert.ok(queued.every((entry) => entry.queued));
      }),
      { seed: 77, numRuns: 60 },
    );
  });

  it('stays sorted while thousands are taken from the front and others inserted (the head moves and is reclaimed)', () => {
    const queue = new RarityQueue<Entry>();
    const entries: Entry[] = Array.from({ length: 6000 }, (_, order) => ({ name: `e${order}`, order, rarity: 1 + (order % 2), queued: false }));
    const queued = new Set<Entry>();
    for (const entry of entries.slice(0, 4000)) {
      queue.insert(entry);
      queued.add(entry);
    }
    for (let step = 0; step < 3000; step++) {
      const taken = queue.removeAt(step % 3);
      queued.delete(taken);
      if (step % 4 === 0) {
        const entry = entries[4000 + (step >> 2)];
        queue.insert(entry);
        queued.add(entry);
      }
    }
    assert.deepEqual(contents(queue), oracleOrder([...queued]));
  });

  it('refuses to remove an entry whose key changed while queued (a bug in the owner)', () => {
    const queue = new RarityQueue<Entry>();
    const entries: Entry[] = Array.from({ length: 5 }, (_, order) => ({ name: `e${order}`, order, rarity: 2, queued: false }));
    for (const entry of entries) queue.insert(entry);
    entries[2].rarity = 1;
    assert.throws(() => queue.remove(entries[2]), /changed its key/);
  });
});
