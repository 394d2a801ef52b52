/** The postings a publisher sends for one document: metadata and text terms, counts, |D|, and stem lists. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DocumentPostingLimits, documentPostings, documentTermsOf, postingsOfTerms, type DocumentInput } from '../../../src/services/search/document-postings.ts';
import { DUBLIN_CORE_ALL_FIELDS, DublinCoreField, checkDublinCore, type DublinCore } from '../../../src/services/search/dublin-core.ts';
import { PostingField, postingProblem, type Posting } from '../../../src/services/search/posting.ts';
import { STEM_MARK, TermLimits, isIndexTerm, stemTerm } from '../../../src/services/search/terms.ts';
import { A, NOW, cidOf } from './search-fixtures.ts';

const { title, subject, creator } = DublinCoreField;
const TEXT = PostingField.textBody;

const METADATA: DublinCore = { title: ['Peer grids'], creator: ['Jon Crowcroft'], subject: ['grid', 'peer networks'] };
const BODY = 'Grid networking: a grid of peers. The grid!';

function inputOf(overrides: Partial<DocumentInput> = {}): DocumentInput {
  return { cid: cidOf('doc'), publisher: A, metadata: METADATA, text: BODY, publishedAtUnixMs: NOW, ...overrides };
}

/** term → [fields, termCount] of each posting, in order. */
function table(postings: readonly Posting[]): [string, number, number][] {
  return postings.map((p) => [p.term, p.fields, p.termCount]);
}

describe('documentTermsOf', () => {
  it('gives metadata terms their element bits and counts, and |D| of the metadata alone', () => {
    const { terms, documentTerms } = documentTermsOf(METADATA, null);
    assert.deepEqual([...terms], [
      ['peer', { fields: title | subject, count: 2 }],
      ['grids', { fields: title, count: 1 }],
      ['grid', { fields: subject, count: 1 }],
      ['networks', { fields: subject, count: 1 }],
      ['jon', { fields: creator, count: 1 }],
      ['crowcroft', { fields: creator, count: 1 }],
    ]);
    assert.equal(documentTerms, 7);
  });

  it('adds the text\'s terms with the textBody bit, merging with a metadata term, and counts every occurrence in |D|', () => {
    // The text's terms: grid ×3, networking, peers ("a", "of", "the" are stopwords): 5 occurrences.
    const { terms, documentTerms } = documentTermsOf(METADATA, BODY);
    assert.equal(documentTerms, 7 + 5);
    assert.deepEqual(terms.get('grid'), { fields: subject | TEXT, count: 4 });
    assert.deepEqual(terms.get('networking'), { fields: TEXT, count: 1 });
    assert.deepEqual(terms.get('peers'), { fields: TEXT, count: 1 });
    assert.deepEqual(terms.get('peer'), { fields: title | subject, count: 2 }, 'a word of the text is not its stem');
    assert.equal(terms.size, 8);
  });

  it('indexes only the textTermsMax most frequent words of the text, but counts all of them in |D|', () => {
    const words = Array.from({ length: 100 }, (_, i) => `w${String(i).padStart(3, '0')}`);
    // w000 occurs 3 times, w001 twice, the rest once: the top 64 are w000, w001 and then w002 … w063 in term order.
    const text = ['w000 w000 w001', ...words].join(' ');
    const { terms, documentTerms } = documentTermsOf({}, text);
    assert.equal(documentTerms, 103);
    assert.equal(terms.size, DocumentPostingLimits.textTermsMax);
    assert.deepEqual([...terms.keys()], words.slice(0, 64));
    assert.deepEqual(terms.get('w000'), { fields: TEXT, count: 3 });
    assert.ok(!terms.has('w064'));
  });

  it('keeps at most termsPerDocumentMax terms, and still marks a metadata term found in the text', () => {
    const description = [Array.from({ length: 300 }, (_, i) => `m${i}`).join(' ')];
    assert.ok(checkDublinCore({ description }).ok);
    const { terms } = documentTermsOf({ description }, 'm0 m0 fresh');
    assert.equal(terms.size, TermLimits.termsPerDocumentMax);
    assert.deepEqual(terms.get('m0'), { fields: DublinCoreField.description | TEXT, count: 3 });
    assert.ok(!terms.has('fresh'));
  });

  it('gives |D| at least 1, for a document with no term', () => {
    assert.deepEqual(documentTermsOf({}, null), { terms: new Map(), documentTerms: 1 });
    assert.equal(documentTermsOf({ title: ['The a'] }, 'of the').documentTerms, 1);
  });
});

