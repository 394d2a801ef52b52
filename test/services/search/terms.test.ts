/** Text to index terms: folding, splitting, stopwords, length caps, the light stemmer, topTerms. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ENGLISH_STOPWORDS, TermLimits, foldText, isStopword, isTerm, stemTerm, termFrequencies, termsOf, topTerms,
} from '../../../src/services/search/terms.ts';

describe('foldText', () => {
  it('removes accents and folds case, leaving the rest as it was', () => {
    assert.equal(foldText('Café Ünïcode'), 'cafe unicode');
    assert.equal(foldText('Tiếng Việt, Ελληνικά: ά'), 'tieng viet, ελληνικα: α');
    assert.equal(foldText('  Hello, World!  '), '  hello, world!  ');
  });

  it('folds German sharp s and Turkish dotted and dotless i', () => {
    assert.equal(foldText('Straße'), 'strasse');
    assert.equal(foldText('STRASSE'), 'strasse');
    assert.equal(foldText('ẞ'), 'ss');
    assert.equal(foldText('İstanbul ISTANBUL istanbul'), 'istanbul istanbul istanbul');
    assert.equal(foldText('ılık'), 'ilik');
  });

  it('folds compatibility forms and letters without a decomposition', () => {
    assert.equal(foldText('ﬁle'), 'file');
    assert.equal(foldText('Ｆｕｌｌ'), 'full');
    assert.equal(foldText('x²'), 'x2');
    assert.equal(foldText('Łódź Ærø Œuvre Đorđe'), 'lodz aero oeuvre dorde');
  });

  it('folds Greek final sigma to sigma', () => {
    assert.equal(foldText('ΟΔΟΣ'), foldText('οδός'));
    assert.equal(foldText('οδός'), 'οδοσ');
  });

  it('keeps marks that belong to a script: が is not か', () => {
    assert.notEqual(foldText('が'), foldText('か'));
    assert.equal(foldText('हिन्दी'), 'हिन्दी');
  });

  it('is idempotent and never throws, on any Unicode', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
      const folded = foldText(text);
      assert.equal(foldText(folded), folded);
    }), { numRuns: 2000 });
  });
});

describe('termsOf', () => {
  it('splits on punctuation, spaces and symbols, keeping order and repeats', () => {
    assert.deepEqual(termsOf('peer-to-peer grids; P2P (overlay)/DHT… grids'), ['peer', 'peer', 'grids', 'p2p', 'overlay', 'dht', 'grids']);
    assert.deepEqual(termsOf('file_name.txt, v1.2 — 3.14'), ['file', 'name', 'txt', 'v1', '14']);
    assert.deepEqual(termsOf("don't"), ['don']);
  });

  it('splits on Unicode letters and digits, folded', () => {
    assert.deepEqual(termsOf('Café Ünïcode'), ['cafe', 'unicode']);
    assert.deepEqual(termsOf('Москва́ — ΑΘΗΝΑ'), ['москва', 'αθηνα']);
  });

  it('drops English stopwords', () => {
    assert.deepEqual(termsOf('The Art of Computer Programming is in the library'), ['art', 'computer', 'programming', 'library']);
    assert.ok(isStopword('the'));
    assert.ok(!isStopword('grid'));
    for (const word of ENGLISH_STOPWORDS) assert.deepEqual(termsOf(word.toUpperCase()), []);
  });

  it('drops terms shorter than 2 characters or longer than TermLimits.termBytesMax bytes', () => {
    assert.deepEqual(termsOf('x y z 7 ok 42'), ['ok', '42']);
    const longest = 'a'.repeat(TermLimits.termBytesMax);
    assert.deepEqual(termsOf(`${longest} ${longest}b short`), [longest, 'short']);
    // Bytes, not characters: é is 2 bytes in UTF-8 (it folds to e, so use a letter that stays).
    const cyrillic = 'д'.repeat(TermLimits.termBytesMax / 2);
    assert.deepEqual(termsOf(`${cyrillic} ${cyrillic}д`), [cyrillic]);
    // A single Gothic letter is one character (and too short), though two UTF-16 units.
    assert.deepEqual(termsOf('𐌰 𐌰𐌰'), ['𐌰𐌰']);
  });

  it('stems with stem: true only', () => {
    assert.deepEqual(termsOf('Running files'), ['running', 'files']);
    assert.deepEqual(termsOf('Running files', { stem: true }), ['run', 'fil']);
    assert.deepEqual(termsOf('The Café, the CAFÉS!'), ['cafe', 'cafes']);
    assert.deepEqual(termsOf('The Café, the CAFÉS!', { stem: true }), ['caf', 'caf']);
  });

  it('is deterministic, and every term it gives is a term', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.boolean(), (text, stem) => {
      const terms = termsOf(text, { stem });
      assert.deepEqual(termsOf(text, { stem }), terms);
      for (const term of terms) {
        assert.equal(foldText(term), term);
        assert.ok(!isStopword(term));
        assert.ok([...term].length >= TermLimits.termCharsMin);
        assert.ok(new TextEncoder().encode(term).length <= TermLimits.termBytesMax);
        if (!stem) assert.ok(isTerm(term), term);
      }
    }), { numRuns: 1000 });
  });
});

describe('stemTerm', () => {
  const cases: readonly [string, string][] = [
    ['files', 'fil'], ['file', 'fil'], ['filed', 'fil'], ['filing', 'fil'],
    ['running', 'run'], ['run', 'run'], ['stopped', 'stop'], ['filling', 'fill'], ['added', 'add'],
    ['studies', 'study'], ['studied', 'study'], ['studying', 'study'], ['study', 'study'],
    ['making', 'mak'], ['makes', 'mak'], ['make', 'mak'],
    ['use', 'us'], ['used', 'us'], ['using', 'us'],
    ['boxes', 'box'], ['box', 'box'], ['churches', 'church'], ['classes', 'class'], ['class', 'class'],
    ['days', 'day'], ['played', 'play'], ['trying', 'try'], ['buildings', 'build'], ['gases', 'gas'], ['gas', 'gas'],
    // Left alone: -ss, -us, -is; -ing or -ed without a vowel before; -eed.
    ['virus', 'virus'], ['analysis', 'analysis'], ['thing', 'thing'], ['string', 'string'], ['red', 'red'],
    ['need', 'need'], ['needed', 'need'], ['speed', 'speed'], ['speeding', 'speed'],
    // Not English words: digits and other scripts.
    ['2000s', '2000s'], ['москвы', 'москвы'], ['ok', 'ok'],
  ];
  for (const [word, stem] of cases) {
    it(`${word} → ${stem}`, () => assert.equal(stemTerm(word), stem));
  }

  it('merges singular and plural, and the -ing and -ed forms of a verb', () => {
    for (const [a, b] of [['document', 'documents'], ['search', 'searching'], ['search', 'searched'], ['store', 'stored'], ['store', 'storing'], ['cache', 'caches']]) {
      assert.equal(stemTerm(a), stemTerm(b), `${a} and ${b}`);
    }
  });

  it('never leaves fewer than 2 letters of a word it changes', () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z]{2,12}$/), (word) => {
      assert.ok(stemTerm(word).length >= 2, word);
    }), { numRuns: 2000 });
  });
});

describe('termFrequencies and topTerms', () => {
  it('counts each term, in order of first occurrence', () => {
    assert.deepEqual([...termFrequencies('grid peer grid overlay peer grid')], [['grid', 3], ['peer', 2], ['overlay', 1]]);
    assert.deepEqual([...termFrequencies('Searches searching search', { stem: true })], [['search', 3]]);
  });

  it('gives the most frequent terms first, ties in code-unit order', () => {
    const text = 'zeta alpha beta zeta beta gamma delta delta Éclair';
    assert.deepEqual(topTerms(text, 10), ['beta', 'delta', 'zeta', 'alpha', 'eclair', 'gamma']);
    assert.deepEqual(topTerms(text, 2), ['beta', 'delta']);
    assert.deepEqual(topTerms(text, 0), []);
  });

  it('does not depend on the order of ties in the text', () => {
    assert.deepEqual(topTerms('bb aa cc', 3), topTerms('cc bb aa', 3));
    assert.deepEqual(topTerms('bb aa cc', 3), ['aa', 'bb', 'cc']);
  });

  it('caps count at TermLimits.termsPerDocumentMax and refuses a bad count', () => {
    const words = Array.from({ length: TermLimits.termsPerDocumentMax + 50 }, (_, index) => `w${index}`).join(' ');
    assert.equal(topTerms(words, 10_000).length, TermLimits.termsPerDocumentMax);
    assert.throws(() => topTerms('a', -1), RangeError);
    assert.throws(() => topTerms('a', 1.5), RangeError);
  });
});

describe('isTerm', () => {
  it('accepts what termsOf gives and refuses the rest', () => {
    assert.ok(isTerm('grid'));
    assert.ok(isTerm('москва'));
    for (const bad of ['', 'a', 'Grid', 'café', 'two words', 'the', 'x'.repeat(TermLimits.termBytesMax + 1), 'p2p!']) {
      assert.ok(!isTerm(bad), bad);
    }
  });
});
