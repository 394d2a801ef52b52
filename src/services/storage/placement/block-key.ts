/**
 * The DHT key a storage block is placed under (issue 4: "replication mode stores each block on the R
 * nodes closest to its key").
 *
 * The key is the 32-byte SHA-256 digest inside the block's CID. A SHA-256 digest is already uniform
 * over the 256-bit key space, so hashing it again (as the IPFS DHT does with the whole multihash)
 * would add nothing here; and because the key ignores the CID's version and codec, the same bytes
 * named as raw or as dag-pb land on the same nodes. A CID with any other hash function is refused:
 * only SHA-256 keys are uniform by construction, and storage accepts nothing else (dag/cids.ts).
 */
import { idFromBytes, type Id } from '../../../core/id.ts';
import { SHA2_256, SHA2_256_BYTES, type CID } from '../dag/cids.ts';

/** The key `cid` is placed under, or null when its multihash is not a 32-byte SHA-256 digest. */
export function blockKeyOf(cid: CID): Id | null {
  const multihash = cid.multihash;
  if (multihash.code !== SHA2_256 || multihash.size !== SHA2_256_BYTES || multihash.digest.length !== SHA2_256_BYTES) return null;
  // A copy: the digest is a view into the CID's bytes, and an Id must never change under its holder.
  // (The constructor copies; `slice` would not when the digest is a Node Buffer.)
  return idFromBytes(new Uint8Array(multihash.digest));
}
