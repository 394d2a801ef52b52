/** `peergrid unpublish <cid>`: withdraws a document this node published from the search index. */
import { parseCommandLine } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';

export async function runUnpublish(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, API_CLIENT_OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const [cid] = expectPositionals(positionals, ['cid']);
  const api = await connectApi(client, io.env);
  const answer = await callApi(client.baseUrl, () => api.searchWithdraw({ cid }));
  io.out(client.json ? jsonLine(answer) : `withdrew ${answer.cid} from the search index (${answer.nodes} node${answer.nodes === 1 ? '' : 's'} told)\n`);
}

export function unpublishUsage(): string {
  return `Usage: peergrid unpublish <cid> [options]

Withdraws a document this node published from the grid's search index: the nodes holding its
postings drop them and keep a signed withdrawal, so no replica brings them back. The content itself
stays stored (peergrid pin rm and gc remove it).

Options:
${API_CLIENT_USAGE}
`;
}

export const unpublishCommand: CliCommand = {
  path: ['unpublish'],
  usage: unpublishUsage,
  run: runUnpublish,
};
