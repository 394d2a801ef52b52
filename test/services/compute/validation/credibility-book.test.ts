/** A worker's standing: evidence from spot checks and confirmed first results, blacklisting, a bounded memory, snapshots. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredibilityBook } from '../../../../src/services/compute/validation/credibility-book.ts';
import { copierBound, evidenceFor, lieBound } from '../../../../src/services/compute/validation/lie-bound.ts';

const config = { cheatersFraction: 0.2, workersMax: 3 };

describe('lie bound (Sarmenta §4.2, spot-checking with blacklisting)', () => {
  it('is the share of cheaters for a newcomer and falls as 1/k with the checks passed', () => {
    assert.equal(lieBound(0, 0.2), 0.2);
    const ten = lieBound(10, 0.2);
    assert.ok(Math.abs(ten - 0.2 / (0.8 * Math.E * 10)) < 1e-12);
    assert.ok(Math.abs(lieBound(100, 0.2) - ten / 10) < 1e-12);
    assert.ok(Math.abs(lieBound(evidenceFor(1e-4, 0.2), 0.2) - 1e-4) < 1e-12, 'evidenceFor inverts it');
  });

  it('with a least lie rate s₀, is f/(1 − f)·s₀(1 − s₀)^k once s₀ is past the worst rate 1/(k + 1), and Sarmenta\'s before', () => {
    assert.equal(lieBound(0, 0.2, 1), 0.2, 'a newcomer is a newcomer whatever is assumed');
    assert.equal(lieBound(1, 0.2, 1), 0, 'a cheater that lies on every unit never passes a check');
    assert.ok(Math.abs(lieBound(3, 0.2, 0.5) - 0.25 * 0.5 * 0.5 ** 3) < 1e-15);
    assert.equal(lieBound(3, 0.2, 0.2), lieBound(3, 0.2), 's₀ = 0.2 is below the worst rate for 3 checks, 1/4');
    assert.equal(lieBound(10, 0.2, 0), lieBound(10, 0.2));
    for (const k of [1, 2, 5, 20]) for (const s0 of [0.1, 0.5, 0.9]) assert.ok(lieBound(k, 0.2, s0) <= lieBound(k, 0.2) + 1e-15, `a floor never raises the bound (k ${k}, s₀ ${s0})`);
  });

  it("bounds a copier by f unless a lie rate is assumed, then by f/(1 − f)·(1 − s₀)^k", () => {
    assert.equal(copierBound(50, 0.2), 0.2, 'a colluder copies whatever its record');
    assert.equal(copierBound(0, 0.2, 1), 0.2);
    assert.equal(copierBound(1, 0.2, 1), 0);
    assert.ok(Math.abs(copierBound(2, 0.2, 0.5) - 0.25 * 0.25) < 1e-15);
    assert.equal(copierBound(1, 0.2, 0.1), 0.2, 'capped at f');
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
    assert.equal(book.evidence('newcomer'), 0);
    assert.equal(book.hasPassedSpotCheck('a'), true);
    assert.equal(book.hasPassedSpotCheck('b'), false);
  });

  it('blacklists a worker outvoted or caught by a spot check, and reports who was newly blacklisted', () => {
    const book = new CredibilityBook(config);
    assert.deepEqual(book.recordAccepted(['a', 'b'], ['c']), ['c']);
    assert.deepEqual(book.recordAccepted(['a', 'b'], ['c']), [], 'already blacklisted');
    book.recordSpotCheck('d', false);
    assert.ok(book.isBlacklisted('c') && book.isBlacklisted('d'));
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
