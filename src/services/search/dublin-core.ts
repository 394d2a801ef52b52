/**
 * Dublin Core metadata (issue 7, item 1): the 15 elements of the Dublin Core Metadata Element Set,
 * version 1.1 (DCMI, ISO 15836), which `peergrid put --meta element=value` records with content and
 * whose words are published as search terms — the "consistent metadata framework" of the survey's
 * §3.2.1, so that users find content by what it is, not only by its CID.
 *
 * Every element is optional and may repeat (a work has several creators and subjects), so a value is
 * a list of strings. Metadata arrives from the network in postings and search results, so
 * checkDublinCore checks untrusted values completely, returns an error rather than throwing, and
 * returns a fresh copy of only the 15 elements in canonical order.
 */
import { utf8ByteLength } from '../../wire/utf8.ts';
import { TermLimits, termsOf, type TermOptions } from './terms.ts';

/** The 15 elements, in the order DCMES 1.1 lists them (alphabetical), which is also their bit order. */
export const DublinCoreElements = [
  'contributor', 'coverage', 'creator', 'date', 'description', 'format', 'identifier', 'language',
  'publisher', 'relation', 'rights', 'source', 'subject', 'title', 'type',
] as const;
export type DublinCoreElement = (typeof DublinCoreElements)[number];

/** Metadata: each element optional, each present element one or more strings. */
export type DublinCore = { readonly [E in DublinCoreElement]?: readonly string[] };

/**
 * The bit of each element in a posting's `fields` mask (which elements of a document a term came
 * from, for `--field creator:…`). Part of the data format: never renumber.
 */
export const DublinCoreField = {
  contributor: 1 << 0,
  coverage: 1 << 1,
  creator: 1 << 2,
  date: 1 << 3,
  description: 1 << 4,
  format: 1 << 5,
  identifier: 1 << 6,
  language: 1 << 7,
  publisher: 1 << 8,
  relation: 1 << 9,
  rights: 1 << 10,
  source: 1 << 11,
  subject: 1 << 12,
  title: 1 << 13,
  type: 1 << 14,
} as const satisfies Record<DublinCoreElement, number>;

/** Every element's bit together. */
export const DUBLIN_CORE_ALL_FIELDS = (1 << DublinCoreElements.length) - 1;

export const DublinCoreLimits = {
  /** Values of one element (creators, subjects, …). */
  valuesPerElementMax: 16,
  /** One value, in UTF-8 bytes: room for an abstract in `description`. */
  valueBytesMax: 2048,
  /** All values together, in UTF-8 bytes: metadata travels in DHT values (at most 64 KiB) and results. */
  totalBytesMax: 8192,
} as const;

export type DublinCoreResult = { readonly ok: true; readonly metadata: DublinCore } | { readonly ok: false; readonly error: string };

const elementSet: ReadonlySet<string> = new Set(DublinCoreElements);

export function isDublinCoreElement(name: string): name is DublinCoreElement {
  return elementSet.has(name);
}

const ELEMENT_LIST = DublinCoreElements.join(', ');

/** Names people reach for that are not Dublin Core elements, and the element that holds them. */
const ELEMENT_HINTS: Readonly<Record<string, DublinCoreElement>> = {
  author: 'creator',
  authors: 'creator',
  name: 'title',
  keyword: 'subject',
  keywords: 'subject',
  tag: 'subject',
  tags: 'subject',
  topic: 'subject',
  abstract: 'description',
  summary: 'description',
  license: 'rights',
  licence: 'rights',
  copyright: 'rights',
  lang: 'language',
  mime: 'format',
  url: 'identifier',
  uri: 'identifier',
  doi: 'identifier',
  isbn: 'identifier',
};

function unknownElement(name: string): string {
  const hint = Object.hasOwn(ELEMENT_HINTS, name) ? ` (for this use ${ELEMENT_HINTS[name]})` : '';
  return `unknown Dublin Core element ${quote(name)}${hint}; the 15 elements are ${ELEMENT_LIST}`;
}

/**
 * A string quoted for an error: cut to 40 characters, so untrusted input cannot make the error
 * huge, and in JSON's quotes and escapes, so it cannot put control characters into a terminal.
 */
