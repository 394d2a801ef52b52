/** Search postings: the page format, signing bytes, a decoder that never throws, and a holder's admission policy. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as DagCbor from '@ipld/dag-cbor';
import fc from 'fast-check';
import { CID } from 'multiformats/cid';
import { base58btc } from 'multiformats/bases/base58';
import { identity } from 'multiformats/hashes/identity';
import { Limits } from '../../../src/core/limits.ts';
import { DUBLIN_CORE_ALL_FIELDS, DublinCoreField } from '../../../src/services/search/dublin-core.ts';
import {
  LARGEST_POSTING_PAGE_BYTES, POSTING_ALL_FIELDS, POSTING_PAGE_VERSION, POSTING_SIGNING_PURPOSE, PostingField, PostingLimits,
  admitPostings, decodePostingPage, encodePostingPage, postingProblem, postingSigningBytes,
  type Posting, type PostingPageResult, type SignedPosting,
} from '../../../src/services/search/posting.ts';
import { TermLimits } from '../../../src/services/search/terms.ts';
import { A, B, C, cidOf, peerOf, postingOf } from './search-fixtures.ts';



function signed(overrides: Partial<Posting> = {}, signature: Uint8Array = new Uint8Array(64).fill(7)): SignedPosting {
  return { posting: postingOf(overrides), signature };
}

function pageOf(result: PostingPageResult) {
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.page;
}

function errorOf(result: PostingPageResult): string {
  assert.equal(result.ok, false, 'expected an error');
  return result.ok ? '' : result.error;
}

/** The CBOR value of a page with one entry, `entry` changed as given (undefined removes a key). */
function rawPage(entryChanges: Record<string, unknown> = {}, pageChanges: Record<string, unknown> = {}): Uint8Array {
  const p = postingOf();
  const entry: Record<string, unknown> = {
    t: p.term, c: p.cid, f: p.fields, n: p.termCount, d: p.documentTerms, p: p.publisher, u: p.publishedAtUnixMs, s: new Uint8Array(64),
  };
  for (const [key, value] of Object.entries(entryChanges)) {
    if (value === undefined) delete entry[key];
    else Object.defineProperty(entry, key, { value, enumerable: true, configurable: true, writable: true }); // an own key, even "__proto__"
  }
  const page: Record<string, unknown> = { version: 1, postings: [entry], next: null };
  for (const [key, value] of Object.entries(pageChanges)) {
    if (value === undefined) delete page[key];
    else page[key] = value;
  }
  return DagCbor.encode(page);
}

