/** Document records, withdrawals and publisher summaries: signing bytes with purpose tags, and readers that never throw. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as DagCbor from '@ipld/dag-cbor';
import fc from 'fast-check';
import {
  DOCUMENT_SIGNING_PURPOSE, SUMMARY_DOCUMENTS_MAX, SUMMARY_SIGNING_PURPOSE, WITHDRAWAL_SIGNING_PURPOSE,
  documentFromCbor, documentSigningBytes, documentToCbor, summaryFromCbor, summarySigningBytes, summaryToCbor,
  withdrawalFromCbor, withdrawalSigningBytes, withdrawalToCbor,
  type DocumentRecord, type PublisherSummary, type Read, type Withdrawal,
} from '../../../src/services/search/document-record.ts';
import type { DublinCore } from '../../../src/services/search/dublin-core.ts';
import { POSTING_SIGNING_PURPOSE, PostingLimits, postingSigningBytes } from '../../../src/services/search/posting.ts';
import {
  A, B, METADATA, NOW, cidOf, documentRecordOf, hex, postingOf, signature, signedDocument, signedSummary, signedWithdrawal,
  summaryOf, withdrawalOf,
} from './search-fixtures.ts';

function valueOf<T>(read: Read<T>): T {
  assert.ok(read.ok, read.ok ? '' : read.error);
  return read.value;
}

function errorOf<T>(read: Read<T>): string {
  assert.equal(read.ok, false, 'expected an error');
  return read.ok ? '' : read.error;
}

/** The value as it would arrive: through dag-cbor and back. */
function overTheWire(value: unknown): unknown {
  return DagCbor.decode(DagCbor.encode(value));
}

const arbitraryIdentity = fc.record({
  doc: fc.string({ maxLength: 6 }),
  publisher: fc.constantFrom(A, B),
  at: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
});

describe('signing purposes', () => {
  it('are distinct from each other and from a posting\'s', () => {
    assert.equal(DOCUMENT_SIGNING_PURPOSE, 'peergrid/search/document/1');
    assert.equal(WITHDRAWAL_SIGNING_PURPOSE, 'peergrid/search/withdrawal/1');
    assert.equal(SUMMARY_SIGNING_PURPOSE, 'peergrid/search/summary/1');
    assert.equal(new Set([DOCUMENT_SIGNING_PURPOSE, WITHDRAWAL_SIGNING_PURPOSE, SUMMARY_SIGNING_PURPOSE, POSTING_SIGNING_PURPOSE]).size, 4);
  });
});

describe('documentSigningBytes', () => {
  it('is canonical dag-cbor of the record with its purpose tag', () => {
    const record = documentRecordOf();
    assert.deepEqual(DagCbor.decode(documentSigningBytes(record)), { purpose: DOCUMENT_SIGNING_PURPOSE, ...record });
  });

  it('is deterministic: the same record gives the same bytes, whatever the order of its properties or elements', () => {
    const record = documentRecordOf();
    const metadata = Object.fromEntries(Object.entries(METADATA).reverse()) as DublinCore;
    const reordered = Object.fromEntries(Object.entries({ ...record, metadata }).reverse()) as unknown as DocumentRecord;
    assert.equal(hex(documentSigningBytes(record)), hex(documentSigningBytes(reordered)));
    assert.equal(hex(documentSigningBytes(record)), hex(documentSigningBytes(documentRecordOf())));
  });

  it('differs when any field differs', () => {
    const changes: Partial<DocumentRecord>[] = [
      {}, { cid: cidOf('other') }, { publisher: B }, { publishedAtUnixMs: NOW + 1 },
      { metadata: { ...METADATA, title: ['Peer-to-peer grid'] } }, { metadata: { ...METADATA, subject: ['p2p', 'grid'] } },
    ];
    const all = changes.map((change) => hex(documentSigningBytes(documentRecordOf(change))));
    assert.equal(new Set(all).size, changes.length);
  });

  it('throws RangeError for an invalid record, naming the problem', () => {
    assert.throws(() => documentSigningBytes(documentRecordOf({ cid: 'bafynotacid' })), /^RangeError: cannot sign an invalid document record: cid is not a CID$/);
    assert.throws(() => documentSigningBytes(documentRecordOf({ publisher: 'nobody' })), /cannot sign an invalid document record: publisher is not a peer id/);
    assert.throws(() => documentSigningBytes(documentRecordOf({ publishedAtUnixMs: -1 })), /publishedAtUnixMs is not a time/);
    assert.throws(() => documentSigningBytes(documentRecordOf({ metadata: { author: ['Crowcroft'] } as DublinCore })), /cannot sign an invalid document record: unknown Dublin Core element "author"/);
    assert.throws(() => documentSigningBytes(documentRecordOf({ metadata: { title: [] } })), RangeError);
  });
});

