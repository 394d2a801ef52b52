/**
 * Placing content on the grid from the command line (`put`, and `check --repair`): the node's
 * placement stream drawn as a progress line, and its report in words; and reading such a stream.
 */
import type { ApiClient } from '../../api/client.ts';
import { readProgressStream } from '../../api/progress-stream.ts';
import type { placementSchema } from '../../api/routes.ts';
import type { Infer } from '../../api/schema.ts';
import { formatBound } from '../args.ts';
import { CommandFailedError } from '../command.ts';
import { callApi } from '../api-client/call.ts';
import { formatBytes, type Progress } from './progress.ts';

/** The placement report: the `done` line of POST /api/v1/placements. */
export type Placed = Infer<typeof placementSchema>;

/**
 * Asks the node to place the content, drawing its progress (content bytes placed, nodes so far),
 * passing over the peers in `avoid` (peer ids an audit found out).
 */
export async function placeOnGrid(
  api: ApiClient, baseUrl: string, ref: string, redundancy: string | null, progress: Progress, avoid: readonly string[] = [],
): Promise<Placed> {
  const query = { ...(redundancy === null ? {} : { redundancy }), ...(avoid.length === 0 ? {} : { avoid: avoid.join(',') }) };
  const answer = await callApi(baseUrl, () => api.placeContent({ ref }, query));
  let bytesShown = 0;
  return followNodeStream<Placed>(answer.body, progress, `place ${ref}`, (figures) => {
    progress.total(figures.bytes);
    progress.add(figures.bytesPlaced - bytesShown);
    bytesShown = figures.bytesPlaced;
    progress.detail(`${figures.nodes} node${figures.nodes === 1 ? '' : 's'}, ${formatBytes(figures.bytesSent)} sent`);
  });
}

/**
 * Reads a node's NDJSON progress stream (a placement, a check) to its `done` record, handing each
 * progress line's figures to `onFigures`; the progress line is cleared at the end, and a failure
 * becomes "the node could not <doing>: <why>".
 */
export async function followNodeStream<T>(
  body: AsyncIterable<Uint8Array>, progress: Progress, doing: string, onFigures: (figures: Record<string, number>) => void,
): Promise<T> {
  try {
    return await readProgressStream(body, onFigures) as unknown as T;
  } catch (error) {
    throw new CommandFailedError(`the node could not ${doing}: ${(error as Error).message}`);
  } finally {
    progress.done();
  }
}

export function formatPlacement(placed: Placed): string {
  let out = `placed ${placed.redundancy}: ${formatBound(placed.piecesStored)} of ${formatBound(placed.piecesWanted)} pieces of ${formatBound(placed.blocks)} block${placed.blocks === 1 ? '' : 's'} `
    + `on ${formatBound(placed.nodes)} node${placed.nodes === 1 ? '' : 's'}`;
  if (placed.piecesExisting > 0) out += ` (${formatBound(placed.piecesExisting)} already there)`;
  if (placed.refusals + placed.failures > 0) out += ` (${formatBound(placed.refusals)} refused, ${formatBound(placed.failures)} failed, passed on to the next closest)`;
  out += '\n';
  if (placed.blocksShort > 0) out += `warning: ${formatBound(placed.blocksShort)} block(s) have fewer pieces than the scheme wants: too few nodes accepted them\n`;
  return out;
}
