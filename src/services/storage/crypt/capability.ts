/**
 * A read capability: what a reader needs to fetch and decrypt encrypted content — the CID of its
 * encrypted root node and that node's key (Tahoe-LAFS calls this a read-cap). Written as
 * `pgcap1:<root CID>:<key, base32>`; whoever holds the string can read the content, so it is
 * printed once, to the user who stored it, and never sent to storage nodes.
 */
import { base32 } from 'multiformats/bases/base32';
import { parseStorageCid, type CID } from '../dag/cids.ts';
import { CONTENT_KEY_BYTES } from './content-cipher.ts';

const PREFIX = 'pgcap1:';

export interface Capability {
  readonly root: CID;
  readonly key: Uint8Array;
}

export function formatCapability(capability: Capability): string {
  return `${PREFIX}${capability.root.toString()}:${base32.baseEncode(capability.key)}`;
}

export function isCapabilityString(text: string): boolean {
  return text.trim().startsWith(PREFIX);
}

/** Parses a capability; null when the text is not one (a clear error is the caller's to give). */
export function parseCapability(text: string): Capability | null {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PREFIX)) return null;
  const parts = trimmed.slice(PREFIX.length).split(':');
  if (parts.length !== 2) return null;
  const root = parseStorageCid(parts[0]);
  if (root === null) return null;
  let key: Uint8Array;
  try {
    key = base32.baseDecode(parts[1]);
  } catch {
    return null;
  }
  if (key.length !== CONTENT_KEY_BYTES) return null;
  return { root, key };
}
