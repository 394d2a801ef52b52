/** What `peergrid devnet` prints once its nodes are up: who runs where, and what to try. */
import { DEFAULT_API_URL } from '../../api/api-address.ts';
import { formatColumns } from '../api-client/format.ts';
import type { DevnetEntry } from './devnet-file.ts';

const ALIGNED_COMMAND_MAX = 72;

export interface DevnetSummary {
  readonly dir: string;
  readonly temporary: boolean;
  readonly devnetFile: string;
  readonly entries: readonly DevnetEntry[];
}

export function formatInstructions(summary: DevnetSummary): string {
  const { entries } = summary;
  const count = entries.length;
  /** The --api option that reaches node i; none for the default address. */
  const apiOption = (index: number): string => (entries[index].api === DEFAULT_API_URL ? '' : ` --api ${entries[index].api}`);
  const last = count - 1;
  const other = Math.min(1, last);
  const rows = entries.map((entry, index) => [String(index), entry.id.slice(0, 16), String(entry.pid), entry.api, index === 0 ? 'bootstrap' : '']);
  const examples: [string, string][] = [
    [`npx peergrid status${apiOption(0)}`, 'node 0: id, state, addresses'],
    [`npx peergrid peers${apiOption(other)}`, `node ${other}'s routing table`],
    [`npx peergrid lookup ${entries[last].id}${apiOption(0)}`, `node 0 looks up node ${last}`],
    [`npx peergrid dht put greeting hello${apiOption(other)}`, `node ${other} stores a value`],
    [`npx peergrid dht get greeting${apiOption(last)}`, `node ${last} finds it`],
    [`npx peergrid put README.md --no-encrypt --meta title="The readme" --index-text${apiOption(other)}`, `node ${other} stores and publishes it`],
    [`npx peergrid search readme${apiOption(last)}`, `node ${last} finds it by its words`],
    [`npx peergrid cat <the cid put printed>${apiOption(last)}`, `node ${last} fetches it from the grid`],
    [`npx peergrid check <the cid>${apiOption(other)}`, 'its copies on the grid, block by block'],
    [`curl ${entries[0].api}/api/v1/status`, 'the JSON API itself'],
  ];
  // Comments line up, except after a command too long to pad to (the lookup, with its 64-digit id).
  const exampleWidth = Math.max(...examples.map(([command]) => command.length).filter((length) => length <= ALIGNED_COMMAND_MAX)) + 3;
  return `peergrid devnet: ${count} node${count === 1 ? '' : 's'} on 127.0.0.1, node 0 is the bootstrap
data and logs: ${summary.dir}${summary.temporary ? ' (removed when the devnet stops; pass --dir to keep them)' : ''}

${indent(formatColumns([['#', 'ID', 'PID', 'API', ''], ...rows]))}
Ids, pids, API URLs and multiaddrs of every node: ${summary.devnetFile}
Open ${entries[0].api}/ in a browser for a node's status page.

Try, in another terminal:
${examples.map(([command, what]) => `  ${command.length > ALIGNED_COMMAND_MAX ? `${command}   ` : command.padEnd(exampleWidth)}# ${what}`).join('\n')}

Ctrl-C stops every node.
`;
}

function indent(text: string): string {
  return text.split('\n').map((line) => (line === '' ? line : `  ${line}`)).join('\n');
}
