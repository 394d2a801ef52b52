/**
 * Text to index terms (issue 7): the one function both sides of search use — a publisher turning
 * Dublin Core values or a text file into the terms it posts under hash(term), and a searcher turning
 * its query into the terms it looks up — so that both fold, split, filter and stem alike. Pure and
 * deterministic: the same text gives the same terms on every node, in the simulator and for real.
 *
 * The steps, in order:
 * 1. foldText: accents off, case folded (below).
 * 2. Words: maximal runs of Unicode letters and digits (`\p{L}\p{N}`), with any marks a script keeps
 *    inside its words (Devanagari vowel signs, Japanese voicing marks); everything else — spaces,
 *    punctuation, symbols, apostrophes, hyphens — separates words ("don't" gives "don"; "t" is too
 *    short). There is no segmentation for scripts written without spaces (Chinese, Japanese, Thai):
 *    a run of them is one word, usually longer than the cap and dropped.
 * 3. English stopwords dropped (ENGLISH_STOPWORDS), before stemming.
 * 4. Optionally (`stem: true`) stemTerm, a light English stemmer of our own.
 * 5. Terms shorter than TermLimits.termCharsMin code points or longer than TermLimits.termBytesMax
 *    UTF-8 bytes dropped (not truncated: a truncated term would match as a prefix).
 */
import { utf8ByteLength } from '../../wire/utf8.ts';

export const TermLimits = {
  /** Shortest term, in code points: single letters and digits carry no meaning worth a posting list. */
  termCharsMin: 2,
  /** Longest term, in UTF-8 bytes: longer runs are hashes, base64 or unsegmented text, not words. */
  termBytesMax: 64,
  /** Distinct terms one document publishes: each is a posting list on some node (issue 7, abuse limits). */
  termsPerDocumentMax: 256,
} as const;

/**
 * English stopwords: the 33 of Lucene's English stop set, words so common that their posting lists
 * would hold every document and their presence in a query would select nothing.
 */
export const ENGLISH_STOPWORDS = [
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it', 'no', 'not', 'of',
  'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these', 'they', 'this', 'to', 'was', 'will', 'with',
] as const;

const stopwords: ReadonlySet<string> = new Set(ENGLISH_STOPWORDS);

export function isStopword(term: string): boolean {
  return stopwords.has(term);
}

export interface TermOptions {
  /** Apply stemTerm to each term (default false). Publisher and searcher must agree. */
  readonly stem?: boolean;
}

/**
 * The combining marks that are accents: the generic diacritic blocks shared by the Latin, Greek and
 * Cyrillic scripts (Combining Diacritical Marks, their Extended and Supplement blocks, marks for
 * symbols, half marks). Marks that belong to a script — Devanagari vowel signs and virama, Japanese
 * voicing marks (が is not か), Hebrew and Arabic points — are kept: removing them would merge
 * different words, not spellings of one.
 */
const ACCENTS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;

/**
 * Letters that neither decomposition nor toLowerCase brings to the spelling a user without the
 * language's keyboard types, or that have two lower-case forms.
 */
const FOLDED_LETTERS: Readonly<Record<string, string>> = {
  'ß': 'ss', // German sharp s (ẞ lower-cases to ß): "Straße" and "STRASSE" both give "strasse".
  'ı': 'i', // Turkish dotless i; dotted İ decomposes to I + a dot above, so it folds to "i" too.
  'ς': 'σ', // Greek final sigma: toLowerCase writes ς at a word's end, σ elsewhere.
  'æ': 'ae',
  'œ': 'oe',
  'ø': 'o',
  'đ': 'd',
  'ł': 'l',
  'ħ': 'h',
};
const FOLDED_LETTER = /[ßıςæœøđłħ]/g;

/**
 * The text with accents removed and case folded, everything else as it was (spaces, punctuation):
 * "Café Ünïcode" gives "cafe unicode".
 *
 * NFKD first, so compatibility forms become their plain letters (ﬁ → fi, full-width Ａ → A, ² → 2)
 * and accented letters become a base letter and an accent; the accents (ACCENTS) are removed;
 * then toLowerCase — locale-independent on purpose, so I gives i on every node whatever its locale
 * (Turkish I/ı and İ/i both end as i) — and the letters in FOLDED_LETTERS are replaced (ß → ss,
 * æ → ae, ø → o, ł → l, final ς → σ …). A second decomposition catches what lower-casing
 * composed, and the result is in NFC, so a folded text folds to itself.
 * Left as they are: letters with no decomposition that are letters of their own (Icelandic þ, ð).
 * Like any accent-insensitive search, this merges some letters a language counts as distinct
 * (Cyrillic й and и, ё and е; Swedish å and a; Turkish ı and i).
 */
export function foldText(text: string): string {
  const lowered = text.normalize('NFKD').replace(ACCENTS, '').toLowerCase();
  const replaced = lowered.replace(FOLDED_LETTER, (letter) => FOLDED_LETTERS[letter]);
  return replaced.normalize('NFKD').replace(ACCENTS, '').normalize('NFC');
}

/** A word: a letter or digit, then letters, digits and the marks a script keeps inside its words. */
const WORD = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;

const VOWEL = /[aeiouy]/;
const ENGLISH_WORD = /^[a-z]+$/;

/** A double consonant that undoubles after -ing or -ed: "running" → "run". l, s, z and f stay double. */
function undouble(stem: string): string {
  const last = stem[stem.length - 1];
  if (stem.length >= 4 && last === stem[stem.length - 2] && !'aeiouylszf'.includes(last)) return stem.slice(0, -1);
  return stem;
}