describe('documentPostings', () => {
  it('gives the postings of a small document, worked by hand', () => {
    const postings = documentPostings(inputOf());
    assert.deepEqual(table(postings), [
      // The terms, metadata first, then the text's.
      ['peer', title | subject, 2],
      ['grids', title, 1],
      ['grid', subject | TEXT, 4],
      ['networks', subject, 1],
      ['jon', creator, 1],
      ['crowcroft', creator, 1],
      ['networking', TEXT, 1],
      ['peers', TEXT, 1],
      // The stem lists: each gathers the fields and counts of its words.
      ['~peer', title | subject | TEXT, 3],
      ['~grid', title | subject | TEXT, 5],
      ['~network', subject | TEXT, 2],
      ['~jon', creator, 1],
      ['~crowcroft', creator, 1],
    ]);
    for (const posting of postings) {
      assert.equal(posting.documentTerms, 12);
      assert.equal(posting.cid, cidOf('doc'));
      assert.equal(posting.publisher, A);
      assert.equal(posting.publishedAtUnixMs, NOW);
      assert.equal(postingProblem(posting), null, posting.term);
    }
  });

  it('keeps metadata bits off text-only terms and the textBody bit off metadata-only ones', () => {
    const postings = documentPostings(inputOf({ metadata: { creator: ['Crowcroft'] }, text: 'kademlia kademlia' }));
    const byTerm = new Map(postings.map((p) => [p.term, p]));
    assert.equal(byTerm.get('crowcroft')?.fields, creator);
    assert.equal(byTerm.get('kademlia')?.fields, TEXT);
    assert.equal(byTerm.get('kademlia')?.termCount, 2);
    assert.equal(byTerm.get('kademlia')?.documentTerms, 3);
    assert.equal(byTerm.get('crowcroft')!.fields & TEXT, 0);
    assert.equal(byTerm.get('kademlia')!.fields & DUBLIN_CORE_ALL_FIELDS, 0);
  });

  it('posts no stem list for a stem that is not a term', () => {
    // "one" stems to "on", a stopword.
    assert.equal(stemTerm('one'), 'on');
    const terms = documentPostings(inputOf({ metadata: { title: ['One grid'] }, text: null })).map((p) => p.term);
    assert.deepEqual(terms, ['one', 'grid', '~grid']);
  });

  it('gives nothing for a document with no term', () => {
    assert.deepEqual(documentPostings(inputOf({ metadata: {}, text: null })), []);
    assert.deepEqual(documentPostings(inputOf({ metadata: {}, text: 'the of a' })), []);
  });

  it('is what postingsOfTerms gives from the same terms', () => {
    const input = inputOf();
    assert.deepEqual(postingsOfTerms(input.cid, input.publisher, documentTermsOf(input.metadata, input.text), input.publishedAtUnixMs), documentPostings(input));
  });

  it('gives valid postings with consistent stem lists, whatever the document (property)', () => {
    const words = ['grid', 'grids', 'gridding', 'peer', 'peers', 'networking', 'network', 'one', 'use', 'used', 'Café', 'THE', 'of', 'x', '42', 'данные', 'crowcroft'];
    const phrase = fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 6 }).map((w) => w.join(' '));
    const metadata = fc.record(
      { title: fc.uniqueArray(phrase, { minLength: 1, maxLength: 2 }), creator: fc.uniqueArray(phrase, { minLength: 1, maxLength: 2 }), description: fc.uniqueArray(phrase, { minLength: 1, maxLength: 2 }) },
      { requiredKeys: [] },
    );
    fc.assert(fc.property(metadata, fc.option(fc.array(fc.constantFrom(...words), { maxLength: 40 }).map((w) => w.join(' ')), { nil: null }), (meta, text) => {
      const input = inputOf({ metadata: meta, text });
      const { terms, documentTerms } = documentTermsOf(meta, text);
      const postings = documentPostings(input);
      const seen = new Set<string>();
      for (const posting of postings) {
        assert.equal(postingProblem(posting), null, `${posting.term}: ${postingProblem(posting)}`);
        assert.ok(isIndexTerm(posting.term));
        assert.ok(!seen.has(posting.term), 'one posting per list');
        seen.add(posting.term);
        assert.equal(posting.documentTerms, documentTerms);
      }
      // Every term has its posting, and every stem list is the union of its words.
      for (const [term, { fields, count }] of terms) {
        assert.ok(seen.has(term));
        assert.ok(count <= documentTerms);
        if ((fields & TEXT) !== 0) assert.ok(text !== null);
      }
      for (const posting of postings.filter((p) => p.term.startsWith(STEM_MARK))) {
        const members = [...terms].filter(([term]) => stemTerm(term) === posting.term.slice(1));
        assert.ok(members.length > 0);
        assert.equal(posting.fields, members.reduce((bits, [, t]) => bits | t.fields, 0));
        assert.equal(posting.termCount, members.reduce((sum, [, t]) => sum + t.count, 0));
      }
      const listed = new Set(postings.filter((p) => p.term.startsWith(STEM_MARK)).map((p) => p.term.slice(1)));
      for (const term of terms.keys()) {
        const stem = stemTerm(term);
        assert.equal(listed.has(stem), isIndexTerm(STEM_MARK + stem), `${term} → ${stem}`);
      }
    }), { numRuns: 200 });
  });
});
