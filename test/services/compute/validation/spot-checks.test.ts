/** Spot checks: a known unit now and then, a wrong answer blacklists, a right one is evidence. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CredibilityBook } from '../../../../src/services/compute/validation/credibility-book.ts';
import { SpotChecks } from '../../../../src/services/compute/validation/spot-checks.ts';
import { Prng } from '../../../../src/sim/prng.ts';

function setUp(rate: number): { book: CredibilityBook; spots: SpotChecks } {
  const book = new CredibilityBook({ cheatersFraction: 0.2, workersMax: 100_000 });
  const spots = new SpotChecks(rate, book);
  for (let unit = 0; unit < 10; unit++) spots.addKnownAnswer({ unit, outputHash: `right-${unit}`, fuel: 5n });
  return { book, spots };
}

describe('SpotChecks', () => {
  it('catches a cheater: a wrong answer blacklists it', () => {
    const { book, spots } = setUp(0.999);
    const unit = spots.maybeSpotCheck('cheater', Prng.fromSeed(1))!;
    assert.notEqual(unit, null);
    assert.equal(spots.checkSpot('cheater', unit, 'wrong', 5n), 'failed');
    assert.ok(book.isBlacklisted('cheater'));
  });

  it('credits an honest answer, and the same output with other fuel is wrong', () => {
    const { book, spots } = setUp(0.999);
    const random = Prng.fromSeed(2);
    const first = spots.maybeSpotCheck('honest', random)!;
    assert.equal(spots.checkSpot('honest', first, `right-${first}`, 5n), 'passed');
    assert.equal(book.standingOf('honest')?.spotChecksPassed, 1);
    const second = spots.maybeSpotCheck('other', random)!;
    assert.equal(spots.checkSpot('other', second, `right-${second}`, 6n), 'failed');
  });

  it('ignores answers to checks never issued, and answers given twice', () => {
    const { book, spots } = setUp(0.999);
    assert.equal(spots.checkSpot('w', 3, 'wrong', 5n), 'unknown');
    const unit = spots.maybeSpotCheck('w', Prng.fromSeed(3))!;
    assert.equal(spots.checkSpot('w', unit, `right-${unit}`, 5n), 'passed');
    assert.equal(spots.checkSpot('w', unit, `right-${unit}`, 5n), 'unknown');
    assert.equal(book.standingOf('w')?.spotChecksPassed, 1);
  });

  it('checks at about its rate, and never gives a worker the same known unit twice', () => {
    const { book, spots } = setUp(0.1);
    const random = Prng.fromSeed(4);
    let issued = 0;
    // Workers past their probation (below): only the rate decides.
    for (let index = 0; index < 10_000; index++) book.recordSpotCheck(`w${index}`, true);
    for (let index = 0; index < 10_000; index++) if (spots.maybeSpotCheck(`w${index}`, random) !== null) issued++;
    assert.ok(issued > 900 && issued < 1100, `${issued} of 10,000`);
    const all = setUp(0.999).spots;
    const given = new Set<number>();
    for (let index = 0; index < 20; index++) {
      const unit = all.maybeSpotCheck('one', random);
      if (unit !== null) {
        assert.ok(!given.has(unit));
        given.add(unit);
      }
    }
    assert.equal(given.size, 10, 'all ten known units, each once');
  });

  it('puts a newcomer on probation: a check before anything else, one at a time, then the rate', () => {
    const { book, spots } = setUp(1e-9);
    const random = Prng.fromSeed(5);
    const first = spots.maybeSpotCheck('newcomer', random);
    assert.notEqual(first, null, 'a newcomer is checked first, whatever the rate');
    assert.equal(spots.maybeSpotCheck('newcomer', random), null, 'not again while its check is pending');
    spots.abandon('newcomer', first!);
    const second = spots.maybeSpotCheck('newcomer', random);
    assert.notEqual(second, null, 'a check it walked away from leaves it on probation');
    assert.equal(spots.checkSpot('newcomer', second!, `right-${second}`, 5n), 'passed');
    assert.equal(spots.maybeSpotCheck('newcomer', random), null, 'past probation, only the rate');
    assert.equal(book.hasPassedSpotCheck('newcomer'), true);
    const off = new SpotChecks(0, book);
    off.addKnownAnswer({ unit: 1, outputHash: 'right-1', fuel: 5n });
    assert.equal(off.maybeSpotCheck('another', random), null, 'no probation with spot checks off');
  });
});
