/**
 * `npm run bench -- <name> [options]`: runs one benchmark and prints one JSON object on stdout
 * (progress on stderr). Benchmarks measure; they never assert on timings. Each compares its figure
 * with a baseline measured in the same run, as a ratio, and docs/BENCHMARKS.md records the
 * command with the figures it printed. The output ends with the machine it ran on (host.ts).
 */
import { benchmarks } from './benchmarks.ts';
import { hostInfo } from './host.ts';

const [name, ...rest] = process.argv.slice(2);
const benchmark = name === undefined ? undefined : benchmarks[name];
if (benchmark === undefined) {
  process.stderr.write(`usage: npm run bench -- <name> [options]\n\nbenchmarks:\n`);
  for (const [key, entry] of Object.entries(benchmarks)) process.stderr.write(`  ${key.padEnd(16)} ${entry.summary}\n`);
  process.exitCode = name === undefined || name === '--help' ? 0 : 2;
} else {
  const started = performance.now();
  const host = hostInfo();
  const result = await benchmark.run(rest, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify({ benchmark: name, args: rest, ...result, benchWallMs: Math.round(performance.now() - started), host }, null, 2)}\n`);
}
