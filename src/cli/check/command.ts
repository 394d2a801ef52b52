/**
 * `peergrid check <cid|capability>`: how well content is kept on the grid — for every block, the
 * pieces its closest nodes keep under the scheme (POST /api/v1/checks; Tahoe-LAFS's `check` is the
 * model). With --repair, what is short is placed again (POST /api/v1/placements, which sends only
 * the missing pieces) and the content checked once more.
 */
import type { ApiClient } from '../../api/client.ts';
import type { checkSchema } from '../../api/routes.ts';
import type { Infer } from '../../api/schema.ts';
import { formatBound, parseCommandLine, UsageError } from '../args.ts';
import { isContentPin } from '../../runtime/content/staging-pins.ts';
import { CommandFailedError, type CliCommand, type CliIo } from '../command.ts';
import { expectPositionals } from '../api-client/arguments.ts';
import { callApi } from '../api-client/call.ts';
import { jsonLine } from '../api-client/format.ts';
import { API_CLIENT_OPTIONS, API_CLIENT_USAGE, connectApi, parseApiClientOptions } from '../api-client/options.ts';
import { followNodeStream, formatPlacement, placeOnGrid, type Placed } from '../content/grid-placement.ts';
import { BLOCKS_UNIT, startProgress } from '../content/progress.ts';
import { checkPlacementOptions } from '../put/placement-options.ts';

const OPTIONS = {
  ...API_CLIENT_OPTIONS,
  replicas: { type: 'string' },
  erasure: { type: 'string' },
  repair: { type: 'boolean' },
  verify: { type: 'boolean' },
  pinned: { type: 'boolean' },
  renew: { type: 'boolean' },
} as const;

/** One content's census, its repair and the census after it (the last two null without --repair). */
interface CheckOutcome {
  readonly check: Checked;
  readonly repair: Placed | null;
  readonly afterRepair: Checked | null;
}

/** The `done` line of a check's stream. */
type Checked = Infer<typeof checkSchema>;

/** Lost blocks named in the text output (--json has up to twenty). */
const LOST_LISTED_MAX = 5;

export async function runCheck(args: readonly string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandLine(args, OPTIONS, { allowPositionals: true });
  const client = parseApiClientOptions(values, io.env);
  const pinned = values.pinned === true;
  if (pinned && positionals.length > 0) throw new UsageError('--pinned checks every content pinned on the node: give no <cid|capability> with it');
  const refs = pinned ? null : [expectPositionals(positionals, ['cid|capability'])[0]];
  // check takes no --local, so the choice is always a scheme (or the node's own, null).
  const placement = checkPlacementOptions(values);
  const redundancy = placement.kind === 'grid' ? placement.redundancy : null;
  const api = await connectApi(client, io.env);
  const verify = values.verify === true;
  const repairing = values.repair === true;
  const renew = values.renew === true;
  const checkOne = async (ref: string): Promise<CheckOutcome> => {
    const check = (): Promise<Checked> => checkOnGrid(api, client.baseUrl, ref, redundancy, { verify, renew }, io, client.json);
    const before = await check();
    if (!repairing || before.healthy === before.blocks) return { check: before, repair: null, afterRepair: null };
    // Holders an audit found out are passed over: their `have` would be believed again.
    const repair = await placeOnGrid(api, client.baseUrl, ref, redundancy, startProgress(io, client.json, `repair ${ref.slice(0, 16)}…`, null), before.failedHolders);
    return { check: before, repair, afterRepair: await check() };
  };
  let lost = 0;
  if (refs !== null) {
    const result = await checkOne(refs[0]);
    io.out(client.json ? jsonLine(result) : formatChecked(result));
    lost = (result.afterRepair ?? result.check).lost;
  } else {
    const pins = (await callApi(client.baseUrl, () => api.pinList())).pins;
    const roots = [...new Set(pins.filter((pin) => isContentPin(pin.name)).map((pin) => pin.cid))];
    const checked: (CheckOutcome & { readonly cid: string })[] = [];
    for (const cid of roots) {
      const result = await checkOne(cid);
      checked.push({ cid, ...result });
      if (!client.json) io.out(`${cid}\n${indentLines(formatChecked(result))}`);
      lost += (result.afterRepair ?? result.check).lost;
    }
    if (client.json) io.out(jsonLine({ checked, lost }));
    else if (roots.length === 0) io.out('nothing pinned on this node\n');
  }
  if (lost > 0) {
    throw new CommandFailedError(`${formatBound(lost)} block(s) cannot be read from the grid${repairing ? '' : ' (peergrid check --repair places them again, if this node has the content)'}`);
  }
}

function formatChecked(result: CheckOutcome): string {
  return formatCheck(result.check) + (result.repair === null ? '' : `repair: ${formatPlacement(result.repair)}after repair: ${formatCheck(result.afterRepair as Checked)}`);
}

function indentLines(text: string): string {
  return text.split('\n').map((line) => (line === '' ? line : `  ${line}`)).join('\n');
}

