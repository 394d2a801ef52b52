/**
 * CIDs as the blockstore sees them: any codec, but only sha2-256 multihashes, which it can verify.
 *
 * Hashing uses node:crypto (OpenSSL, SHA extensions where the CPU has them) rather than
 * multiformats' own hasher; multiformats only wraps the digest into a multihash and a CID.
 *
 * The store keys blocks by their multihash, not by the whole CID (as kubo has since 0.12): the same
 * bytes under two codecs, or as CIDv0 and CIDv1, are one block and one file.
 */
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { Codec, SHA2_256, SHA2_256_BYTES } from '../../services/storage/dag/cids.ts';
import { InvalidCidError, UnsupportedHashError } from './blockstore-errors.ts';
import { sha256 } from './sha256.ts';

/** The multicodec codes of the blocks the content layer writes (dag/cids.ts); any other codec is stored as well. */
export const BlockCodecs = Codec;
export const SHA2_256_CODE = SHA2_256;
export const SHA2_256_DIGEST_BYTES = SHA2_256_BYTES;

/** A CID checked for the store: its canonical string, its sha2-256 digest and that digest in hex. */
export interface BlockKey {
  readonly cid: CID;
  /** The CIDv1 in base32, the form used in messages, errors and reports. */
  readonly canonical: string;
  readonly codec: number;
  readonly digest: Uint8Array;
  /** 64 lowercase hex digits: the only thing file names are made of. */
  readonly hex: string;
}

/** Checks a CID (a multiformats CID, or anything CID.asCID accepts) and derives its key; throws InvalidCidError or UnsupportedHashError. */
export function blockKeyOf(value: unknown): BlockKey {
  const cid = CID.asCID(value);
  if (cid === null) throw new InvalidCidError(describe(value));
  const canonical = cid.version === 0 ? cid.toV1().toString() : cid.toString();
  const { code, digest } = cid.multihash;
  if (code !== SHA2_256_CODE || digest.length !== SHA2_256_DIGEST_BYTES) throw new UnsupportedHashError(canonical, code);
  return { cid, canonical, codec: cid.code, digest, hex: Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('hex') };
}

/** Parses a CID's string form (base32 CIDv1, base58 CIDv0, …); throws InvalidCidError. */
export function parseCid(text: string): CID {
  try {
    return CID.parse(text);
  } catch (error) {
    throw new InvalidCidError(`${JSON.stringify(text.slice(0, 100))}: ${(error as Error).message}`);
  }
}

/** The CIDv1 of a sha2-256 digest under a codec. */
export function cidFromDigest(codec: number, digest: Uint8Array): CID {
  return CID.createV1(codec, Digest.create(SHA2_256_CODE, digest));
}

/** The CIDv1 of bytes under a codec (raw by default). */
export function cidOfBytes(bytes: Uint8Array, codec: number = BlockCodecs.raw): CID {
  return cidFromDigest(codec, sha256(bytes));
}

export function digestEquals(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 100))} (use parseCid)`;
  if (value === null || value === undefined) return String(value);
  return `a value of type ${typeof value}`;
}

/**
 * Why bytes are not the block named by `digest`, or undefined when they are. A size known from the
 * index is compared first: a truncated file is caught without hashing it.
 */
export function blockProblem(digest: Uint8Array, bytes: Uint8Array, expectedSize?: number): string | undefined {
  if (expectedSize !== undefined && bytes.length !== expectedSize) return `it has ${bytes.length} bytes, the index says ${expectedSize}`;
  const actual = sha256(bytes);
  if (!digestEquals(actual, digest)) return `its sha2-256 digest is ${actual.toString('hex')}`;
  return undefined;
}
