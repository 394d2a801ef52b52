/**
 * The `compute` section of config.json: what this node does for the grid's computation (issue 5,
 * docs/COMPUTE.md).
 *
 * - `volunteer`: run units of others' jobs in this node's sandbox (default true: a node of a grid
 *   pools its cores). A node always coordinates the jobs whose key it is closest to.
 * - `workers`: sandbox workers, the units it runs at once; 0 for one per core but one.
 * - `domain`: its administrative domain (an organisation, a site), for jobs that require one.
 * - `leaseMs`: how long a lease lives without a heartbeat on the jobs it coordinates, and, as a
 *   volunteer, a third of it is how often it sends heartbeats.
 * - `faultWrongOutputs`: fault injection for tests and experiments — this node's volunteer reports
 *   a wrong output for every unit it runs, as a cheater would. Never set it otherwise.
 */
import { isBoolean, isNonNegativeInteger, isPositiveInteger, isRecord } from './config-values.ts';

export interface ComputeConfig {
  readonly volunteer: boolean;
  readonly workers: number;
  readonly domain: string;
  readonly leaseMs: number;
  readonly faultWrongOutputs: boolean;
}

export const defaultComputeConfig: ComputeConfig = { volunteer: true, workers: 0, domain: '', leaseMs: 15_000, faultWrongOutputs: false };

/** Validates the section; problems are appended to `problems`, and a bad field keeps its default. */
export function parseComputeConfig(value: unknown, problems: string[]): ComputeConfig {
  if (value === undefined) return defaultComputeConfig;
  if (!isRecord(value)) {
    problems.push("'compute' must be an object");
    return defaultComputeConfig;
  }
  for (const name of Object.keys(value)) if (!(name in defaultComputeConfig)) problems.push(`unknown compute setting '${name}'`);
  const field = <T>(name: keyof ComputeConfig, check: (item: unknown) => item is T, expected: string): T => {
    const item = value[name];
    if (item === undefined) return defaultComputeConfig[name] as T;
    if (check(item)) return item;
    problems.push(`'compute.${name}' must be ${expected}`);
    return defaultComputeConfig[name] as T;
  };
  const isDomain = (item: unknown): item is string => typeof item === 'string' && item.length <= 253;
  const workers = field('workers', isNonNegativeInteger, 'an integer >= 0');
  if (workers > 1024) problems.push("'compute.workers' must be at most 1024");
  return {
    volunteer: field('volunteer', isBoolean, 'true or false'),
    workers: Math.min(workers, 1024),
    domain: field('domain', isDomain, 'text of at most 253 characters'),
    leaseMs: field('leaseMs', isPositiveInteger, 'a positive integer'),
    faultWrongOutputs: field('faultWrongOutputs', isBoolean, 'true or false'),
  };
}
