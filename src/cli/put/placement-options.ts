/**
 * `--replicas R`, `--erasure K+M` and `--local`: how content is to be kept on the grid. Without
 * them the node's configured scheme applies (config.json `storage.redundancy`, replicate:3 by
 * default); `--local` keeps the content on the node only.
 */
import { RedundancyBounds } from '../../services/storage/durability/redundancy.ts';
import { parseInteger, UsageError } from '../args.ts';

/** The scheme as the API takes it (`replicate:R`, `erasure:K+M`), null for the node's own, or 'local'. */
export type PlacementChoice = { readonly kind: 'grid'; readonly redundancy: string | null } | { readonly kind: 'local' };

export function checkPlacementOptions(values: { replicas?: string; erasure?: string; local?: boolean }): PlacementChoice {
  const chosen = [values.replicas !== undefined, values.erasure !== undefined, values.local === true].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('--replicas, --erasure and --local exclude each other: choose one');
  if (values.local === true) return { kind: 'local' };
  if (values.replicas !== undefined) {
    return { kind: 'grid', redundancy: `replicate:${parseInteger('--replicas', values.replicas, 1, RedundancyBounds.copiesMax)}` };
  }
  if (values.erasure !== undefined) {
    const match = /^(\d{1,3})\+(\d{1,3})$/.exec(values.erasure);
    const k = Number(match?.[1]);
    const m = Number(match?.[2]);
    if (match === null || k < 1 || m < 1 || k + m > RedundancyBounds.fragmentsMax) {
      throw new UsageError(`--erasure must be K+M (data and parity fragments, each at least 1, K+M at most ${RedundancyBounds.fragmentsMax}), such as 4+2; got '${values.erasure}'`);
    }
    return { kind: 'grid', redundancy: `erasure:${k}+${m}` };
  }
  return { kind: 'grid', redundancy: null };
}
