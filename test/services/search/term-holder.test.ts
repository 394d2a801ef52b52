/** TermHolder: what one node holds of the index — admission, withdrawals, expiry, answers, changes and restore. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BloomFilter } from '../../../src/services/search/bloom-filter.ts';
import type { SignedDocumentRecord } from '../../../src/services/search/document-record.ts';
import { DublinCoreField } from '../../../src/services/search/dublin-core.ts';
import { POSTING_ALL_FIELDS, PostingField, PostingLimits, decodePostingPage, type Posting, type SignedPosting } from '../../../src/services/search/posting.ts';
import { TERM_HOLDER_DEFAULTS, TermHolder, publisherCidKey, type TermHolderOptions } from '../../../src/services/search/term-holder.ts';
import { A, B, C, NOW, cidOf, signedDocument, signedPosting, signedWithdrawal } from './search-fixtures.ts';

const TTL = 3600_000;
const SKEW = 60_000;
const OPTIONS: TermHolderOptions = { ...TERM_HOLDER_DEFAULTS, postingTtlMs: TTL, clockSkewMs: SKEW };

const DOC = cidOf('doc');
const OTHER = cidOf('other');

function holderWith(postings: readonly SignedPosting[] = [], documents: readonly SignedDocumentRecord[] = [], options = OPTIONS): TermHolder {
  const holder = new TermHolder(options);
  const result = holder.admit(postings, documents, NOW);
  assert.deepEqual(result.refused, []);
  assert.deepEqual(result.documentsRefused, []);
  return holder;
}

/** A term's list as short strings, in order. */
function ids(list: readonly SignedPosting[]): string[] {
  const name = (publisher: string) => (publisher === A ? 'A' : publisher === B ? 'B' : publisher === C ? 'C' : publisher.slice(-4));
  return list.map(({ posting }) => `${name(posting.publisher)}/${posting.cid.slice(-6)}@${posting.publishedAtUnixMs - NOW}`);
}

function decodedPage(bytes: Uint8Array) {
  const result = decodePostingPage(bytes);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.page;
}

