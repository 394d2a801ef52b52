/**
 * Who may use the API. The rule: a listener on a loopback address serves its own machine, and a
 * request there needs no token; any other listener requires the bearer token from the data
 * directory (token-file.ts). A token that is sent must be right, wherever.
 *
 * Two tokens: `api-token` may do everything; `api-read-token` may only read (GET: content,
 * listings, status, search, metrics) — what a node's owner hands to people it shares content
 * with, who should not be able to put, pin, collect garbage or submit jobs.
 *
 * On loopback without a token, the Host header must also name a loopback host. Otherwise a web
 * page could reach the API through DNS rebinding (a name of the attacker's that resolves to
 * 127.0.0.1 after the page has loaded); the browser would send that name as Host.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { forbidden, unauthorized } from './errors.ts';

export interface AuthPolicy {
  /** The token a request may present; null when none exists (then none is required either). */
  readonly token: string | null;
  /** A second token that may only read (GET); null when there is none. */
  readonly readToken?: string | null;
  readonly tokenRequired: boolean;
}

/** What a request may do, once authorized. */
export type Access = 'full' | 'read';

/** The token rule for a listener on `host`. */
export function authPolicyFor(host: string, token: string | null, readToken: string | null = null): AuthPolicy {
  const tokenRequired = !isLoopbackHost(host);
  if (tokenRequired && token === null) throw new Error(`an API on ${host} (not loopback) needs a token`);
  return { token, readToken, tokenRequired };
}

/** Throws 403 when a request with `access` may not use `method`: a read token reads only. */
export function checkAccess(access: Access, method: string): void {
  if (access === 'read' && method !== 'GET' && method !== 'HEAD') {
    throw forbidden(`the read-only API token may only read (GET), not ${method}: use the node's api-token`);
  }
}

/** 127.0.0.0/8, ::1 (also IPv4-mapped) and the name localhost. 0.0.0.0 and :: are every interface: not loopback. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase();
  if (lower === 'localhost') return true;
  if (isIPv4(lower)) return lower.startsWith('127.');
  if (isIPv6(lower)) {
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && mapped[1].startsWith('127.');
  }
  return false;
}

export interface AuthHeaders {
  readonly authorization?: string;
  readonly host?: string;
}

/** Throws 401 or 403 unless the request may proceed; returns what it may do (checkAccess). */
export function authorize(policy: AuthPolicy, headers: AuthHeaders): Access {
  const presented = headers.authorization;
  if (presented !== undefined) {
    const match = /^bearer +(\S+) *$/i.exec(presented);
    if (match === null) throw unauthorized("malformed Authorization header (expected 'Bearer <token>')");
    // Both compared, whichever matches, so the time taken says nothing of which token was close.
    const full = policy.token !== null && sameToken(match[1], policy.token);
    const read = policy.readToken !== undefined && policy.readToken !== null && sameToken(match[1], policy.readToken);
    if (full) return 'full';
    if (read) return 'read';
    throw unauthorized('wrong API token');
  }
  if (policy.tokenRequired) {
    throw unauthorized(
      "this API is not on a loopback address and needs its token: send 'Authorization: Bearer <token>' "
      + '(the token is in the api-token file of the node\'s data directory)',
    );
  }
  const hostname = hostnameOf(headers.host ?? '');
  if (!isLoopbackHost(hostname)) {
    throw forbidden(`without a token, the Host header must name a loopback address (127.0.0.1, [::1], localhost), got '${headers.host ?? ''}'`);
  }
  return 'full';
}

/** The host part of a Host header: "127.0.0.1:5380" → "127.0.0.1", "[::1]:5380" → "[::1]". */
function hostnameOf(hostHeader: string): string {
  if (hostHeader.startsWith('[')) {
    const end = hostHeader.indexOf(']');
    return end < 0 ? hostHeader : hostHeader.slice(0, end + 1);
  }
  const colon = hostHeader.indexOf(':');
  return colon < 0 ? hostHeader : hostHeader.slice(0, colon);
}

/** Compares in constant time (over digests, so the lengths need not match). */
function sameToken(presented: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
