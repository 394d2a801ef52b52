/**
 * `peergrid publish <cid> --meta element=value … [--index-text]`: publishes content a node stores
 * into the grid's search index under its Dublin Core metadata (docs/SEARCH.md). `peergrid put
 * --meta` does the same as it stores.
 */
import { parseCommandLine, UsageError } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import type { ResponseOf } from '../../api/routes.ts';
import { META_OPTIONS, META_USAGE, parseMetaOptions } from './meta-options.ts';

const OPTIONS = { ...API_CLIENT_OPTIONS, ...META_OPTIONS } as const;

export async function runPublish(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const [cid] = expectPositionals(positionals, ['cid']);
  const meta = parseMetaOptions(values);
  if (meta === null) throw new UsageError('give the metadata to publish under: --meta element=value (or --index-text)');
  const api = await connectApi(client, io.env);
  const answer = await callApi(client.baseUrl, () => api.searchPublish({ cid, metadata: meta.metadata, indexText: meta.indexText }));
  io.out(client.json ? jsonLine(answer) : formatPublished(answer));
}

export function formatPublished(answer: ResponseOf<'searchPublish'>): string {
  const short = answer.listsShort === 0 ? '' : `; ${answer.listsShort} list${answer.listsShort === 1 ? '' : 's'} on fewer than ${answer.replicas} nodes`;
  return `published ${answer.cid} in ${answer.lists} posting lists on ${answer.nodes} node${answer.nodes === 1 ? '' : 's'} (${answer.replicas} replicas each${short})\n`;
}

export function publishUsage(): string {
  return `Usage: peergrid publish <cid> --meta element=value … [--index-text] [options]

Publishes plain content the node stores into the grid's search index: the words of its Dublin Core
metadata (and with --index-text the most frequent words of its text) go to the nodes closest to
each word, signed by this node, so that \`peergrid search\` finds it. Publishing again replaces the
metadata; \`peergrid unpublish\` withdraws it.

Options:
${META_USAGE}
${API_CLIENT_USAGE}
`;
}

export const publishCommand: CliCommand = {
  path: ['publish'],
  usage: publishUsage,
  run: runPublish,
};