describe('TermHolder: admission', () => {
  it('admits postings and counts distinct documents per term and fields', () => {
    const holder = new TermHolder(OPTIONS);
    const postings = [
      signedPosting({ publishedAtUnixMs: NOW - 30 }),
      signedPosting({ publisher: B, publishedAtUnixMs: NOW - 20 }),
      signedPosting({ cid: OTHER, fields: PostingField.textBody, publishedAtUnixMs: NOW - 10 }),
      signedPosting({ term: 'peer', fields: DublinCoreField.creator }),
    ];
    const result = holder.admit(postings, [], NOW);
    assert.deepEqual(result, { accepted: 4, refused: [], documentsAccepted: 0, documentsRefused: [] });
    assert.equal(holder.postingCount(), 4);
    assert.deepEqual(holder.terms().sort(), ['grid', 'peer']);
    assert.deepEqual(ids(holder.list('grid')), ids([postings[2], postings[1], postings[0]]), 'newest first');
    assert.equal(holder.count('grid', POSTING_ALL_FIELDS), 2, 'two publishers of one CID count once');
    assert.deepEqual(holder.cids('grid', POSTING_ALL_FIELDS), [OTHER, DOC]);
    assert.equal(holder.count('grid', DublinCoreField.title), 1);
    assert.deepEqual(holder.cids('grid', PostingField.textBody), [OTHER]);
    assert.equal(holder.count('grid', DublinCoreField.creator), 0);
    assert.equal(holder.count('peer', DublinCoreField.creator), 1);
    assert.equal(holder.count('kademlia', POSTING_ALL_FIELDS), 0);
    assert.deepEqual(holder.list('kademlia'), []);
  });

  it('refuses a repeat, and an older posting than the one held; a newer one replaces it', () => {
    const holder = holderWith([signedPosting({ publishedAtUnixMs: NOW - 100 })]);
    holder.takeChanges();
    const repeat = holder.admit([signedPosting({ publishedAtUnixMs: NOW - 100 })], [], NOW);
    assert.equal(repeat.accepted, 0);
    assert.match(repeat.refused[0].reason, /repeats a posting already held/);
    assert.deepEqual([...holder.takeChanges().terms], [], 'a repeat changes nothing');
    const older = holder.admit([signedPosting({ publishedAtUnixMs: NOW - 200 })], [], NOW);
    assert.deepEqual(older.refused, [{ index: 0, reason: 'older than the posting held from the same publisher for the same term and cid' }]);
    const newer = holder.admit([signedPosting({ publishedAtUnixMs: NOW - 50, termCount: 5 })], [], NOW);
    assert.equal(newer.accepted, 1);
    assert.deepEqual(ids(holder.list('grid')), ['A/' + DOC.slice(-6) + '@-50']);
    assert.equal(holder.list('grid')[0].posting.termCount, 5);
  });

  it('refuses a posting from the future beyond clockSkewMs and an expired one, with reasons at the right indexes', () => {
    const holder = new TermHolder(OPTIONS);
    const postings = [
      signedPosting({ cid: cidOf('0') }),
      signedPosting({ cid: cidOf('1'), publishedAtUnixMs: NOW + SKEW + 1 }),
      signedPosting({ cid: cidOf('2'), publishedAtUnixMs: NOW + SKEW }),
      signedPosting({ cid: cidOf('3'), term: 'peer', publishedAtUnixMs: NOW - TTL - 1 }),
      signedPosting({ cid: cidOf('4'), publishedAtUnixMs: NOW - TTL }),
      signedPosting({ cid: cidOf('5'), term: 'peer', publishedAtUnixMs: NOW + 10 * SKEW }),
    ];
    const result = holder.admit(postings, [], NOW);
    assert.equal(result.accepted, 3);
    assert.deepEqual(result.refused, [
      { index: 1, reason: 'published in the future (beyond the clock skew allowed)' },
      { index: 3, reason: 'expired (older than the time to live of postings)' },
      { index: 5, reason: 'published in the future (beyond the clock skew allowed)' },
    ]);
    assert.deepEqual(holder.cids('grid', POSTING_ALL_FIELDS).sort(), [cidOf('0'), cidOf('2'), cidOf('4')].sort());
    assert.deepEqual(holder.list('peer'), []);
  });

  it('indexes refusals by position across terms, in order', () => {
    const holder = holderWith([signedPosting({ term: 'peer' })]);
    const result = holder.admit([
      signedPosting({ term: 'kademlia', publishedAtUnixMs: NOW - 1 }),
      signedPosting({ term: 'kademlia' }), // replaces index 0 within the batch
      signedPosting({ term: 'peer' }), // a repeat of what is held
      signedPosting({ term: 'grid', publishedAtUnixMs: NOW - TTL - 5 }),
    ], [], NOW);
    assert.equal(result.accepted, 1);
    assert.deepEqual(result.refused.map((r) => r.index), [0, 2, 3]);
    assert.match(result.refused[0].reason, /replaced by a newer posting/);
    assert.match(result.refused[1].reason, /repeats a posting already held/);
    assert.match(result.refused[2].reason, /expired/);
  });

  it('applies the per-publisher cap of its options', () => {
    const holder = new TermHolder({ ...OPTIONS, postingsPerPublisherPerTermMax: 2 });
    const result = holder.admit([0, 1, 2].map((i) => signedPosting({ cid: cidOf(String(i)), publishedAtUnixMs: NOW - 10 + i })), [], NOW);
    assert.equal(result.accepted, 2);
    assert.deepEqual(result.refused.map((r) => r.index), [0]);
    assert.match(result.refused[0].reason, /over 2 postings from one publisher/);
  });
});

