/**
 * What users and the API name content by: a CID (plain content) or a read capability
 * (`pgcap1:<root CID>:<key>`, encrypted content), as text in and out.
 */
import { formatCapability, isCapabilityString, parseCapability } from '../../services/storage/crypt/capability.ts';
import { parseStorageCid, type CID } from '../../services/storage/dag/cids.ts';
import type { ContentRef } from './content-exporter.ts';

export type ParsedRef = { readonly ok: true; readonly ref: ContentRef } | { readonly ok: false; readonly problem: string };

export function parseContentRef(text: string): ParsedRef {
  if (isCapabilityString(text)) {
    const capability = parseCapability(text);
    if (capability === null) return { ok: false, problem: 'not a valid capability (expected pgcap1:<CID>:<key>, as peergrid put printed it)' };
    return { ok: true, ref: { kind: 'encrypted', capability } };
  }
  const root = parseStorageCid(text);
  if (root === null) return { ok: false, problem: `not a CID or a capability: ${JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}…` : text)} (expected a CIDv1 with a sha2-256 multihash, such as bafy…, or pgcap1:…)` };
  return { ok: true, ref: { kind: 'plain', root } };
}

export function formatContentRef(ref: ContentRef): string {
  return ref.kind === 'plain' ? ref.root.toString() : formatCapability(ref.capability);
}

export function rootOf(ref: ContentRef): CID {
  return ref.kind === 'plain' ? ref.root : ref.capability.root;
}
