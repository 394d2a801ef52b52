/**
 * How the API and the CLI turn what a user types into a 256-bit kernel id.
 *
 * Exactly 64 hex digits (either case) are an id as it is: node ids are printed that way, so
 * `peergrid lookup <id>` finds that node. Anything else is text, and its id is the SHA-256 of its
 * UTF-8 bytes, so `peergrid dht put greeting hello` and `peergrid dht get greeting` meet under one
 * id without anyone computing a hash. (A text key that happens to be 64 hex digits is therefore
 * taken as an id; hash it yourself if you mean the text.)
 */
import { createHash } from 'node:crypto';
import { idFromBytes, idFromHex, isIdHex, type Id } from '../core/id.ts';
import { string, type Schema } from './schema.ts';
import { ApiLimits } from './limits.ts';

export type KeyKind = 'id' | 'sha256';

export interface ParsedKey {
  readonly id: Id;
  /** Whether the text was an id already, or text that was hashed. */
  readonly kind: KeyKind;
}

/** A key as it may appear in a request: not empty, and short enough for a URL path. */
export const keySchema: Schema<string> = string({
  minLength: 1,
  maxBytes: ApiLimits.keyBytesMax,
  // '.' and '..' cannot travel in a URL path: every URL parser resolves them as dot segments.
  pattern: /^(?!\.\.?$)/,
  description: `a key: 64 hex digits (an id) or other text of 1 to ${ApiLimits.keyBytesMax.toLocaleString('en-US')} bytes, `
    + "not '.' or '..' (hashed with SHA-256)",
});

export function parseKey(text: string): ParsedKey {
  if (isIdHex(text)) return { id: idFromHex(text.toLowerCase()), kind: 'id' };
  return { id: idFromBytes(new Uint8Array(createHash('sha256').update(text, 'utf8').digest())), kind: 'sha256' };
}