describe('TermHolder: document records', () => {
  it('refuses a record when no posting of that publisher and cid is held, and keeps one when there is', () => {
    const holder = holderWith([signedPosting({ publisher: B })]);
    const refused = holder.admit([], [signedDocument()], NOW);
    assert.deepEqual(refused.documentsRefused, [{ index: 0, reason: 'no posting of this publisher for this cid is held here' }]);
    assert.equal(holder.documentCount(), 0);
    // A posting and its record in one request: the posting is admitted first.
    const both = holder.admit([signedPosting()], [signedDocument({ cid: OTHER }), signedDocument()], NOW);
    assert.equal(both.documentsAccepted, 1);
    assert.deepEqual(both.documentsRefused.map((r) => r.index), [0]);
    assert.equal(holder.documentCount(), 1);
    assert.deepEqual(holder.documentsOf(DOC), [signedDocument()]);
    assert.deepEqual(holder.document(publisherCidKey(A, DOC)), signedDocument());
    assert.equal(holder.document(publisherCidKey(B, DOC)), undefined);
    assert.deepEqual(holder.documentsOf(OTHER), []);
  });

  it('keeps one record per publisher and cid: a newer replaces it, an older or equal one is refused', () => {
    const holder = holderWith([signedPosting(), signedPosting({ publisher: B })], [signedDocument({ publishedAtUnixMs: NOW - 10 })]);
    const equal = holder.admit([], [signedDocument({ publishedAtUnixMs: NOW - 10, metadata: { title: ['Other'] } })], NOW);
    assert.deepEqual(equal.documentsRefused, [{ index: 0, reason: 'not newer than the record held' }]);
    const older = holder.admit([], [signedDocument({ publishedAtUnixMs: NOW - 20 })], NOW);
    assert.equal(older.documentsRefused.length, 1);
    const newer = holder.admit([], [signedDocument({ publishedAtUnixMs: NOW - 5, metadata: { title: ['Newer'] } }), signedDocument({ publisher: B })], NOW);
    assert.equal(newer.documentsAccepted, 2);
    assert.equal(holder.documentCount(), 2);
    assert.deepEqual(holder.document(publisherCidKey(A, DOC))?.record.metadata, { title: ['Newer'] });
    assert.deepEqual(holder.documentsOf(DOC).map((d) => d.record.publisher).sort(), [A, B].sort());
  });

  it('refuses a record from the future or expired', () => {
    const holder = holderWith([signedPosting()]);
    const result = holder.admit([], [signedDocument({ publishedAtUnixMs: NOW + SKEW + 1 }), signedDocument({ publishedAtUnixMs: NOW - TTL - 1 })], NOW);
    assert.deepEqual(result.documentsRefused.map((r) => r.index), [0, 1]);
    assert.match(result.documentsRefused[0].reason, /future/);
    assert.match(result.documentsRefused[1].reason, /expired/);
  });

  it('drops a record when the last posting of its publisher and cid goes, not before', () => {
    const holder = holderWith(
      [signedPosting({ publishedAtUnixMs: NOW - TTL + 10 }), signedPosting({ term: 'peer', publishedAtUnixMs: NOW - TTL + 20 })],
      [signedDocument({ publishedAtUnixMs: NOW - TTL + 20 })],
    );
    assert.equal(holder.expire(NOW + 15), 1);
    assert.equal(holder.documentCount(), 1, 'one posting of the document remains');
    assert.equal(holder.expire(NOW + 25), 1);
    assert.equal(holder.postingCount(), 0);
    assert.equal(holder.documentCount(), 0);
    assert.deepEqual(holder.documentsOf(DOC), []);
    assert.deepEqual(holder.terms(), []);
  });

  it('drops a record whose last posting is pushed out by the per-publisher cap', () => {
    const holder = new TermHolder({ ...OPTIONS, postingsPerPublisherPerTermMax: 1 });
    holder.admit([signedPosting({ publishedAtUnixMs: NOW - 10 })], [signedDocument({ publishedAtUnixMs: NOW - 10 })], NOW);
    assert.equal(holder.documentCount(), 1);
    const result = holder.admit([signedPosting({ cid: OTHER })], [], NOW);
    assert.equal(result.accepted, 1);
    assert.deepEqual(holder.cids('grid', POSTING_ALL_FIELDS), [OTHER]);
    assert.equal(holder.documentCount(), 0);
  });

  it('keeps a record while a newer posting replaces an older one of the same document', () => {
    const holder = holderWith([signedPosting({ publishedAtUnixMs: NOW - 10 })], [signedDocument({ publishedAtUnixMs: NOW - 10 })]);
    holder.admit([signedPosting()], [], NOW);
    assert.equal(holder.documentCount(), 1);
  });
});

