/**
 * The `search` section of config.json (issue 7, docs/SEARCH.md, "Running it").
 *
 * - `replicas`: how many of the nodes closest to hash(term) hold a term's postings (and to the
 *   corpus key, the publishers' summaries): a query still answers while one of them lives.
 * - `repairIntervalMs`: how often a holder checks that the other closest nodes hold its lists,
 *   and pushes them where they do not (0: never; tests shorten it).
 * - `republishIntervalMs`: how often a publisher republishes its documents with a fresh time
 *   (postings live 48 h without it).
 */
import { isNonNegativeInteger, isPositiveInteger, isRecord } from './config-values.ts';

export interface SearchConfig {
  readonly replicas: number;
  readonly repairIntervalMs: number;
  readonly republishIntervalMs: number;
}

export const defaultSearchConfig: SearchConfig = { replicas: 3, repairIntervalMs: 10 * 60_000, republishIntervalMs: 12 * 3600_000 };

/** The most replicas a term may ask for: the kernel's k. */
const REPLICAS_MAX = 20;

/** Validates the section; problems are appended to `problems`, and a bad field keeps its default. */
export function parseSearchConfig(value: unknown, problems: string[]): SearchConfig {
  if (value === undefined) return defaultSearchConfig;
  if (!isRecord(value)) {
    problems.push("'search' must be an object");
    return defaultSearchConfig;
  }
  for (const name of Object.keys(value)) if (!(name in defaultSearchConfig)) problems.push(`unknown search setting '${name}'`);
  const field = (name: keyof SearchConfig, check: (item: unknown) => item is number, expected: string): number => {
    const item = value[name];
    if (item === undefined) return defaultSearchConfig[name];
    if (check(item)) return item;
    problems.push(`'search.${name}' must be ${expected}`);
    return defaultSearchConfig[name];
  };
  const replicas = field('replicas', isPositiveInteger, 'a positive integer');
  if (replicas > REPLICAS_MAX) problems.push(`'search.replicas' must be at most ${REPLICAS_MAX}`);
  return {
    replicas: Math.min(replicas, REPLICAS_MAX),
    repairIntervalMs: field('repairIntervalMs', isNonNegativeInteger, 'an integer >= 0'),
    republishIntervalMs: field('republishIntervalMs', isPositiveInteger, 'a positive integer'),
  };
}
