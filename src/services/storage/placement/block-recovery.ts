/**
 * Rebuilding a block from fragment records that other peers sent (issue 4, erasure mode), when any
 * of those peers may be hostile.
 *
 * A record vouches for itself only through its digest list, and a liar can forge a whole list. So:
 * 1. A record that names another block, or whose payload does not match its own digest, is bad.
 * 2. The rest are grouped by everything they claim about the block (length, K, M, digest list):
 *    records of one honest encoding agree on all of it, and a forged list forms a group of its own.
 *    Two honest writers that chose different K and M also form two groups; either can rebuild.
 * 3. Groups with at least K distinct indexes are tried, the best supplied first. A decoded block is
 *    accepted only if its SHA-256 is the digest in the block's CID — the one check a forger cannot
 *    pass. A group that decodes to anything else had a forged digest list: all its records are bad.
 * The caller gets the block, or the reason it could not be rebuilt, and in both cases the positions
 * of the bad records, so it can penalise whoever sent them. Records in groups never tried are not
 * judged: nothing shows they are wrong.
 *
 * Work is linear in the bytes given (each payload is hashed once; each group decoded at most once,
 * and a group needs K payloads of its own), and at most RECOVERY_RECORDS_MAX records are looked at.
 */
import { matchesCid, SHA2_256_BYTES, type CID, type Sha256 } from '../dag/cids.ts';
import { createErasureCodec, type ErasureCodec } from '../erasure/erasure-codec.ts';
import { checkFragmentPayload, fragmentBytesOf, FragmentRecordLimits, type FragmentRecord } from './fragment-record.ts';

/** Records looked at per recovery: four full sets of the largest code; the rest are ignored. */
export const RECOVERY_RECORDS_MAX = 4 * FragmentRecordLimits.fragmentsMax;

export interface BadRecord {
  /** The record's position in the array given. */
  readonly position: number;
  readonly reason: string;
}

export type RecoveryResult =
  | { readonly ok: true; readonly bytes: Uint8Array; readonly badRecords: readonly BadRecord[] }
  | { readonly ok: false; readonly error: string; readonly badRecords: readonly BadRecord[] };

export interface RecoveryOptions {
  /** A codec for K and M (for instance from a cache the caller keeps); by default one is created per scheme seen. */
  readonly codecFor?: (dataFragments: number, parityFragments: number) => ErasureCodec;
}

/** Records that agree on everything they claim about the block. */
interface ClaimGroup {
  readonly dataFragments: number;
  readonly parityFragments: number;
  readonly blockLengthBytes: number;
  /** By fragment index: the first valid payload seen for it. */
  readonly payloads: (Uint8Array | null)[];
  distinct: number;
  readonly positions: number[];
}

const HEX_DIGITS = '0123456789abcdef';

function hexOf(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX_DIGITS[bytes[i] >> 4] + HEX_DIGITS[bytes[i] & 15];
  return out;
}

/** A key equal for two records exactly when they claim the same length, K, M and digest list. */
function claimKeyOf(record: FragmentRecord, sha256: Sha256): string {
  const digests = new Uint8Array(record.fragmentDigests.length * SHA2_256_BYTES);
  record.fragmentDigests.forEach((digest, i) => digests.set(digest, i * SHA2_256_BYTES));
  return `${record.blockLengthBytes}/${record.dataFragments}+${record.parityFragments}/${hexOf(sha256(digests))}`;
}

/** What is wrong with a record's shape, for records not made by decodeFragmentRecord; null if nothing. */
function shapeProblem(record: FragmentRecord): string | null {
  const { dataFragments, parityFragments, fragmentIndex, blockLengthBytes } = record;
  const total = dataFragments + parityFragments;
  if (!Number.isInteger(dataFragments) || dataFragments < 1 || !Number.isInteger(parityFragments) || parityFragments < 0 || total > FragmentRecordLimits.fragmentsMax) return 'impossible K and M';
  if (!Number.isInteger(fragmentIndex) || fragmentIndex < 0 || fragmentIndex >= total) return 'fragment index out of range';
  if (!Number.isInteger(blockLengthBytes) || blockLengthBytes < 0 || blockLengthBytes > FragmentRecordLimits.blockBytesMax) return 'impossible block length';
  if (!Array.isArray(record.fragmentDigests) || record.fragmentDigests.length !== total) return 'digest list of the wrong length';
  if (record.fragmentDigests.some((digest) => !(digest instanceof Uint8Array) || digest.length !== SHA2_256_BYTES)) return 'digest of the wrong size';
  if (!(record.payload instanceof Uint8Array) || record.payload.length !== fragmentBytesOf(blockLengthBytes, dataFragments)) return 'payload of the wrong size';
  return null;
}

