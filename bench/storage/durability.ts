/**
 * Durability over a simulated year (docs/storage-durability.md): 10^6 objects on 10^4 nodes, 10% of
 * the nodes leaving for good each month (replaced by empty ones), 30% transient downtime with
 * heavy-tailed absences; replication (6 copies) against RS 10+10, each with the default repair policy.
 * The target: zero objects lost, and repair traffic at most 1.5× what repairing only permanent
 * failures would take.
 *
 * Each scheme is one `peergrid sim durability … --json` process (printed before it runs), so its
 * time and memory are its own and any figure can be reproduced by that command. The top-level
 * `lost` and `repairOverPermanentOnly` are the worst over the schemes; `schemes` has each in full.
 *
 * Run alone: `node bench/storage/durability.ts [--objects N] [--seed S]` prints the JSON object.
 */
import type { DurabilityExperimentResult, DurabilitySchemeResult } from '../../src/sim/experiments/durability-experiment.ts';
import { runPeergridJson } from '../run-peergrid.ts';

type Say = (line: string) => void;


export interface DurabilityBenchmarkOptions {
  readonly objects?: number;
  readonly nodes?: number;
  readonly days?: number;
  readonly seed?: number;
  readonly schemes?: readonly string[];
}

export interface DurabilitySchemeFigures {
  objects: number;
  lost: number;
  repairOverPermanentOnly: number;
  piecesCreatedOverPermanentPiecesLost: number;
  closestToLoss: number[];
  unavailability: number;
  repairs: number;
  repairBytes: number;
  permanentOnlyBytes: number;
  storageOverheadEnd: number;
  policy: DurabilitySchemeResult['policy'];
  wallMs: number;
  rssBytesMax: number;
  traceHash: string;
  command: string;
}

export interface DurabilityBenchmarkResult {
  objects: number;
  nodes: number;
  days: number;
  seed: number;
  permanentLossPerMonth: number;
  offlineFraction: number;
  downtime: string;
  /** Worst over the schemes. */
  lost: number;
  repairOverPermanentOnly: number;
  schemes: Record<string, DurabilitySchemeFigures>;
  wallMs: number;
}

export const DURABILITY_BENCHMARK_DEFAULTS = Object.freeze({
  objects: 1_000_000,
  nodes: 10_000,
  days: 365,
  seed: 1,
  schemes: ['replicate:6', 'erasure:10+10'] as readonly string[],
});

function simulate(argv: readonly string[], say: Say): Promise<DurabilityExperimentResult> {
  return runPeergridJson<DurabilityExperimentResult>(argv, say);
}

export async function durabilityBenchmark(say: Say, options: DurabilityBenchmarkOptions = {}): Promise<DurabilityBenchmarkResult> {
  const d = DURABILITY_BENCHMARK_DEFAULTS;
  const settings = {
    objects: options.objects ?? d.objects, nodes: options.nodes ?? d.nodes, days: options.days ?? d.days,
    seed: options.seed ?? d.seed, schemes: options.schemes ?? d.schemes,
  };
  const started = performance.now();
  const schemes: Record<string, DurabilitySchemeFigures> = {};
  let last: DurabilityExperimentResult | null = null;
  for (const scheme of settings.schemes) {
    const argv = [
      'sim', 'durability', '--objects', String(settings.objects), '--nodes', String(settings.nodes), '--days', String(settings.days),
      '--seed', String(settings.seed), '--scheme', scheme, '--progress', '--json',
    ];
    const result = await simulate(argv, say);
    const s = result.schemes[0];
    schemes[s.scheme] = {
      objects: s.objects,
      lost: s.lost,
      repairOverPermanentOnly: s.repairOverPermanentOnly,
      piecesCreatedOverPermanentPiecesLost: s.piecesCreatedOverPermanentPiecesLost,
      closestToLoss: s.closestToLoss,
      unavailability: s.unavailability,
      repairs: s.repairs,
      repairBytes: s.repairBytes,
      permanentOnlyBytes: s.permanentOnlyBytes,
      storageOverheadEnd: s.storageOverheadEnd,
      policy: s.policy,
      wallMs: result.wallMs,
      rssBytesMax: result.rssBytesMax,
      traceHash: s.traceHash,
      command: `peergrid ${argv.join(' ')}`,
    };
    say(`  ${s.scheme}: lost ${s.lost} of ${s.objects}, repair bytes ${s.repairOverPermanentOnly} × permanent-only, ` +
      `${(result.wallMs / 1000).toFixed(1)} s, ${Math.round(result.rssBytesMax / 2 ** 20)} MiB`);
    last = result;
  }
  const figures = Object.values(schemes);
  return {
    objects: settings.objects,
    nodes: settings.nodes,
    days: settings.days,
    seed: settings.seed,
    permanentLossPerMonth: last?.permanentLossPerMonth ?? NaN,
    offlineFraction: last?.offlineFraction ?? NaN,
    downtime: last?.downtime ?? '',
    lost: Math.max(0, ...figures.map((f) => f.lost)),
    repairOverPermanentOnly: Math.max(0, ...figures.map((f) => f.repairOverPermanentOnly)),
    schemes,
    wallMs: Math.round(performance.now() - started),
  };
}

if (import.meta.main) {
  const flag = (name: string): number | undefined => {
    const index = process.argv.indexOf(name);
    return index < 0 ? undefined : Number(process.argv[index + 1]);
  };
  const result = await durabilityBenchmark((line) => process.stderr.write(`${line}\n`), { objects: flag('--objects'), seed: flag('--seed') });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
