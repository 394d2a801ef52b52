/**
 * A synthetic corpus of documents with Dublin Core metadata, and queries over it (issue 7's devnet
 * test and `npm run bench -- search-devnet`): the same seed gives the same documents and queries.
 * Words are drawn from a Zipf distribution (exponent 1) over a fixed vocabulary, as term
 * popularity is in real collections (Zipf 1949; the simulator's search experiment does the same
 * over numbered terms); creators carry accents and mixed case so that folding is exercised; a fifth
 * of the documents have a text body (for --index-text), and plural forms appear beside singular
 * ones so that stemming changes answers.
 */
import type { DublinCore } from '../../services/search/dublin-core.ts';
import { Prng } from '../prng.ts';

export interface CorpusDocument {
  readonly metadata: DublinCore;
  /** The file's text; published with --index-text when `indexText`. */
  readonly text: string;
  readonly indexText: boolean;
}

export interface CorpusQuery {
  readonly words: string;
  readonly fields: readonly string[];
  readonly stem: boolean;
}

const WORDS = [
  'grid', 'peer', 'overlay', 'routing', 'storage', 'network', 'networks', 'distributed', 'hash', 'table', 'tables', 'search', 'index',
  'query', 'queries', 'replica', 'replicas', 'erasure', 'code', 'codes', 'churn', 'latency', 'bandwidth', 'trust', 'reputation', 'incentive',
  'incentives', 'cache', 'caching', 'gossip', 'epidemic', 'consensus', 'byzantine', 'fault', 'faults', 'tolerance', 'scheduling', 'scheduler',
  'volunteer', 'computing', 'computation', 'sandbox', 'virtual', 'machine', 'machines', 'cluster', 'clusters', 'locality', 'proximity',
  'coordinate', 'coordinates', 'vivaldi', 'kademlia', 'chord', 'pastry', 'tapestry', 'bittorrent', 'gnutella', 'napster', 'freenet', 'bloom',
  'filter', 'filters', 'keyword', 'keywords', 'metadata', 'semantic', 'ontology', 'ranking', 'relevance', 'file', 'files', 'sharing',
  'content', 'delivery', 'multicast', 'streaming', 'video', 'audio', 'archive', 'archives', 'durability', 'availability', 'repair', 'backup',
  'encryption', 'privacy', 'anonymity', 'security', 'attack', 'attacks', 'sybil', 'eclipse', 'identity', 'certificate', 'signature',
  'signatures', 'workflow', 'simulation', 'simulator', 'measurement', 'measurements', 'experiment', 'experiments', 'evaluation', 'model',
  'models', 'protocol', 'protocols', 'design', 'analysis', 'performance', 'scalable', 'scalability', 'efficient', 'robust', 'adaptive',
  'dynamic', 'heterogeneous', 'mobile', 'wireless', 'sensor', 'sensors', 'energy', 'economics', 'market', 'auction', 'accounting', 'ledger',
  'resource', 'resources', 'discovery', 'matchmaking', 'condor', 'boinc', 'seti', 'genome', 'climate', 'physics', 'astronomy', 'medical',
  'imaging', 'dataset', 'datasets', 'benchmark', 'benchmarks', 'survey', 'tutorial', 'lecture', 'notes', 'thesis', 'report', 'reports',
] as const;

const SUBJECTS = [
  'peer-to-peer systems', 'grid computing', 'distributed hash tables', 'overlay networks', 'content distribution', 'volunteer computing',
  'network measurement', 'storage systems', 'information retrieval', 'security and trust', 'scheduling', 'mobile networks', 'erasure codes',
  'gossip protocols', 'file sharing', 'network coordinates', 'incentives', 'simulation', 'digital libraries', 'scientific data',
] as const;

