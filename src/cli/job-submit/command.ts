/**
 * `peergrid job submit <job.json>`: checks job.json here (every problem at once), stores its program
 * and input files on the grid (stage-files.ts), and submits the job to a node, which hands it to the
 * node closest to the job's key; prints the job's id. With --wait, follows the job until it ends.
 */
import { readFile } from 'node:fs/promises';
import { parseJobSpec } from '../../services/compute/jobs/job-spec.ts';
import { parseCommandLine, parseDuration, UsageError } from '../args.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { followJob } from '../job-status/follow-job.ts';
import { stageJobFiles } from './stage-files.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
} as const;

export async function runJobSubmit(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const [path] = expectPositionals(positionals, ['job.json']);
  const timeoutMs = values.timeout === undefined ? null : parseDuration('--timeout', values.timeout, 's', { min: 1 });
  // A job file that is missing, a directory or not a valid job is the user's to fix: bad usage.
  const text = await readFile(path, 'utf8').catch((error: Error) => {
    throw new UsageError(`cannot read ${path}: ${error.message}`);
  });
  const parsed = parseJobSpec(text);
  if (!parsed.ok) throw new UsageError(`${path} is not a valid job:\n${parsed.problems.map((problem) => `  ${problem}`).join('\n')}`);
  const job = JSON.parse(text) as Record<string, unknown>;
  const api = await connectApi(client, io.env);
  const staged = await stageJobFiles(api, client.baseUrl, path, job, `job:${parsed.spec.name}`.slice(0, 200));
  const submitted = await callApi(client.baseUrl, () => api.jobSubmit({ job: staged }));
  if (values.wait !== true) {
    io.out(client.json ? jsonLine({ jobId: submitted.jobId }) : `${submitted.jobId}\n`);
    return;
  }
  if (!client.json) io.err(`job ${submitted.jobId} submitted; coordinated by ${submitted.coordinator}\n`);
  const status = await followJob(api, client.baseUrl, submitted.jobId, io, client.json, timeoutMs);
  io.out(client.json ? jsonLine({ jobId: submitted.jobId, state: status.state, units: status.units }) : `${submitted.jobId} ${status.state}: ${status.units.done} of ${status.units.total} units done, ${status.units.failed} failed\n`);
  if (status.state !== 'done') throw new CommandFailedError(`the job ended ${status.state}`);
}

export function jobSubmitUsage(): string {
  return `Usage: peergrid job submit <job.json> [options]

Submits a job to the grid (docs/COMPUTE.md, "job.json"): the program and input files it names
(relative to job.json) are stored on the grid first, unencrypted, and the job goes to the node
closest to its key, which coordinates it while volunteers run its units. Prints the job's id.

Options:
  --wait                  follow the job until it ends (a progress bar on a terminal)
  --timeout DURATION      with --wait, give up waiting after this long (the job goes on)
${API_CLIENT_USAGE}
`;
}

export const jobSubmitCommand: CliCommand = {
  path: ['job', 'submit'],
  usage: jobSubmitUsage,
  run: runJobSubmit,
};
