/**
 * The fragment record: how one erasure-coded fragment of a block travels and is stored (issue 4,
 * erasure mode). It describes itself, so that a holder, a repairer or a reader needs nothing else to
 * check it and to rebuild the block from any K records: which block it belongs to, the block's length
 * (the codec pads, so the decoder must be told it), K and M, its own index, and the SHA-256 digest of
 * every one of the K+M fragments. The digest list lets a reader check each fragment on its own before
 * decoding — a corrupt fragment would otherwise only show as a wrong block after an expensive
 * decode, with no way to tell which of the K was bad. (Tahoe-LAFS's share hash tree plays this part;
 * a flat list is enough at K+M ≤ 256.)
 *
 * Layout, version 1 (integers unsigned, big-endian):
 *
 *   version          u8    1
 *   CID length       u8    1 … 64
 *   CID              bytes a CIDv1 with a SHA-256 multihash, in its canonical binary form
 *   block length     u32   0 … 4 MiB
 *   data fragments   u16   K ≥ 1
 *   parity fragments u16   M ≥ 0, K + M ≤ 256
 *   fragment index   u16   < K + M
 *   digests          (K+M) × 32 bytes, SHA-256 of fragment 0, 1, …
 *   payload          the fragment: exactly ⌈block length / K⌉ bytes, to the end of the record
 *
 * Why ByteWriter/ByteReader (src/wire) rather than CBOR: the record is a fixed sequence of fields,
 * and the cursor checks each field's bounds as it is read, so hostile bytes are refused before any
 * allocation beyond the record itself, and every record has exactly one encoding (the wire codec's
 * rule). CBOR would decode into a generic tree first and then need the same checks on top.
 *
 * Decoding never throws: every problem comes back as `{ ok: false, error }`. Encoding refuses, with
 * a RangeError, to produce anything the decoder would refuse.
 */
import { ByteReader } from '../../../wire/byte-reader.ts';
import { ByteWriter } from '../../../wire/byte-writer.ts';
import { CID, matchesCid, SHA2_256, SHA2_256_BYTES, type Sha256 } from '../dag/cids.ts';
import type { Redundancy } from '../durability/redundancy.ts';
import { createErasureCodec, type ErasureCodec } from '../erasure/erasure-codec.ts';
import { TOTAL_SHARDS_MAX } from '../erasure/generator-matrix.ts';

export const FRAGMENT_RECORD_VERSION = 1;

export const FragmentRecordLimits = Object.freeze({
  /** 4 MiB: four times the largest block we write (dag/limits.ts), room for other writers' blocks. */
  blockBytesMax: 4 * 1024 * 1024,
  /** A fragment is at most a whole block (K = 1). */
  payloadBytesMax: 4 * 1024 * 1024,
  /** K + M: the Cauchy code has 256 rows over GF(256) (erasure/generator-matrix.ts). */
  fragmentsMax: TOTAL_SHARDS_MAX,
  /** A CIDv1 with a SHA-256 multihash takes 36–40 bytes; 64 leaves room for large codec codes. */
  cidBytesMax: 64,
});

const HEADER_FIXED_BYTES = 1 + 1 + 4 + 2 + 2 + 2;

/** The largest record the decoder accepts: the fixed fields, the largest CID, 256 digests and a 4 MiB payload. */
export const FRAGMENT_RECORD_BYTES_MAX = HEADER_FIXED_BYTES + FragmentRecordLimits.cidBytesMax
  + FragmentRecordLimits.fragmentsMax * SHA2_256_BYTES + FragmentRecordLimits.payloadBytesMax;

export interface FragmentRecord {
  readonly blockCid: CID;
  readonly blockLengthBytes: number;
  /** K: any K distinct fragments rebuild the block. */
  readonly dataFragments: number;
  /** M: how many fragments may be lost. */
  readonly parityFragments: number;
  /** This fragment's row of the code, 0 … K+M−1 (the first K are the block's own bytes). */
  readonly fragmentIndex: number;
  /** SHA-256 of each of the K+M fragments, by index. */
  readonly fragmentDigests: readonly Uint8Array[];
  readonly payload: Uint8Array;
}

export type FragmentRecordResult = { readonly ok: true; readonly record: FragmentRecord } | { readonly ok: false; readonly error: string };

export type ErasureRedundancy = Extract<Redundancy, { kind: 'erasure' }>;

/** ⌈blockLength / K⌉: the size of every fragment (erasure-codec.ts's layout). */
export function fragmentBytesOf(blockLengthBytes: number, dataFragments: number): number {
  return Math.ceil(blockLengthBytes / dataFragments);
}

function isStorageCid(cid: CID): boolean {
  return cid.version === 1 && cid.multihash.code === SHA2_256 && cid.multihash.size === SHA2_256_BYTES;
}

