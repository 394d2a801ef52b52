/**
 * `peergrid job results <id> -o DIR`: writes each unit's accepted output to DIR/unit-NNNNNN.out and
 * DIR/results.json, the list of units with their arguments, state, output file, hash and fuel. An
 * output over 1 MiB was stored on the grid by its worker: it is fetched by its CID.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCommandLine, UsageError } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

const OPTIONS = { ...API_CLIENT_OPTIONS, output: { type: 'string', short: 'o' } } as const;

export function unitFileName(unit: number): string {
  return `unit-${String(unit).padStart(6, '0')}.out`;
}

export async function runJobResults(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const [jobId] = expectPositionals(positionals, ['job id']);
  if (values.output === undefined) throw new UsageError('missing -o DIR: where to write the outputs');
  if (values.output === '') throw new UsageError('-o/--output must not be empty');
  const directory = values.output;
  // A DIR that is a file, or under one, is the user's to fix: bad usage, before any request.
  await mkdir(directory, { recursive: true }).catch((error: NodeJS.ErrnoException) => {
    const message = `cannot make ${directory}: ${error.message}`;
    throw error.code === 'EEXIST' || error.code === 'ENOTDIR' || error.code === 'EACCES' ? new UsageError(message) : new CommandFailedError(message);
  });
  const api = await connectApi(client, io.env);
  const units: Record<string, unknown>[] = [];
  let written = 0;
  let from: number | null = 0;
  while (from !== null) {
    const start: number = from;
    const page = await callApi(client.baseUrl, () => api.jobResults({ jobId }, { from: start, limit: 256 }));
    for (const entry of page.entries) {
      let output: string | null = null;
      if (entry.outputBase64 !== null) {
        output = unitFileName(entry.unit);
        await writeFile(join(directory, output), Buffer.from(entry.outputBase64, 'base64'));
        written++;
      } else if (entry.outputCid !== null) {
        // An output too big for a report was stored on the grid: fetched by its CID (which checks it).
        output = unitFileName(entry.unit);
        const cid = entry.outputCid;
        const answer = await callApi(client.baseUrl, () => api.getContent({ ref: cid }));
        await callApi(client.baseUrl, () => writeFile(join(directory, output as string), answer.body));
        written++;
      }
      units.push({ unit: entry.unit, args: entry.args, state: entry.state, output, outputHash: entry.outputHash, ...(entry.outputCid === null ? {} : { outputCid: entry.outputCid }), fuel: entry.fuel === null ? null : String(entry.fuel) });
    }
    if (page.nextUnit !== null && page.nextUnit <= start) throw new CommandFailedError(`the coordinator's results did not move on from unit ${start}`);
    from = page.nextUnit;
  }
  await writeFile(join(directory, 'results.json'), `${JSON.stringify({ jobId, units }, null, 1)}\n`);
  const failed = units.filter((unit) => unit.state === 'failed').length;
  const open = units.filter((unit) => unit.state === 'open').length;
  io.out(client.json ? jsonLine({ jobId, directory, units: units.length, written, failed, open })
    : `${written} output${written === 1 ? '' : 's'} of ${units.length} unit${units.length === 1 ? '' : 's'} written to ${directory}`
      + `${failed > 0 ? `; ${failed} failed` : ''}${open > 0 ? `; ${open} not done yet` : ''}\n`);
}

export function jobResultsUsage(): string {
  return `Usage: peergrid job results <job id> -o DIR [options]

Writes the job's accepted outputs, one file per unit (DIR/unit-000000.out, …), and DIR/results.json:
{ jobId, units: [{ unit, args, state, output, outputHash, fuel }] } — output is the file's name, or
null for a unit not done (failed, or still open).

Options:
  -o, --output DIR        where to write (made if missing)
${API_CLIENT_USAGE}
`;
}

export const jobResultsCommand: CliCommand = {
  path: ['job', 'results'],
  usage: jobResultsUsage,
  run: runJobResults,
};