const arbitraryPosting: fc.Arbitrary<SignedPosting> = fc.record({
  term: fc.constantFrom('grid', 'peer', 'kademlia', 'bloom', 'crowcroft', 'x1', 'cafe', 'uber', 'данные', '2026'),
  doc: fc.string({ maxLength: 8 }),
  fields: fc.integer({ min: 1, max: POSTING_ALL_FIELDS }),
  termCount: fc.integer({ min: 1, max: PostingLimits.termCountMax }),
  extra: fc.integer({ min: 0, max: 1000 }),
  publisher: fc.constantFrom(A, B, C, 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'),
  publishedAtUnixMs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  signature: fc.uint8Array({ minLength: 1, maxLength: PostingLimits.signatureBytesMax }),
}).map(({ term, doc, fields, termCount, extra, publisher, publishedAtUnixMs, signature }) => ({
  posting: { term, cid: cidOf(doc), fields, termCount, documentTerms: Math.min(termCount + extra, PostingLimits.documentTermsMax), publisher, publishedAtUnixMs },
  signature,
}));

/** Postings with distinct (term, publisher, cid). */
const arbitraryPostings = (maxLength: number) => fc.uniqueArray(arbitraryPosting, {
  maxLength,
  selector: ({ posting }) => `${posting.term} ${posting.publisher} ${posting.cid}`,
});

describe('limits', () => {
  it('gives text its own field bit, beside the 15 Dublin Core bits', () => {
    assert.equal(PostingField.textBody & DUBLIN_CORE_ALL_FIELDS, 0);
    assert.equal(POSTING_ALL_FIELDS, 0xffff);
    assert.equal(PostingLimits.termsPerDocumentMax, TermLimits.termsPerDocumentMax);
    assert.ok(PostingLimits.signatureBytesMax >= 64 && PostingLimits.signatureBytesMax <= 128);
  });

  it('fits the largest page the limits allow in pageBytesMax, under 64 KiB, and the arithmetic is exact', () => {
    assert.ok(LARGEST_POSTING_PAGE_BYTES <= PostingLimits.pageBytesMax);
    assert.ok(PostingLimits.pageBytesMax < 64 * 1024 && PostingLimits.pageBytesMax < Limits.valueBytesMax);
    // The longest canonical CIDv1 within cidBytesMax: an identity multihash of 75 bytes is 128 characters.
    const cid = CID.createV1(0x55, identity.digest(new Uint8Array(75).fill(9))).toString();
    assert.equal(cid.length, PostingLimits.cidBytesMax);
    const publisher = 'z'.repeat(PostingLimits.publisherBytesMax);
    const postings: SignedPosting[] = [];
    for (let i = 0; i < PostingLimits.postingsPerPageMax; i++) {
      postings.push({
        posting: {
          // A stem list's name is the longest: the mark and a term of termBytesMax.
          term: `~${'q'.repeat(TermLimits.termBytesMax - 3)}${String(i).padStart(3, '0')}`,
          cid,
          fields: POSTING_ALL_FIELDS,
          termCount: PostingLimits.termCountMax,
          documentTerms: PostingLimits.documentTermsMax,
          publisher,
          publishedAtUnixMs: Number.MAX_SAFE_INTEGER,
        },
        signature: new Uint8Array(PostingLimits.signatureBytesMax).fill(255),
      });
    }
    const bytes = encodePostingPage(postings, '~'.repeat(PostingLimits.cursorBytesMax));
    assert.equal(bytes.length, LARGEST_POSTING_PAGE_BYTES, 'the computed worst case is what the encoder writes');
    assert.equal(pageOf(decodePostingPage(bytes)).postings.length, PostingLimits.postingsPerPageMax);
  });
});

describe('postingSigningBytes', () => {
  it('is canonical dag-cbor with the domain-separation tag', () => {
    const posting = postingOf();
    assert.deepEqual(DagCbor.decode(postingSigningBytes(posting)), { purpose: POSTING_SIGNING_PURPOSE, ...posting });
    assert.equal(POSTING_SIGNING_PURPOSE, 'peergrid/search/posting/1');
  });

  it('is deterministic: the same posting gives the same bytes, whatever the order of its properties', () => {
    const posting = postingOf();
    const reordered = Object.fromEntries(Object.entries(posting).reverse()) as unknown as Posting;
    assert.deepEqual(postingSigningBytes(posting), postingSigningBytes(reordered));
    assert.deepEqual(postingSigningBytes(posting), postingSigningBytes({ ...posting }));
  });

  it('differs when any field differs', () => {
    const base = postingSigningBytes(postingOf());
    const changes: Partial<Posting>[] = [
      { term: 'grids' }, { cid: cidOf('other') }, { fields: DublinCoreField.title }, { termCount: 3 },
      { documentTerms: 41 }, { publisher: B }, { publishedAtUnixMs: 1_790_000_000_001 },
    ];
    const all = changes.map((change) => Buffer.from(postingSigningBytes(postingOf(change))).toString('hex'));
    assert.equal(new Set([Buffer.from(base).toString('hex'), ...all]).size, changes.length + 1);
    fc.assert(fc.property(arbitraryPosting, arbitraryPosting, (a, b) => {
      const same = JSON.stringify(a.posting) === JSON.stringify(b.posting);
      assert.equal(Buffer.from(postingSigningBytes(a.posting)).equals(postingSigningBytes(b.posting)), same);
    }));
  });

  it('refuses to produce bytes for an invalid posting', () => {
    assert.throws(() => postingSigningBytes(postingOf({ term: 'The' })), /cannot sign an invalid posting: term is not a term/);
    assert.throws(() => postingSigningBytes(postingOf({ termCount: 0 })), RangeError);
  });
});

describe('encodePostingPage / decodePostingPage', () => {
  it('round-trips a page', () => {
    const postings = [
      signed(),
      signed({ cid: cidOf('second'), publisher: B, fields: PostingField.textBody, termCount: 9, documentTerms: 9 }),
      signed({ term: 'kademlia', publishedAtUnixMs: 0 }, new Uint8Array([1])),
    ];
    const bytes = encodePostingPage(postings, 'grid/after/12D3KooW:42');
    const page = pageOf(decodePostingPage(bytes));
    assert.deepEqual(page, { postings, next: 'grid/after/12D3KooW:42' });
    assert.deepEqual(encodePostingPage(page.postings, page.next), bytes);
    assert.deepEqual(pageOf(decodePostingPage(encodePostingPage([], null))), { postings: [], next: null });
  });

  it('round-trips any valid page (property)', () => {
    fc.assert(fc.property(
      arbitraryPostings(PostingLimits.postingsPerPageMax),
      fc.option(fc.stringMatching(/^[\x21-\x7e]{1,128}$/), { nil: null }),
      (postings, next) => {
        const bytes = encodePostingPage(postings, next);
        assert.ok(bytes.length <= PostingLimits.pageBytesMax);
        const page = pageOf(decodePostingPage(bytes));
        assert.deepEqual(page.postings.map((p) => p.posting), postings.map((p) => p.posting));
        assert.deepEqual(page.postings.map((p) => [...p.signature]), postings.map((p) => [...p.signature]));
        assert.equal(page.next, next);
      },
    ), { numRuns: 200 });
  });

  it('returns copies: the decoded signature does not alias the input bytes', () => {
    const bytes = encodePostingPage([signed()], null);
    const page = pageOf(decodePostingPage(bytes));
    bytes.fill(0);
    assert.deepEqual([...page.postings[0].signature], new Array(64).fill(7));
  });

  it('refuses to encode what it would not decode', () => {
    assert.throws(() => encodePostingPage([signed({ term: 'the' })], null), /cannot encode the page: posting 0: term is not a term/);
    assert.throws(() => encodePostingPage([signed(), signed({}, new Uint8Array(0))], null), /posting 1: signature is empty/);
    assert.throws(() => encodePostingPage([signed(), signed()], null), /posting 1: repeats posting 0/);
    const many = Array.from({ length: PostingLimits.postingsPerPageMax + 1 }, (_, i) => signed({ cid: cidOf(String(i)) }));
    assert.throws(() => encodePostingPage(many, null), /129 postings, over 128/);
    assert.throws(() => encodePostingPage([], ''), /next is not a cursor/);
    assert.throws(() => encodePostingPage([], 'has space'), /next is not a cursor/);
  });
});

describe('decodePostingPage: every problem with its reason', () => {
  const long = (n: number) => 'x'.repeat(n);
  const cases: [string, Uint8Array, RegExp][] = [
    ['term not text', rawPage({ t: 5 }), /^posting 0: term is not text$/],
    ['term folded', rawPage({ t: 'Grid' }), /^posting 0: term is not a term/],
    ['term a stopword', rawPage({ t: 'the' }), /^posting 0: term is not a term/],
    ['term two words', rawPage({ t: 'peer grid' }), /^posting 0: term is not a term/],
    ['term too short', rawPage({ t: 'g' }), /^posting 0: term is not a term/],
    ['term too long', rawPage({ t: long(65) }), /^posting 0: term is not a term/],
    ['cid not text', rawPage({ c: CID.parse(cidOf('doc')) }), /^posting 0: cid is not text$/],
    ['cid not a CID', rawPage({ c: 'bafynotacid' }), /^posting 0: cid is not a CID$/],
    ['cid v0', rawPage({ c: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N' }), /^posting 0: cid is not a CIDv1$/],
    ['cid not base32', rawPage({ c: CID.parse(cidOf('doc')).toString(base58btc) }), /^posting 0: cid is not in canonical form/],
    ['cid too long', rawPage({ c: `b${long(128)}` }), /^posting 0: cid is longer than 128 bytes/],
    ['fields 0', rawPage({ f: 0 }), /^posting 0: fields is not a non-zero set/],
    ['fields unknown bit', rawPage({ f: 1 << 16 }), /^posting 0: fields is not a non-zero set/],
    ['fields negative', rawPage({ f: -1 }), /^posting 0: fields is not a non-zero set/],
    ['termCount 0', rawPage({ n: 0 }), /^posting 0: termCount is not an integer from 1 to 4294967295$/],
    ['termCount too large', rawPage({ n: 2 ** 32, d: 2 ** 33 }), /^posting 0: termCount is not an integer/],
    ['termCount fractional', rawPage({ n: 1.5 }), /^posting 0: termCount is not an integer/],
    ['documentTerms 0', rawPage({ d: 0 }), /^posting 0: documentTerms is not an integer/],
    ['documentTerms below termCount', rawPage({ n: 5, d: 4 }), /^posting 0: documentTerms is less than termCount$/],
    ['publisher too short', rawPage({ p: '12D3KooW' }), /^posting 0: publisher is not a peer id \(40 to 64 base58btc characters\)$/],
    ['publisher too long', rawPage({ p: `${A}${A}` }), /^posting 0: publisher is not a peer id/],
    ['publisher not base58 (0)', rawPage({ p: `${A.slice(0, -1)}0` }), /^posting 0: publisher is not a peer id/],
    ['publisher not base58 (l)', rawPage({ p: `${A.slice(0, -1)}l` }), /^posting 0: publisher is not a peer id/],
    ['publishedAt negative', rawPage({ u: -1 }), /^posting 0: publishedAtUnixMs is not a time/],
    ['publishedAt beyond safe integers', rawPage({ u: 2n ** 60n }), /^posting 0: publishedAtUnixMs is not a time/],
    ['signature not bytes', rawPage({ s: 'sig' }), /^posting 0: signature is not bytes$/],
    ['signature empty', rawPage({ s: new Uint8Array(0) }), /^posting 0: signature is empty$/],
    ['signature too long', rawPage({ s: new Uint8Array(129) }), /^posting 0: signature is longer than 128 bytes/],
    ['entry unknown key', rawPage({ x: 1 }), /^posting 0: unknown key "x"$/],
    ['entry __proto__ key', rawPage({ ['__proto__']: 1 }), /^posting 0: unknown key "__proto__"$/],
    ['entry missing key', rawPage({ u: undefined }), /^posting 0: missing u \(publishedAtUnixMs\)$/],
    ['entry not a map', rawPage({}, { postings: [[1, 2]] }), /^posting 0: not a map$/],
    ['page unknown key', rawPage({}, { extra: true }), /^the page: unknown key "extra"$/],
    ['page missing next', rawPage({}, { next: undefined }), /^the page: missing next$/],
    ['page version', rawPage({}, { version: 2 }), /^the page has version 2 \(this node reads 1\)$/],
    ['postings not a list', rawPage({}, { postings: {} }), /^the page: postings is not a list$/],
    ['cursor empty', rawPage({}, { next: '' }), /^the page: next is not a cursor/],
    ['cursor control character', rawPage({}, { next: 'a\u001b[2J' }), /^the page: next is not a cursor/],
    ['cursor too long', rawPage({}, { next: long(129) }), /^the page: next is not a cursor/],
    ['cursor a number', rawPage({}, { next: 3 }), /^the page: next is neither text nor null$/],
    ['page not a map', DagCbor.encode([1, 2, 3]), /^the page is not a map$/],
    ['not dag-cbor', new Uint8Array([0xff, 0x00]), /^the page is not dag-cbor/],
    ['empty', new Uint8Array(0), /^the page is not dag-cbor/],
    ['trailing bytes', new Uint8Array([...encodePostingPage([], null), 0]), /^the page is not dag-cbor/],
    ['too many bytes', new Uint8Array(PostingLimits.pageBytesMax + 1), /^the page has 61441 bytes, over 61440/],
  ];
  for (const [name, bytes, reason] of cases) {
    it(name, () => assert.match(errorOf(decodePostingPage(bytes)), reason));
  }

  it('names the posting at fault', () => {
    const good = DagCbor.decode(encodePostingPage([signed(), signed({ cid: cidOf('1') }), signed({ cid: cidOf('2') })], null)) as { postings: Record<string, unknown>[] };
    good.postings.push({ ...good.postings[0], c: cidOf('3'), t: 'not a term' });
    assert.equal(errorOf(decodePostingPage(DagCbor.encode(good))), 'posting 3: term is not a term (folded, one word, not a stopword, within TermLimits; or ~ and a stem)');
  });

  it('refuses a repeated posting and too many postings', () => {
    const page = DagCbor.decode(encodePostingPage([signed()], null)) as { postings: unknown[] };
    assert.match(errorOf(decodePostingPage(DagCbor.encode({ ...page, postings: [page.postings[0], page.postings[0]] }))), /^posting 1: repeats posting 0 \(the same term, publisher and cid\)$/);
    const many = Array.from({ length: PostingLimits.postingsPerPageMax + 1 }, () => page.postings[0]);
    assert.match(errorOf(decodePostingPage(DagCbor.encode({ ...page, postings: many }))), /^the page has 129 postings, over 128/);
  });

  it('refuses a page not in canonical form: an integer written as a float', () => {
    const bytes = encodePostingPage([signed({ publishedAtUnixMs: 2 ** 40 })], null);
    // 'u' then a 64-bit unsigned integer (0x1b) → the same value as a float64 (0xfb).
    const at = bytes.findIndex((byte, i) => byte === 0x61 && bytes[i + 1] === 0x75 && bytes[i + 2] === 0x1b);
    assert.ok(at > 0);
    const float = new Uint8Array(bytes);
    float[at + 2] = 0xfb;
    new DataView(float.buffer).setFloat64(at + 3, 2 ** 40);
    assert.equal(errorOf(decodePostingPage(float)), 'the page is not in canonical dag-cbor form');
  });

  it('refuses non-minimal integers (dag-cbor strict)', () => {
    const bytes = encodePostingPage([], null);
    // version: 0x01 → 0x18 0x01.
    const version = new TextEncoder().encode('version');
    const index = Buffer.from(bytes).indexOf(Buffer.from(version)) + version.length;
    assert.equal(bytes[index], POSTING_PAGE_VERSION);
    const padded = new Uint8Array([...bytes.slice(0, index), 0x18, 0x01, ...bytes.slice(index + 1)]);
    assert.match(errorOf(decodePostingPage(padded)), /^the page is not dag-cbor/);
  });
});

describe('decodePostingPage fuzz: never throws', () => {
  const valid = encodePostingPage([signed(), signed({ publisher: B, cid: cidOf('b') }), signed({ term: 'peer', publisher: C })], 'cursor-1');

  function check(bytes: Uint8Array): void {
    const result = decodePostingPage(bytes);
    assert.equal(typeof result.ok, 'boolean');
    if (result.ok) assert.deepEqual(encodePostingPage(result.page.postings, result.page.next), bytes, 'only canonical pages are accepted');
    else assert.ok(result.error.length > 0 && result.error.length < 300);
  }

  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), check), { numRuns: 2000 });
  });

  it('on mutations of a valid page: flipped, cut, inserted bytes', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'cut', 'insert')), { minLength: 1, maxLength: 6 }),
      (edits) => {
        let bytes = new Uint8Array(valid);
        for (const [position, value, kind] of edits) {
          const at = Math.min(position, bytes.length);
          if (kind === 'set' && at < bytes.length) bytes[at] = value;
          else if (kind === 'cut') bytes = bytes.slice(0, at);
          else bytes = new Uint8Array([...bytes.slice(0, at), value, ...bytes.slice(at)]);
        }
        check(bytes);
      },
    ), { numRuns: 3000 });
  });

  it('on arbitrary dag-cbor values', () => {
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.uint8Array({ maxLength: 70 }),
        fc.array(tie('any'), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom('t', 'c', 'f', 'n', 'd', 'p', 'u', 's', 'version', 'postings', 'next', 'x'), tie('any'), { maxKeys: 9 }),
      ),
    })).any;
    fc.assert(fc.property(value, (v) => check(DagCbor.encode(v))), { numRuns: 2000 });
  });

  it('on deeply nested input', () => {
    const deep = new Uint8Array(PostingLimits.pageBytesMax).fill(0x81); // arrays of arrays of …
    check(deep);
  });
});

