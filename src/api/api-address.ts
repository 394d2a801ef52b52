/**
 * Where the API listens (`--api HOST:PORT` of `peergrid node start`) and where clients find it
 * (`--api URL` of the client commands). Both default to 127.0.0.1:5380: a fixed port, so
 * `peergrid status` finds a node without being told where, and loopback, so nothing outside the
 * machine can reach it unless the user asks (and then a token is required; auth.ts).
 */
import { isIPv4, isIPv6 } from 'node:net';

export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 5380;
export const DEFAULT_API_URL = `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`;

export interface ApiListenAddress {
  /** An IPv4 address, an IPv6 address without brackets, or localhost. */
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** HOST:PORT, with an IPv6 host in brackets: 127.0.0.1:5380, [::1]:0, 0.0.0.0:5380, localhost:5380. */
export function parseApiListenAddress(text: string): Parsed<ApiListenAddress> {
  const match = /^(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(text);
  const expected = 'HOST:PORT with an IP address or localhost and a port from 0 to 65535, e.g. 127.0.0.1:5380 or [::1]:0';
  if (match === null) return { ok: false, error: `expected ${expected}, got '${text}'` };
  const hostText = match[1];
  const host = hostText.startsWith('[') ? hostText.slice(1, -1) : hostText;
  const port = Number(match[2]);
  const hostOk = hostText.startsWith('[') ? isIPv6(host) : isIPv4(host) || host === 'localhost';
  if (!hostOk || port > 65_535) return { ok: false, error: `expected ${expected}, got '${text}'` };
  return { ok: true, value: { host, port } };
}

/**
 * An API base URL as a user may type it: http://HOST:PORT (a trailing slash is fine) or just
 * HOST:PORT. Returned without the trailing slash. Only http: the API serves plain HTTP, meant for
 * loopback or a network the user trusts (docs/NODE.md).
 */
export function parseApiUrl(text: string): Parsed<string> {
  // A port alone means this machine's API on that port: a URL parser would read "5383" as the
  // IPv4 address 0.0.21.7.
  if (/^[0-9]+$/.test(text)) {
    const port = Number(text);
    return port >= 1 && port <= 65_535 ? { ok: true, value: `http://127.0.0.1:${port}` } : { ok: false, error: `a port must be from 1 to 65535, got '${text}'` };
  }
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return { ok: false, error: `expected a URL such as ${DEFAULT_API_URL}, got '${text}'` };
  }
  if (url.protocol !== 'http:') return { ok: false, error: `the API speaks http, got '${url.protocol}' in '${text}'` };
  if (url.username !== '' || url.password !== '') return { ok: false, error: 'put no credentials in the URL; use --token-file or PEERGRID_API_TOKEN' };
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    return { ok: false, error: `expected only scheme, host and port, such as ${DEFAULT_API_URL}, got '${text}'` };
  }
  return { ok: true, value: url.origin };
}