describe('withdrawalSigningBytes', () => {
  it('is canonical dag-cbor of the withdrawal with its purpose tag', () => {
    const withdrawal = withdrawalOf();
    assert.deepEqual(DagCbor.decode(withdrawalSigningBytes(withdrawal)), { purpose: WITHDRAWAL_SIGNING_PURPOSE, ...withdrawal });
    const reordered = Object.fromEntries(Object.entries(withdrawal).reverse()) as unknown as Withdrawal;
    assert.equal(hex(withdrawalSigningBytes(reordered)), hex(withdrawalSigningBytes(withdrawal)));
    assert.notEqual(hex(withdrawalSigningBytes(withdrawalOf({ withdrawnAtUnixMs: NOW + 1 }))), hex(withdrawalSigningBytes(withdrawal)));
  });

  it('never equals the bytes of a document record, a summary or a posting of the same publisher, cid and time', () => {
    fc.assert(fc.property(arbitraryIdentity, ({ doc, publisher, at }) => {
      const cid = cidOf(doc);
      const withdrawal = withdrawalSigningBytes({ cid, publisher, withdrawnAtUnixMs: at });
      const others = [
        documentSigningBytes({ cid, publisher, metadata: {}, publishedAtUnixMs: at }),
        documentSigningBytes({ cid, publisher, metadata: METADATA, publishedAtUnixMs: at }),
        summarySigningBytes({ publisher, documents: 0, documentTerms: 0, publishedAtUnixMs: at }),
        postingSigningBytes(postingOf({ cid, publisher, publishedAtUnixMs: at })),
      ];
      assert.equal(new Set([withdrawal, ...others].map(hex)).size, 5);
      // Not only different: each carries its own purpose, which a verifier of another kind never accepts.
      const purposes = [withdrawal, ...others].map((bytes) => (DagCbor.decode(bytes) as { purpose: string }).purpose);
      assert.deepEqual(purposes, [WITHDRAWAL_SIGNING_PURPOSE, DOCUMENT_SIGNING_PURPOSE, DOCUMENT_SIGNING_PURPOSE, SUMMARY_SIGNING_PURPOSE, POSTING_SIGNING_PURPOSE]);
    }), { numRuns: 200 });
  });

  it('throws RangeError for an invalid withdrawal, naming withdrawnAtUnixMs', () => {
    assert.throws(() => withdrawalSigningBytes(withdrawalOf({ withdrawnAtUnixMs: 1.5 })), /^RangeError: cannot sign an invalid withdrawal: withdrawnAtUnixMs is not a time/);
    assert.throws(() => withdrawalSigningBytes(withdrawalOf({ cid: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N' })), /cannot sign an invalid withdrawal: cid is not a CIDv1/);
    assert.throws(() => withdrawalSigningBytes(withdrawalOf({ publisher: '' })), RangeError);
  });
});

describe('summarySigningBytes', () => {
  it('is canonical dag-cbor of the summary with its purpose tag', () => {
    const summary = summaryOf();
    assert.deepEqual(DagCbor.decode(summarySigningBytes(summary)), { purpose: SUMMARY_SIGNING_PURPOSE, ...summary });
    const reordered = Object.fromEntries(Object.entries(summary).reverse()) as unknown as PublisherSummary;
    assert.equal(hex(summarySigningBytes(reordered)), hex(summarySigningBytes(summary)));
    const changes: Partial<PublisherSummary>[] = [{}, { publisher: B }, { documents: 11 }, { documentTerms: 401 }, { publishedAtUnixMs: NOW + 1 }];
    assert.equal(new Set(changes.map((change) => hex(summarySigningBytes(summaryOf(change))))).size, changes.length);
  });

  it('accepts the empty corpus and the largest', () => {
    assert.doesNotThrow(() => summarySigningBytes(summaryOf({ documents: 0, documentTerms: 0 })));
    assert.doesNotThrow(() => summarySigningBytes(summaryOf({ documents: SUMMARY_DOCUMENTS_MAX, documentTerms: Number.MAX_SAFE_INTEGER })));
  });

  it('throws RangeError for invalid counts', () => {
    assert.throws(() => summarySigningBytes(summaryOf({ documents: 10, documentTerms: 9 })), /^RangeError: cannot sign an invalid summary: documentTerms is not an integer from documents/);
    assert.throws(() => summarySigningBytes(summaryOf({ documents: 0, documentTerms: 1 })), /documentTerms is not an integer from documents/);
    assert.throws(() => summarySigningBytes(summaryOf({ documents: 1, documentTerms: PostingLimits.documentTermsMax + 1 })), /documentTerms is not an integer/);
    assert.throws(() => summarySigningBytes(summaryOf({ documents: SUMMARY_DOCUMENTS_MAX + 1, documentTerms: SUMMARY_DOCUMENTS_MAX + 1 })), /documents is not an integer from 0 to 10000000/);
    assert.throws(() => summarySigningBytes(summaryOf({ documents: -1 })), /documents is not an integer/);
    assert.throws(() => summarySigningBytes(summaryOf({ publisher: 'x' })), /cannot sign an invalid summary: publisher is not a peer id/);
  });
});

describe('documentToCbor / documentFromCbor', () => {
  it('round-trips through dag-cbor, copying the signature', () => {
    const signed = signedDocument();
    const wire = DagCbor.encode(documentToCbor(signed));
    const read = valueOf(documentFromCbor(DagCbor.decode(wire)));
    assert.deepEqual(read, signed);
    wire.fill(0);
    assert.deepEqual([...read.signature], [...signature()]);
  });

  it('returns the metadata checked and in canonical element order', () => {
    const value = documentToCbor(signedDocument({ metadata: { subject: ['p2p'], creator: ['Crowcroft'] } }));
    const read = valueOf(documentFromCbor(value));
    assert.deepEqual(Object.keys(read.record.metadata), ['creator', 'subject']);
  });

  const good = () => overTheWire(documentToCbor(signedDocument())) as Record<string, unknown>;
  const cases: [string, unknown, RegExp][] = [
    ['not a map (null)', null, /^a document record is not a map$/],
    ['not a map (list)', [1, 2], /^a document record is not a map$/],
    ['not a map (bytes)', new Uint8Array(4), /^a document record is not a map$/],
    ['an extra key', { ...good(), extra: 1 }, /^a document record: unknown key "extra"$/],
    ['cid missing', { ...good(), cid: undefined }, /^a document record: cid is not text$/],
    ['cid not a CID', { ...good(), cid: 'bafynotacid' }, /^a document record: cid is not a CID$/],
    ['publisher not a peer id', { ...good(), publisher: 'abc' }, /^a document record: publisher is not a peer id/],
    ['time negative', { ...good(), publishedAtUnixMs: -5 }, /^a document record: publishedAtUnixMs is not a time/],
    ['time as text', { ...good(), publishedAtUnixMs: '1790000000000' }, /^a document record: publishedAtUnixMs is not a time/],
    ['signature missing', { ...good(), signature: undefined }, /^a document record: signature is not bytes$/],
    ['signature empty', { ...good(), signature: new Uint8Array(0) }, /^a document record: signature is not bytes$/],
    ['signature too long', { ...good(), signature: new Uint8Array(129) }, /^a document record: signature is longer than 128 bytes$/],
    ['metadata missing', { ...good(), metadata: undefined }, /^a document record: the metadata must be an object/],
    ['metadata a list', { ...good(), metadata: ['title'] }, /^a document record: the metadata must be an object of Dublin Core elements, not a list$/],
    ['metadata unknown element', { ...good(), metadata: { author: ['Crowcroft'] } }, /^a document record: unknown Dublin Core element "author" \(for this use creator\)/],
    ['metadata value not a list', { ...good(), metadata: { title: 'Grids' } }, /^a document record: title must be a list of strings/],
    ['metadata control character', { ...good(), metadata: { title: ['a\u001b[2J'] } }, /^a document record: title contains a control character$/],
  ];
  for (const [name, value, reason] of cases) {
    it(`refuses: ${name}`, () => {
      const input = value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array)
        ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined))
        : value;
      assert.match(errorOf(documentFromCbor(input)), reason);
    });
  }
});

describe('withdrawalToCbor / withdrawalFromCbor', () => {
  it('round-trips through dag-cbor, copying the signature', () => {
    const signed = signedWithdrawal({ withdrawnAtUnixMs: 0 });
    const wire = overTheWire(withdrawalToCbor(signed));
    const read = valueOf(withdrawalFromCbor(wire));
    assert.deepEqual(read, signed);
    (wire as { signature: Uint8Array }).signature.fill(0);
    assert.deepEqual([...read.signature], [...signature()]);
  });

  it('refuses a bad withdrawal, naming withdrawnAtUnixMs for a bad time', () => {
    const good = withdrawalToCbor(signedWithdrawal());
    assert.match(errorOf(withdrawalFromCbor('withdrawal')), /^a withdrawal is not a map$/);
    assert.match(errorOf(withdrawalFromCbor({ ...good, withdrawnAtUnixMs: -1 })), /^a withdrawal: withdrawnAtUnixMs is not a time/);
    assert.match(errorOf(withdrawalFromCbor({ ...good, withdrawnAtUnixMs: 2 ** 60 })), /^a withdrawal: withdrawnAtUnixMs is not a time/);
    assert.match(errorOf(withdrawalFromCbor({ ...good, publishedAtUnixMs: NOW })), /^a withdrawal: unknown key "publishedAtUnixMs"$/);
    assert.match(errorOf(withdrawalFromCbor({ ...good, cid: 5 })), /^a withdrawal: cid is not text$/);
    assert.match(errorOf(withdrawalFromCbor({ ...good, signature: 'sig' })), /^a withdrawal: signature is not bytes$/);
    const { withdrawnAtUnixMs: _, ...missing } = good;
    assert.match(errorOf(withdrawalFromCbor(missing)), /^a withdrawal: withdrawnAtUnixMs is not a time/);
  });
});

describe('summaryToCbor / summaryFromCbor', () => {
  it('round-trips through dag-cbor', () => {
    for (const signed of [signedSummary(), signedSummary({ documents: 0, documentTerms: 0, publisher: B }, signature(1, 1))]) {
      assert.deepEqual(valueOf(summaryFromCbor(overTheWire(summaryToCbor(signed)))), signed);
    }
  });

  it('refuses documentTerms below documents, and other bad counts', () => {
    const good = summaryToCbor(signedSummary());
    assert.match(errorOf(summaryFromCbor({ ...good, documents: 10, documentTerms: 9 })), /^a summary: documentTerms is not an integer from documents to documents × PostingLimits.documentTermsMax$/);
    assert.match(errorOf(summaryFromCbor({ ...good, documents: 0, documentTerms: 3 })), /^a summary: documentTerms is not an integer/);
    assert.match(errorOf(summaryFromCbor({ ...good, documents: 2, documentTerms: 2 * PostingLimits.documentTermsMax + 1 })), /^a summary: documentTerms is not an integer/);
    assert.match(errorOf(summaryFromCbor({ ...good, documents: SUMMARY_DOCUMENTS_MAX + 1 })), /^a summary: documents is not an integer from 0 to 10000000$/);
    assert.match(errorOf(summaryFromCbor({ ...good, documents: 1.5 })), /^a summary: documents is not an integer/);
    assert.match(errorOf(summaryFromCbor({ ...good, documents: -1 })), /^a summary: documents is not an integer/);
    assert.match(errorOf(summaryFromCbor({ ...good, documentTerms: '400' })), /^a summary: documentTerms is not an integer/);
  });

  it('refuses a bad publisher, time, signature or key', () => {
    const good = summaryToCbor(signedSummary());
    assert.match(errorOf(summaryFromCbor([good])), /^a summary is not a map$/);
    assert.match(errorOf(summaryFromCbor({ ...good, cid: cidOf('doc') })), /^a summary: unknown key "cid"$/);
    assert.match(errorOf(summaryFromCbor({ ...good, publisher: `${A}0` })), /^a summary: publisher is not a peer id/);
    assert.match(errorOf(summaryFromCbor({ ...good, publishedAtUnixMs: null })), /^a summary: publishedAtUnixMs is not a time/);
    assert.match(errorOf(summaryFromCbor({ ...good, signature: new Uint8Array(0) })), /^a summary: signature is not bytes$/);
  });
});

describe('readers never throw', () => {
  const value = fc.letrec((tie) => ({
    any: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.string(), fc.uint8Array({ maxLength: 130 }),
      fc.constantFrom(A, cidOf('doc'), NOW, 'title', ['grid']),
      fc.array(tie('any'), { maxLength: 4 }),
      fc.dictionary(
        fc.constantFrom('cid', 'publisher', 'metadata', 'publishedAtUnixMs', 'withdrawnAtUnixMs', 'documents', 'documentTerms', 'signature', 'title', 'creator', '__proto__'),
        tie('any'), { maxKeys: 8 },
      ),
    ),
  })).any;
  /** Valid records with one field replaced by an arbitrary value: readers must get past the early checks. */
  const mutated = fc.tuple(
    fc.constantFrom(documentToCbor(signedDocument()), withdrawalToCbor(signedWithdrawal()), summaryToCbor(signedSummary())),
    fc.constantFrom('cid', 'publisher', 'metadata', 'publishedAtUnixMs', 'withdrawnAtUnixMs', 'documents', 'documentTerms', 'signature'),
    value,
  ).map(([record, key, replacement]) => ({ ...record, [key]: replacement }));

  function check(input: unknown): void {
    for (const read of [documentFromCbor(input), withdrawalFromCbor(input), summaryFromCbor(input)] as Read<unknown>[]) {
      assert.equal(typeof read.ok, 'boolean');
      if (!read.ok) assert.ok(read.error.length > 0 && read.error.length < 400, read.error);
    }
  }

  it('on arbitrary values', () => {
    fc.assert(fc.property(value, check), { numRuns: 300 });
  });

  it('on arbitrary values decoded from dag-cbor', () => {
    fc.assert(fc.property(value, (v) => {
      let decoded: unknown;
      try {
        decoded = overTheWire(v);
      } catch {
        return; // dag-cbor refuses some values (NaN, infinities); nothing to read then
      }
      check(decoded);
    }), { numRuns: 300 });
  });

  it('on valid records with one field replaced', () => {
    fc.assert(fc.property(mutated, check), { numRuns: 300 });
  });
});