describe('postingProblem', () => {
  it('accepts a valid posting and names the first problem of an invalid one', () => {
    assert.equal(postingProblem(postingOf()), null);
    assert.equal(postingProblem(postingOf({ fields: PostingField.textBody })), null);
    assert.match(postingProblem(postingOf({ fields: 0 })) ?? '', /^fields/);
    assert.match(postingProblem({ ...postingOf(), term: undefined } as unknown as Posting) ?? '', /^term is not text/);
  });
});

describe('admitPostings', () => {
  const limits = { postingsPerPublisherPerTermMax: 16, postingsPerTermMax: 1000 };
  const ids = (postings: readonly SignedPosting[]) => postings.map(({ posting }) => `${posting.term}/${posting.publisher.slice(-4)}/${posting.cid.slice(-6)}@${posting.publishedAtUnixMs}`);

  it('dedupes by (term, publisher, cid)', () => {
    const { kept, refused } = admitPostings([signed()], [signed(), signed({ publisher: B }), signed({ term: 'peer' })], limits);
    assert.equal(kept.length, 3);
    assert.equal(refused.length, 1);
    assert.match(refused[0].reason, /repeats a posting already held/);
  });

  it('replaces an older posting by a newer one, and refuses an older one', () => {
    const old = signed({ publishedAtUnixMs: 1000 });
    const newer = signed({ publishedAtUnixMs: 2000, termCount: 3 });
    const replaced = admitPostings([old], [newer], limits);
    assert.deepEqual(replaced.kept, [newer]);
    assert.deepEqual(replaced.refused, [{ posting: old, reason: 'replaced by a newer posting from the same publisher for the same term and cid' }]);
    const stale = admitPostings([newer], [old], limits);
    assert.deepEqual(stale.kept, [newer]);
    assert.deepEqual(stale.refused, [{ posting: old, reason: 'older than the posting held from the same publisher for the same term and cid' }]);
  });

  it('keeps a publisher\'s newest postingsPerPublisherPerTermMax for a term', () => {
    const incoming = Array.from({ length: 20 }, (_, i) => signed({ cid: cidOf(`d${i}`), publishedAtUnixMs: 1000 + i }));
    const { kept, refused } = admitPostings([], incoming, limits);
    assert.equal(kept.length, 16);
    assert.deepEqual(kept.map((p) => p.posting.publishedAtUnixMs), Array.from({ length: 16 }, (_, i) => 1019 - i));
    assert.deepEqual(refused.map((r) => r.posting.posting.publishedAtUnixMs).sort(), [1000, 1001, 1002, 1003]);
    assert.match(refused[0].reason, /over 16 postings from one publisher for one term/);
    // The cap is per term: the same publisher has 16 more under another term.
    const other = incoming.map(({ posting, signature }) => ({ posting: { ...posting, term: 'peer' }, signature }));
    assert.equal(admitPostings([], [...incoming, ...other], limits).kept.length, 32);
  });

  it('a flooding publisher cannot crowd out others: A sends 5,000, B sends 3, and B keeps its 3', () => {
    const flood = Array.from({ length: 5000 }, (_, i) => signed({ cid: cidOf(`a${i}`), publishedAtUnixMs: 5000 + i }));
    const few = Array.from({ length: 3 }, (_, i) => signed({ cid: cidOf(`b${i}`), publisher: B, publishedAtUnixMs: 1 + i }));
    // With the default limits, A is cut to its newest 4,096 by the per-publisher cap.
    const defaults = admitPostings([], [...flood, ...few], PostingLimits);
    assert.equal(defaults.kept.filter((p) => p.posting.publisher === B).length, 3);
    assert.equal(defaults.kept.filter((p) => p.posting.publisher === A).length, PostingLimits.postingsPerPublisherPerTermMax);
    // Even with no per-publisher cap to speak of and a term list of 10, and A's postings held first.
    const tight = { postingsPerPublisherPerTermMax: 5000, postingsPerTermMax: 10 };
    for (const [held, incoming] of [[flood, few], [few, flood], [[], [...flood, ...few]]] as const) {
      const { kept, refused } = admitPostings(held, incoming, tight);
      assert.equal(kept.length, 10);
      assert.equal(kept.filter((p) => p.posting.publisher === B).length, 3);
      assert.equal(kept.filter((p) => p.posting.publisher === A).length, 7);
      assert.equal(refused.length, 4993);
      assert.ok(refused.every((r) => r.posting.posting.publisher === A && /the term's list is full/.test(r.reason)));
    }
  });

  it('shares a full list among many publishers in turn', () => {
    const publishers = [A, B, C, peerOf('d')];
    const incoming = publishers.flatMap((publisher, p) => Array.from({ length: 5 + p }, (_, i) => signed({ publisher, cid: cidOf(`${p}/${i}`), publishedAtUnixMs: i })));
    const { kept } = admitPostings([], incoming, { postingsPerPublisherPerTermMax: 16, postingsPerTermMax: 12 });
    for (const publisher of publishers) assert.equal(kept.filter((p) => p.posting.publisher === publisher).length, 3);
  });

  it('throws for limits that are not positive integers', () => {
    assert.throws(() => admitPostings([], [], { postingsPerPublisherPerTermMax: 0, postingsPerTermMax: 1 }), RangeError);
    assert.throws(() => admitPostings([], [], { postingsPerPublisherPerTermMax: 1, postingsPerTermMax: 1.5 }), RangeError);
  });

  it('keeps or refuses each posting exactly once, within the caps, fairly, whatever the input order (property)', () => {
    const posting = fc.record({
      term: fc.constantFrom('grid', 'peer'),
      publisher: fc.constantFrom(A, B, C),
      doc: fc.integer({ min: 0, max: 30 }),
      publishedAtUnixMs: fc.integer({ min: 0, max: 40 }),
    }).map(({ term, publisher, doc, publishedAtUnixMs }) => signed({ term, publisher, cid: cidOf(String(doc)), publishedAtUnixMs }));
    fc.assert(fc.property(
      fc.array(posting, { maxLength: 60 }), fc.array(posting, { maxLength: 60 }),
      fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 30 }),
      (held, incoming, perPublisher, perTerm) => {
        const caps = { postingsPerPublisherPerTermMax: perPublisher, postingsPerTermMax: perTerm };
        const { kept, refused } = admitPostings(held, incoming, caps);
        assert.equal(kept.length + refused.length, held.length + incoming.length);
        const keys = kept.map(({ posting: p }) => `${p.term} ${p.publisher} ${p.cid}`);
        assert.equal(new Set(keys).size, keys.length, 'one posting per term, publisher and cid');
        for (const term of ['grid', 'peer']) {
          const list = kept.filter((p) => p.posting.term === term);
          assert.ok(list.length <= perTerm);
          const offered = new Map<string, number>();
          for (const { posting: p } of [...held, ...incoming]) {
            if (p.term === term) offered.set(`${p.publisher} ${p.cid}`, 0);
          }
          const publishers = new Set([...offered.keys()].map((key) => key.split(' ')[0]));
          for (const publisher of publishers) {
            const count = list.filter((p) => p.posting.publisher === publisher).length;
            const distinct = [...offered.keys()].filter((key) => key.startsWith(`${publisher} `)).length;
            assert.ok(count <= perPublisher);
            // Fair share: at least its whole (capped) offer, or an equal share of the list.
            assert.ok(count >= Math.min(distinct, perPublisher, Math.floor(perTerm / publishers.size)), `${publisher}: ${count}`);
          }
        }
        // The same kept set with the incoming postings in reverse, when no two share a time.
        const times = [...held, ...incoming].map((p) => `${p.posting.term} ${p.posting.publisher} ${p.posting.cid} ${p.posting.publishedAtUnixMs}`);
        if (new Set(times).size === times.length) assert.deepEqual(ids(admitPostings(held, [...incoming].reverse(), caps).kept), ids(kept));
      },
    ), { numRuns: 500 });
  });
});
