/**
 * `peergrid sim experiment <name> [--seed S] [--nodes N,N,…] [--keys-per-node K] [--json]`: one of
 * the survey's claims measured in the simulator (issue 6, item 2). With --json, one JSON object with
 * the series it measured; otherwise a table. The seed goes to stderr first as `seed=<S>`. Built so
 * far: `load-balance`; the others the issue names are not yet (docs/PROXIMITY.md).
 */
import { LOAD_BALANCE_DEFAULTS, runLoadBalance, type LoadBalanceResult } from '../../sim/experiments/survey/load-balance.ts';
import { parseCommandLine, parseInteger, UsageError } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { drawSeed } from '../sim-lookup/command.ts';

const EXPERIMENTS = ['load-balance'] as const;
const NODES_MIN = 10;
const NODES_MAX = 1_000_000;
const POINTS_MAX = 12;

const OPTIONS = {
  seed: { type: 'string' },
  nodes: { type: 'string' },
  'keys-per-node': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export function runSimExperiment(args: readonly string[], io: CliIo, seedSource: () => number = drawSeed): void {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const [name, ...rest] = positionals;
  if (name === undefined) throw new UsageError(`which experiment? one of: ${EXPERIMENTS.join(', ')}`);
  if (rest.length > 0) throw new UsageError(`one experiment at a time, got also: ${rest.join(' ')}`);
  if (!(EXPERIMENTS as readonly string[]).includes(name)) throw new UsageError(`no experiment '${name}' (built: ${EXPERIMENTS.join(', ')})`);
  const seed = values.seed === undefined ? seedSource() : parseInteger('--seed', values.seed, 0, Number.MAX_SAFE_INTEGER);
  const nodes = values.nodes === undefined ? LOAD_BALANCE_DEFAULTS.nodes : parseNodeList(values.nodes);
  const keysPerNode = values['keys-per-node'] === undefined ? LOAD_BALANCE_DEFAULTS.keysPerNode : parseInteger('--keys-per-node', values['keys-per-node'], 1, 1000);
  io.err(`seed=${seed}\n`);
  const result = runLoadBalance({ seed, nodes, keysPerNode });
  io.out(values.json === true ? `${JSON.stringify(result)}\n` : formatLoadBalance(result));
}

function parseNodeList(text: string): number[] {
  const parts = text.split(',');
  if (parts.length > POINTS_MAX) throw new UsageError(`--nodes: at most ${POINTS_MAX} sizes, got ${parts.length}`);
  return parts.map((part) => parseInteger('--nodes', part.trim(), NODES_MIN, NODES_MAX));
}

function formatLoadBalance(result: LoadBalanceResult): string {
  const lines = [`load-balance (seed ${result.seed}, ${result.keysPerNode} keys per node): ${result.claim}`, ''];
  lines.push('nodes      ln n   max/mean (1 id)   p99/mean   ids/node   max/mean (virtual)   p99/mean');
  const [plain, virtual] = result.series;
  plain.points.forEach((point, index) => {
    const other = virtual.points[index];
    lines.push(`${String(point.nodes).padEnd(10)} ${point.lnN.toFixed(2).padStart(5)}   ${point.maxOverMean.toFixed(2).padStart(15)}   ${point.p99OverMean.toFixed(2).padStart(8)}   ${String(other.virtualPerNode).padStart(8)}   ${other.maxOverMean.toFixed(2).padStart(18)}   ${other.p99OverMean.toFixed(2).padStart(8)}`);
  });
  return `${lines.join('\n')}\n`;
}

export function simExperimentUsage(): string {
  return `Usage: peergrid sim experiment <name> [options]

Measures one of the survey's claims in the simulator. Built so far:
  load-balance   keys per node by XOR placement with random identifiers, with and without
                 log2 n virtual identifiers per node (survey §4.6: max ≈ log n × mean)

Options:
  --seed S              the run's seed (default: drawn, printed to stderr)
  --nodes N,N,…         the network sizes (default ${LOAD_BALANCE_DEFAULTS.nodes.join(',')}; from ${NODES_MIN} to ${NODES_MAX})
  --keys-per-node K     keys placed per node (default ${LOAD_BALANCE_DEFAULTS.keysPerNode})
  --json                one JSON object with the series measured
`;
}

export const simExperimentCommand: CliCommand = {
  path: ['sim', 'experiment'],
  summary: "one of the survey's claims measured in the simulator (built: load-balance)",
  usage: simExperimentUsage,
  run: (args, io) => runSimExperiment(args, io),
};