describe('TermHolder: withdrawals', () => {
  const T = NOW - 50;

  function populated(): TermHolder {
    return holderWith([
      signedPosting({ publishedAtUnixMs: T - 10 }), // removed
      signedPosting({ term: 'peer', publishedAtUnixMs: T }), // removed: at the withdrawal's time
      signedPosting({ term: 'kademlia', publishedAtUnixMs: T + 1 }), // kept: newer
      signedPosting({ publisher: B, publishedAtUnixMs: T - 10 }), // kept: another publisher
      signedPosting({ cid: OTHER, publishedAtUnixMs: T - 10 }), // kept: another cid
    ], [signedDocument({ publishedAtUnixMs: T - 10 }), signedDocument({ publisher: B, publishedAtUnixMs: T - 10 })]);
  }

  it('removes the publisher\'s postings of that cid published at or before it, and its record', () => {
    const holder = populated();
    assert.deepEqual(holder.withdraw([signedWithdrawal({ withdrawnAtUnixMs: T })], NOW), { postingsRemoved: 2, documentsRemoved: 1 });
    assert.deepEqual(ids(holder.list('grid')).sort(), [`A/${OTHER.slice(-6)}@-60`, `B/${DOC.slice(-6)}@-60`].sort());
    assert.deepEqual(holder.list('peer'), []);
    assert.equal(holder.list('kademlia').length, 1);
    assert.deepEqual(holder.documentsOf(DOC).map((d) => d.record.publisher), [B]);
    assert.deepEqual(holder.withdrawal(publisherCidKey(A, DOC)), signedWithdrawal({ withdrawnAtUnixMs: T }));
    assert.deepEqual(holder.allWithdrawals(), [signedWithdrawal({ withdrawnAtUnixMs: T })]);
  });

  it('counts the record it removes when its last posting goes with it', () => {
    const holder = holderWith([signedPosting({ publishedAtUnixMs: T - 10 })], [signedDocument({ publishedAtUnixMs: T - 10 })]);
    assert.deepEqual(holder.withdraw([signedWithdrawal({ withdrawnAtUnixMs: T })], NOW), { postingsRemoved: 1, documentsRemoved: 1 });
    assert.equal(holder.documentCount(), 0);
    assert.equal(holder.postingCount(), 0);
  });

  it('keeps a record newer than the withdrawal while a posting bounds it', () => {
    const holder = holderWith([signedPosting({ publishedAtUnixMs: T - 10 }), signedPosting({ term: 'peer', publishedAtUnixMs: T + 5 })], [signedDocument({ publishedAtUnixMs: T + 5 })]);
    assert.deepEqual(holder.withdraw([signedWithdrawal({ withdrawnAtUnixMs: T })], NOW), { postingsRemoved: 1, documentsRemoved: 0 });
    assert.equal(holder.documentCount(), 1);
  });

  it('leaves a tombstone: the old posting and record are refused (as repair from a stale replica would send them), newer ones admitted', () => {
    const holder = populated();
    holder.withdraw([signedWithdrawal({ withdrawnAtUnixMs: T })], NOW);
    const stale = holder.admit([signedPosting({ publishedAtUnixMs: T - 10 }), signedPosting({ term: 'peer', publishedAtUnixMs: T })], [signedDocument({ publishedAtUnixMs: T - 10 })], NOW);
    assert.equal(stale.accepted, 0);
    assert.deepEqual(stale.refused, [{ index: 0, reason: 'withdrawn by its publisher' }, { index: 1, reason: 'withdrawn by its publisher' }]);
    assert.deepEqual(stale.documentsRefused, [{ index: 0, reason: 'withdrawn by its publisher' }]);
    assert.deepEqual(holder.list('peer'), []);
    const fresh = holder.admit([signedPosting({ publishedAtUnixMs: T + 1 })], [signedDocument({ publishedAtUnixMs: T + 1 })], NOW);
    assert.equal(fresh.accepted, 1);
    assert.equal(fresh.documentsAccepted, 1);
    assert.equal(holder.count('grid', POSTING_ALL_FIELDS), 2);
  });

  it('keeps the newest tombstone: an older withdrawal removes what it covers but does not replace it', () => {
    const holder = holderWith([signedPosting({ publishedAtUnixMs: T - 30 })]);
    holder.withdraw([signedWithdrawal({ withdrawnAtUnixMs: T })], NOW);
    holder.takeChanges();
    holder.withdraw([signedWithdrawal({ withdrawnAtUnixMs: T - 20 })], NOW);
    assert.equal(holder.withdrawal(publisherCidKey(A, DOC))?.withdrawal.withdrawnAtUnixMs, T);
    assert.deepEqual([...holder.takeChanges().withdrawals], []);
    assert.match(holder.admit([signedPosting({ publishedAtUnixMs: T - 5 })], [], NOW).refused[0]?.reason ?? '', /withdrawn/);
  });

  it('ignores a withdrawal from the future or past its time to live', () => {
    const holder = holderWith([signedPosting({ publishedAtUnixMs: T })]);
    holder.takeChanges();
    const result = holder.withdraw([signedWithdrawal({ withdrawnAtUnixMs: NOW + SKEW + 1 }), signedWithdrawal({ withdrawnAtUnixMs: NOW - TTL - 1 })], NOW);
    assert.deepEqual(result, { postingsRemoved: 0, documentsRemoved: 0 });
    assert.equal(holder.postingCount(), 1);
    assert.deepEqual(holder.allWithdrawals(), []);
    const changes = holder.takeChanges();
    assert.equal(changes.terms.size + changes.documents.size + changes.withdrawals.size, 0);
  });
});