function quote(text: string): string {
  let cut = '';
  let characters = 0;
  for (const character of text) {
    if (characters++ === 40) return `${JSON.stringify(cut)}…`;
    cut += character;
  }
  return JSON.stringify(cut);
}

/** A lone surrogate: not a character, and not encodable as UTF-8 (the wire codec refuses it). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/**
 * Control characters other than tab, line feed and carriage return: metadata is printed by
 * `peergrid search`, and a publisher must not be able to send escape sequences to a terminal.
 */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/** The problem with one value, or null. `where` names it in the error ("title[2]"). */
function valueProblem(value: string, where: string): string | null {
  if (value.trim() === '') return `${where} is empty`;
  // UTF-8 takes at least one byte per UTF-16 unit, so an overlong string is refused before measuring it.
  if (value.length > DublinCoreLimits.valueBytesMax || utf8ByteLength(value) > DublinCoreLimits.valueBytesMax) {
    return `${where} is longer than ${DublinCoreLimits.valueBytesMax} bytes (DublinCoreLimits.valueBytesMax)`;
  }
  if (LONE_SURROGATE.test(value)) return `${where} is not well-formed Unicode (a lone surrogate)`;
  if (CONTROL.test(value)) return `${where} contains a control character`;
  return null;
}

/**
 * Checks the values of one element, in order, copying each as it is checked (so that what is
 * returned is what was checked, whatever the array does); returns the copy and its UTF-8 bytes, or
 * the problem. Repeated values are refused (the CLI drops them), so one record has one form.
 */
function checkValues(element: DublinCoreElement, values: readonly unknown[]): { values: string[]; bytes: number } | { error: string } {
  const length = values.length;
  if (length === 0) return { error: `${element} has no values (leave the element out instead)` };
  if (length > DublinCoreLimits.valuesPerElementMax) {
    return { error: `${element} has more than ${DublinCoreLimits.valuesPerElementMax} values (DublinCoreLimits.valuesPerElementMax)` };
  }
  let bytes = 0;
  const copy: string[] = [];
  for (let index = 0; index < length; index++) {
    const value = values[index];
    const where = length === 1 ? element : `${element}[${index}]`;
    if (typeof value !== 'string') return { error: `${where} is not a string` };
    const problem = valueProblem(value, where);
    if (problem !== null) return { error: problem };
    if (copy.includes(value)) return { error: `${where} repeats a value of ${element}` };
    copy.push(value);
    bytes += utf8ByteLength(value);
  }
  return { values: copy, bytes };
}

function totalTooLarge(): string {
  return `the metadata is larger than ${DublinCoreLimits.totalBytesMax} bytes in all (DublinCoreLimits.totalBytesMax)`;
}

/**
 * Checks untrusted metadata (decoded from the network, or read from JSON): an object whose keys are
 * Dublin Core elements (exactly as DublinCoreElements spells them) and whose values are non-empty
 * lists of distinct, non-blank strings within DublinCoreLimits, with no lone surrogates or control
 * characters but tab and newlines. Returns a fresh object with the elements in canonical order, or
 * the first problem found; never throws, whatever it is given.
 */
export function checkDublinCore(value: unknown): DublinCoreResult {
  try {
    return check(value);
  } catch {
    // Only a hostile object (a throwing getter or proxy) gets here; decoded data never does.
    return { ok: false, error: 'the metadata could not be read' };
  }
}

