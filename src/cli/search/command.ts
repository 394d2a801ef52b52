/**
 * `peergrid search "<words>" [--field element:words …] [--limit N] [--stem] [--json]`: asks a
 * node to search the grid's index (docs/SEARCH.md) for documents holding every word, ranked by
 * BM25, and prints their CIDs with their Dublin Core metadata, ready for `peergrid get`.
 */
import { parseCommandLine, parseInteger, UsageError } from '../args.ts';
import type { CliCommand, CliIo } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import type { ResponseOf } from '../../api/routes.ts';
import { describeTerms } from '../../api/search-terms.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  field: { type: 'string', multiple: true },
  limit: { type: 'string' },
  stem: { type: 'boolean' },
} as const;

/** The most results a query returns (services/search/query.ts, QueryLimits.resultsMax). */
const LIMIT_MAX = 100;

export async function runSearch(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const fields = values.field ?? [];
  for (const filter of fields) {
    if (!/^[A-Za-z]+:/.test(filter)) throw new UsageError(`--field ${JSON.stringify(filter)}: expected element:words, such as creator:Crowcroft`);
  }
  const query = positionals.join(' ');
  if (query.trim() === '' && fields.length === 0) throw new UsageError('give words to search for (or --field element:words)');
  const limit = values.limit === undefined ? 10 : parseInteger('--limit', values.limit, 1, LIMIT_MAX);
  const api = await connectApi(client, io.env);
  const answer = await callApi(client.baseUrl, () => api.search({ query, fields, limit, stem: values.stem === true }));
  io.out(client.json ? jsonLine(answer) : formatResults(answer));
}

type SearchAnswer = ResponseOf<'search'>;

function formatResults(answer: SearchAnswer): string {
  const terms = describeTerms(answer.terms);
  let out = `${answer.matches} document${answer.matches === 1 ? ' holds' : 's hold'} every term: ${terms}\n`;
  answer.hits.forEach((hit, index) => {
    const metadata = (hit.metadata ?? {}) as Record<string, readonly string[]>;
    const title = metadata.title?.join(' / ') ?? '(no title)';
    out += `\n${index + 1}. ${title}  [score ${hit.score.toFixed(3)}]\n   ${hit.cid}\n`;
    for (const element of ['creator', 'subject', 'date', 'description']) {
      const list = metadata[element];
      if (list !== undefined) out += `   ${element}: ${list.join('; ').slice(0, 200)}\n`;
    }
  });
  out += `\n${answer.requests} request${answer.requests === 1 ? '' : 's'} to other nodes, ${answer.bytesSent + answer.bytesReceived} bytes, ${Math.round(answer.elapsedMs)} ms\n`;
  return out;
}

export function searchUsage(): string {
  return `Usage: peergrid search "<words>" [--field element:words …] [--limit N] [--stem] [options]

Finds documents published into the grid's search index (peergrid put --meta, peergrid publish)
that hold every word — in any Dublin Core element or, for text published with --index-text, in
their text — ranked by BM25. Words are folded (case and accents) and stopwords dropped.

Options:
  --field element:words   the words must be in that element (title, creator, subject, …, or
                          text); may repeat
  --limit N               results to show, 1 to ${LIMIT_MAX} (default 10)
  --stem                  match words by their stem (network finds networks, networking)
${API_CLIENT_USAGE}
`;
}

export const searchCommand: CliCommand = {
  path: ['search'],
  usage: searchUsage,
  run: runSearch,
};