async function checkOnGrid(
  api: ApiClient, baseUrl: string, ref: string, redundancy: string | null, flags: { readonly verify: boolean; readonly renew: boolean }, io: CliIo, json: boolean,
): Promise<Checked> {
  const answer = await callApi(baseUrl, () => api.checkContent({ ref }, {
    ...(redundancy === null ? {} : { redundancy }), ...(flags.verify ? { verify: true } : {}), ...(flags.renew ? { renew: true } : {}),
  }));
  const progress = startProgress(io, json, `check ${ref.slice(0, 16)}…`, null, undefined, BLOCKS_UNIT);
  let shown = 0;
  return followNodeStream<Checked>(answer.body, progress, `check ${ref}`, (figures) => {
    progress.add(figures.blocksChecked - shown);
    shown = figures.blocksChecked;
    progress.detail(`${formatBound(figures.degraded)} degraded, ${formatBound(figures.lost)} lost`);
  });
}

export function formatCheck(report: Checked): string {
  const plural = (count: number, word: string): string => `${formatBound(count)} ${word}${count === 1 ? '' : 's'}`;
  let out = `${report.redundancy}: ${plural(report.blocks, 'block')}, pieces on ${plural(report.nodes, 'node')}\n`;
  out += `  healthy   ${formatBound(report.healthy)}\n`;
  out += `  degraded  ${formatBound(report.degraded)}  (fewer pieces than wanted, still readable)\n`;
  out += `  lost      ${formatBound(report.lost)}  (too few pieces to read)\n`;
  out += `pieces: ${formatBound(report.piecesFound)} of ${formatBound(report.piecesWanted)} found; the fewest any block has: ${formatBound(report.piecesMin)}\n`;
  if (report.verified) {
    out += `verified: ${plural(report.claimsAudited, 'piece')} checked (${formatBound(report.claimsChallenged)} by challenge, `
      + `${formatBound(report.claimsAudited - report.claimsChallenged)} downloaded), ${formatBound(report.claimsFailed)} not what their holder claimed`;
    out += report.failedHolders.length === 0 ? '\n' : ` (${report.failedHolders.join(', ')})\n`;
  }
  for (const cid of report.lostBlocks.slice(0, LOST_LISTED_MAX)) out += `  lost: ${cid}\n`;
  if (report.lost > LOST_LISTED_MAX) out += `  … (${formatBound(report.lost - LOST_LISTED_MAX)} more lost)\n`;
  if (report.blocksNotWalked > 0) {
    out += `warning: ${plural(report.blocksNotWalked, 'manifest')} went from this node during the check; what is under them was not checked: check again\n`;
  }
  return out;
}

export function checkUsage(): string {
  return `Usage: peergrid check <cid|capability> [options]
       peergrid check --pinned [options]

Asks a running node how well content is kept on the grid: for each block, the node looks its key
up and asks the closest nodes which pieces they keep — whole copies kept for the grid (caches do
not count), or distinct erasure fragments. A block is healthy with every piece the scheme wants,
degraded with fewer but enough to read it (one copy, or K fragments), lost with fewer still.
Nothing is stored. A holder's word is taken unless --verify, which makes every holder show it has
each piece it claims. Holders repair what goes missing by themselves after a grace period; --repair places
what is short now, sending only the missing pieces (the node must have the content).

Any node can check any content: what it does not have of the content's structure (the blocks
that list others, a few per thousand of the bytes) it fetches first; the chunks it never fetches.
The scheme is the one the content was put with: --replicas R or --erasure K+M, or the node's
configured scheme (storage.redundancy, replicate:3 unless changed).

Options:
  --replicas R            judge against R whole copies (1 to 16)
  --erasure K+M           judge against K data and M parity fragments
  --verify                count a holder's piece only once it has shown it holds it: by a storage
                          challenge when this node has the block (32 bytes each), else by
                          downloading it; a holder that answers wrongly is penalised
  --repair                place what is short, then check again (with --verify, passing over the
                          holders whose pieces did not hold up)
  --pinned                check every content pinned on the node (not the pieces it keeps for
                          others, cache copies or an unfinished put's staging pins), one after
                          another
  --renew                 every holder asked also renews its lease on its pieces (storage.leaseMs,
                          90 days unless changed): a node that pins content does this by itself
                          once a week; this is for content pinned elsewhere, or to renew at once
${API_CLIENT_USAGE}

Output: a count of healthy, degraded and lost blocks (with --pinned, under each pinned CID; with
--json {"checked":[{cid, check, repair, afterRepair}…], "lost"}); with --json {"check":{redundancy, blocks,
healthy, degraded, lost, piecesWanted, piecesFound, piecesMin, nodes, lostBlocks, blocksNotWalked,
verified, claimsAudited, claimsFailed, claimsChallenged, fragmentsCheckedAgainstBlock, failedHolders},
"repair":{…placement report}|null,"afterRepair":{…}|null}. A progress line is drawn on a terminal.
Exit status: 0 when every block can be read from the grid, 1 when a block is lost (after the
repair, with --repair) or the node cannot be reached or find the content's structure, 2 on bad usage.
`;
}

export const checkCommand: CliCommand = {
  path: ['check'],
  usage: checkUsage,
  run: runCheck,
};