const FIRST_NAMES = ['Jon', 'Tim', 'Ian', 'Andrew', 'José', 'Zoë', 'Łukasz', 'Ingrid', 'Amélie', 'Søren', 'Ana', 'Wei', 'Priya', 'Kofi', 'Mariana', 'Björn'] as const;
const LAST_NAMES = ['Crowcroft', 'Moreton', 'Pratt', 'Twigg', 'García', 'Müller', 'Nowak', 'Dubois', 'Øster', 'Rossi', 'Chen', 'Iyer', 'Mensah', 'Silva', 'Lindqvist', 'Okafor', 'Hernández', 'Novák', 'Kowalski', 'Zhang'] as const;
const TYPES = ['Text', 'Dataset', 'Software', 'Image', 'Collection'] as const;

function zipfPicker(count: number): (prng: Prng) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= count; rank++) cumulative.push((total += 1 / rank));
  return (prng) => {
    const target = prng.nextFloat() * total;
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

function between(prng: Prng, low: number, high: number): number {
  return low + Math.floor(prng.nextFloat() * (high - low + 1));
}

function pick<T>(prng: Prng, items: readonly T[]): T {
  return items[Math.floor(prng.nextFloat() * items.length)];
}

/** `count` documents; document i depends only on the seed and i. */
export function documentCorpus(count: number, seed: number): CorpusDocument[] {
  const root = Prng.fromSeed(seed);
  const word = zipfPicker(WORDS.length);
  const words = (prng: Prng, n: number): string[] => Array.from({ length: n }, () => WORDS[word(prng)]);
  const documents: CorpusDocument[] = [];
  for (let index = 0; index < count; index++) {
    const prng = root.stream(index);
    const titleWords = words(prng, between(prng, 2, 6));
    // Every title differs: a serial number keeps two documents from being one CID.
    const title = `${titleWords.map((text, at) => (at === 0 ? text[0].toUpperCase() + text.slice(1) : text)).join(' ')} (no. ${index + 1})`;
    const creators = Array.from(new Set(Array.from({ length: between(prng, 1, 2) }, () => `${pick(prng, FIRST_NAMES)} ${pick(prng, LAST_NAMES)}`)));
    const subjects = Array.from(new Set(Array.from({ length: between(prng, 1, 3) }, () => pick(prng, SUBJECTS))));
    const metadata: DublinCore = {
      title: [title],
      creator: creators,
      subject: subjects,
      date: [String(between(prng, 1995, 2026))],
      type: [pick(prng, TYPES)],
      description: [`${words(prng, between(prng, 6, 18)).join(' ')}.`],
    };
    const indexText = prng.nextFloat() < 0.2;
    const text = indexText ? `${words(prng, between(prng, 40, 160)).join(' ')}.\n` : `${title}\n`;
    documents.push({ metadata, text, indexText });
  }
  return documents;
}

/**
 * `count` queries over `documents`: most take two or three words of one document (so each has a
 * match), some add a creator's surname as a field filter, some are single popular words (many
 * matches: the ranking decides the top 10), some ask stems.
 */
export function corpusQueries(documents: readonly CorpusDocument[], count: number, seed: number): CorpusQuery[] {
  const prng = Prng.fromSeed(seed).stream(1_000_000);
  const queries: CorpusQuery[] = [];
  for (let index = 0; index < count; index++) {
    const document = documents[Math.floor(prng.nextFloat() * documents.length)];
    const pool = `${document.metadata.title?.[0] ?? ''} ${document.metadata.description?.[0] ?? ''}`.toLowerCase().split(/[^a-z]+/).filter((word) => word.length > 2 && word !== 'no');
    const kind = index % 5;
    if (kind === 0) {
      queries.push({ words: pick(prng, WORDS.slice(0, 12)), fields: [], stem: false });
    } else if (kind === 1) {
      const surname = (document.metadata.creator?.[0] ?? 'x y').split(' ')[1];
      queries.push({ words: pick(prng, pool), fields: [`creator:${surname}`], stem: false });
    } else if (kind === 2) {
      queries.push({ words: [pick(prng, pool), pick(prng, pool), pick(prng, pool)].join(' '), fields: [], stem: false });
    } else if (kind === 3) {
      queries.push({ words: [pick(prng, pool), pick(prng, pool)].join(' '), fields: [], stem: true });
    } else {
      queries.push({ words: [pick(prng, pool), pick(prng, pool)].join(' '), fields: [], stem: false });
    }
  }
  return queries;
}
