/** Queries: parsing words, field filters and --stem; intersecting posting lists; ranking by BM25. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bm25Score } from '../../../src/services/search/bm25.ts';
import { DublinCoreField } from '../../../src/services/search/dublin-core.ts';
import { POSTING_ALL_FIELDS, PostingField } from '../../../src/services/search/posting.ts';
import {
  QueryLimits, intersect, listTermOf, parseQuery, rankMatches, type Match, type ParsedQuery, type Query, type QueryTerm,
} from '../../../src/services/search/query.ts';
import { A, B, C, NOW, cidOf, signedPosting } from './search-fixtures.ts';

function queryOf(parsed: ParsedQuery): Query {
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
  return parsed.query;
}

function errorOf(parsed: ParsedQuery): string {
  assert.equal(parsed.ok, false, 'expected an error');
  return parsed.ok ? '' : parsed.error;
}

const ALL = POSTING_ALL_FIELDS;

describe('parseQuery: words', () => {
  it('folds, splits and drops stopwords and single letters, as documents are', () => {
    assert.deepEqual(queryOf(parseQuery('The Café of a GRID, x')), { terms: [{ term: 'cafe', fields: ALL }, { term: 'grid', fields: ALL }], stem: false });
  });

  it('asks each (list, fields) once, in the order of the words', () => {
    assert.deepEqual(queryOf(parseQuery('peer-to-peer grid GRID grids')).terms.map((t) => t.term), ['peer', 'grid', 'grids']);
  });

  it('refuses a query with no word to search for', () => {
    assert.match(errorOf(parseQuery('')), /^the query has no word to search for/);
    assert.match(errorOf(parseQuery('the and of a I')), /^the query has no word to search for/);
  });

  it('refuses text longer than textCharsMax, and what is not text', () => {
    assert.ok(parseQuery(`grid ${'x'.repeat(QueryLimits.textCharsMax - 5)}`).ok);
    assert.match(errorOf(parseQuery(`grid ${'x'.repeat(QueryLimits.textCharsMax - 4)}`)), /^the query must be text of at most 1024 characters$/);
    assert.match(errorOf(parseQuery(42 as unknown as string)), /^the query must be text/);
  });

  it('allows termsMax terms and no more, counting field filters and after dedupe', () => {
    const eight = 'alpha bravo charlie delta echo foxtrot golf hotel';
    assert.equal(queryOf(parseQuery(eight)).terms.length, QueryLimits.termsMax);
    assert.equal(queryOf(parseQuery(`${eight} alpha hotel`)).terms.length, 8, 'repeats do not count');
    assert.match(errorOf(parseQuery(`${eight} india`)), /^the query has 9 terms, over 8$/);
    assert.match(errorOf(parseQuery('alpha bravo charlie delta echo foxtrot golf', ['title:hotel india'])), /^the query has 9 terms, over 8$/);
  });
});

describe('parseQuery: field filters', () => {
  it('sets the element\'s bit for element:words, and PostingField.textBody for text:words', () => {
    const query = queryOf(parseQuery('grid', ['creator:Crowcroft', 'text:kademlia routing', 'Subject : P2P']));
    assert.deepEqual(query.terms, [
      { term: 'grid', fields: ALL },
      { term: 'crowcroft', fields: DublinCoreField.creator },
      { term: 'kademlia', fields: PostingField.textBody },
      { term: 'routing', fields: PostingField.textBody },
      { term: 'p2p', fields: DublinCoreField.subject },
    ]);
  });

  it('keeps a word in a field apart from the same word anywhere, and a repeated filter once', () => {
    const query = queryOf(parseQuery('crowcroft', ['creator:crowcroft', 'creator:CROWCROFT', 'title:crowcroft']));
    assert.deepEqual(query.terms, [
      { term: 'crowcroft', fields: ALL },
      { term: 'crowcroft', fields: DublinCoreField.creator },
      { term: 'crowcroft', fields: DublinCoreField.title },
    ]);
  });

  it('takes only the first colon as the separator', () => {
    assert.deepEqual(queryOf(parseQuery('', ['identifier:doi:10.1145'])).terms, [
      { term: 'doi', fields: DublinCoreField.identifier }, { term: '10', fields: DublinCoreField.identifier }, { term: '1145', fields: DublinCoreField.identifier },
    ]);
  });

  it('refuses an unknown element, a missing colon, an empty element and a filter of no words', () => {
    assert.match(errorOf(parseQuery('grid', ['author:Crowcroft'])), /^field filter "author:Crowcroft": author is neither a Dublin Core element nor text$/);
    assert.match(errorOf(parseQuery('grid', ['Crowcroft'])), /^field filter "Crowcroft": expected element:words, such as creator:Crowcroft$/);
    assert.match(errorOf(parseQuery('grid', [' :Crowcroft'])), /expected element:words/);
    assert.match(errorOf(parseQuery('grid', ['title:the a'])), /^field filter "title:the a": no word to search for/);
    assert.match(errorOf(parseQuery('grid', ['toString:x'])), /toString is neither/i);
  });

  it('allows fieldFiltersMax filters and no more', () => {
    const filters = (n: number) => Array.from({ length: n }, () => 'title:grid');
    assert.ok(parseQuery('', filters(QueryLimits.fieldFiltersMax)).ok);
    assert.match(errorOf(parseQuery('', filters(QueryLimits.fieldFiltersMax + 1))), /^at most 8 field filters$/);
  });

  it('searches with filters alone', () => {
    assert.deepEqual(queryOf(parseQuery('', ['creator:Crowcroft'])).terms, [{ term: 'crowcroft', fields: DublinCoreField.creator }]);
  });
});

describe('parseQuery: --stem', () => {
  it('maps words to their stem lists, and merges words of one stem', () => {
    const query = queryOf(parseQuery('networking networks grids', ['subject:peers'], { stem: true }));
    assert.deepEqual(query, {
      terms: [{ term: '~network', fields: ALL }, { term: '~grid', fields: ALL }, { term: '~peer', fields: DublinCoreField.subject }],
      stem: true,
    });
  });

  it('falls back to the word when its stem is not a term', () => {
    // "one" stems to "on", a stopword: there is no list "~on".
    assert.equal(listTermOf('one', true), 'one');
    assert.deepEqual(queryOf(parseQuery('one grid', [], { stem: true })).terms.map((t) => t.term), ['one', '~grid']);
  });

  it('leaves words as they are without it', () => {
    assert.equal(listTermOf('networking', false), 'networking');
    assert.equal(listTermOf('networking', true), '~network');
    assert.deepEqual(queryOf(parseQuery('networking networks')).terms.map((t) => t.term), ['networking', 'networks']);
    assert.equal(queryOf(parseQuery('networking', [], { stem: false })).stem, false);
  });
});

describe('intersect', () => {
  const D1 = cidOf('d1');
  const D2 = cidOf('d2');
  const D3 = cidOf('d3');
  const grid: QueryTerm = { term: 'grid', fields: ALL };
  const peerByCreator: QueryTerm = { term: 'peer', fields: DublinCoreField.creator };

  it('picks the documents in every list, with one posting per term in query order', () => {
    const gridList = [D1, D2, D3].map((cid) => signedPosting({ cid }));
    const peerList = [
      signedPosting({ term: 'peer', cid: D3, fields: DublinCoreField.creator | DublinCoreField.title }),
      signedPosting({ term: 'peer', cid: D1, fields: DublinCoreField.creator }),
    ];
    const matches = intersect([grid, peerByCreator], [gridList, peerList]);
    assert.deepEqual(matches, [
      { cid: D1, postings: [gridList[0], peerList[1]] },
      { cid: D3, postings: [gridList[2], peerList[0]] },
    ], 'in the order of the first list');
  });

  it('ignores postings outside a term\'s fields, or of another term', () => {
    const gridList = [D1, D2, D3].map((cid) => signedPosting({ cid }));
    const peerList = [
      signedPosting({ term: 'peer', cid: D1, fields: DublinCoreField.title }),
      signedPosting({ term: 'peer', cid: D2, fields: PostingField.textBody }),
      signedPosting({ term: 'kademlia', cid: D3, fields: DublinCoreField.creator }),
    ];
    assert.deepEqual(intersect([grid, peerByCreator], [gridList, peerList]), []);
    assert.deepEqual(intersect([grid, { term: 'peer', fields: PostingField.textBody }], [gridList, peerList]).map((m) => m.cid), [D2]);
  });

  it('chooses the newest posting among publishers, then the least publisher, whatever the order', () => {
    const older = signedPosting({ publisher: A, publishedAtUnixMs: NOW - 10, termCount: 1 });
    const newer = signedPosting({ publisher: C, publishedAtUnixMs: NOW, termCount: 2 });
    const tie = signedPosting({ publisher: B, publishedAtUnixMs: NOW, termCount: 3 });
    const least = [B, C].sort()[0] === B ? tie : newer;
    for (const list of [[older, newer, tie], [tie, newer, older], [newer, older, tie], [older, tie, newer]]) {
      const [match] = intersect([grid], [list]);
      assert.equal(match.postings[0], least, 'the newest, ties by publisher');
    }
    for (const list of [[older, newer], [newer, older]]) assert.equal(intersect([grid], [list])[0].postings[0], newer);
  });

  it('gives nothing without terms or when terms and lists disagree in number', () => {
    assert.deepEqual(intersect([], []), []);
    assert.deepEqual(intersect([grid, peerByCreator], [[signedPosting()]]), []);
    assert.deepEqual(intersect([grid], [[]]), []);
  });

  it('agrees with a plain set intersection (property)', () => {
    const cids = [D1, D2, D3, cidOf('d4'), cidOf('d5')];
    const posting = (term: string) => fc.record({ cid: fc.constantFrom(...cids), fields: fc.constantFrom(DublinCoreField.title, DublinCoreField.creator, PostingField.textBody), publisher: fc.constantFrom(A, B) })
      .map((p) => signedPosting({ term, ...p }));
    fc.assert(fc.property(fc.array(posting('grid'), { maxLength: 10 }), fc.array(posting('peer'), { maxLength: 10 }), (gridList, peerList) => {
      const terms = [grid, peerByCreator];
      const expected = cids.filter((cid) => gridList.some((p) => p.posting.cid === cid) &&
        peerList.some((p) => p.posting.cid === cid && (p.posting.fields & DublinCoreField.creator) !== 0));
      const matches = intersect(terms, [gridList, peerList]);
      assert.deepEqual(matches.map((m) => m.cid).sort(), [...expected].sort());
      for (const match of matches) {
        match.postings.forEach((p, index) => {
          assert.equal(p.posting.cid, match.cid);
          assert.equal(p.posting.term, terms[index].term);
          assert.notEqual(p.posting.fields & terms[index].fields, 0);
        });
      }
    }), { numRuns: 200 });
  });
});

describe('rankMatches', () => {
  const corpus = { documents: 1000, averageDocumentTerms: 40 };
  const matchOf = (name: string, counts: number[], documentTerms = 40): Match => ({
    cid: cidOf(name),
    postings: counts.map((termCount, index) => signedPosting({ term: ['grid', 'peer', 'kademlia'][index], cid: cidOf(name), termCount, documentTerms })),
  });

  it('orders by BM25, highest first, and honours limit', () => {
    const matches = [matchOf('one', [1]), matchOf('five', [5]), matchOf('three', [3])];
    const ranked = rankMatches(matches, [50], corpus, 10);
    assert.deepEqual(ranked.map((r) => r.cid), [cidOf('five'), cidOf('three'), cidOf('one')]);
    assert.ok(ranked[0].score > ranked[1].score && ranked[1].score > ranked[2].score && ranked[2].score > 0);
    assert.deepEqual(ranked[0].postings, matches[1].postings);
    assert.deepEqual(Object.keys(ranked[0]).sort(), ['cid', 'postings', 'score'], 'no helper field left behind');
    assert.deepEqual(rankMatches(matches, [50], corpus, 2).map((r) => r.cid), [cidOf('five'), cidOf('three')]);
    assert.deepEqual(rankMatches(matches, [50], corpus, 0), []);
  });

  it('scores as bm25Score does, with |D| from the first term\'s posting', () => {
    const [ranked] = rankMatches([matchOf('doc', [3, 2], 80)], [50, 7], corpus, 1);
    assert.equal(ranked.score, bm25Score(corpus, 80, [{ documentsWithTerm: 50, termCount: 3 }, { documentsWithTerm: 7, termCount: 2 }]));
    const [short, long] = [matchOf('short', [2], 20), matchOf('long', [2], 400)];
    assert.deepEqual(rankMatches([long, short], [50], corpus, 10).map((r) => r.cid), [cidOf('short'), cidOf('long')], 'a longer document is discounted');
  });

  it('breaks ties by cid', () => {
    const names = ['m', 'a', 'z', 'q'];
    const ranked = rankMatches(names.map((name) => matchOf(name, [2])), [50], corpus, 10);
    assert.deepEqual(ranked.map((r) => r.cid), names.map(cidOf).sort());
    assert.equal(new Set(ranked.map((r) => r.score)).size, 1);
  });

  it('weighs a rarer term more', () => {
    const x = matchOf('x', [3, 1]);
    const y = matchOf('y', [1, 3]);
    // "peer" (the second term) is in 2 documents, "grid" in 100: y, with more of the rarer term, first.
    assert.deepEqual(rankMatches([x, y], [100, 2], corpus, 10).map((r) => r.cid), [cidOf('y'), cidOf('x')]);
    assert.deepEqual(rankMatches([x, y], [2, 100], corpus, 10).map((r) => r.cid), [cidOf('x'), cidOf('y')]);
  });

  it('takes N as at least the largest n(t), so idf never goes below what a consistent corpus gives', () => {
    const [ranked] = rankMatches([matchOf('doc', [1])], [500], { documents: 10, averageDocumentTerms: 40 }, 1);
    assert.equal(ranked.score, bm25Score({ documents: 500, averageDocumentTerms: 40 }, 40, [{ documentsWithTerm: 500, termCount: 1 }]));
    assert.ok(ranked.score > 0);
  });
});
