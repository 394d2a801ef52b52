/**
 * `peergrid sim report -o report.html [--seed S] [--quick] [--from DIR] [--svg DIR]`: runs the survey
 * experiments (`peergrid sim experiment`, issue 6) — or reads their JSON from DIR/<name>.json, as
 * `sim experiment <name> --json` wrote it — and writes one self-contained HTML page with a plot and
 * a finding for each (src/sim/report/report.ts). --quick runs them at small sizes (seconds, not
 * minutes), for a look or a test.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderReport, reportPlots, type ReportInput } from '../../sim/report/report.ts';
import { parseCommandLine, parseInteger, UsageError } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { checkDirectoryPath, checkExistingDirectory, checkOutputFile } from '../local-paths.ts';
import { POOLED_EXPERIMENTS, runSimExperiment } from '../sim-experiment/command.ts';
import { WORKERS_MAX } from '../../sim/parallel/parallel-lookup.ts';
import { drawSeed } from '../sim-lookup/command.ts';

const OPTIONS = {
  output: { type: 'string', short: 'o' },
  seed: { type: 'string' },
  quick: { type: 'boolean' },
  from: { type: 'string' },
  svg: { type: 'string' },
  workers: { type: 'string' },
} as const;

/** Each experiment, the report's field for it, and its small sizes for --quick. */
const EXPERIMENTS = [
  { name: 'hops-vs-n', field: 'hopsVsN', quick: ['--nodes', '50,200,800', '--lookups', '100'] },
  { name: 'flooding-vs-dht', field: 'floodingVsDht', quick: ['--nodes', '50,200,800', '--lookups', '100', '--queries', '100'] },
  { name: 'load-balance', field: 'loadBalance', quick: ['--nodes', '100,1000,10000', '--keys-per-node', '20'] },
  { name: 'replication-vs-erasure', field: 'replicationVsErasure', quick: ['--nodes', '300', '--objects', '1000', '--days', '60'] },
  { name: 'partition', field: 'partition', quick: ['--nodes', '150', '--keys', '50'] },
  { name: 'churn', field: 'churn', quick: ['--nodes', '150', '--sessions', '10,60', '--lookups', '100'] },
  { name: 'proximity', field: 'proximity', quick: ['--nodes', '100,300', '--lookups', '100', '--warmup', '5'] },
] as const;

export async function runSimReport(args: readonly string[], io: CliIo, seedSource: () => number = drawSeed): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  if (positionals.length > 0) throw new UsageError(`unexpected: ${positionals.join(' ')}`);
  if (values.output === undefined) throw new UsageError('missing -o FILE: where to write the report');
  // Checked before the experiments run (minutes of them), so a typo does not lose their results.
  checkOutputFile('-o/--output', values.output);
  if (values.from !== undefined) checkExistingDirectory('--from', values.from);
  if (values.svg !== undefined) checkDirectoryPath('--svg', values.svg);
  const seed = values.seed === undefined ? seedSource() : parseInteger('--seed', values.seed, 0, Number.MAX_SAFE_INTEGER);
  const workers = values.workers === undefined ? 1 : parseInteger('--workers', values.workers, 1, WORKERS_MAX);
  io.err(`seed=${seed}\n`);
  const input: Record<string, unknown> = {};
  for (const experiment of EXPERIMENTS) {
    const saved = values.from === undefined ? null : await readSaved(join(values.from, `${experiment.name}.json`), experiment.name);
    if (saved !== null) {
      input[experiment.field] = saved;
      io.err(`${experiment.name}: read from ${values.from}\n`);
      continue;
    }
    io.err(`${experiment.name}: running…\n`);
    let out = '';
    const pooled = POOLED_EXPERIMENTS.includes(experiment.name) ? ['--workers', String(workers)] : [];
    await runSimExperiment([experiment.name, '--seed', String(seed), '--json', ...pooled, ...(values.quick === true ? experiment.quick : [])], { out: (text) => (out += text), err: () => {}, env: io.env });
    input[experiment.field] = JSON.parse(out);
  }
  const html = renderReport(input as ReportInput, new Date().toISOString());
  await writeFile(values.output, html).catch((error: Error) => {
    throw new CommandFailedError(`cannot write ${values.output}: ${error.message}`);
  });
  if (values.svg !== undefined) {
    const dir = values.svg;
    await mkdir(dir, { recursive: true }).catch((error: Error) => {
      throw new CommandFailedError(`cannot make ${dir}: ${error.message}`);
    });
    for (const plot of reportPlots(input as ReportInput)) {
      await writeFile(join(dir, plot.name), plot.svg).catch((error: Error) => {
        throw new CommandFailedError(`cannot write ${join(dir, plot.name)}: ${error.message}`);
      });
    }
  }
  io.out(`report of ${EXPERIMENTS.length} experiments written to ${values.output}\n`);
}

/** A saved result, if the file is there; an error if it is there but not that experiment's JSON. */
async function readSaved(path: string, name: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CommandFailedError(`${path}: not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || (value as { experiment?: unknown }).experiment !== name) {
    throw new CommandFailedError(`${path}: not the output of peergrid sim experiment ${name} --json`);
  }
  return value;
}

export function simReportUsage(): string {
  return `Usage: peergrid sim report -o FILE [options]

Runs the survey experiments (peergrid sim experiment …) and writes one HTML page with a plot and a
finding for each: ${EXPERIMENTS.map((experiment) => experiment.name).join(', ')}.

Options:
  -o, --output FILE   where to write the page (self-contained: no scripts, no other files)
  --seed S            the experiments' seed (default: drawn, printed to stderr)
  --quick             small sizes: seconds rather than about five minutes
  --from DIR          read DIR/<name>.json (as sim experiment <name> --json wrote it) where present
  --svg DIR           also write each plot to DIR/<experiment>-<n>.svg (for documents)
  --workers W         run the lookup runs of ${POOLED_EXPERIMENTS.join(', ')} on W threads at once
                      (default 1; the page is the same)
`;
}

export const simReportCommand: CliCommand = {
  path: ['sim', 'report'],
  usage: simReportUsage,
  run: (args, io) => runSimReport(args, io),
};
