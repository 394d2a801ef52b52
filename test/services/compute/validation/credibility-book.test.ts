/** A worker's standing: evidence from spot checks and confirmed first results, blacklisting, a bounded memory, snapshots. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredibilityBook } from '../../../../src/services/compute/validation/credibility-book.ts';
import { evidenceFor, lieBound } from '../../../../src/services/compute/validation/lie-bound.ts';

const config = { cheatersFraction: 0.2, workersMax: 3 };

describe('lie bound (Sarmenta §4.2, spot-checking with blacklisting)', () => {
  it('is the share of cheaters for a newcomer and falls as 1/k with the checks passed', () => {
    assert.equal(lieBound(0, 0.2), 0.2);
    const ten = lieBound(10, 0.2);
    assert.ok(Math.abs(ten - 0.2 / (0.8 * Math.E * 10)) < 1e-12);
    assert.ok(Math.abs(lieBound(100, 0.2) - ten / 10) < 1e-12);
    assert.ok(Math.abs(lieBound(evidenceFor(1e-4, 0.2), 0.2) - 1e-4) < 1e-12, 'evidenceFor inverts it');
  });
});

describe('CredibilityBook', () => {
  it('counts a spot check passed as 1 and a confirmed first result as 1 − f; results after a fellow are no evidence', () => {
    const book = new CredibilityBook(config);
    book.recordSpotCheck('a', true);
    book.recordAccepted(['a', 'b'], []);
    assert.equal(book.evidence('a'), 1 + 0.8);
    assert.equal(book.evidence('b'), 0, 'b only agreed with what a had reported');
    assert.equal(book.standingOf('b')?.resultsAgreed, 1);
    assert.equal(book.lieBound('newcomer'), 0.2);
  });

  it('blacklists a worker outvoted or caught by a spot check, and reports who was newly blacklisted', () => {
    const book = new CredibilityBook(config);
    assert.deepEqual(book.recordAccepted(['a', 'b'], ['c']), ['c']);
    assert.deepEqual(book.recordAccepted(['a', 'b'], ['c']), [], 'already blacklisted');
    book.recordSpotCheck('d', false);
    assert.ok(book.isBlacklisted('c') && book.isBlacklisted('d'));
    assert.equal(book.lieBound('c'), 1);
    assert.equal(book.evidence('c'), 0);
  });

  it('forgets the worker touched longest ago beyond workersMax', () => {
    const book = new CredibilityBook(config);
    for (const worker of ['a', 'b', 'c']) book.recordSpotCheck(worker, true);
    book.recordSpotCheck('a', true);
    book.recordSpotCheck('d', true);
    assert.equal(book.size, 3);
    assert.equal(book.standingOf('b'), null, 'b was touched longest ago');
    assert.equal(book.standingOf('a')?.spotChecksPassed, 2);
  });

  it('round-trips through a JSON snapshot', () => {
    const book = new CredibilityBook(config);
    book.recordSpotCheck('a', true);
    book.recordAccepted(['a', 'b'], ['c']);
    const copy = CredibilityBook.fromSnapshot(JSON.parse(JSON.stringify(book.snapshot())));
    assert.deepEqual(copy.snapshot(), book.snapshot());
    assert.equal(copy.evidence('a'), book.evidence('a'));
    assert.ok(copy.isBlacklisted('c'));
  });
});