describe('TermHolder: expire', () => {
  it('drops postings and withdrawals past their time to live, and returns the postings dropped', () => {
    const holder = holderWith([
      signedPosting({ cid: cidOf('0'), publishedAtUnixMs: NOW - 100 }),
      signedPosting({ cid: cidOf('1'), publishedAtUnixMs: NOW - 50 }),
      signedPosting({ cid: cidOf('2'), term: 'peer', publishedAtUnixMs: NOW - 100 }),
      signedPosting({ cid: OTHER, term: 'edge', publishedAtUnixMs: NOW - 90 }),
    ]);
    // (A tombstone is kept only where the withdrawal removed something: OTHER's posting.)
    holder.withdraw([signedWithdrawal({ cid: OTHER, withdrawnAtUnixMs: NOW - 80 })], NOW);
    assert.equal(holder.expire(NOW + TTL - 100), 0, 'nothing is past its time yet (at exactly the TTL, kept)');
    assert.equal(holder.allWithdrawals().length, 1);
    assert.equal(holder.expire(NOW + TTL - 70), 2);
    assert.deepEqual(holder.cids('grid', POSTING_ALL_FIELDS), [cidOf('1')]);
    assert.deepEqual(holder.terms(), ['grid']);
    assert.deepEqual(holder.allWithdrawals(), []);
    assert.equal(holder.expire(NOW + TTL), 1);
    assert.equal(holder.postingCount(), 0);
  });
});