/** Whether two byte strings are equal (in time that depends on their length only). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** Whether the record's payload is the fragment its own digest list names at its index. */
export function checkFragmentPayload(record: FragmentRecord, sha256: Sha256): boolean {
  const expected = record.fragmentDigests[record.fragmentIndex];
  if (!(expected instanceof Uint8Array) || expected.length !== SHA2_256_BYTES) return false;
  return bytesEqual(sha256(record.payload), expected);
}

function checkCounts(caller: string, dataFragments: number, parityFragments: number): void {
  if (!Number.isInteger(dataFragments) || dataFragments < 1) throw new RangeError(`${caller}: K must be an integer >= 1, got ${dataFragments}`);
  if (!Number.isInteger(parityFragments) || parityFragments < 0) throw new RangeError(`${caller}: M must be an integer >= 0, got ${parityFragments}`);
  if (dataFragments + parityFragments > FragmentRecordLimits.fragmentsMax) {
    throw new RangeError(`${caller}: K + M must be at most ${FragmentRecordLimits.fragmentsMax}, got ${dataFragments + parityFragments}`);
  }
}

/** One record as bytes. Throws RangeError on a record the decoder would refuse (a bug in the caller). */
export function encodeFragmentRecord(record: FragmentRecord): Uint8Array {
  const { blockCid, blockLengthBytes, dataFragments, parityFragments, fragmentIndex, fragmentDigests, payload } = record;
  checkCounts('encodeFragmentRecord', dataFragments, parityFragments);
  const total = dataFragments + parityFragments;
  if (!isStorageCid(blockCid)) throw new RangeError(`encodeFragmentRecord: the block CID must be a CIDv1 with a SHA-256 multihash, got ${blockCid.toString()}`);
  if (blockCid.bytes.length > FragmentRecordLimits.cidBytesMax) throw new RangeError(`encodeFragmentRecord: CID of ${blockCid.bytes.length} bytes exceeds ${FragmentRecordLimits.cidBytesMax}`);
  if (!Number.isInteger(blockLengthBytes) || blockLengthBytes < 0 || blockLengthBytes > FragmentRecordLimits.blockBytesMax) {
    throw new RangeError(`encodeFragmentRecord: block length must be an integer from 0 to ${FragmentRecordLimits.blockBytesMax}, got ${blockLengthBytes}`);
  }
  if (!Number.isInteger(fragmentIndex) || fragmentIndex < 0 || fragmentIndex >= total) throw new RangeError(`encodeFragmentRecord: fragment index must be from 0 to ${total - 1}, got ${fragmentIndex}`);
  if (fragmentDigests.length !== total || fragmentDigests.some((d) => d.length !== SHA2_256_BYTES)) {
    throw new RangeError(`encodeFragmentRecord: expected ${total} digests of ${SHA2_256_BYTES} bytes`);
  }
  const payloadBytes = fragmentBytesOf(blockLengthBytes, dataFragments);
  if (payload.length !== payloadBytes) throw new RangeError(`encodeFragmentRecord: payload has ${payload.length} bytes; a block of ${blockLengthBytes} bytes in ${dataFragments} fragments has ${payloadBytes}`);
  const writer = new ByteWriter(HEADER_FIXED_BYTES + blockCid.bytes.length + total * SHA2_256_BYTES + payload.length);
  writer.writeU8(FRAGMENT_RECORD_VERSION);
  writer.writeU8(blockCid.bytes.length);
  writer.writeBytes(blockCid.bytes);
  writer.writeU32(blockLengthBytes);
  writer.writeU16(dataFragments);
  writer.writeU16(parityFragments);
  writer.writeU16(fragmentIndex);
  for (const digest of fragmentDigests) writer.writeBytes(digest);
  writer.writeBytes(payload);
  return writer.finish();
}

/**
 * The K+M records of one block, by fragment index. `codec`, if given, must be for K and M (pass one
 * to reuse: creating a codec builds its matrices). Throws RangeError if the bytes are not the block
 * the CID names, or the block is larger than a record may carry: both are bugs in the caller.
 */
export function encodeFragmentRecords(blockCid: CID, blockBytes: Uint8Array, redundancy: ErasureRedundancy, sha256: Sha256, codec?: ErasureCodec): Uint8Array[] {
  const { dataFragments, parityFragments } = redundancy;
  checkCounts('encodeFragmentRecords', dataFragments, parityFragments);
  if (blockBytes.length > FragmentRecordLimits.blockBytesMax) {
    throw new RangeError(`encodeFragmentRecords: a block of ${blockBytes.length} bytes exceeds ${FragmentRecordLimits.blockBytesMax}`);
  }
  // A record set for the wrong bytes could never be rebuilt into the block its CID names.
  if (!matchesCid(blockCid, blockBytes, sha256)) throw new RangeError(`encodeFragmentRecords: the bytes given are not the block ${blockCid.toString()}`);
  const erasure = codec ?? createErasureCodec({ dataShards: dataFragments, parityShards: parityFragments });
  if (erasure.dataShards !== dataFragments || erasure.parityShards !== parityFragments) {
    throw new RangeError(`encodeFragmentRecords: the codec is for ${erasure.dataShards}+${erasure.parityShards}, the scheme is ${dataFragments}+${parityFragments}`);
  }
  const fragments = erasure.encode(blockBytes);
  const fragmentDigests = fragments.map((fragment) => sha256(fragment));
  return fragments.map((payload, fragmentIndex) => encodeFragmentRecord({
    blockCid, blockLengthBytes: blockBytes.length, dataFragments, parityFragments, fragmentIndex, fragmentDigests, payload,
  }));
}

