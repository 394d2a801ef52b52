/**
 * The HTTP server, derived from the route table: for each request it checks who may ask
 * (auth.ts), finds the route (router.ts), checks the path parameters, the query and the JSON body
 * against the route's schemas (or hands a byte-stream body on as it arrives), calls the route's
 * handler with typed values, and answers with JSON or, for a byte-stream response, streams the
 * bytes. Every failure before the answer starts, whatever its cause, becomes a 4xx or 5xx answer
 * with a JSON message (errors.ts); none reaches the process. A stream that fails after its first
 * bytes went out can no longer change its status: the connection is cut, so the client sees an
 * incomplete answer rather than a short one that looks whole.
 *
 * Time limits: headers within ApiLimits.headersTimeoutMs; a JSON request whole within
 * requestTimeoutMs (408); a route with a byte stream either way has no overall limit but is cut
 * once idle for streamIdleTimeoutMs.
 *
 * The handlers are passed in (handlers.ts binds them to a NodeRuntime), so tests can serve fakes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { authorize, checkAccess, isLoopbackHost, type AuthPolicy } from './auth.ts';
import { badRequest, errorAnswer, methodNotAllowed, requestTimeout, type ErrorAnswer } from './errors.ts';
import { ApiLimits } from './limits.ts';
import { readJsonBody, readStreamBody } from './request-body.ts';
import { matchRoute } from './router.ts';
import { isByteStream, RANGE_ROUTES, routes, type ByteStreamResponse, type CheckedRequest, type RequestCaller, type ResponseOf, type RouteName } from './routes.ts';
import { contentRange, isSingleByteRange } from './byte-range.ts';

export type RouteHandlers = {
  readonly [Name in RouteName]: (request: CheckedRequest<Name>) => Promise<ResponseOf<Name>>;
};

export type LogRecord = Record<string, unknown>;

export interface ApiServerOptions {
  /** An IP address or localhost; the token rule (auth) must have been decided for it. */
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly auth: AuthPolicy;
  readonly handlers: RouteHandlers;
  /** The HTML page served at /. */
  readonly statusPage: () => Promise<string>;
  /** The HTML search page served at /search, given the page's query string, with its status; 404 when absent. */
  readonly searchPage?: (query: string) => Promise<{ readonly status: number; readonly html: string }>;
  /** Prometheus metrics served at /metrics (text exposition format); 404 when absent. */
  readonly metrics?: () => Promise<{ readonly contentType: string; readonly text: string }>;
  readonly log?: (record: LogRecord) => void;
  /** Time limits other than ApiLimits' (tests shorten them). */
  readonly timeouts?: Partial<ServerTimeouts>;
}

export interface ServerTimeouts {
  readonly requestTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
}

