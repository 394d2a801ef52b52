/**
 * The HTTP API of a running node: its token (created on first start), the token rule for the
 * listening address, the handlers bound to the NodeRuntime, and the status page.
 */
import type { NodeRuntime } from '../runtime/node-runtime.ts';
import type { ApiListenAddress } from './api-address.ts';
import { authPolicyFor } from './auth.ts';
import { nodeHandlers } from './handlers.ts';
import { startApiServer, type ApiServer, type LogRecord } from './server.ts';
import { renderStatusPage } from './status-page.ts';
import { loadOrCreateApiToken } from './token-file.ts';

export interface NodeApiServer extends ApiServer {
  /** The file holding the bearer token. */
  readonly tokenPath: string;
  /** Whether every request needs the token (a listener that is not on loopback). */
  readonly tokenRequired: boolean;
}

export async function startNodeApi(
  runtime: NodeRuntime, listen: ApiListenAddress, log: (record: LogRecord) => void = () => {},
): Promise<NodeApiServer> {
  const token = await loadOrCreateApiToken(runtime.dataDir);
  if (token.permissionsFixed) {
    log({ level: 'warn', event: 'apiTokenPermissionsFixed', path: token.path, note: 'it was readable by others; consider replacing it' });
  }
  const auth = authPolicyFor(listen.host, token.token);
  const handlers = nodeHandlers(runtime);
  const server = await startApiServer({
    host: listen.host,
    port: listen.port,
    auth,
    handlers,
    metrics: async () => ({ contentType: runtime.metrics.contentType, text: await runtime.metrics.text() }),
    statusPage: async () => renderStatusPage(await handlers.status({ params: {}, body: undefined }), await handlers.peers({ params: {}, body: undefined })),
    log,
  });
  return { ...server, tokenPath: token.path, tokenRequired: auth.tokenRequired };
}