function byPosition(badRecords: BadRecord[]): BadRecord[] {
  return badRecords.sort((a, b) => a.position - b.position);
}

export function recoverBlock(blockCid: CID, records: readonly FragmentRecord[], sha256: Sha256, options: RecoveryOptions = {}): RecoveryResult {
  const badRecords: BadRecord[] = [];
  const groups = new Map<string, ClaimGroup>();
  const count = Math.min(records.length, RECOVERY_RECORDS_MAX);
  for (let position = 0; position < count; position++) {
    const record = records[position];
    const problem = shapeProblem(record);
    if (problem !== null) {
      badRecords.push({ position, reason: problem });
      continue;
    }
    if (!record.blockCid.equals(blockCid)) {
      badRecords.push({ position, reason: `names another block (${record.blockCid.toString()})` });
      continue;
    }
    if (!checkFragmentPayload(record, sha256)) {
      badRecords.push({ position, reason: `fragment ${record.fragmentIndex} does not match its digest` });
      continue;
    }
    const key = claimKeyOf(record, sha256);
    let group = groups.get(key);
    if (group === undefined) {
      const { dataFragments, parityFragments, blockLengthBytes } = record;
      group = { dataFragments, parityFragments, blockLengthBytes, payloads: new Array(dataFragments + parityFragments).fill(null), distinct: 0, positions: [] };
      groups.set(key, group);
    }
    group.positions.push(position);
    if (group.payloads[record.fragmentIndex] === null) {
      group.payloads[record.fragmentIndex] = record.payload;
      group.distinct++;
    }
  }

  // The best-supplied groups first; sort is stable, so ties go in the order the records came.
  const ordered = [...groups.values()].sort((a, b) => (b.distinct - b.dataFragments) - (a.distinct - a.dataFragments));
  const codecs = new Map<string, ErasureCodec>();
  const codecFor = (k: number, m: number): ErasureCodec => {
    if (options.codecFor !== undefined) return options.codecFor(k, m);
    let codec = codecs.get(`${k}+${m}`);
    if (codec === undefined) {
      codec = createErasureCodec({ dataShards: k, parityShards: m });
      codecs.set(`${k}+${m}`, codec);
    }
    return codec;
  };
  let bestShort = Infinity;
  for (const group of ordered) {
    if (group.distinct < group.dataFragments) {
      bestShort = Math.min(bestShort, group.dataFragments - group.distinct);
      continue;
    }
    const decoded = codecFor(group.dataFragments, group.parityFragments).decode(group.payloads, group.blockLengthBytes);
    if (decoded.ok && matchesCid(blockCid, decoded.data, sha256)) return { ok: true, bytes: decoded.data, badRecords: byPosition(badRecords) };
    for (const position of group.positions) badRecords.push({ position, reason: 'its digest list does not rebuild the block (forged)' });
  }
  const ignored = records.length > count ? ` (${records.length - count} records beyond ${RECOVERY_RECORDS_MAX} ignored)` : '';
  const error = groups.size === 0
    ? `no valid fragment of ${blockCid.toString()} among ${count} records${ignored}`
    : bestShort === Infinity
      ? `no consistent set of fragments rebuilds ${blockCid.toString()}${ignored}`
      : `too few fragments to rebuild ${blockCid.toString()}: the best set lacks ${bestShort} more distinct valid fragments${ignored}`;
  return { ok: false, error, badRecords: byPosition(badRecords) };
}