function fail(error: string): FragmentRecordResult {
  return { ok: false, error };
}

/** The CID at the head of a record, or an error: canonical CIDv1 bytes with a SHA-256 multihash. */
function decodeCid(bytes: Uint8Array): { ok: true; cid: CID } | { ok: false; error: string } {
  let cid: CID;
  try {
    cid = CID.decode(bytes);
  } catch {
    return { ok: false, error: 'the block CID does not parse' };
  }
  if (!isStorageCid(cid)) return { ok: false, error: 'the block CID is not a CIDv1 with a SHA-256 multihash' };
  // multiformats re-encodes what it parsed; a difference means padded varints, a second encoding of one record.
  if (!bytesEqual(cid.bytes, bytes)) return { ok: false, error: 'the block CID is not in canonical form' };
  return { ok: true, cid };
}

/** Parses a record from untrusted bytes; never throws, reads nothing past the end, allocates at most the record. */
export function decodeFragmentRecord(bytes: Uint8Array): FragmentRecordResult {
  if (!(bytes instanceof Uint8Array)) return fail('a fragment record must be bytes');
  if (bytes.length > FRAGMENT_RECORD_BYTES_MAX) return fail(`a fragment record is at most ${FRAGMENT_RECORD_BYTES_MAX} bytes, got ${bytes.length}`);
  const reader = new ByteReader(bytes);
  const version = reader.readU8();
  if (version === undefined) return fail('truncated: version');
  if (version !== FRAGMENT_RECORD_VERSION) return fail(`fragment record version ${version} is not supported (only ${FRAGMENT_RECORD_VERSION})`);
  const cidLength = reader.readU8();
  if (cidLength === undefined) return fail('truncated: CID length');
  if (cidLength === 0 || cidLength > FragmentRecordLimits.cidBytesMax) return fail(`CID length must be from 1 to ${FragmentRecordLimits.cidBytesMax}, got ${cidLength}`);
  // A copy: the parsed CID keeps views into these bytes, and the caller may reuse its buffer.
  const cidBytes = reader.readCopy(cidLength);
  if (cidBytes === undefined) return fail('truncated: CID');
  const cid = decodeCid(cidBytes);
  if (!cid.ok) return fail(cid.error);
  const blockLengthBytes = reader.readU32();
  if (blockLengthBytes === undefined) return fail('truncated: block length');
  if (blockLengthBytes > FragmentRecordLimits.blockBytesMax) return fail(`block length ${blockLengthBytes} exceeds ${FragmentRecordLimits.blockBytesMax}`);
  const dataFragments = reader.readU16();
  const parityFragments = reader.readU16();
  const fragmentIndex = reader.readU16();
  if (dataFragments === undefined || parityFragments === undefined || fragmentIndex === undefined) return fail('truncated: fragment counts');
  if (dataFragments < 1) return fail('K must be at least 1');
  const total = dataFragments + parityFragments;
  if (total > FragmentRecordLimits.fragmentsMax) return fail(`K + M must be at most ${FragmentRecordLimits.fragmentsMax}, got ${total}`);
  if (fragmentIndex >= total) return fail(`fragment index ${fragmentIndex} is not below K + M = ${total}`);
  const digestBlock = reader.readCopy(total * SHA2_256_BYTES);
  if (digestBlock === undefined) return fail('truncated: digests');
  const payloadBytes = fragmentBytesOf(blockLengthBytes, dataFragments);
  if (payloadBytes > FragmentRecordLimits.payloadBytesMax) return fail(`payload of ${payloadBytes} bytes exceeds ${FragmentRecordLimits.payloadBytesMax}`);
  if (reader.remaining !== payloadBytes) {
    return fail(`payload has ${reader.remaining} bytes; a block of ${blockLengthBytes} bytes in ${dataFragments} fragments has ${payloadBytes}`);
  }
  const payload = reader.readCopy(payloadBytes) as Uint8Array;
  const fragmentDigests: Uint8Array[] = [];
  for (let i = 0; i < total; i++) fragmentDigests.push(digestBlock.subarray(i * SHA2_256_BYTES, (i + 1) * SHA2_256_BYTES));
  return { ok: true, record: { blockCid: cid.cid, blockLengthBytes, dataFragments, parityFragments, fragmentIndex, fragmentDigests, payload } };
}
