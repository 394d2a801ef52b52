/** SHA-256 by node:crypto: the hash every storage CID uses, injected into the pure storage code. */
import type { Sha256 } from '../../services/storage/dag/cids.ts';
import { sha256 as nodeSha256 } from '../storage/block-cid.ts';

export const sha256: Sha256 = nodeSha256;