export interface ApiServer {
  /** Where clients reach it, e.g. http://127.0.0.1:5380. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** The API could not listen (an address in use, an address this host does not have). */
export class ApiListenError extends Error {
  constructor(host: string, port: number, cause: Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    const reason = code === 'EADDRINUSE' ? 'the address is in use (another node? pass --api HOST:PORT, or port 0 for any free one)'
      : code === 'EADDRNOTAVAIL' ? 'this host has no such address' : cause.message;
    super(`the API cannot listen on ${formatHostPort(host, port)}: ${reason}`);
    this.name = 'ApiListenError';
  }
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

const JSON_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

const STREAM_HEADERS = {
  'content-type': 'application/octet-stream',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // The page has no scripts and loads nothing; inline styles only.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
} as const;

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.log ?? (() => {});
  const server = createServer({
    headersTimeout: ApiLimits.headersTimeoutMs,
    // Node's own limit applies to every request alike; an upload may take hours. serve() sets the
    // limit per route instead (the whole request for JSON, an idle limit for streams).
    requestTimeout: 0,
    // Node would refuse an HTTP/1.1 request without Host itself, with an empty body; serve()
    // refuses it with a JSON message like every other 4xx.
    requireHostHeader: false,
  }, (request, response) => {
    void serve(options, request, response).catch((error: unknown) => {
      // serve() answers every error itself; this is the last guard against a bug there.
      log({ level: 'error', event: 'apiFailure', error: String(error) });
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  server.maxConnections = ApiLimits.connectionsMax;
  // Malformed HTTP: answer 400 if the socket still takes it, never throw.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (socket.writable && error.code !== 'ECONNRESET') {
      const body = JSON.stringify({ error: { code: 'bad_request', message: 'malformed HTTP request' } });
      socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    } else {
      socket.destroy();
    }
  });
  await listen(server, options.host, options.port);
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${formatHostPort(options.host, port)}`,
    port,
    close: () => close(server),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(new ApiListenError(host, port, error));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function serve(options: ApiServerOptions, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const log = options.log ?? (() => {});
  const timeouts: ServerTimeouts = {
    requestTimeoutMs: options.timeouts?.requestTimeoutMs ?? ApiLimits.requestTimeoutMs,
    streamIdleTimeoutMs: options.timeouts?.streamIdleTimeoutMs ?? ApiLimits.streamIdleTimeoutMs,
  };
  let timeLimited = false;
  try {
    if (request.headers.host === undefined && request.httpVersion === '1.1') throw badRequest('an HTTP/1.1 request needs a Host header');
    const access = authorize(options.auth, { authorization: request.headers.authorization, host: request.headers.host });
    checkAccess(access, request.method ?? '');
    const target = request.url ?? '/';
    const queryStart = target.indexOf('?');
    const pathname = queryStart < 0 ? target : target.slice(0, queryStart);
    const query = queryStart < 0 ? '' : target.slice(queryStart + 1);
    if (pathname === '/') {
      if (request.method !== 'GET') throw methodNotAllowed(request.method ?? '', pathname, ['GET']);
      send(response, 200, HTML_HEADERS, await options.statusPage());
      return;
    }
    if (pathname === '/search' && options.searchPage !== undefined) {
      if (request.method !== 'GET') throw methodNotAllowed(request.method ?? '', pathname, ['GET']);
      const page = await options.searchPage(query);
      send(response, page.status, HTML_HEADERS, page.html);
      return;
    }
    if (pathname === '/metrics' && options.metrics !== undefined) {
      if (request.method !== 'GET') throw methodNotAllowed(request.method ?? '', pathname, ['GET']);
      const metrics = await options.metrics();
      send(response, 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }, metrics.text);
      return;
    }
    const match = matchRoute(request.method ?? '', pathname);
    const route = routes[match.name];
    if (query !== '' && route.query === null) throw badRequest(`${pathname} takes no query parameters`);
    limitTime(request, response, isByteStream(route.body) || isByteStream(route.response), timeouts);
    timeLimited = true;
    const caller: RequestCaller = { loopback: isLoopbackHost(request.socket.remoteAddress ?? '') };
    const result = await callHandler(options.handlers, match.name, match.params, withRangeHeader(match.name, query, request), request, caller);
    if (isByteStream(route.response)) {
      await sendStream(response, result as unknown as ByteStreamResponse, RANGE_ROUTES.has(match.name), (error) => {
        log({ level: 'warn', event: 'apiStreamCut', method: request.method, url: redactUrl(request.url), error: String(error) });
      });
      return;
    }
    send(response, 200, JSON_HEADERS, JSON.stringify(result));
  } catch (error) {
    const answer = errorAnswer(error);
    if (answer.unexpected) {
      log({ level: 'error', event: 'apiError', method: request.method, url: redactUrl(request.url), error: (error as Error)?.stack ?? String(error) });
    }
    if (!request.complete && !request.destroyed) {
      refusalsDraining.set(request, answer);
      // Refused before its route set a time limit (a wrong token, no such route, a query where none
      // is taken): without one, a client that stalls mid-body would hold the connection unanswered
      // for ever. It gets the JSON request's limit, then its refusal.
      if (!timeLimited) limitTime(request, response, false, timeouts);
      await drainBody(request, ApiLimits.refusedBodyDrainBytesMax);
    }
    // A body still not read to its end (too large, or the client went away): the connection closes after the answer.
    const headers = request.complete ? { ...JSON_HEADERS, ...answer.headers } : { ...JSON_HEADERS, ...answer.headers, connection: 'close' };
    send(response, answer.status, headers, JSON.stringify(answer.body));
  }
}

/** Refused requests whose bodies are still being read and discarded (drainBody), with their refusal. */
const refusalsDraining = new WeakMap<IncomingMessage, ErrorAnswer>();

/**
 * A JSON request must arrive whole within requestTimeoutMs (answered 408, then closed; one already
 * refused, whose body was being drained, is answered with its refusal instead); a route
 * with a byte stream has no overall limit, but its connection is closed once no byte has moved
 * either way for streamIdleTimeoutMs (a client that stopped sending, or stopped reading).
 */
function limitTime(request: IncomingMessage, response: ServerResponse, streaming: boolean, timeouts: ServerTimeouts): void {
  if (streaming) {
    // With no 'timeout' listener, node:http destroys the idle socket itself.
    request.socket.setTimeout(timeouts.streamIdleTimeoutMs);
    return;
  }
  if (request.complete) return;
  const timer = setTimeout(() => {
    if (request.complete) return;
    const error = requestTimeout(`the request was not received whole within ${timeouts.requestTimeoutMs / 1000} s`);
    // A request already refused, whose body was being drained, gets its refusal: that is why it failed.
    const answer = refusalsDraining.get(request) ?? errorAnswer(error);
    // The answer goes out first; then the reading of the body ends with this error.
    response.once('finish', () => request.destroy(error));
    send(response, answer.status, { ...JSON_HEADERS, ...answer.headers, connection: 'close' }, JSON.stringify(answer.body));
  }, timeouts.requestTimeoutMs);
  timer.unref();
  response.once('close', () => clearTimeout(timer));
}

/** Capabilities are secrets: a URL that carries one is logged without its key. */
function redactUrl(url: string | undefined): string | undefined {
  return url?.replace(/pgcap1(?::|%3A)[^/?#]*/gi, 'pgcap1:…');
}

/**
 * A route that takes a byte range gets a `Range` header of one byte range as its `range` query
 * parameter (unless the query names one itself). Any other Range header — several ranges, another
 * unit — is ignored, and the whole file sent, as RFC 9110 allows.
 */
function withRangeHeader(name: string, rawQuery: string, request: IncomingMessage): string {
  const header = request.headers.range;
  if (!RANGE_ROUTES.has(name) || typeof header !== 'string' || !isSingleByteRange(header)) return rawQuery;
  if (new URLSearchParams(rawQuery).has('range')) return rawQuery;
  const parameter = `range=${encodeURIComponent(header.trim())}`;
  return rawQuery === '' ? parameter : `${rawQuery}&${parameter}`;
}

/** Checks the parameters, query and body against the route's declarations, then runs its handler. */
async function callHandler<Name extends RouteName>(
  handlers: RouteHandlers, name: Name, rawParams: Readonly<Record<string, string>>, rawQuery: string, request: IncomingMessage, caller: RequestCaller,
): Promise<ResponseOf<Name>> {
  const route = routes[name];
  const params = route.params.check(rawParams, '');
  if (!params.ok) throw badRequest(params.error);
  let query: unknown = undefined;
  if (route.query !== null) {
    const checked = route.query.check(parseQuery(rawQuery), 'query');
    if (!checked.ok) throw badRequest(checked.error);
    query = checked.value;
  }
  let body: unknown = undefined;
  if (isByteStream(route.body)) {
    body = readStreamBody(request);
  } else if (route.body !== null) {
    const checked = route.body.check(await readJsonBody(request, route.bodyBytesMax ?? ApiLimits.requestBodyBytesMax), 'body');
    if (!checked.ok) throw badRequest(checked.error);
    body = checked.value;
  }
  const handler = handlers[name] as (checked: CheckedRequest<Name>) => Promise<ResponseOf<Name>>;
  return handler({ params: params.value, query, body, caller } as unknown as CheckedRequest<Name>);
}

/** The query string as text values; a name given twice is refused rather than one copy chosen silently. */
function parseQuery(raw: string): Record<string, string> {
  // No prototype: `?__proto__=x` must stay a parameter (which the schema refuses as unknown), not
  // vanish into the prototype setter and be ignored silently.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  let parsed: URLSearchParams;
  try {
    parsed = new URLSearchParams(raw);
  } catch {
    throw badRequest('query: not a valid query string');
  }
  for (const [name, value] of parsed) {
    if (Object.hasOwn(out, name)) throw badRequest(`query.${name}: given more than once`);
    out[name] = value;
  }
  return out;
}

/**
 * Streams a handler's bytes. The first piece is taken before the status goes out, so content that
 * fails at once (a missing root, a bad first block) is still answered with its error status; a
 * failure after that cuts the connection (`onCut`), which the client sees as an incomplete answer.
 */
async function sendStream(response: ServerResponse, answer: ByteStreamResponse, ranged: boolean, onCut: (error: unknown) => void): Promise<void> {
  const iterator = answer.body[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (response.destroyed) {
    await iterator.return?.();
    return;
  }
  const headers: Record<string, string | number> = answer.bytes === null ? { ...STREAM_HEADERS } : { ...STREAM_HEADERS, 'content-length': answer.bytes };
  if (answer.range !== undefined) headers['content-range'] = contentRange(answer.range);
  if (ranged) headers['accept-ranges'] = 'bytes';
  response.writeHead(answer.range === undefined ? 200 : 206, headers);
  const rest = async function* (): AsyncGenerator<Uint8Array> {
    if (first.done === true) return;
    yield first.value;
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
  };
  try {
    await pipeline(rest, response);
  } catch (error) {
    await iterator.return?.().catch(() => {});
    response.destroy();
    // A client that went away is not the node's failure.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') onCut(error);
  }
}

/**
 * Reads and discards what is left of a refused request's body, up to `bytesMax`, so that a client
 * still sending reads the answer rather than a reset connection (a "lingering close"). A stalled
 * client is cut by the request's own time limit (limitTime), which closes the request.
 */
function drainBody(request: IncomingMessage, bytesMax: number): Promise<void> {
  return new Promise((resolve) => {
    let bytes = 0;
    const done = (): void => {
      request.off('readable', onReadable);
      request.off('end', done);
      request.off('close', done);
      request.off('error', done);
      resolve();
    };
    // read() rather than resume(): a handler's abandoned async iterator may still listen for
    // 'readable', which keeps the stream out of flowing mode.
    const onReadable = (): void => {
      for (let chunk = request.read() as Buffer | null; chunk !== null; chunk = request.read() as Buffer | null) {
        bytes += chunk.length;
        if (bytes > bytesMax) {
          done();
          return;
        }
      }
    };
    request.on('readable', onReadable);
    request.once('end', done);
    request.once('close', done);
    request.once('error', done);
    onReadable();
  });
}

function send(response: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  // The client may have gone (a timeout, a closed connection); there is nobody to answer.
  if (response.destroyed || response.headersSent) return;
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
