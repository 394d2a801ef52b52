/** The per-peer ledger: counts by peer, bounded to the most recently active, sorted for status pages. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PeerLedger } from '../../../../src/services/storage/placement/peer-ledger.ts';

describe('PeerLedger', () => {
  it('counts bytes and blocks stored and served, refusals and invalid blocks, per peer', () => {
    const ledger = new PeerLedger();
    ledger.recordStored('a', 100);
    ledger.recordStored('a', 50);
    ledger.recordServed('a', 7);
    ledger.recordRefusal('a');
    ledger.recordInvalidBlock('b');
    ledger.recordInvalidBlock('b');
    assert.deepEqual(ledger.countersOf('a'), { bytesStoredFor: 150, bytesServedTo: 7, blocksStoredFor: 2, blocksServedTo: 1, refusals: 1, invalidBlocks: 0 });
    assert.equal(ledger.countersOf('b').invalidBlocks, 2);
    assert.deepEqual(ledger.countersOf('nobody'), { bytesStoredFor: 0, bytesServedTo: 0, blocksStoredFor: 0, blocksServedTo: 0, refusals: 0, invalidBlocks: 0 });
  });

  it('keeps the most recently active peers up to its cap', () => {
    const ledger = new PeerLedger({ peersMax: 3 });
    ledger.recordStored('a', 1);
    ledger.recordStored('b', 1);
    ledger.recordStored('c', 1);
    ledger.recordServed('a', 1); // a is now the most recent; b the least
    ledger.recordStored('d', 1);
    assert.equal(ledger.size, 3);
    assert.equal(ledger.countersOf('b').blocksStoredFor, 0);
    assert.equal(ledger.countersOf('a').blocksStoredFor, 1);
  });

  it('reading counts does not count as activity', () => {
    const ledger = new PeerLedger({ peersMax: 2 });
    ledger.recordStored('a', 1);
    ledger.recordStored('b', 1);
    ledger.countersOf('a');
    ledger.recordStored('c', 1);
    assert.equal(ledger.countersOf('a').blocksStoredFor, 0);
  });

  it('snapshot: most bytes exchanged first, ties by name, limited; a copy', () => {
    const ledger = new PeerLedger();
    ledger.recordServed('z', 10);
    ledger.recordStored('m', 30);
    ledger.recordStored('b', 10);
    ledger.recordRefusal('q');
    const snapshot = ledger.snapshot();
    assert.deepEqual(snapshot.map((e) => e.peer), ['m', 'b', 'z', 'q']);
    assert.deepEqual(ledger.snapshot(2).map((e) => e.peer), ['m', 'b']);
    (snapshot[0] as { bytesStoredFor: number }).bytesStoredFor = 0;
    assert.equal(ledger.countersOf('m').bytesStoredFor, 30);
  });

  it('refuses a bad count or cap (bugs in the caller)', () => {
    const ledger = new PeerLedger();
    assert.throws(() => ledger.recordStored('a', -1), RangeError);
    assert.throws(() => ledger.recordServed('a', 0.5), RangeError);
    assert.throws(() => new PeerLedger({ peersMax: 0 }), RangeError);
  });

  it('property: never more than the cap, and the last cap-many distinct peers touched are the ones kept', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 100 }), (peersMax, touches) => {
        const ledger = new PeerLedger({ peersMax });
        for (const t of touches) ledger.recordServed(`p${t}`, 1);
        assert.ok(ledger.size <= peersMax);
        const recent: string[] = [];
        for (let i = touches.length - 1; i >= 0 && recent.length < peersMax; i--) if (!recent.includes(`p${touches[i]}`)) recent.push(`p${touches[i]}`);
        assert.deepEqual(ledger.snapshot().map((e) => e.peer).sort(), recent.sort());
      }),
      { seed: 32, numRuns: 500 },
    );
  });
});
