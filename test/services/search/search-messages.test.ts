/** The `/peergrid/search/1.0.0` request/response codec: round trips, refusals with their reasons, decoders that never throw. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as DagCbor from '@ipld/dag-cbor';
import fc from 'fast-check';
import { BloomFilter, BloomLimits } from '../../../src/services/search/bloom-filter.ts';
import { documentToCbor, summaryToCbor, withdrawalToCbor } from '../../../src/services/search/document-record.ts';
import { DublinCoreField } from '../../../src/services/search/dublin-core.ts';
import { POSTING_ALL_FIELDS, PostingField, PostingLimits, encodePostingPage } from '../../../src/services/search/posting.ts';
import {
  SEARCH_PROTOCOL, SearchLimits, decodeSearchRequest, decodeSearchResponse, encodeSearchMessage, isUnknownSearchRequestKind,
  type Decoded, type SearchRequest, type SearchResponse,
} from '../../../src/services/search/search-messages.ts';
import { TermLimits } from '../../../src/services/search/terms.ts';
import { A, B, C, cidOf, signature, signedDocument, signedPosting, signedSummary, signedWithdrawal } from './search-fixtures.ts';

function valueOf<T>(decoded: Decoded<T>): T {
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
  return decoded.value;
}

function errorOf<T>(decoded: Decoded<T>): string {
  assert.equal(decoded.ok, false, 'expected an error');
  return decoded.ok ? '' : decoded.error;
}

const requestError = (value: unknown): string => errorOf(decodeSearchRequest(DagCbor.encode(value)));
const responseError = (value: unknown): string => errorOf(decodeSearchResponse(DagCbor.encode(value)));

const page = encodePostingPage([signedPosting(), signedPosting({ publisher: B, cid: cidOf('b') })], 'o128');
const bloom = BloomFilter.ofItems([cidOf('doc'), cidOf('b')], 0.01).encode();

const requests: SearchRequest[] = [
  { kind: 'publish', page, documents: [signedDocument(), signedDocument({ publisher: B, cid: cidOf('b'), metadata: { title: ['Other'] } }, signature(9, 1))] },
  { kind: 'publish', page: encodePostingPage([], null), documents: [] },
  { kind: 'withdraw', withdrawals: [signedWithdrawal(), signedWithdrawal({ publisher: C, withdrawnAtUnixMs: 0 })] },
  { kind: 'count', term: 'grid', fields: POSTING_ALL_FIELDS },
  { kind: 'count', term: '~network', fields: DublinCoreField.creator },
  { kind: 'digests', terms: ['grid', '~network', 'kademlia'] },
  { kind: 'digests', terms: [] },
  { kind: 'filter', term: 'kademlia', fields: PostingField.textBody, falsePositiveRate: 0.01 },
  { kind: 'filter', term: 'kademlia', fields: 1, falsePositiveRate: 1e-6 },
  { kind: 'postings', term: 'grid', fields: DublinCoreField.title | PostingField.textBody, filter: bloom, cids: [cidOf('doc'), cidOf('b')], cursor: 'o256' },
  { kind: 'postings', term: 'grid', fields: POSTING_ALL_FIELDS, filter: null, cids: null, cursor: null },
  { kind: 'describe', cids: [cidOf('doc')] },
  { kind: 'describe', cids: [] },
  { kind: 'summarize', summaries: [signedSummary(), signedSummary({ publisher: B, documents: 0, documentTerms: 0 })] },
  { kind: 'corpus' },
];

const responses: SearchResponse[] = [
  { kind: 'published', accepted: 3, refused: [{ index: 1, reason: 'expired' }], documentsAccepted: 1, documentsRefused: [{ index: 0, reason: 'no posting' }] },
  { kind: 'published', accepted: 0, refused: [], documentsAccepted: 0, documentsRefused: [] },
  { kind: 'withdrawn', postingsRemoved: 12, documentsRemoved: 1 },
  { kind: 'counted', documents: 0, postings: 0, digest: 0 },
  { kind: 'counted', documents: 16_384, postings: 20_000, digest: 0xffff_ffff },
  { kind: 'digested', lists: [{ postings: 3, digest: 12345 }, { postings: 0, digest: 0 }, { postings: 16_384, digest: 0xffff_ffff }] },
  { kind: 'digested', lists: [] },
  { kind: 'summarized', accepted: 1, refused: [{ index: 1, reason: 'not newer than the summary held' }] },
  { kind: 'corpus', totals: { publishers: 3, documents: 120, documentTerms: 4800 } },
  { kind: 'filtered', documents: 2, bloom },
  { kind: 'postings', page },
  { kind: 'described', documents: [signedDocument(), signedDocument({ publisher: B })] },
  { kind: 'described', documents: [] },
  { kind: 'refused', reason: 'invalid', message: 'cursor: not one this node gives' },
  { kind: 'refused', reason: 'busy', message: '' },
  { kind: 'refused', reason: 'unavailable', message: 'not a holder of this term' },
];

describe('the protocol', () => {
  it('has its name and keeps its limits consistent', () => {
    assert.equal(SEARCH_PROTOCOL, '/peergrid/search/1.0.0');
    assert.ok(PostingLimits.pageBytesMax + SearchLimits.documentsPerRequestMax * 8192 < SearchLimits.messageBytesMax);
    assert.ok(SearchLimits.refusalsPerAnswerMax >= PostingLimits.postingsPerPageMax + SearchLimits.documentsPerRequestMax);
    // A full term list's filter at the lowest false-positive rate a request may ask fits in a message.
    assert.ok(BloomFilter.forItems(PostingLimits.postingsPerTermMax, 1e-6).bytes <= SearchLimits.bloomBytesMax);
  });

});

describe('round trips', () => {
  for (const request of requests) {
    it(`request ${request.kind}`, () => {
      const bytes = encodeSearchMessage(request);
      assert.deepEqual(valueOf(decodeSearchRequest(bytes)), request);
      assert.deepEqual(encodeSearchMessage(valueOf(decodeSearchRequest(bytes))), bytes, 'decoding then encoding gives the same bytes');
    });
  }
  for (const response of responses) {
    it(`response ${response.kind}`, () => {
      const bytes = encodeSearchMessage(response);
      assert.deepEqual(valueOf(decodeSearchResponse(bytes)), response);
      assert.deepEqual(encodeSearchMessage(valueOf(decodeSearchResponse(bytes))), bytes);
    });
  }

  it('covers every kind', () => {
    assert.deepEqual(new Set(requests.map((r) => r.kind)), new Set(['publish', 'withdraw', 'count', 'digests', 'filter', 'postings', 'describe', 'summarize', 'corpus']));
    assert.deepEqual(new Set(responses.map((r) => r.kind)), new Set(['published', 'withdrawn', 'counted', 'digested', 'summarized', 'corpus', 'filtered', 'postings', 'described', 'refused']));
  });

  it('keeps requests and responses apart: a request does not decode as a response, nor the reverse', () => {
    for (const kind of ['publish', 'withdraw', 'count', 'digests', 'filter', 'describe', 'summarize']) {
      const request = requests.find((r) => r.kind === kind)!;
      assert.match(errorOf(decodeSearchResponse(encodeSearchMessage(request))), /^kind: not one of /);
    }
    for (const kind of ['published', 'withdrawn', 'counted', 'digested', 'summarized', 'filtered', 'described', 'refused']) {
      const response = responses.find((r) => r.kind === kind)!;
      assert.match(errorOf(decodeSearchRequest(encodeSearchMessage(response))), /^kind: not one of /);
    }
  });

  it('reads an absent cids, filter or cursor of a postings request as null', () => {
    const read = valueOf(decodeSearchRequest(DagCbor.encode({ kind: 'postings', term: 'grid', fields: 1 })));
    assert.deepEqual(read, { kind: 'postings', term: 'grid', fields: 1, filter: null, cids: null, cursor: null });
  });
});

describe('decoders refuse, with the reason', () => {
  const documentCbor = documentToCbor(signedDocument());
  const many = <T>(n: number, item: T): T[] => Array.from({ length: n }, () => item);
  const requestCases: [string, unknown, RegExp][] = [
    ['an unknown kind', { kind: 'search', term: 'grid' }, /^kind: not one of publish, withdraw, count, digests, filter, postings, describe, summarize, corpus$/],
    ['no kind', { term: 'grid', fields: 1 }, /^kind: not one of /],
    ['a kind that is not text', { kind: 1 }, /^kind: not one of /],
    ['not a map', ['count', 'grid', 1], /^message: not a map$/],
    ['a term that is not text', { kind: 'count', term: 5, fields: 1 }, /^term: not text$/],
    ['a term with capitals', { kind: 'count', term: 'Grid', fields: 1 }, /^term: not a term/],
    ['a stopword', { kind: 'count', term: 'the', fields: 1 }, /^term: not a term/],
    ['two words', { kind: 'filter', term: 'peer grid', fields: 1, falsePositiveRate: 0.01 }, /^term: not a term/],
    ['a stem mark on a stopword', { kind: 'postings', term: '~the', fields: 1 }, /^term: not a term/],
    ['a bare stem mark', { kind: 'count', term: '~', fields: 1 }, /^term: not a term/],
    ['a term too long', { kind: 'count', term: 'x'.repeat(TermLimits.termBytesMax + 2), fields: 1 }, /^term: over 65 bytes$/],
    ['fields 0', { kind: 'count', term: 'grid', fields: 0 }, /^fields: not an integer from 1 to 65535$/],
    ['fields with an unknown bit', { kind: 'count', term: 'grid', fields: POSTING_ALL_FIELDS + 1 }, /^fields: not an integer from 1 to 65535$/],
    ['fields with a high unknown bit', { kind: 'postings', term: 'grid', fields: 2 ** 40 + 1 }, /^fields: not an integer/],
    ['fields negative', { kind: 'count', term: 'grid', fields: -1 }, /^fields: not an integer/],
    ['fields as text', { kind: 'count', term: 'grid', fields: '1' }, /^fields: not an integer/],
    ['fields fractional', { kind: 'count', term: 'grid', fields: 1.5 }, /^fields: not an integer/],
    ['a false-positive rate of 0', { kind: 'filter', term: 'grid', fields: 1, falsePositiveRate: 0 }, /^falsePositiveRate: not a number from /],
    ['a false-positive rate over 0.5', { kind: 'filter', term: 'grid', fields: 1, falsePositiveRate: 0.75 }, /^falsePositiveRate: not a number from /],
    ['a missing false-positive rate', { kind: 'filter', term: 'grid', fields: 1 }, /^falsePositiveRate: not a number/],
    ['a filter that is not bytes', { kind: 'postings', term: 'grid', fields: 1, filter: 'bloom' }, /^filter: not bytes$/],
    ['a filter too large', { kind: 'postings', term: 'grid', fields: 1, filter: new Uint8Array(SearchLimits.bloomBytesMax + 1) }, /^filter: 262145 bytes, over 262144$/],
    ['a cursor that is not text', { kind: 'postings', term: 'grid', fields: 1, cursor: 7 }, /^cursor: not text$/],
    ['a cursor too long', { kind: 'postings', term: 'grid', fields: 1, cursor: 'o'.repeat(PostingLimits.cursorBytesMax + 1) }, /^cursor: over 128 bytes$/],
    ['cids not a list', { kind: 'describe', cids: cidOf('doc') }, /^cids: not a list$/],
    ['a cid that is not text', { kind: 'describe', cids: [cidOf('doc'), 5] }, /^cids\[1\]: not a CID$/],
    ['an empty cid', { kind: 'postings', term: 'grid', fields: 1, cids: [''] }, /^cids\[0\]: not a CID$/],
    ['a cid too long', { kind: 'describe', cids: [`b${'a'.repeat(PostingLimits.cidBytesMax)}`] }, /^cids\[0\]: not a CID$/],
    ['too many cids (describe)', { kind: 'describe', cids: many(SearchLimits.cidsPerRequestMax + 1, cidOf('doc')) }, /^cids: 257 items, over 256$/],
    ['too many cids (postings)', { kind: 'postings', term: 'grid', fields: 1, cids: many(257, cidOf('doc')) }, /^cids: 257 items, over 256$/],
    ['a page that is not bytes', { kind: 'publish', page: [], documents: [] }, /^page: not bytes$/],
    ['a page too large', { kind: 'publish', page: new Uint8Array(PostingLimits.pageBytesMax + 1), documents: [] }, /^page: 61441 bytes, over 61440$/],
    ['documents missing', { kind: 'publish', page }, /^documents: not a list$/],
    ['too many documents', { kind: 'publish', page, documents: many(SearchLimits.documentsPerRequestMax + 1, documentCbor) }, /^documents: 65 items, over 64$/],
    ['a document record with bad metadata', { kind: 'publish', page, documents: [documentCbor, { ...documentCbor, metadata: { author: ['Crowcroft'] } }] }, /^documents\[1\]: a document record: unknown Dublin Core element "author"/],
    ['a document record with metadata not a map', { kind: 'publish', page, documents: [{ ...documentCbor, metadata: 'Grids' }] }, /^documents\[0\]: a document record: the metadata must be an object/],
    ['a document record with an extra key', { kind: 'publish', page, documents: [{ ...documentCbor, term: 'grid' }] }, /^documents\[0\]: a document record: unknown key "term"$/],
    ['a document record without a signature', { kind: 'publish', page, documents: [{ ...documentCbor, signature: null }] }, /^documents\[0\]: a document record: signature is not bytes$/],
    ['a document record that is not a map', { kind: 'publish', page, documents: [[documentCbor]] }, /^documents\[0\]: a document record is not a map$/],
    ['too many withdrawals', { kind: 'withdraw', withdrawals: many(SearchLimits.withdrawalsPerRequestMax + 1, withdrawalToCbor(signedWithdrawal())) }, /^withdrawals: 257 items, over 256$/],
    ['a bad withdrawal', { kind: 'withdraw', withdrawals: [{ ...withdrawalToCbor(signedWithdrawal()), withdrawnAtUnixMs: -1 }] }, /^withdrawals\[0\]: a withdrawal: withdrawnAtUnixMs is not a time/],
    ['too many summaries', { kind: 'summarize', summaries: many(SearchLimits.summariesPerRequestMax + 1, summaryToCbor(signedSummary())) }, /^summaries: 1025 items, over 1024$/],
    ['a bad summary', { kind: 'summarize', summaries: [{ ...summaryToCbor(signedSummary()), documents: 5, documentTerms: 4 }] }, /^summaries\[0\]: a summary: documentTerms is not an integer/],
    ['digests without terms', { kind: 'digests' }, /^terms: not a list$/],
    ['too many terms for digests', { kind: 'digests', terms: many(SearchLimits.termsPerDigestsMax + 1, 'grid') }, /^terms: 1025 items, over 1024$/],
    ['a digests term that is not a term', { kind: 'digests', terms: ['grid', 'The Grid'] }, /^terms\[1\]: not a term$/],
    ['a digests term that is not text', { kind: 'digests', terms: [7] }, /^terms\[0\]: not a term$/],
    ['a digests term too long', { kind: 'digests', terms: ['x'.repeat(TermLimits.termBytesMax + 2)] }, /^terms\[0\]: not a term$/],
  ];
  for (const [name, value, reason] of requestCases) {
    it(`a request with ${name}`, () => assert.match(requestError(value), reason));
  }

  const responseCases: [string, unknown, RegExp][] = [
    ['an unknown kind', { kind: 'found' }, /^kind: not one of published, withdrawn, counted, digested, summarized, corpus, filtered, postings, described, refused$/],
    ['a negative count', { kind: 'counted', documents: -1, postings: 0, digest: 0 }, /^documents: not an integer from 0 to /],
    ['a counted answer without its digest', { kind: 'counted', documents: 1, postings: 1 }, /^digest: not an integer from 0 to 4294967295$/],
    ['a digest over 32 bits', { kind: 'counted', documents: 1, postings: 1, digest: 2 ** 32 }, /^digest: not an integer from 0 to 4294967295$/],
    ['a fractional count', { kind: 'withdrawn', postingsRemoved: 0.5, documentsRemoved: 0 }, /^postingsRemoved: not an integer/],
    ['digested lists not a list', { kind: 'digested', lists: { postings: 1, digest: 1 } }, /^lists: not a list$/],
    ['a digested list without its digest', { kind: 'digested', lists: [{ postings: 1, digest: 1 }, { postings: 1 }] }, /^lists\[1\]\.digest: not an integer from 0 to 4294967295$/],
    ['a digested list with a negative size', { kind: 'digested', lists: [{ postings: -1, digest: 1 }] }, /^lists\[0\]\.postings: not an integer from 0 to /],
    ['too many digested lists', { kind: 'digested', lists: many(SearchLimits.termsPerDigestsMax + 1, { postings: 0, digest: 0 }) }, /^lists: 1025 items, over 1024$/],
    ['a count as text', { kind: 'counted', documents: '3', postings: 3, digest: 0 }, /^documents: not an integer/],
    ['a refusal without a reason', { kind: 'published', accepted: 0, refused: [{ index: 0 }], documentsAccepted: 0, documentsRefused: [] }, /^refused\[0\]\.reason: not text$/],
    ['a refusal that is not a map', { kind: 'summarized', accepted: 0, refused: ['expired'] }, /^refused\[0\]: not a map$/],
    ['too many refusals', { kind: 'published', accepted: 0, refused: many(SearchLimits.refusalsPerAnswerMax + 1, { index: 0, reason: 'x' }), documentsAccepted: 0, documentsRefused: [] }, /^refused: 193 items, over 192$/],
    ['totals not a map', { kind: 'corpus', totals: [1, 2, 3] }, /^totals: not a map$/],
    ['totals missing a sum', { kind: 'corpus', totals: { publishers: 1, documents: 2 } }, /^totals\.documentTerms: not an integer/],
    ['a bloom filter that is not bytes', { kind: 'filtered', documents: 1, bloom: null }, /^bloom: not bytes$/],
    ['a page too large', { kind: 'postings', page: new Uint8Array(PostingLimits.pageBytesMax + 1) }, /^page: 61441 bytes, over 61440$/],
    ['too many described documents', { kind: 'described', documents: many(SearchLimits.cidsPerRequestMax + 1, documentCbor) }, /^documents: 257 items, over 256$/],
    ['a bad described document', { kind: 'described', documents: [{ ...documentCbor, cid: 'bafynotacid' }] }, /^documents\[0\]: a document record: cid is not a CID$/],
    ['an unknown refusal reason', { kind: 'refused', reason: 'angry', message: '' }, /^reason: not one of invalid, busy, unavailable$/],
    ['a refusal message too long', { kind: 'refused', reason: 'busy', message: 'x'.repeat(SearchLimits.textBytesMax + 1) }, /^message: over 1024 bytes$/],
  ];
  for (const [name, value, reason] of responseCases) {
    it(`a response with ${name}`, () => assert.match(responseError(value), reason));
  }

  it('an oversized message, before decoding it', () => {
    const bytes = new Uint8Array(SearchLimits.messageBytesMax + 1);
    assert.match(errorOf(decodeSearchRequest(bytes)), /^message of 1048577 bytes, over 1048576$/);
    assert.match(errorOf(decodeSearchResponse(bytes)), /^message of 1048577 bytes, over 1048576$/);
  });

  it('bytes that are not dag-cbor', () => {
    assert.match(errorOf(decodeSearchRequest(new Uint8Array([0xff]))), /^not dag-cbor: /);
    assert.match(errorOf(decodeSearchResponse(new Uint8Array(0))), /^not dag-cbor: /);
    const trailing = new Uint8Array([...encodeSearchMessage({ kind: 'corpus' }), 0]);
    assert.match(errorOf(decodeSearchRequest(trailing)), /^not dag-cbor: /);
  });
});

describe('a newer peer\'s request', () => {
  it('is a well-formed map whose kind this version does not define, request or answer', () => {
    assert.equal(isUnknownSearchRequestKind(DagCbor.encode({ kind: 'reindex', terms: ['grid'] })), true);
    assert.equal(isUnknownSearchRequestKind(DagCbor.encode({ kind: 'x' })), true);
    for (const message of [...requests, ...responses]) assert.equal(isUnknownSearchRequestKind(encodeSearchMessage(message)), false, message.kind);
    assert.equal(isUnknownSearchRequestKind(DagCbor.encode({ kind: 'count', term: 'Not A Term', fields: 1 })), false, 'a known kind, badly filled');
    assert.equal(isUnknownSearchRequestKind(DagCbor.encode({ kind: 'k'.repeat(33) })), false, 'a kind too long');
    assert.equal(isUnknownSearchRequestKind(DagCbor.encode({ kind: '' })), false);
    assert.equal(isUnknownSearchRequestKind(DagCbor.encode({ kind: 7 })), false);
    assert.equal(isUnknownSearchRequestKind(DagCbor.encode({ term: 'grid' })), false);
    assert.equal(isUnknownSearchRequestKind(DagCbor.encode(['reindex'])), false);
    assert.equal(isUnknownSearchRequestKind(new Uint8Array([0xff, 0x00])), false);
    assert.equal(isUnknownSearchRequestKind(new Uint8Array(SearchLimits.messageBytesMax + 1)), false);
  });
});

describe('decoders never throw', () => {
  const fieldNames = [
    'kind', 'page', 'documents', 'withdrawals', 'term', 'fields', 'falsePositiveRate', 'filter', 'cids', 'cursor', 'summaries',
    'accepted', 'refused', 'documentsAccepted', 'documentsRefused', 'postingsRemoved', 'documentsRemoved', 'totals', 'bloom',
    'reason', 'message', 'index', 'publishers', 'documentTerms', 'cid', 'publisher', 'metadata', 'publishedAtUnixMs', 'signature',
    'terms', 'lists', 'postings', 'digest',
  ];
  const kinds = ['publish', 'withdraw', 'count', 'digests', 'filter', 'postings', 'describe', 'summarize', 'corpus', 'published', 'withdrawn', 'counted', 'digested', 'summarized', 'filtered', 'described', 'refused'];
  const value = fc.letrec((tie) => ({
    any: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.uint8Array({ maxLength: 70 }),
      fc.constantFrom(...kinds, 'grid', '~grid', cidOf('doc'), A, 'invalid'),
      fc.array(tie('any'), { maxLength: 4 }),
      fc.dictionary(fc.constantFrom(...fieldNames), tie('any'), { maxKeys: 8 }),
    ),
  })).any;
  /** A map with a kind, so the decoders get past the first check. */
  const message = fc.tuple(fc.constantFrom(...kinds), fc.dictionary(fc.constantFrom(...fieldNames), value, { maxKeys: 8 }))
    .map(([kind, fields]) => ({ ...fields, kind }));

  function check(bytes: Uint8Array): void {
    for (const decoded of [decodeSearchRequest(bytes), decodeSearchResponse(bytes)] as Decoded<unknown>[]) {
      assert.equal(typeof decoded.ok, 'boolean');
      if (!decoded.ok) assert.ok(decoded.error.length > 0 && decoded.error.length < 600, decoded.error);
    }
  }

  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1024 }), check), { numRuns: 500 });
  });

  it('on random dag-cbor values', () => {
    fc.assert(fc.property(value, (v) => check(DagCbor.encode(v))), { numRuns: 300 });
  });

  it('on random messages with a kind', () => {
    fc.assert(fc.property(message, (m) => check(DagCbor.encode(m))), { numRuns: 300 });
  });

  it('on valid messages with one field replaced', () => {
    const all = [...requests, ...responses].map((m) => DagCbor.decode(encodeSearchMessage(m)) as Record<string, unknown>);
    fc.assert(fc.property(fc.constantFrom(...all), fc.constantFrom(...fieldNames), value, (m, key, replacement) => {
      check(DagCbor.encode({ ...m, [key]: replacement }));
    }), { numRuns: 300 });
  });

  it('on mutated bytes of valid messages', () => {
    const all = [...requests, ...responses].map(encodeSearchMessage);
    fc.assert(fc.property(fc.constantFrom(...all), fc.nat(), fc.integer({ min: 0, max: 255 }), (bytes, at, byte) => {
      const mutated = new Uint8Array(bytes);
      mutated[at % mutated.length] = byte;
      check(mutated);
    }), { numRuns: 500 });
  });
});
