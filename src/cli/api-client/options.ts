/**
 * The options every client command shares — where the API is, how to authenticate, and whether
 * to print JSON — and the client built from them.
 *
 *   --api URL          the node's API (default $PEERGRID_API, else http://127.0.0.1:5380)
 *   --token-file FILE  a file holding the bearer token (default: $PEERGRID_API_TOKEN, if set)
 *   --json             print the API's JSON answer instead of text
 */
import { DEFAULT_API_URL, parseApiUrl } from '../../api/api-address.ts';
import { createApiClient, type ApiClient } from '../../api/client.ts';
import { readApiTokenFile } from '../../api/token-file.ts';
import { UsageError } from '../args.ts';
import type { CliIo } from '../command.ts';

export const API_CLIENT_OPTIONS = {
  api: { type: 'string' },
  'token-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export const API_CLIENT_USAGE = `  --api URL               the node's HTTP API, or just its port on 127.0.0.1
                          (default: $PEERGRID_API, else ${DEFAULT_API_URL})
  --token-file FILE       send the bearer token in FILE (a node's <data dir>/api-token); needed when the API is not
                          on loopback. Default: the token in $PEERGRID_API_TOKEN, if set
  --json                  print the API's JSON answer (one object) instead of text
  -h, --help              show this help`;

export interface ApiClientPlan {
  readonly baseUrl: string;
  readonly tokenFile: string | undefined;
  readonly json: boolean;
}

export function parseApiClientOptions(
  values: { api?: string; 'token-file'?: string; json?: boolean }, env: CliIo['env'],
): ApiClientPlan {
  // An empty variable is an unset one, as shells treat it.
  const fromEnv = env.PEERGRID_API === '' ? undefined : env.PEERGRID_API;
  const url = parseApiUrl(values.api ?? fromEnv ?? DEFAULT_API_URL);
  if (!url.ok) throw new UsageError(`${values.api === undefined ? 'PEERGRID_API' : '--api'}: ${url.error}`);
  if (values['token-file'] === '') throw new UsageError('--token-file must not be empty');
  return { baseUrl: url.value, tokenFile: values['token-file'], json: values.json === true };
}

/** The client; reads the token file now, so a missing file is a usage error before any request. */
export async function connectApi(plan: ApiClientPlan, env: CliIo['env']): Promise<ApiClient> {
  let token = env.PEERGRID_API_TOKEN === '' ? undefined : env.PEERGRID_API_TOKEN;
  if (plan.tokenFile !== undefined) {
    try {
      token = await readApiTokenFile(plan.tokenFile);
    } catch (error) {
      throw new UsageError(`--token-file: cannot use ${plan.tokenFile}: ${(error as Error).message}`);
    }
  }
  return createApiClient({ baseUrl: plan.baseUrl, token });
}
