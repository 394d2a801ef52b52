/**
 * The TypeScript client, derived from the route table: one method per route, typed from its
 * schemas. It checks a request against the route before sending it and the answer against the
 * route's response schema after, so a caller gets either typed data or a named error
 * (client-errors.ts), never an unchecked object.
 *
 *   const api = createApiClient({ baseUrl: 'http://127.0.0.1:5380' });
 *   const status = await api.status();
 *   const found = await api.lookup({ key: 'b2786c1f…' });
 *   await api.dhtPut({ key: 'greeting' }, { value: 'hello' });
 */
import { ApiProtocolError, ApiResponseError, ApiStreamError, ApiUnreachableError, CONNECTION_CLOSED, InvalidRequestError } from './client-errors.ts';
import {
  errorResponseSchema, isByteStream, routeNames, routes, type ByteStreamBody, type ByteStreamResponse, type ClientBodyOf, type ParamsOf,
  type QueryOf, type ResponseOf, type RouteName,
} from './routes.ts';

export interface ApiClientOptions {
  /** Scheme, host and port, without a trailing slash: http://127.0.0.1:5380. */
  readonly baseUrl: string;
  /** Sent as a bearer token when given; required by an API that is not on loopback. */
  readonly token?: string | null;
  /**
   * How long one call may take (a lookup can run for the kernel's lookupDurationMaxMs, 30 s); a
   * route that declares a longer answerTimeoutMs gets that. For a route with a byte stream, how
   * long the stream may stand still: its whole length is not bounded.
   */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

type Empty<T> = keyof T extends never ? true : false;

/**
 * A route's arguments, in order: its path parameters (when it has any), its body (when it takes
 * one: JSON, or bytes for a byte-stream route), its query (optional, when it takes one).
 */
type ClientArgs<Name extends RouteName> = [
  ...(Empty<ParamsOf<Name>> extends true ? [] : [params: ParamsOf<Name>]),
  ...(ClientBodyOf<Name> extends undefined ? [] : [body: ClientBodyOf<Name>]),
  ...(QueryOf<Name> extends undefined ? [] : [query?: QueryOf<Name>]),
];

export type ApiClient = {
  readonly [Name in RouteName]: (...args: ClientArgs<Name>) => Promise<ResponseOf<Name>>;
};

export function createApiClient(options: ApiClientOptions): ApiClient {
  const client: Record<string, unknown> = {};
  for (const name of routeNames) {
    const route = routes[name];
    const takesParams = route.path.includes('/:');
    const takesBody = route.body !== null;
    client[name] = (...args: unknown[]) => {
      let at = 0;
      const params = (takesParams ? args[at++] : {}) as Record<string, string> | undefined;
      const body = takesBody ? args[at++] : undefined;
      const query = (route.query !== null ? args[at++] : undefined) as Record<string, unknown> | undefined;
      return call(options, name, params ?? {}, body, query ?? {});
    };
  }
  return client as ApiClient;
}

async function call<Name extends RouteName>(
  options: ApiClientOptions, name: Name, params: Record<string, string>, body: unknown, query: Record<string, unknown>,
): Promise<ResponseOf<Name>> {
  const route = routes[name];
  const checkedParams = route.params.check(params, '');
  if (!checkedParams.ok) throw new InvalidRequestError(checkedParams.error);
  const search = queryString(route.query, query);
  const streamed = isByteStream(route.body) || isByteStream(route.response);
  if (isByteStream(route.body)) {
    if (!isBytes(body)) throw new InvalidRequestError('body: must be bytes (a Uint8Array or an async iterable of them)');
  } else if (route.body !== null) {
    const checkedBody = route.body.check(body, 'body');
    if (!checkedBody.ok) throw new InvalidRequestError(checkedBody.error);
  }
  const path = route.path.split('/')
    .map((segment) => (segment.startsWith(':') ? encodeURIComponent(params[segment.slice(1)]) : segment))
    .join('/');
  const headers: Record<string, string> = { accept: isByteStream(route.response) ? 'application/octet-stream, application/json' : 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (isByteStream(route.body)) headers['content-type'] = 'application/octet-stream';
  else if (route.body !== null) headers['content-type'] = 'application/json';
  const timeoutMs = Math.max(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, route.answerTimeoutMs ?? 0);
  // A stream is bounded by how long it stands still, not by its length.
  const watchdog = streamed ? new IdleWatchdog(timeoutMs) : null;
  const signal = watchdog?.signal ?? AbortSignal.timeout(timeoutMs);
  const where = `${route.method} ${path}`;
  let response: Response;
  try {
    response = await fetch(`${options.baseUrl}${path}${search}`, {
      method: route.method,
      headers,
      body: isByteStream(route.body) ? watched(body as ByteStreamBody, watchdog) as unknown as RequestInit['body']
        : route.body === null ? undefined : JSON.stringify(body),
      // A streamed request body must say so (fetch's half-duplex rule).
      ...(isByteStream(route.body) ? { duplex: 'half' } : {}),
      // The token must not follow a redirect to somewhere else.
      redirect: 'error',
      signal,
    } as RequestInit);
  } catch (error) {
    watchdog?.stop();
    throw new ApiUnreachableError(options.baseUrl, unreachableReason(error, timeoutMs, streamed));
  }
  const status = response.status;
  if (isByteStream(route.response) && status >= 200 && status <= 299) {
    const contentType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
    if (contentType !== 'application/octet-stream' || response.body === null) {
      watchdog?.stop();
      await response.body?.cancel().catch(() => {});
      throw new ApiProtocolError(`${where}: the answer (status ${status}) is not a byte stream; is ${options.baseUrl} a peergrid API?`);
    }
    const length = response.headers.get('content-length');
    const answer: ByteStreamResponse = {
      body: received(response.body as unknown as AsyncIterable<Uint8Array>, watchdog as IdleWatchdog, options.baseUrl, timeoutMs),
      bytes: length === null ? null : Number(length),
    };
    return answer as ResponseOf<Name>;
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new ApiUnreachableError(options.baseUrl, unreachableReason(error, timeoutMs, streamed));
  } finally {
    watchdog?.stop();
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiProtocolError(`${where}: the answer (status ${status}) is not JSON; is ${options.baseUrl} a peergrid API?`);
  }
  if (status < 200 || status > 299) {
    const checked = errorResponseSchema.check(json, 'error');
    if (!checked.ok) throw new ApiProtocolError(`${where}: status ${status} without a peergrid error message`);
    throw new ApiResponseError(status, checked.value.error.code, checked.value.error.message);
  }
  const checked = (route.response as { check: (value: unknown, path: string) => { ok: boolean; value?: unknown; error?: string } }).check(json, 'response');
  if (!checked.ok) throw new ApiProtocolError(`${where}: unexpected answer: ${checked.error}`);
  return checked.value as ResponseOf<Name>;
}

/** Checks the query's typed values as the server will read them (as text), and writes the query string. */
function queryString(schema: (typeof routes)[RouteName]['query'], query: Record<string, unknown>): string {
  if (schema === null) return '';
  const texts: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) if (value !== undefined) texts[name] = String(value);
  const checked = schema.check(texts, 'query');
  if (!checked.ok) throw new InvalidRequestError(checked.error);
  const search = new URLSearchParams(texts).toString();
  return search === '' ? '' : `?${search}`;
}

function isBytes(value: unknown): value is ByteStreamBody {
  return value instanceof Uint8Array || (typeof value === 'object' && value !== null && Symbol.asyncIterator in value);
}

/** Aborts a call once nothing has moved for `idleMs`; every piece sent or received resets it. */
class IdleWatchdog {
  private readonly controller = new AbortController();
  private readonly idleMs: number;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(idleMs: number) {
    this.idleMs = idleMs;
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new DOMException('idle', 'TimeoutError')), this.idleMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The body to send, resetting the watchdog with each piece. */
function watched(body: ByteStreamBody, watchdog: IdleWatchdog | null): AsyncIterable<Uint8Array> {
  return (async function* () {
    if (body instanceof Uint8Array) {
      yield body;
      return;
    }
    for await (const piece of body) {
      watchdog?.touch();
      yield piece;
    }
  })();
}

/** The answer's bytes; a stream cut short (the node failed half-way, or stalled) is an ApiStreamError. */
function received(body: AsyncIterable<Uint8Array>, watchdog: IdleWatchdog, baseUrl: string, timeoutMs: number): AsyncIterable<Uint8Array> {
  return (async function* () {
    try {
      for await (const piece of body) {
        watchdog.touch();
        yield piece;
      }
    } catch (error) {
      throw new ApiStreamError(baseUrl, unreachableReason(error, timeoutMs, true));
    } finally {
      watchdog.stop();
    }
  })();
}

/** Says why fetch failed, from the system error under undici's generic "fetch failed". */
function unreachableReason(error: unknown, timeoutMs: number, streamed = false): string {
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return streamed ? `nothing moved for ${Math.round(timeoutMs / 1000)} s` : `no answer within ${Math.round(timeoutMs / 1000)} s`;
  }
  const cause = (error as { cause?: NodeJS.ErrnoException } | undefined)?.cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is a node running there?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return CONNECTION_CLOSED;
    default:
      return cause?.message ?? (error as Error | undefined)?.message ?? String(error);
  }
}