describe('TermHolder: page', () => {
  const many = Array.from({ length: 300 }, (_, i) => signedPosting({
    cid: cidOf(`d${i}`),
    fields: i % 2 === 0 ? PostingField.textBody : DublinCoreField.title,
    publisher: [A, B, C][i % 3],
    publishedAtUnixMs: NOW - i,
  }));
  const holder = holderWith(many);

  /** Every page from the start, following `next`. */
  function allPages(fields: number, admits: (cid: string) => boolean) {
    const pages = [];
    let cursor: string | null = null;
    do {
      const result = holder.page('grid', fields, admits, cursor);
      assert.ok(result.ok, result.ok ? '' : result.error);
      const page = decodedPage(result.page);
      pages.push(page);
      cursor = page.next;
      assert.ok(pages.length <= 10, 'paging ends');
    } while (cursor !== null);
    return pages;
  }

  it('covers every posting exactly once over pages of at most postingsPerPageMax, in list order', () => {
    const pages = allPages(POSTING_ALL_FIELDS, () => true);
    assert.equal(pages.length, 3);
    assert.ok(pages.every((page) => page.postings.length <= PostingLimits.postingsPerPageMax));
    assert.deepEqual(pages.map((p) => p.postings.length), [128, 128, 44]);
    const seen = pages.flatMap((page) => page.postings.map((p) => p.posting));
    assert.deepEqual(seen, holder.list('grid').map((p) => p.posting));
    assert.equal(new Set(seen.map((p) => p.cid)).size, 300);
  });

  it('honours the fields mask and the admits predicate', () => {
    const wanted = new Set(many.filter((_, i) => i % 5 === 0).map((p) => p.posting.cid));
    const pages = allPages(DublinCoreField.title, (cid) => wanted.has(cid));
    const seen = pages.flatMap((page) => page.postings.map((p) => p.posting));
    const expected = holder.list('grid').map((p) => p.posting).filter((p) => p.fields === DublinCoreField.title && wanted.has(p.cid));
    assert.equal(expected.length, 30);
    assert.deepEqual(seen, expected);
    assert.ok(seen.every((p: Posting) => (p.fields & PostingField.textBody) === 0));
  });

  it('answers one empty last page when nothing is admitted, or the term is not held', () => {
    assert.deepEqual(allPages(POSTING_ALL_FIELDS, () => false).map((p) => [p.postings.length, p.next]), [[0, null]]);
    const none = holder.page('kademlia', POSTING_ALL_FIELDS, () => true, null);
    assert.ok(none.ok);
    assert.deepEqual(decodedPage(none.page), { postings: [], next: null });
  });

  it('refuses a cursor it did not give', () => {
    for (const cursor of ['', 'abc', 'o', 'o-1', 'o1234567890', ' o1', 'o1 ', 'O128']) {
      const result = holder.page('grid', POSTING_ALL_FIELDS, () => true, cursor);
      assert.deepEqual(result, { ok: false, error: 'cursor: not one this node gives' }, JSON.stringify(cursor));
    }
    const past = holder.page('grid', POSTING_ALL_FIELDS, () => true, 'o999');
    assert.ok(past.ok);
    assert.deepEqual(decodedPage(past.page), { postings: [], next: null });
  });
});

describe('TermHolder: filter and digest', () => {
  it('gives a Bloom filter that admits every cid of the list, and its count', () => {
    const postings = Array.from({ length: 200 }, (_, i) => signedPosting({ cid: cidOf(`f${i}`), fields: i < 150 ? DublinCoreField.title : PostingField.textBody }));
    const holder = holderWith(postings);
    const { documents, filter } = holder.filter('grid', DublinCoreField.title, 0.01);
    assert.equal(documents, 150);
    for (const cid of holder.cids('grid', DublinCoreField.title)) assert.ok(filter.mightContain(cid));
    // It travels: the decoded filter admits them too, and turns away most others.
    const decoded = BloomFilter.decode(filter.encode());
    assert.ok(decoded.ok);
    for (let i = 0; i < 150; i++) assert.ok(decoded.filter.mightContain(cidOf(`f${i}`)));
    const outside = Array.from({ length: 1000 }, (_, i) => cidOf(`outside${i}`)).filter((cid) => filter.mightContain(cid)).length;
    assert.ok(outside < 50, `${outside} false positives in 1000`);
    assert.equal(holder.filter('kademlia', POSTING_ALL_FIELDS, 0.01).documents, 0);
  });

  it('digests a list the same whatever the order it arrived in, and differently when it differs', () => {
    const postings = [signedPosting({ publishedAtUnixMs: NOW - 1 }), signedPosting({ publisher: B }), signedPosting({ cid: OTHER, publishedAtUnixMs: NOW - 2 })];
    const one = holderWith(postings);
    const two = new TermHolder(OPTIONS);
    for (const posting of [...postings].reverse()) two.admit([posting], [], NOW);
    assert.equal(one.digest('grid'), two.digest('grid'));
    assert.ok(Number.isInteger(one.digest('grid')) && one.digest('grid') >= 0 && one.digest('grid') <= 0xffff_ffff);
    assert.equal(one.digest('kademlia'), new TermHolder(OPTIONS).digest('kademlia'));
    assert.notEqual(one.digest('grid'), one.digest('kademlia'));
    const before = one.digest('grid');
    one.admit([signedPosting({ publishedAtUnixMs: NOW })], [], NOW); // a newer time for one posting
    assert.notEqual(one.digest('grid'), before);
  });
});

