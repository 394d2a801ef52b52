/** `peergrid job cancel <id>`: stops a job submitted from this node; units running finish, no more are handed out. */
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

export async function runJobCancel(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, API_CLIENT_OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const [jobId] = expectPositionals(positionals, ['job id']);
  const api = await connectApi(client, io.env);
  const answer = await callApi(client.baseUrl, () => api.jobCancel({ jobId }));
  io.out(client.json ? jsonLine(answer) : `cancelled ${answer.jobId}\n`);
}

export function jobCancelUsage(): string {
  return `Usage: peergrid job cancel <job id> [options]

Cancels a job: its coordinator hands out no more units and keeps the results it has. Only the
node that submitted the job may cancel it.

Options:
${API_CLIENT_USAGE}
`;
}

export const jobCancelCommand: CliCommand = {
  path: ['job', 'cancel'],
  usage: jobCancelUsage,
  run: runJobCancel,
};
