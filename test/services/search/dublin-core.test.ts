/** Dublin Core metadata: --meta arguments, limits, hostile input from the network, index terms with field bits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DUBLIN_CORE_ALL_FIELDS, DublinCoreElements, DublinCoreField, DublinCoreIndexOrder, DublinCoreLimits,
  checkDublinCore, fieldsOf, indexTermsOf, parseMetaArgs, type DublinCore, type DublinCoreResult,
} from '../../../src/services/search/dublin-core.ts';
import { TermLimits } from '../../../src/services/search/terms.ts';

function metadataOf(result: DublinCoreResult): DublinCore {
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.metadata;
}

function errorOf(result: DublinCoreResult): string {
  assert.equal(result.ok, false, 'expected an error');
  return result.ok ? '' : result.error;
}

describe('the element set', () => {
  it('has the 15 elements of DCMES 1.1, each with its own bit', () => {
    assert.deepEqual([...DublinCoreElements], [
      'contributor', 'coverage', 'creator', 'date', 'description', 'format', 'identifier', 'language',
      'publisher', 'relation', 'rights', 'source', 'subject', 'title', 'type',
    ]);
    const bits = DublinCoreElements.map((element) => DublinCoreField[element]);
    assert.equal(bits.reduce((all, bit) => all | bit, 0), DUBLIN_CORE_ALL_FIELDS);
    assert.equal(new Set(bits).size, 15);
    for (const bit of bits) assert.equal(bit & (bit - 1), 0, 'one bit each');
    assert.deepEqual([...DublinCoreIndexOrder].sort(), [...DublinCoreElements]);
    assert.deepEqual(fieldsOf(DublinCoreField.title | DublinCoreField.creator), ['creator', 'title']);
  });
});

describe('parseMetaArgs', () => {
  it('reads element=value arguments, case-insensitive names, repeats appended in order', () => {
    const metadata = metadataOf(parseMetaArgs([
      'title=Peer-to-Peer Systems and the Grid', 'Creator=Jon Crowcroft', 'CREATOR = Tim Moreton ',
      'subject=p2p', 'subject=grid', 'description=a=b is kept whole',
    ]));
    assert.deepEqual(metadata, {
      creator: ['Jon Crowcroft', 'Tim Moreton'],
      description: ['a=b is kept whole'],
      subject: ['p2p', 'grid'],
      title: ['Peer-to-Peer Systems and the Grid'],
    });
    assert.deepEqual(Object.keys(metadata), ['creator', 'description', 'subject', 'title'], 'canonical order');
  });

  it('gives empty metadata for no arguments, and drops an exact repeat of a value', () => {
    assert.deepEqual(metadataOf(parseMetaArgs([])), {});
    assert.deepEqual(metadataOf(parseMetaArgs(['subject=p2p', 'subject=p2p'])), { subject: ['p2p'] });
  });

  it('names the 15 elements when one is unknown, with a hint for common names', () => {
    const error = errorOf(parseMetaArgs(['title=ok', 'autor=Jon']));
    assert.match(error, /--meta "autor=Jon": unknown Dublin Core element "autor"/);
    for (const element of DublinCoreElements) assert.ok(error.includes(element), element);
    assert.match(errorOf(parseMetaArgs(['author=Jon'])), /for this use creator/);
    assert.match(errorOf(parseMetaArgs(['keywords=p2p'])), /for this use subject/);
    assert.match(errorOf(parseMetaArgs(['__proto__=x'])), /unknown Dublin Core element "__proto__"/);
  });

  it('refuses an argument without =, without an element or without a value', () => {
    assert.match(errorOf(parseMetaArgs(['title'])), /--meta "title": expected element=value/);
    assert.match(errorOf(parseMetaArgs(['=x'])), /no element before "="/);
    assert.match(errorOf(parseMetaArgs(['title='])), /the value of title is empty/);
    assert.match(errorOf(parseMetaArgs(['title=   '])), /the value of title is empty/);
  });

  it('enforces the limits, naming them', () => {
    const many = Array.from({ length: DublinCoreLimits.valuesPerElementMax + 1 }, (_, index) => `subject=s${index}`);
    assert.match(errorOf(parseMetaArgs(many)), /^--meta: subject has more than 16 values \(DublinCoreLimits.valuesPerElementMax\)/);
    assert.ok(parseMetaArgs(many.slice(1)).ok);
    const long = 'x'.repeat(DublinCoreLimits.valueBytesMax + 1);
    assert.match(errorOf(parseMetaArgs([`description=${long}`])), /description is longer than 2048 bytes/);
    assert.ok(parseMetaArgs([`description=${long.slice(1)}`]).ok);
    // Bytes, not characters: 1,025 two-byte letters are 2,050 bytes.
    assert.match(errorOf(parseMetaArgs([`title=${'д'.repeat(1025)}`])), /longer than 2048 bytes/);
    const total = Array.from({ length: 5 }, (_, index) => `description=${String(index).repeat(DublinCoreLimits.valueBytesMax)}`);
    assert.match(errorOf(parseMetaArgs(total)), /larger than 8192 bytes in all \(DublinCoreLimits.totalBytesMax\)/);
  });

  it('keeps a hostile argument out of its error: short, and with control characters escaped', () => {
    const error = errorOf(parseMetaArgs([`\u001b[31m${'x'.repeat(100_000)}`]));
    assert.ok(error.length < 200, `${error.length} characters`);
    assert.ok(!error.includes('\u001b'));
    assert.match(errorOf(parseMetaArgs(['title=bell\u0007'])), /title contains a control character/);
  });
});

describe('checkDublinCore', () => {
  it('accepts canonical metadata and returns a fresh copy in canonical order', () => {
    const input = { title: ['Grid'], creator: ['A', 'B'], description: ['line one\nline two\ttabbed'] };
    const metadata = metadataOf(checkDublinCore(input));
    assert.deepEqual(metadata, input);
    assert.deepEqual(Object.keys(metadata), ['creator', 'description', 'title']);
    assert.notEqual(metadata.creator, input.creator);
    input.creator.push('C');
    assert.deepEqual(metadata.creator, ['A', 'B']);
    assert.ok(Object.isFrozen(metadata) && Object.isFrozen(metadata.creator));
  });

  it('refuses wrong types with clear errors', () => {
    assert.match(errorOf(checkDublinCore(null)), /must be an object of Dublin Core elements, not null/);
    assert.match(errorOf(checkDublinCore('title=x')), /not a string/);
    assert.match(errorOf(checkDublinCore([['title', 'x']])), /not a list/);
    assert.match(errorOf(checkDublinCore({ title: 'x' })), /title must be a list of strings, not a string/);
    assert.match(errorOf(checkDublinCore({ title: { 0: 'x', length: 1 } })), /title must be a list of strings, not an object/);
    assert.match(errorOf(checkDublinCore({ subject: ['ok', 7] })), /subject\[1\] is not a string/);
    assert.match(errorOf(checkDublinCore({ subject: ['ok', , 'x'] })), /subject\[1\] is not a string/);
    assert.match(errorOf(checkDublinCore({ title: [] })), /title has no values/);
    assert.match(errorOf(checkDublinCore({ title: [' '] })), /title is empty/);
    assert.match(errorOf(checkDublinCore({ title: ['a', 'a'] })), /title\[1\] repeats a value/);
    assert.match(errorOf(checkDublinCore({ title: ['\ud800'] })), /lone surrogate/);
    assert.match(errorOf(checkDublinCore({ title: ['\u001b]0;pwned\u0007'] })), /control character/);
  });

  it('refuses unknown keys, case variants and prototype tricks', () => {
    assert.match(errorOf(checkDublinCore({ title: ['x'], Title: ['y'] })), /unknown Dublin Core element "Title"/);
    assert.match(errorOf(checkDublinCore({ author: ['x'] })), /unknown Dublin Core element "author" \(for this use creator\)/);
    assert.match(errorOf(checkDublinCore(JSON.parse('{"__proto__": ["x"]}'))), /unknown Dublin Core element "__proto__"/);
    assert.deepEqual(metadataOf(checkDublinCore(Object.create({ title: ['inherited'] }))), {});
    const many = Object.fromEntries(Array.from({ length: 100_000 }, (_, index) => [`k${index}`, ['x']]));
    assert.match(errorOf(checkDublinCore(many)), /unknown Dublin Core element "k0"/);
  });

  it('refuses huge arrays at once, without reading them', () => {
    const start = performance.now();
    assert.match(errorOf(checkDublinCore({ subject: new Array(2 ** 32 - 1) })), /more than 16 values/);
    assert.match(errorOf(checkDublinCore({ subject: Array.from({ length: 1_000_000 }, () => 'x') })), /more than 16 values/);
    assert.match(errorOf(checkDublinCore({ title: ['x'.repeat(10_000_000)] })), /longer than 2048 bytes/);
    assert.ok(performance.now() - start < 500);
  });

  it('returns an error, never throws, for objects that throw when read', () => {
    const throwing = { get title(): string[] { throw new Error('boom'); } };
    assert.match(errorOf(checkDublinCore(throwing)), /could not be read/);
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('boom'); } });
    assert.match(errorOf(checkDublinCore(proxy)), /could not be read/);
    let reads = 0;
    const shifty = new Proxy(['good'], { get: (target, key) => (key === '0' && reads++ > 0 ? 7 : Reflect.get(target, key)) });
    const result = checkDublinCore({ title: shifty });
    assert.deepEqual(metadataOf(result), { title: ['good'] }, 'what is returned is what was checked');
  });

  it('never throws on anything, and what it accepts it accepts again unchanged', () => {
    const element = fc.constantFrom(...DublinCoreElements, 'Title', 'author', '__proto__', 'constructor');
    const values = fc.oneof(fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { maxLength: 20 }), fc.anything());
    fc.assert(fc.property(fc.oneof(fc.dictionary(element, values, { maxKeys: 6 }), fc.anything()), (value) => {
      const result = checkDublinCore(value);
      if (result.ok) assert.deepEqual(checkDublinCore(result.metadata), result);
      else assert.equal(typeof result.error, 'string');
    }), { numRuns: 2000 });
  });

  it('accepts exactly what parseMetaArgs produces', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...DublinCoreElements), fc.string({ minLength: 1, maxLength: 20 })), { maxLength: 20 }), (pairs) => {
      const parsed = parseMetaArgs(pairs.map(([element, value]) => `${element}=${value}`));
      if (parsed.ok) assert.deepEqual(checkDublinCore(parsed.metadata), parsed);
    }), { numRuns: 500 });
  });
});

describe('indexTermsOf', () => {
  it('gives each term once with the bits of the elements it came from and its count', () => {
    const metadata = metadataOf(parseMetaArgs([
      'title=Peer-to-Peer Systems and the Grid', 'creator=Jon Crowcroft', 'subject=grid computing', 'subject=P2P',
      'description=A survey of peer-to-peer systems for the grid', 'date=2003',
    ]));
    const terms = indexTermsOf(metadata);
    const byTerm = new Map(terms.map((entry) => [entry.term, entry]));
    assert.deepEqual(byTerm.get('grid'), { term: 'grid', fields: DublinCoreField.title | DublinCoreField.subject | DublinCoreField.description, count: 3 });
    assert.deepEqual(byTerm.get('peer'), { term: 'peer', fields: DublinCoreField.title | DublinCoreField.description, count: 4 });
    assert.deepEqual(byTerm.get('crowcroft'), { term: 'crowcroft', fields: DublinCoreField.creator, count: 1 });
    assert.deepEqual(byTerm.get('2003'), { term: '2003', fields: DublinCoreField.date, count: 1 });
    assert.deepEqual(fieldsOf(byTerm.get('systems')!.fields), ['description', 'title']);
    assert.equal(byTerm.get('the'), undefined, 'stopwords are not indexed');
    // Title first, then subject, creator, description, …; words in order; each term once.
    assert.deepEqual(terms.map((entry) => entry.term), ['peer', 'systems', 'grid', 'computing', 'p2p', 'jon', 'crowcroft', 'survey', '2003']);
  });

  it('stems when asked', () => {
    const terms = indexTermsOf({ title: ['Searching documents'], subject: ['search', 'document'] }, { stem: true });
    assert.deepEqual(terms, [
      { term: 'search', fields: DublinCoreField.title | DublinCoreField.subject, count: 2 },
      { term: 'document', fields: DublinCoreField.title | DublinCoreField.subject, count: 2 },
    ]);
  });

  it('does not depend on the order of the keys', () => {
    const a = indexTermsOf({ title: ['alpha beta'], creator: ['gamma'], subject: ['beta delta'] });
    const b = indexTermsOf({ subject: ['beta delta'], creator: ['gamma'], title: ['alpha beta'] });
    assert.deepEqual(a, b);
  });

  it('caps the terms at TermLimits.termsPerDocumentMax, keeping the title\'s, and still adds later bits', () => {
    const words = (prefix: string, count: number): string => Array.from({ length: count }, (_, index) => `${prefix}${index}`).join(' ');
    const metadata = metadataOf(checkDublinCore({
      contributor: [words('c', 100)],
      description: [words('d', 300)],
      title: ['keepme'],
      rights: ['keepme too'],
    }));
    const terms = indexTermsOf(metadata);
    assert.equal(terms.length, TermLimits.termsPerDocumentMax);
    assert.deepEqual(terms[0], { term: 'keepme', fields: DublinCoreField.title | DublinCoreField.rights, count: 2 });
    assert.ok(terms.some((entry) => entry.term === 'd254'));
    assert.ok(!terms.some((entry) => entry.term.startsWith('c')), 'contributor comes after description');
    assert.ok(!terms.some((entry) => entry.term === 'too'), 'no new terms after the cap');
  });

  it('is deterministic for any checked metadata, with distinct terms and bits of present elements only', () => {
    const element = fc.constantFrom(...DublinCoreElements);
    fc.assert(fc.property(fc.dictionary(element, fc.uniqueArray(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }), { maxKeys: 6 }), (value) => {
      const checked = checkDublinCore(value);
      if (!checked.ok) return;
      const terms = indexTermsOf(checked.metadata);
      assert.deepEqual(indexTermsOf(checked.metadata), terms);
      assert.equal(new Set(terms.map((entry) => entry.term)).size, terms.length);
      const present = Object.keys(checked.metadata).reduce((all, key) => all | DublinCoreField[key as keyof typeof DublinCoreField], 0);
      for (const entry of terms) {
        assert.ok(entry.fields !== 0 && (entry.fields & ~present) === 0);
        assert.ok(entry.count >= 1);
      }
    }), { numRuns: 500 });
  });
});
