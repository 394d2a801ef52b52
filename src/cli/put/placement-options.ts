/**
 * `--replicas R` and `--erasure K+M`: how content is to be kept on other nodes. Placement is not
 * built yet, so after checking them `peergrid put` refuses to run with them (exit 2) rather than
 * accept a durability it would not give: content put without them lives on this node only.
 */
import { RedundancyBounds } from '../../services/storage/durability/redundancy.ts';
import { parseInteger, UsageError } from '../args.ts';

export const PLACEMENT_NOT_BUILT = 'placement on other nodes is not implemented yet, so --replicas and --erasure cannot be honoured; '
  + 'without them, peergrid put stores the content on this node only';

export function checkPlacementOptions(values: { replicas?: string; erasure?: string }): void {
  if (values.replicas !== undefined && values.erasure !== undefined) throw new UsageError('--replicas and --erasure exclude each other: choose one');
  if (values.replicas !== undefined) parseInteger('--replicas', values.replicas, 1, RedundancyBounds.copiesMax);
  if (values.erasure !== undefined) {
    const match = /^(\d{1,3})\+(\d{1,3})$/.exec(values.erasure);
    const k = Number(match?.[1]);
    const m = Number(match?.[2]);
    if (match === null || k < 1 || m < 1 || k + m > RedundancyBounds.fragmentsMax) {
      throw new UsageError(`--erasure must be K+M (data and parity fragments, each at least 1, K+M at most ${RedundancyBounds.fragmentsMax}), such as 4+2; got '${values.erasure}'`);
    }
  }
  if (values.replicas !== undefined || values.erasure !== undefined) throw new UsageError(PLACEMENT_NOT_BUILT);
}
