/**
 * `peergrid sim durability`: parses and validates the options into a durability experiment (a
 * simulated year of storage under churn, replication against erasure coding), runs it, and prints
 * the result (a readable summary, or one JSON object with --json). The seed always goes to stderr
 * first as `seed=<S>`, so any run can be replayed.
 */
import { defaultRepairPolicy, checkRepairPolicy, RECORDED_PIECES_LIMIT, type RepairPolicy } from '../../services/storage/durability/repair-policy.ts';
import { parseRedundancy, piecesTarget, type Redundancy } from '../../services/storage/durability/redundancy.ts';
import { availabilityModel, DOWNTIME_SPEC_FORMS } from '../../sim/experiments/durability/availability-model.ts';
import { runDurabilityExperiment, type DurabilityExperimentOptions, type DurabilityScheme } from '../../sim/experiments/durability-experiment.ts';
import {
  formatBound, parseCommandLine, parseDuration, parseInteger, parseNumber, parseProbability, UsageError,
} from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { drawSeed } from '../sim-lookup/command.ts';
import { formatDurabilitySummary } from './format.ts';

const HOUR_MS = 3_600_000;

export const DurabilityBounds = Object.freeze({
  objectsMax: 10_000_000,
  nodesMin: 100,
  nodesMax: 1_000_000,
  daysMax: 3650,
  seedMax: Number.MAX_SAFE_INTEGER,
  objectBytesMax: 2 ** 40,
  schemesMax: 8,
});

/** The CLI's defaults; the policy's own come from defaultRepairPolicy. */
export const DurabilityDefaults = Object.freeze({
  objects: 100_000,
  nodes: 10_000,
  days: 365,
  /**
   * The compared schemes: 6 copies (what replication needs to lose nothing out of 10^6 objects at 10%
   * departures a month and 30% heavy-tailed downtime, with a grace period that keeps repair traffic
   * under 1.5× the permanent-only baseline) and RS 10+10 (2× storage). docs/storage-durability.md has
   * the sweep behind both.
   */
  schemes: 'replicate:6,erasure:10+10',
  permanentLossPerMonth: 0.1,
  offlineFraction: 0.3,
  downtime: 'weibull:0.5:8',
  objectBytes: 1 << 20,
});

