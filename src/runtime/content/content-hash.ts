/** SHA-256 by node:crypto: the hash every storage CID uses, injected into the pure storage code. */
import type { Sha256 } from '../../services/storage/dag/cids.ts';
import { sha256 as nodeSha256 } from '../storage/sha256.ts';

export const sha256: Sha256 = nodeSha256;

/** SHA-256 as lowercase hex: output hashes in the compute protocol (quorums, receipts). */
export function sha256Hex(bytes: Uint8Array): string {
  return Buffer.from(nodeSha256(bytes)).toString('hex');
}
