/** BM25 ranking: the formula against hand-computed values, its shape, untrusted inputs, deterministic order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bm25Score, Bm25Tuning, inverseDocumentFrequency, rankByScore } from '../../../src/services/search/bm25.ts';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

describe('BM25', () => {
  it('computes idf and the score as the formula says', () => {
    // N = 100, n = 10: ln(1 + 90.5 / 10.5).
    close(inverseDocumentFrequency(100, 10), Math.log(1 + 90.5 / 10.5));
    // One term, tf 3, a document of average length: idf · 3 · 2.2 / (3 + 1.2).
    const { k1 } = Bm25Tuning;
    close(bm25Score({ documents: 100, averageDocumentTerms: 50 }, 50, [{ documentsWithTerm: 10, termCount: 3 }]), inverseDocumentFrequency(100, 10) * (3 * (k1 + 1)) / (3 + k1));
  });

  it('ranks a rarer term, more occurrences and a shorter document higher; a common term never subtracts', () => {
    const corpus = { documents: 1000, averageDocumentTerms: 100 };
    const score = (documentsWithTerm: number, termCount: number, length = 100) => bm25Score(corpus, length, [{ documentsWithTerm, termCount }]);
    assert.ok(score(5, 1) > score(500, 1), 'rarer');
    assert.ok(score(50, 4) > score(50, 1), 'more occurrences');
    assert.ok(score(50, 2, 40) > score(50, 2, 400), 'shorter');
    assert.ok(score(50, 100) < score(50, 1) * (Bm25Tuning.k1 + 1), 'repetitions saturate');
    assert.ok(score(1000, 3) > 0, 'a term in every document still adds a little');
  });

  it('counts untrusted inputs that are not numbers, or negative, as nothing', () => {
    const corpus = { documents: 10, averageDocumentTerms: 5 };
    for (const bad of [Number.NaN, -4, Infinity]) {
      const value = bm25Score(corpus, 5, [{ documentsWithTerm: 2, termCount: bad }]);
      assert.ok(Number.isFinite(value) && value >= 0, String(bad));
    }
    assert.ok(Number.isFinite(bm25Score({ documents: Number.NaN, averageDocumentTerms: 0 }, Number.NaN, [{ documentsWithTerm: Number.NaN, termCount: 1 }])));
    assert.equal(bm25Score(corpus, 5, []), 0);
  });

  it('orders by score, ties by id, and cuts at the limit', () => {
    const ranked = rankByScore([{ id: 'b', score: 1 }, { id: 'a', score: 1 }, { id: 'c', score: 2 }, { id: 'd', score: 0.5 }], 3);
    assert.deepEqual(ranked.map((result) => result.id), ['c', 'a', 'b']);
    assert.deepEqual(rankByScore([{ id: 'x', score: 1 }], 0), []);
  });
});