describe('TermHolder: takeChanges', () => {
  it('names the terms, documents and withdrawals changed, and is empty after', () => {
    const holder = new TermHolder(OPTIONS);
    holder.admit([signedPosting(), signedPosting({ term: 'peer', publisher: B })], [signedDocument()], NOW);
    const first = holder.takeChanges();
    assert.deepEqual([...first.terms].sort(), ['grid', 'peer']);
    assert.deepEqual([...first.documents], [publisherCidKey(A, DOC)]);
    assert.deepEqual([...first.withdrawals], []);
    const empty = holder.takeChanges();
    assert.deepEqual([empty.terms.size, empty.documents.size, empty.withdrawals.size], [0, 0, 0]);
    holder.withdraw([signedWithdrawal({ withdrawnAtUnixMs: NOW + 1 })], NOW);
    const second = holder.takeChanges();
    assert.deepEqual([...second.terms], ['grid']);
    assert.deepEqual([...second.documents], [publisherCidKey(A, DOC)]);
    assert.deepEqual([...second.withdrawals], [publisherCidKey(A, DOC)]);
    holder.expire(NOW + TTL + 10);
    const third = holder.takeChanges();
    assert.deepEqual([...third.terms], ['peer']);
    assert.deepEqual([...third.withdrawals], [publisherCidKey(A, DOC)]);
  });
});

describe('TermHolder: restore', () => {
  it('brings back lists, records and withdrawals without reporting changes', () => {
    const original = holderWith([
      signedPosting(), signedPosting({ term: 'peer', cid: OTHER }), signedPosting({ publisher: B }), signedPosting({ term: 'edge', cid: cidOf('gone'), publishedAtUnixMs: NOW - 10 }),
    ], [signedDocument(), signedDocument({ publisher: B })]);
    original.withdraw([signedWithdrawal({ cid: cidOf('gone'), withdrawnAtUnixMs: NOW - 5 })], NOW);
    const lists = new Map(original.terms().map((term) => [term, original.list(term)]));
    const documents = [...original.documentsOf(DOC), ...original.documentsOf(OTHER)];
    const restored = new TermHolder(OPTIONS);
    restored.restore(lists, documents, original.allWithdrawals(), NOW);
    for (const term of ['grid', 'peer']) assert.deepEqual(restored.list(term), original.list(term));
    assert.equal(restored.documentCount(), 2);
    assert.deepEqual(restored.allWithdrawals(), original.allWithdrawals());
    assert.equal(restored.digest('grid'), original.digest('grid'));
    const changes = restored.takeChanges();
    assert.deepEqual([changes.terms.size, changes.documents.size, changes.withdrawals.size], [0, 0, 0]);
    // The restored tombstone still refuses what it covers.
    assert.match(restored.admit([signedPosting({ cid: cidOf('gone'), publishedAtUnixMs: NOW - 10 })], [], NOW).refused[0]?.reason ?? '', /withdrawn/);
    // And the restored counts bound the records: the last posting going drops its record.
    restored.withdraw([signedWithdrawal({ publisher: B, withdrawnAtUnixMs: NOW })], NOW);
    assert.deepEqual(restored.documentsOf(DOC).map((d) => d.record.publisher), [A]);
  });

  it('expires old entries and keeps no record without a posting', () => {
    const restored = new TermHolder(OPTIONS);
    restored.restore(
      new Map([['grid', [signedPosting({ publishedAtUnixMs: NOW - TTL - 1 }), signedPosting({ publisher: B, publishedAtUnixMs: NOW - 1 })]]]),
      [signedDocument({ publishedAtUnixMs: NOW - 5 }), signedDocument({ publisher: B }), signedDocument({ publisher: C })],
      [signedWithdrawal({ cid: OTHER, withdrawnAtUnixMs: NOW - TTL - 1 }), signedWithdrawal({ cid: cidOf('recent'), withdrawnAtUnixMs: NOW - 1 })],
      NOW,
    );
    assert.deepEqual(restored.list('grid').map((p) => p.posting.publisher), [B]);
    assert.deepEqual(restored.documentsOf(DOC).map((d) => d.record.publisher), [B]);
    assert.deepEqual(restored.allWithdrawals().map((w) => w.withdrawal.cid), [cidOf('recent')]);
    const changes = restored.takeChanges();
    assert.deepEqual([changes.terms.size, changes.documents.size, changes.withdrawals.size], [0, 0, 0]);
  });
});

