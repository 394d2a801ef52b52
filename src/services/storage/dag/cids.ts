/**
 * Content identifiers for storage blocks: CIDv1, always with a SHA-256 multihash (issue 4: "blocks
 * are CIDv1 with sha2-256 and raw leaves"). Hashing itself is injected (`Sha256`): the runtime
 * passes node:crypto, which is several times faster than a JS hash, and this folder stays pure.
 */
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';

/** Multicodec codes of the block formats we store (multicodec table). */
export const Codec = {
  raw: 0x55,
  dagPb: 0x70,
  dagCbor: 0x71,
} as const;

export type CodecCode = (typeof Codec)[keyof typeof Codec];

/** The multihash code of SHA-256. */
export const SHA2_256 = 0x12;
export const SHA2_256_BYTES = 32;

/** SHA-256 of `bytes`: 32 bytes. */
export type Sha256 = (bytes: Uint8Array) => Uint8Array;

/** A block as stored and sent: its CID, its bytes, and the CIDs it links to (for pinning and gc). */
export interface Block {
  readonly cid: CID;
  readonly bytes: Uint8Array;
  readonly links: readonly CID[];
}

export function cidOf(codec: CodecCode, bytes: Uint8Array, sha256: Sha256): CID {
  return CID.createV1(codec, Digest.create(SHA2_256, sha256(bytes)));
}

/** Whether `bytes` are the block `cid` names; only SHA-256 CIDs are ever accepted. */
export function matchesCid(cid: CID, bytes: Uint8Array, sha256: Sha256): boolean {
  if (!namesSha256(cid)) return false;
  const expected = cid.multihash.digest;
  const actual = sha256(bytes);
  if (actual.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < actual.length; i++) difference |= actual[i] ^ expected[i];
  return difference === 0;
}

/** Whether `cid` names its block by a SHA-256 digest, the only hash accepted: else no bytes match it. */
function namesSha256(cid: CID): boolean {
  return cid.multihash.code === SHA2_256 && cid.multihash.size === SHA2_256_BYTES;
}

/** Parses a CID given by a user or a peer; null when it is not a CIDv1 with a SHA-256 multihash. */
export function parseStorageCid(text: string): CID | null {
  try {
    const cid = CID.parse(text.trim());
    if (cid.version !== 1 || !namesSha256(cid)) return null;
    return cid;
  } catch {
    return null;
  }
}

export { CID };
