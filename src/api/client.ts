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
import { ApiProtocolError, ApiResponseError, ApiUnreachableError, InvalidRequestError } from './client-errors.ts';
import {
  errorResponseSchema, routeNames, routes, type BodyOf, type ParamsOf, type ResponseOf, type RouteName,
} from './routes.ts';

export interface ApiClientOptions {
  /** Scheme, host and port, without a trailing slash: http://127.0.0.1:5380. */
  readonly baseUrl: string;
  /** Sent as a bearer token when given; required by an API that is not on loopback. */
  readonly token?: string | null;
  /** How long one call may take; a lookup can run for the kernel's lookupDurationMaxMs (30 s). */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** A route's arguments: none, its path parameters, or its parameters and its body. */
type ClientArgs<Name extends RouteName> = BodyOf<Name> extends undefined
  ? (keyof ParamsOf<Name> extends never ? [] : [params: ParamsOf<Name>])
  : [params: ParamsOf<Name>, body: BodyOf<Name>];

export type ApiClient = {
  readonly [Name in RouteName]: (...args: ClientArgs<Name>) => Promise<ResponseOf<Name>>;
};

export function createApiClient(options: ApiClientOptions): ApiClient {
  const client: Record<string, unknown> = {};
  for (const name of routeNames) {
    client[name] = (params?: Record<string, string>, body?: unknown) => call(options, name, params ?? {}, body);
  }
  return client as ApiClient;
}

async function call<Name extends RouteName>(
  options: ApiClientOptions, name: Name, params: Record<string, string>, body: unknown,
): Promise<ResponseOf<Name>> {
  const route = routes[name];
  const checkedParams = route.params.check(params, '');
  if (!checkedParams.ok) throw new InvalidRequestError(checkedParams.error);
  if (route.body !== null) {
    const checkedBody = route.body.check(body, 'body');
    if (!checkedBody.ok) throw new InvalidRequestError(checkedBody.error);
  }
  const path = route.path.split('/')
    .map((segment) => (segment.startsWith(':') ? encodeURIComponent(params[segment.slice(1)]) : segment))
    .join('/');
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (route.body !== null) headers['content-type'] = 'application/json';
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let status: number;
  let text: string;
  try {
    const response = await fetch(`${options.baseUrl}${path}`, {
      method: route.method,
      headers,
      body: route.body === null ? undefined : JSON.stringify(body),
      // The token must not follow a redirect to somewhere else.
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw new ApiUnreachableError(options.baseUrl, unreachableReason(error, timeoutMs));
  }
  const where = `${route.method} ${path}`;
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
  const checked = route.response.check(json, 'response');
  if (!checked.ok) throw new ApiProtocolError(`${where}: unexpected answer: ${checked.error}`);
  return checked.value as ResponseOf<Name>;
}

/** Says why fetch failed, from the system error under undici's generic "fetch failed". */
function unreachableReason(error: unknown, timeoutMs: number): string {
  const name = (error as Error | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${Math.round(timeoutMs / 1000)} s`;
  const cause = (error as { cause?: NodeJS.ErrnoException } | undefined)?.cause;
  switch (cause?.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is a node running there?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was closed before an answer';
    default:
      return cause?.message ?? (error as Error | undefined)?.message ?? String(error);
  }
}
