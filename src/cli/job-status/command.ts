/** `peergrid job status <id>`: a job's state and units, from its coordinator; --watch follows it until it ends. */
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { followJob, type JobStatus } from './follow-job.ts';

const OPTIONS = { ...API_CLIENT_OPTIONS, watch: { type: 'boolean' } } as const;

export async function runJobStatus(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const [jobId] = expectPositionals(positionals, ['job id']);
  const api = await connectApi(client, io.env);
  const status = values.watch === true
    ? await followJob(api, client.baseUrl, jobId, io, client.json, null)
    : await callApi(client.baseUrl, () => api.jobStatus({ jobId }));
  io.out(client.json ? jsonLine(status) : formatStatus(status));
}

function formatStatus(status: JobStatus): string {
  const { total, done, failed, running } = status.units;
  let out = `job          ${status.jobId}\nname         ${status.name}\nstate        ${status.state}\n`;
  out += `units        ${done} done, ${failed} failed, ${running} running, ${total - done - failed} to go, of ${total}\n`;
  out += `submitted    ${new Date(status.submittedAtUnixMs).toISOString()} by ${status.submitter}\n`;
  out += status.fromCopy ? `answered by  ${status.coordinator}, keeping a copy: the coordinator did not answer; this is the state at the copy's last sync\n` : `coordinator  ${status.coordinator}\n`;
  if (status.unitStates !== null) out += `per unit     ${status.unitStates}  (d done, f failed, o open)\n`;
  return out;
}

export function jobStatusUsage(): string {
  return `Usage: peergrid job status <job id> [options]

Asks the job's coordinator (the node closest to the job's key) for its state: running, done,
cancelled or expired; its units done, failed and running; and, for jobs of up to 4,096 units,
each unit's state. --json prints { jobId, state, units: { total, done, failed, running }, … }.

Options:
  --watch                 follow the job until it ends (a progress bar on a terminal)
${API_CLIENT_USAGE}
`;
}

export const jobStatusCommand: CliCommand = {
  path: ['job', 'status'],
  usage: jobStatusUsage,
  run: runJobStatus,
};
