/**
 * What a reported output is compared by (issue 5): sha2-256 hex of an output carried inline, and
 * `cid:<cid>` for one its worker stored on the grid (compute-messages.ts, UnitReport.outputCid) —
 * in the quorum, the claim a worker signs (receipts.ts) and the receipts alike.
 */
import type { UnitReport } from './compute-messages.ts';

const STORED_OUTPUT_PREFIX = 'cid:';

/** The result's output key; null for a result without an output. */
export function reportedOutputKey(result: UnitReport, hashHex: (bytes: Uint8Array) => string): string | null {
  if (result.output !== null) return hashHex(result.output);
  return result.outputCid === undefined ? null : `${STORED_OUTPUT_PREFIX}${result.outputCid}`;
}

/** The output key of a result that ended well (status ok), else null: what a coordinator judges. */
export function okOutputKey(result: UnitReport, hashHex: (bytes: Uint8Array) => string): string | null {
  return result.status === 'ok' ? reportedOutputKey(result, hashHex) : null;
}

/** The CID in the key of an output stored on the grid; null for an inline output's hash. */
export function storedOutputCid(outputKey: string | null): string | null {
  return outputKey !== null && outputKey.startsWith(STORED_OUTPUT_PREFIX) ? outputKey.slice(STORED_OUTPUT_PREFIX.length) : null;
}
