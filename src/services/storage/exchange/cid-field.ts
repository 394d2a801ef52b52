/**
 * CIDs in block-exchange messages: which ones the protocol carries, and how untrusted CID bytes
 * become a CID without an exception escaping.
 *
 * Issue 4: "blocks are CIDv1 with sha2-256". The exchange carries only those, with a codec we store
 * (raw leaves, dag-pb nodes, dag-cbor manifests: dag/cids.ts), so a peer cannot make us look up,
 * hash or store anything else. Each such CID has exactly one binary form (36 bytes: version 1, the
 * codec, 0x12, 0x20, the digest), and a decoded CID must be that form byte for byte: multiformats
 * also accepts varints padded with continuation bytes, which would give one CID two encodings.
 */
import * as Digest from 'multiformats/hashes/digest';
import { CID, Codec, SHA2_256, SHA2_256_BYTES } from '../dag/cids.ts';

const storedCodecs: ReadonlySet<number> = new Set<number>(Object.values(Codec));

/** Why `cid` may not travel in an exchange message, or null when it may. */
export function cidProblem(cid: CID): string | null {
  if (cid.version !== 1) return `CID version ${cid.version} (only CIDv1)`;
  if (!storedCodecs.has(cid.code)) return `CID codec 0x${cid.code.toString(16)} (only raw, dag-pb, dag-cbor)`;
  if (cid.multihash.code !== SHA2_256 || cid.multihash.size !== SHA2_256_BYTES) {
    return `CID multihash 0x${cid.multihash.code.toString(16)}/${cid.multihash.size} (only sha2-256)`;
  }
  return null;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/**
 * The CID `bytes` encode, or a short reason why they are not one the exchange accepts. Never throws:
 * multiformats reports malformed input by throwing (and its varint decoder may throw anything),
 * so the call is wrapped, and whatever it returns is checked rather than trusted.
 */
export function cidFromBytes(bytes: Uint8Array): CID | string {
  let cid: CID;
  try {
    cid = CID.decode(bytes);
  } catch {
    return 'not a CID';
  }
  try {
    const problem = cidProblem(cid);
    if (problem !== null) return problem;
    const canonical = CID.createV1(cid.code, Digest.create(SHA2_256, cid.multihash.digest));
    if (!sameBytes(canonical.bytes, bytes)) return 'CID not in its canonical binary form';
    return canonical;
  } catch {
    return 'not a CID';
  }
}
