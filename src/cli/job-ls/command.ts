/** `peergrid job ls`: the jobs submitted from a node, newest first. */
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { formatColumns, jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

export async function runJobLs(args: readonly string[], io: CliIo): Promise<void> {
  const { values } = parseCommandLine(args, API_CLIENT_OPTIONS);
  const client = parseApiClientOptions(values, io.env);
  const api = await connectApi(client, io.env);
  const list = await callApi(client.baseUrl, () => api.jobList());
  if (client.json) {
    io.out(jsonLine(list));
    return;
  }
  if (list.jobs.length === 0) {
    io.out('no jobs submitted from this node\n');
    return;
  }
  io.out(formatColumns([['JOB', 'SUBMITTED', 'NAME'], ...list.jobs.map((job) => [job.jobId, new Date(job.submittedAtUnixMs).toISOString(), job.name])]));
}

export function jobLsUsage(): string {
  return `Usage: peergrid job ls [options]

Lists the jobs submitted from the node, newest first ('peergrid job status <id>' asks for one's state).

Options:
${API_CLIENT_USAGE}
`;
}

export const jobLsCommand: CliCommand = {
  path: ['job', 'ls'],
  usage: jobLsUsage,
  run: runJobLs,
};
