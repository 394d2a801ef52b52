/**
 * The HTTP server, derived from the route table: for each request it checks who may ask
 * (auth.ts), finds the route (router.ts), checks the path parameters and the JSON body against the
 * route's schemas, calls the route's handler with typed values, and answers with JSON. Every
 * failure, whatever its cause, becomes a 4xx or 5xx answer with a JSON message (errors.ts); none
 * reaches the process.
 *
 * The handlers are passed in (handlers.ts binds them to a NodeRuntime), so tests can serve fakes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorize, type AuthPolicy } from './auth.ts';
import { badRequest, errorAnswer, methodNotAllowed } from './errors.ts';
import { ApiLimits } from './limits.ts';
import { readJsonBody } from './request-body.ts';
import { matchRoute } from './router.ts';
import { routes, type CheckedRequest, type ResponseOf, type RouteName } from './routes.ts';

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
  /** Prometheus metrics served at /metrics (text exposition format); 404 when absent. */
  readonly metrics?: () => Promise<{ readonly contentType: string; readonly text: string }>;
  readonly log?: (record: LogRecord) => void;
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
    requestTimeout: ApiLimits.requestTimeoutMs,
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
  try {
    authorize(options.auth, { authorization: request.headers.authorization, host: request.headers.host });
    const target = request.url ?? '/';
    const queryStart = target.indexOf('?');
    const pathname = queryStart < 0 ? target : target.slice(0, queryStart);
    const query = queryStart < 0 ? '' : target.slice(queryStart + 1);
    if (pathname === '/') {
      if (request.method !== 'GET') throw methodNotAllowed(request.method ?? '', pathname, ['GET']);
      send(response, 200, HTML_HEADERS, await options.statusPage());
      return;
    }
    if (pathname === '/metrics' && options.metrics !== undefined) {
      if (request.method !== 'GET') throw methodNotAllowed(request.method ?? '', pathname, ['GET']);
      const metrics = await options.metrics();
      send(response, 200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }, metrics.text);
      return;
    }
    const match = matchRoute(request.method ?? '', pathname);
    if (query !== '') throw badRequest(`${pathname} takes no query parameters`);
    const result = await callHandler(options.handlers, match.name, match.params, request);
    send(response, 200, JSON_HEADERS, JSON.stringify(result));
  } catch (error) {
    const answer = errorAnswer(error);
    if (answer.unexpected) {
      log({ level: 'error', event: 'apiError', method: request.method, url: request.url, error: (error as Error)?.stack ?? String(error) });
    }
    // A body left unread is not drained: the connection closes after the answer instead.
    const headers = request.complete ? { ...JSON_HEADERS, ...answer.headers } : { ...JSON_HEADERS, ...answer.headers, connection: 'close' };
    send(response, answer.status, headers, JSON.stringify(answer.body));
  }
}

/** Checks the parameters and body against the route's schemas, then runs its handler. */
async function callHandler<Name extends RouteName>(
  handlers: RouteHandlers, name: Name, rawParams: Readonly<Record<string, string>>, request: IncomingMessage,
): Promise<ResponseOf<Name>> {
  const route = routes[name];
  const params = route.params.check(rawParams, '');
  if (!params.ok) throw badRequest(params.error);
  let body: unknown = undefined;
  if (route.body !== null) {
    const checked = route.body.check(await readJsonBody(request, ApiLimits.requestBodyBytesMax), 'body');
    if (!checked.ok) throw badRequest(checked.error);
    body = checked.value;
  }
  const handler = handlers[name] as (checked: CheckedRequest<Name>) => Promise<ResponseOf<Name>>;
  return handler({ params: params.value, body } as CheckedRequest<Name>);
}

function send(response: ServerResponse, status: number, headers: Readonly<Record<string, string>>, body: string): void {
  // The client may have gone (a timeout, a closed connection); there is nobody to answer.
  if (response.destroyed || response.headersSent) return;
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