const OPTIONS = {
  objects: { type: 'string' },
  nodes: { type: 'string' },
  days: { type: 'string' },
  seed: { type: 'string' },
  scheme: { type: 'string' },
  'permanent-loss-per-month': { type: 'string' },
  'offline-fraction': { type: 'string' },
  downtime: { type: 'string' },
  grace: { type: 'string' },
  'forget-after': { type: 'string' },
  retry: { type: 'string' },
  'extra-pieces': { type: 'string' },
  'object-bytes': { type: 'string' },
  check: { type: 'boolean' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface SimDurabilityPlan {
  readonly experiment: Omit<DurabilityExperimentOptions, 'progress'>;
  readonly json: boolean;
  readonly progress: boolean;
}

const SCHEME = /^([^@]+)(?:@(\d+))?$/;

/**
 * One `--scheme` entry: `replicate:R` or `erasure:K+M`, optionally `@r` to repair when fewer than r
 * pieces are counted (the default: R for copies, K+M−1 for fragments).
 */
export function parseScheme(text: string, overrides: Partial<RepairPolicy>): DurabilityScheme {
  const match = SCHEME.exec(text.trim());
  const parsed = parseRedundancy(match?.[1] ?? text);
  if (match === null || !parsed.ok) {
    throw new UsageError(`--scheme: ${parsed.ok ? `bad scheme '${text}'` : parsed.error} (forms: replicate:<R>, erasure:<K>+<M>, each optionally @<repair below>)`);
  }
  const redundancy: Redundancy = parsed.value;
  const defaults = defaultRepairPolicy(redundancy);
  const extraPiecesMax = overrides.extraPiecesMax ?? defaults.extraPiecesMax;
  const policy: RepairPolicy = {
    ...defaults,
    ...overrides,
    extraPiecesMax,
    recordedPiecesMax: Math.min(RECORDED_PIECES_LIMIT, 2 * piecesTarget(redundancy) + extraPiecesMax),
    repairBelowPieces: match[2] === undefined ? defaults.repairBelowPieces : Number(match[2]),
  };
  const problems = checkRepairPolicy(redundancy, policy);
  if (problems.length > 0) throw new UsageError(`--scheme ${text}: ${problems.join('; ')}`);
  return { redundancy, policy };
}

export function parseSimDurabilityArgs(args: readonly string[], seedSource: () => number = drawSeed): SimDurabilityPlan {
  const { values } = parseCommandLine(args, OPTIONS);
  const objects = values.objects === undefined ? DurabilityDefaults.objects : parseInteger('--objects', values.objects, 1, DurabilityBounds.objectsMax);
  const nodes = values.nodes === undefined
    ? DurabilityDefaults.nodes : parseInteger('--nodes', values.nodes, DurabilityBounds.nodesMin, DurabilityBounds.nodesMax);
  const days = values.days === undefined
    ? DurabilityDefaults.days : parseNumber('--days', values.days, { min: 0, minExclusive: true, max: DurabilityBounds.daysMax });
  const seed = values.seed === undefined ? seedSource() : parseInteger('--seed', values.seed, 0, DurabilityBounds.seedMax);
  const permanentLossPerMonth = values['permanent-loss-per-month'] === undefined
    ? DurabilityDefaults.permanentLossPerMonth : parseProbability('--permanent-loss-per-month', values['permanent-loss-per-month'], { allowOne: false });
  const offlineFraction = values['offline-fraction'] === undefined
    ? DurabilityDefaults.offlineFraction : parseProbability('--offline-fraction', values['offline-fraction'], { allowOne: false });
  const downtime = values.downtime ?? DurabilityDefaults.downtime;
  try {
    availabilityModel(downtime, offlineFraction, permanentLossPerMonth);
  } catch (error) {
    throw new UsageError(`--downtime: ${(error as Error).message}`);
  }
  const objectBytes = values['object-bytes'] === undefined
    ? DurabilityDefaults.objectBytes : parseInteger('--object-bytes', values['object-bytes'], 1, DurabilityBounds.objectBytesMax);

  const overrides: { -readonly [Key in keyof RepairPolicy]?: RepairPolicy[Key] } = {};
  if (values.grace !== undefined) overrides.graceMs = parseDuration('--grace', values.grace, 'h', { min: 0 });
  if (values['forget-after'] !== undefined) overrides.forgetAfterMs = parseDuration('--forget-after', values['forget-after'], 'h', { min: 0 });
  if (values.retry !== undefined) overrides.retryIntervalMs = parseDuration('--retry', values.retry, 'h', { min: 0, minExclusive: true });
  if (values['extra-pieces'] !== undefined) overrides.extraPiecesMax = parseInteger('--extra-pieces', values['extra-pieces'], 0, 32);

  const texts = (values.scheme ?? DurabilityDefaults.schemes).split(',');
  if (texts.length > DurabilityBounds.schemesMax) throw new UsageError(`--scheme takes at most ${DurabilityBounds.schemesMax} schemes, got ${texts.length}`);
  const schemes = texts.map((text) => parseScheme(text, overrides));
  for (const scheme of schemes) {
    if (nodes < 2 * scheme.policy.recordedPiecesMax) {
      throw new UsageError(`--nodes must be at least ${formatBound(2 * scheme.policy.recordedPiecesMax)} for --scheme ${texts[schemes.indexOf(scheme)]}, got ${nodes}`);
    }
  }
  return {
    experiment: {
      seed, objects, nodes, days, objectBytes, schemes, permanentLossPerMonth, offlineFraction, downtime,
      checkInvariants: values.check ?? false,
    },
    json: values.json ?? false,
    progress: values.progress ?? false,
  };
}

export function runSimDurability(args: readonly string[], io: CliIo): void {
  const plan = parseSimDurabilityArgs(args);
  io.err(`seed=${plan.experiment.seed}\n`);
  const result = runDurabilityExperiment({
    ...plan.experiment,
    progress: plan.progress ? (line) => io.err(`${line}\n`) : undefined,
  });
  io.out(plan.json ? `${JSON.stringify(result)}\n` : formatDurabilitySummary(result));
}

export function simDurabilityUsage(): string {
  const d = DurabilityDefaults;
  const policy = defaultRepairPolicy({ kind: 'replicate', copies: 3 });
  const erasurePolicy = defaultRepairPolicy({ kind: 'erasure', dataFragments: 8, parityFragments: 8 });
  return `Usage: peergrid sim durability [options]

Simulates storage nodes under churn for a year (transient downtime, and nodes leaving for good,
replaced by empty ones) holding objects kept by replication or erasure coding and the repair policy
(grace period, repair threshold, re-integration of returning holders). Reports objects lost,
unavailability, repairs and repair bytes against an oracle that repairs only permanent failures.

Workload:
  --objects N                    objects stored at the start, 1 to ${formatBound(DurabilityBounds.objectsMax)} (default ${formatBound(d.objects)})
  --nodes N                      storage nodes, ${formatBound(DurabilityBounds.nodesMin)} to ${formatBound(DurabilityBounds.nodesMax)} (default ${formatBound(d.nodes)})
  --days D                       simulated days, > 0 and <= ${DurabilityBounds.daysMax} (default ${d.days})
  --seed S                       integer 0 to 2^53-1 (default: random); always printed first on stderr as seed=S
  --object-bytes B               size of every object (default ${formatBound(d.objectBytes)})

Redundancy and repair:
  --scheme LIST                  comma-separated schemes, each run over the same churn (default ${d.schemes}):
                                   replicate:<R>       R copies on R distinct nodes
                                   erasure:<K>+<M>     Reed-Solomon fragments on K+M distinct nodes
                                 each optionally @<r>: repair when fewer than r pieces are counted
                                 (default: R for copies, K+M-1 for fragments)
  --grace H                      hours a silent holder still counts before it is presumed gone (default ${policy.graceMs / HOUR_MS})
  --forget-after H               hours of silence after which a holder is forgotten (default ${policy.forgetAfterMs / HOUR_MS})
  --retry H                      hours between retries of a blocked repair, > 0 (default ${policy.retryIntervalMs / HOUR_MS})
  --extra-pieces N               pieces kept beyond the target, 0 to 32 (default ${policy.extraPiecesMax} for copies, ${erasurePolicy.extraPiecesMax} for fragments)

Churn:
  --permanent-loss-per-month P   fraction of nodes leaving for good each month, in [0, 1) (default ${d.permanentLossPerMonth})
  --offline-fraction F           long-run fraction of time a node is offline, in [0, 1) (default ${d.offlineFraction})
  --downtime MODEL               downtime distribution (default ${d.downtime}):
${DOWNTIME_SPEC_FORMS.map((form) => `                                   ${form}`).join('\n')}
                                 sessions are exponential, with the mean that gives the offline fraction

Output:
  --check                        run the invariant checkers at the end; the result lists violations
  --json                         print the result as one JSON object on stdout
  --progress                     print progress lines on stderr
  -h, --help                     show this help

Durations also take a unit: 30m, 96h.
Exit status: 0 on success, 1 on an unexpected error, 2 on bad usage.
`;
}

export const simDurabilityCommand: CliCommand = {
  path: ['sim', 'durability'],
  usage: simDurabilityUsage,
  run: runSimDurability,
};
