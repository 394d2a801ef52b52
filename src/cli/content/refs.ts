/** A <cid|capability> argument, checked here so a typo is a usage error before any request. */
import { parseContentRef, rootOf } from '../../runtime/content/content-ref.ts';
import { UsageError } from '../args.ts';

export function checkRef(text: string, what = '<cid|capability>'): string {
  const parsed = parseContentRef(text);
  if (!parsed.ok) throw new UsageError(`${what}: ${parsed.problem}`);
  return text.trim();
}

/** The root CID a reference names (a capability's root for encrypted content). */
export function rootCidOf(text: string): string {
  const parsed = parseContentRef(text);
  if (!parsed.ok) throw new UsageError(`<cid|capability>: ${parsed.problem}`);
  return rootOf(parsed.ref).toString();
}

export function isCapability(text: string): boolean {
  const parsed = parseContentRef(text);
  return parsed.ok && parsed.ref.kind === 'encrypted';
}