describe('TermHolder: caps on what one holder keeps', () => {
  const tight: TermHolderOptions = { ...OPTIONS, postingsMax: 5, postingsPerPublisherMax: 3, withdrawalsMax: 2 };

  it('keeps at most postingsPerPublisherMax of one publisher over all terms, and postingsMax in all', () => {
    const holder = new TermHolder(tight);
    const ofA = ['grid', 'peer', 'node', 'edge'].map((term) => signedPosting({ term, publisher: A }));
    const result = holder.admit(ofA, [], NOW);
    assert.equal(result.accepted, 3);
    assert.deepEqual(result.refused, [{ index: 3, reason: 'this holder keeps at most 3 postings of one publisher' }]);
    // A newer posting replacing one held does not count as more.
    assert.equal(holder.admit([signedPosting({ term: 'grid', publisher: A, publishedAtUnixMs: NOW + 1 })], [], NOW).accepted, 1);
    const others = holder.admit([signedPosting({ term: 'grid', publisher: B }), signedPosting({ term: 'peer', publisher: B }), signedPosting({ term: 'grid', publisher: C })], [], NOW);
    assert.equal(others.accepted, 2);
    assert.deepEqual(others.refused, [{ index: 2, reason: 'this holder is full (5 postings)' }]);
    assert.equal(holder.postingCount(), 5);
    // Room comes back when postings go.
    holder.withdraw([signedWithdrawal({ publisher: B })], NOW + 10);
    assert.equal(holder.postingCount(), 3);
    assert.equal(holder.admit([signedPosting({ term: 'grid', publisher: C })], [], NOW + 10).accepted, 1);
  });

  it('keeps a withdrawal only where it withdrew something, and at most withdrawalsMax', () => {
    const holder = new TermHolder(tight);
    holder.withdraw([signedWithdrawal({ publisher: A, cid: cidOf('never-here') })], NOW);
    assert.deepEqual(holder.allWithdrawals(), [], 'nothing of it was held: no tombstone');
    holder.admit([signedPosting({ publisher: A, cid: cidOf('1') }), signedPosting({ publisher: A, cid: cidOf('2') }), signedPosting({ publisher: B, cid: cidOf('3') })], [], NOW);
    holder.withdraw([signedWithdrawal({ publisher: A, cid: cidOf('1'), withdrawnAtUnixMs: NOW + 1 })], NOW + 5);
    holder.withdraw([signedWithdrawal({ publisher: A, cid: cidOf('2'), withdrawnAtUnixMs: NOW + 2 })], NOW + 5);
    holder.withdraw([signedWithdrawal({ publisher: B, cid: cidOf('3'), withdrawnAtUnixMs: NOW + 3 })], NOW + 5);
    assert.deepEqual(holder.allWithdrawals().map((signed) => signed.withdrawal.cid).sort(), [cidOf('2'), cidOf('3')].sort(), 'the oldest went');
  });
});