function check(value: unknown): DublinCoreResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `the metadata must be an object of Dublin Core elements, not ${describe(value)}` };
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const key of keys) {
    if (!isDublinCoreElement(key)) return { ok: false, error: unknownElement(key) };
  }
  const metadata: { [E in DublinCoreElement]?: readonly string[] } = {};
  let total = 0;
  for (const element of DublinCoreElements) {
    if (!Object.hasOwn(record, element)) continue;
    const values = record[element];
    if (!Array.isArray(values)) return { ok: false, error: `${element} must be a list of strings, not ${describe(values)}` };
    const checked = checkValues(element, values);
    if ('error' in checked) return { ok: false, error: checked.error };
    total += checked.bytes;
    if (total > DublinCoreLimits.totalBytesMax) return { ok: false, error: totalTooLarge() };
    metadata[element] = Object.freeze(checked.values);
  }
  return { ok: true, metadata: Object.freeze(metadata) };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Reads `peergrid put --meta element=value` arguments (each string is what followed one `--meta`):
 * the element name is case-insensitive and trimmed, the value is everything after the first `=`,
 * trimmed (it may itself contain `=`); a repeated element appends a value ("--meta subject=p2p
 * --meta subject=grid"), an exact repeat of a value is dropped. The result is checked as
 * checkDublinCore checks metadata from the network, so what the CLI accepts every node accepts;
 * errors name the argument, and for an unknown element list the 15 allowed.
 */
export function parseMetaArgs(args: readonly string[]): DublinCoreResult {
  const values = new Map<DublinCoreElement, string[]>();
  for (const arg of args) {
    const equals = arg.indexOf('=');
    if (equals < 0) return { ok: false, error: `--meta ${quote(arg)}: expected element=value, such as title=Peer-to-peer systems` };
    const name = arg.slice(0, equals).trim().toLowerCase();
    const value = arg.slice(equals + 1).trim();
    if (name === '') return { ok: false, error: `--meta ${quote(arg)}: no element before "="; the 15 elements are ${ELEMENT_LIST}` };
    if (!isDublinCoreElement(name)) return { ok: false, error: `--meta ${quote(arg)}: ${unknownElement(name)}` };
    if (value === '') return { ok: false, error: `--meta ${quote(arg)}: the value of ${name} is empty` };
    const list = values.get(name) ?? [];
    if (!list.includes(value)) list.push(value);
    values.set(name, list);
  }
  const metadata: Partial<Record<DublinCoreElement, string[]>> = {};
  for (const element of DublinCoreElements) {
    const list = values.get(element);
    if (list !== undefined) metadata[element] = list;
  }
  const checked = checkDublinCore(metadata);
  return checked.ok ? checked : { ok: false, error: `--meta: ${checked.error}` };
}

/** One index term of a document, with the elements it occurs in. */
export interface IndexTerm {
  readonly term: string;
  /** The DublinCoreField bits of every element whose values contain the term. */
  readonly fields: number;
  /** How many times the term occurs over all values (the term frequency a ranking weighs). */
  readonly count: number;
}

/**
 * The order in which elements contribute terms: when a document has more distinct terms than
 * TermLimits.termsPerDocumentMax, those of the elements users search most (title, subject,
 * creator, description) are the ones kept.
 */
export const DublinCoreIndexOrder = [
  'title', 'subject', 'creator', 'description', 'contributor', 'publisher', 'coverage', 'type',
  'format', 'language', 'date', 'source', 'relation', 'identifier', 'rights',
] as const satisfies readonly DublinCoreElement[];

/**
 * The index terms of a document's metadata: every value of every element through termsOf, each
 * distinct term once with the bits of the elements it came from and its number of occurrences.
 * At most TermLimits.termsPerDocumentMax terms, in a deterministic order: by first occurrence,
 * elements taken in DublinCoreIndexOrder and values and words in their order; a term kept still
 * gains the bits of elements that come after the cap was reached. `metadata` is trusted (checked).
 */
export function indexTermsOf(metadata: DublinCore, options: TermOptions = {}): IndexTerm[] {
  const found = new Map<string, { fields: number; count: number }>();
  for (const element of DublinCoreIndexOrder) {
    const values = metadata[element];
    if (values === undefined) continue;
    const bit = DublinCoreField[element];
    for (const value of values) {
      for (const term of termsOf(value, options)) {
        const entry = found.get(term);
        if (entry !== undefined) {
          entry.fields |= bit;
          entry.count++;
        } else if (found.size < TermLimits.termsPerDocumentMax) {
          found.set(term, { fields: bit, count: 1 });
        }
      }
    }
  }
  return [...found].map(([term, { fields, count }]) => ({ term, fields, count }));
}

/** The elements whose bits are set in `fields`, in canonical order. */
export function fieldsOf(fields: number): DublinCoreElement[] {
  return DublinCoreElements.filter((element) => (fields & DublinCoreField[element]) !== 0);
}
