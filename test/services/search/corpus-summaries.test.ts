/** CorpusSummaries: the newest summary per publisher, expiry, a cap on publishers, and the totals BM25 needs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CorpusSummaries, type CorpusSummariesOptions } from '../../../src/services/search/corpus-summaries.ts';
import { A, B, C, NOW, peerOf, signedSummary } from './search-fixtures.ts';

const TTL = 3600_000;
const SKEW = 60_000;
const OPTIONS: CorpusSummariesOptions = { ttlMs: TTL, clockSkewMs: SKEW, publishersMax: 100 };

describe('CorpusSummaries', () => {
  it('keeps the newest summary per publisher; an older or equal one is refused', () => {
    const summaries = new CorpusSummaries(OPTIONS);
    assert.equal(summaries.admit(signedSummary({ publishedAtUnixMs: NOW - 100, documents: 1, documentTerms: 10 }), NOW), null);
    assert.equal(summaries.admit(signedSummary({ publishedAtUnixMs: NOW - 50, documents: 2, documentTerms: 20 }), NOW), null);
    assert.equal(summaries.get(A)?.summary.documents, 2);
    assert.equal(summaries.admit(signedSummary({ publishedAtUnixMs: NOW - 50, documents: 9, documentTerms: 90 }), NOW), 'not newer than the summary held');
    assert.equal(summaries.admit(signedSummary({ publishedAtUnixMs: NOW - 100, documents: 9, documentTerms: 90 }), NOW), 'not newer than the summary held');
    assert.deepEqual(summaries.get(A), signedSummary({ publishedAtUnixMs: NOW - 50, documents: 2, documentTerms: 20 }));
    assert.equal(summaries.all().length, 1);
    assert.equal(summaries.get(B), undefined);
  });

  it('refuses a summary from the future beyond the clock skew, and an expired one', () => {
    const summaries = new CorpusSummaries(OPTIONS);
    assert.equal(summaries.admit(signedSummary({ publishedAtUnixMs: NOW + SKEW + 1 }), NOW), 'published in the future (beyond the clock skew allowed)');
    assert.equal(summaries.admit(signedSummary({ publishedAtUnixMs: NOW - TTL - 1 }), NOW), 'expired');
    assert.deepEqual(summaries.all(), []);
    assert.deepEqual([...summaries.takeChanges()], []);
    // The edges are admitted.
    assert.equal(summaries.admit(signedSummary({ publishedAtUnixMs: NOW + SKEW }), NOW), null);
    assert.equal(summaries.admit(signedSummary({ publisher: B, publishedAtUnixMs: NOW - TTL }), NOW), null);
  });

  it('sums the summaries held into the totals', () => {
    const summaries = new CorpusSummaries(OPTIONS);
    assert.deepEqual(summaries.totals(NOW), { publishers: 0, documents: 0, documentTerms: 0 });
    summaries.admit(signedSummary({ documents: 10, documentTerms: 400 }), NOW);
    summaries.admit(signedSummary({ publisher: B, documents: 5, documentTerms: 50 }), NOW);
    summaries.admit(signedSummary({ publisher: C, documents: 0, documentTerms: 0 }), NOW);
    assert.deepEqual(summaries.totals(NOW), { publishers: 3, documents: 15, documentTerms: 450 });
    // A newer summary replaces its publisher's share rather than adding to it.
    summaries.admit(signedSummary({ documents: 1, documentTerms: 7, publishedAtUnixMs: NOW + 1 }), NOW);
    assert.deepEqual(summaries.totals(NOW), { publishers: 3, documents: 6, documentTerms: 57 });
  });

  it('expires summaries past their time to live, in totals too', () => {
    const summaries = new CorpusSummaries(OPTIONS);
    summaries.admit(signedSummary({ publishedAtUnixMs: NOW - 100, documents: 3, documentTerms: 30 }), NOW);
    summaries.admit(signedSummary({ publisher: B, publishedAtUnixMs: NOW, documents: 4, documentTerms: 40 }), NOW);
    summaries.takeChanges();
    assert.deepEqual(summaries.totals(NOW + TTL - 100), { publishers: 2, documents: 7, documentTerms: 70 });
    assert.deepEqual(summaries.totals(NOW + TTL - 99), { publishers: 1, documents: 4, documentTerms: 40 });
    assert.deepEqual([...summaries.takeChanges()], [A]);
    summaries.expire(NOW + TTL + 1);
    assert.deepEqual(summaries.all(), []);
    assert.deepEqual([...summaries.takeChanges()], [B]);
  });

  it('keeps at most publishersMax publishers: the oldest summary gives way', () => {
    const summaries = new CorpusSummaries({ ...OPTIONS, publishersMax: 2 });
    assert.equal(summaries.admit(signedSummary({ publisher: A, publishedAtUnixMs: NOW - 10 }), NOW), null);
    assert.equal(summaries.admit(signedSummary({ publisher: B, publishedAtUnixMs: NOW - 30 }), NOW), null);
    summaries.takeChanges();
    assert.equal(summaries.admit(signedSummary({ publisher: C, publishedAtUnixMs: NOW - 20 }), NOW), null);
    assert.deepEqual(summaries.all().map((s) => s.summary.publisher).sort(), [A, C].sort());
    assert.deepEqual([...summaries.takeChanges()].sort(), [B, C].sort());
    // A publisher already held replaces its own summary: nobody gives way.
    assert.equal(summaries.admit(signedSummary({ publisher: C, publishedAtUnixMs: NOW - 15 }), NOW), null);
    assert.deepEqual(summaries.all().map((s) => s.summary.publisher).sort(), [A, C].sort());
  });

  it('refuses, rather than claims to keep, a new publisher\'s summary older than every one held when full', () => {
    const summaries = new CorpusSummaries({ ...OPTIONS, publishersMax: 2 });
    summaries.admit(signedSummary({ publisher: A, publishedAtUnixMs: NOW - 10 }), NOW);
    summaries.admit(signedSummary({ publisher: B, publishedAtUnixMs: NOW - 20 }), NOW);
    const reason = summaries.admit(signedSummary({ publisher: C, publishedAtUnixMs: NOW - 30 }), NOW);
    assert.match(reason ?? '', /older than every summary held/);
    assert.equal(summaries.get(C), undefined);
    assert.deepEqual(summaries.all().map((s) => s.summary.publisher).sort(), [A, B].sort());
  });

  it('never holds more than publishersMax, and keeps the newest of each publisher (property)', () => {
    const publishers = Array.from({ length: 6 }, (_, i) => peerOf(`p${i}`));
    fc.assert(fc.property(
      fc.array(fc.record({ publisher: fc.integer({ min: 0, max: 5 }), age: fc.integer({ min: 0, max: 1000 }), documents: fc.integer({ min: 0, max: 50 }) }), { maxLength: 40 }),
      fc.integer({ min: 1, max: publishers.length }),
      (arrivals, publishersMax) => {
        const summaries = new CorpusSummaries({ ...OPTIONS, publishersMax });
        for (const { publisher, age, documents } of arrivals) {
          const signed = signedSummary({ publisher: publishers[publisher], publishedAtUnixMs: NOW - age, documents, documentTerms: documents * 3 });
          const reason = summaries.admit(signed, NOW);
          assert.equal(reason === null, summaries.get(publishers[publisher]) === signed, 'admitted exactly when kept');
        }
        assert.ok(summaries.all().length <= publishersMax);
        // With room for every publisher, nothing gives way: each publisher's newest is what is held.
        if (publishersMax === publishers.length) for (const { summary } of summaries.all()) {
          const newest = Math.max(...arrivals.filter((a) => publishers[a.publisher] === summary.publisher).map((a) => NOW - a.age));
          assert.equal(summary.publishedAtUnixMs, newest);
        }
        const totals = summaries.totals(NOW);
        assert.equal(totals.publishers, summaries.all().length);
        assert.equal(totals.documents, summaries.all().reduce((sum, s) => sum + s.summary.documents, 0));
        assert.equal(totals.documentTerms, 3 * totals.documents);
      },
    ), { numRuns: 300 });
  });
});