/**
 * A light English stemmer of our own — not Porter: it removes inflections only (plurals, -ing,
 * -ed, a final e), never derivations (-ation, -ness, -ly stay), so it rarely merges words of
 * different meaning. Words other than plain a–z (digits, other scripts) are left alone.
 *
 * 1. Plurals: -ies → -y ("studies" → "study", when more than 4 letters: "ties" → "tie"); -s removed
 *    from words of more than 3 letters unless they end in -ss, -us or -is ("files" → "file";
 *    "class", "virus", "analysis", "gas" stay).
 * 2. -ied → -y ("copied" → "copy"); else -ing or -ed removed when what remains has at least two
 *    letters with a vowel (y counts), a double consonant then undoubled ("running" → "run",
 *    "stopped" → "stop", but "thing", "red", "need" and "speed" stay: -eed is not -ed).
 * 3. A final e removed (leaving at least two letters), so that "make", "making" and "makes" meet
 *    at "mak", "use", "used" and "using" at "us", and "boxes" → "boxe" → "box" meets "box".
 *
 * Known misses, accepted for a stemmer this small: irregular forms (men, made), "agreed" ≠ "agree",
 * -ies from -ie words ("movies" → "movy" but "movie" → "movi").
 */
export function stemTerm(term: string): string {
  if (term.length < 3 || !ENGLISH_WORD.test(term)) return term;
  let word = term;
  // 1. Plurals.
  if (word.endsWith('ies') && word.length > 4) word = `${word.slice(0, -3)}y`;
  else if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) word = word.slice(0, -1);
  // 2. -ied, -ing, -ed.
  if (word.endsWith('ied') && word.length > 4) {
    word = `${word.slice(0, -3)}y`;
  } else if (word.endsWith('ing')) {
    const stem = word.slice(0, -3);
    if (stem.length >= 2 && VOWEL.test(stem)) word = undouble(stem);
  } else if (word.endsWith('ed') && !word.endsWith('eed')) {
    const stem = word.slice(0, -2);
    if (stem.length >= 2 && VOWEL.test(stem)) word = undouble(stem);
  }
  // 3. A final e.
  if (word.length >= 3 && word.endsWith('e')) word = word.slice(0, -1);
  return word;
}

/** Whether `term` has at least `min` code points, without splitting the whole string. */
function hasCodePoints(term: string, min: number): boolean {
  let count = 0;
  for (const _ of term) {
    if (++count >= min) return true;
  }
  return false;
}

function withinLength(term: string): boolean {
  // UTF-8 takes at least one byte per UTF-16 unit, so a long string is refused before measuring it.
  return hasCodePoints(term, TermLimits.termCharsMin) && term.length <= TermLimits.termBytesMax && utf8ByteLength(term) <= TermLimits.termBytesMax;
}

/**
 * The index terms of `text`, in the order they occur, repeats included (termFrequencies counts
 * them): folded, split into words, stopwords and terms out of length dropped, optionally stemmed.
 * "The Café, the CAFÉS!" gives ["cafe", "cafes"], or ["caf", "caf"] with `stem: true`.
 * The caller bounds the text's size: every word of it is looked at.
 */
export function termsOf(text: string, options: TermOptions = {}): string[] {
  const terms: string[] = [];
  for (const [word] of foldText(text).matchAll(WORD)) {
    if (isStopword(word)) continue;
    const term = options.stem === true ? stemTerm(word) : word;
    if (withinLength(term)) terms.push(term);
  }
  return terms;
}

/** Each distinct term of `text` with the number of times it occurs, in order of first occurrence. */
export function termFrequencies(text: string, options: TermOptions = {}): Map<string, number> {
  const frequencies = new Map<string, number>();
  for (const term of termsOf(text, options)) frequencies.set(term, (frequencies.get(term) ?? 0) + 1);
  return frequencies;
}

/** Orders terms by code unit, the same on every node (localeCompare depends on the host's locale). */
export function compareTerms(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The `count` most frequent terms of `text` (what `peergrid put --index-text` publishes for a text
 * file), most frequent first, ties in code-unit order of the term, so the answer is the same on
 * every node. `count` is capped at TermLimits.termsPerDocumentMax.
 */
export function topTerms(text: string, count: number, options: TermOptions = {}): string[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, not ${count}`);
  const wanted = Math.min(count, TermLimits.termsPerDocumentMax);
  return [...termFrequencies(text, options)]
    .sort(([termA, countA], [termB, countB]) => countB - countA || compareTerms(termA, termB))
    .slice(0, wanted)
    .map(([term]) => term);
}

/**
 * Whether `term` is a term termsOf could produce (folded, one word, not a stopword, within the
 * length limits): what a node holding postings checks of a term it is sent. A stemmed term is
 * itself such a word, so this holds with or without stemming.
 */
export function isTerm(term: string): boolean {
  if (term.length > TermLimits.termBytesMax) return false;
  const terms = termsOf(term);
  return terms.length === 1 && terms[0] === term;
}

/**
 * The mark of a stem's posting list. A publisher posts each term twice: as the word (for exact
 * queries, the default) and as `~` + its stem (for `--stem` queries), so both kinds of query read
 * one complete list per term — a stem's list holds every document with any word of that stem —
 * at the price of twice the postings. `~` is never part of a term (termsOf splits on it).
 */
export const STEM_MARK = '~';

/** A term's stem list's name: `~` + stemTerm(term). */
export function stemListTerm(term: string): string {
  return STEM_MARK + stemTerm(term);
}

/**
 * Whether `term` names a posting list: a term, or `~` and a term (a stem; a stem that is not itself
 * a term — too short, a stopword — has no list, and a query falls back to the word's). What a
 * holder checks.
 */
export function isIndexTerm(term: string): boolean {
  if (term.startsWith(STEM_MARK)) {
    return isTerm(term.slice(STEM_MARK.length));
  }
  return isTerm(term);
}
