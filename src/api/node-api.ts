/**
 * The HTTP API of a running node: its tokens (created on first start: one for everything, one
 * that only reads), the token rule for the
 * listening address, the handlers bound to the NodeRuntime, and the status page.
 */
import type { NodeRuntime } from '../runtime/node-runtime.ts';
import type { ApiListenAddress } from './api-address.ts';
import { authPolicyFor } from './auth.ts';
import { nodeHandlers } from './handlers.ts';
import { startApiServer, type ApiServer, type LogRecord, type RouteHandlers } from './server.ts';
import { renderStatusPage } from './status-page.ts';
import { errorAnswer } from './errors.ts';
import { renderSearchPage, searchFormOf } from './search-page.ts';
import { loadOrCreateApiReadToken, loadOrCreateApiToken } from './token-file.ts';

export interface NodeApiServer extends ApiServer {
  /** The file holding the bearer token. */
  readonly tokenPath: string;
  /** The file holding the read-only token (GET requests only). */
  readonly readTokenPath: string;
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
  const readToken = await loadOrCreateApiReadToken(runtime.dataDir, token.token);
  if (readToken.permissionsFixed) {
    log({ level: 'warn', event: 'apiTokenPermissionsFixed', path: readToken.path, note: 'it was readable by others; consider replacing it' });
  }
  const auth = authPolicyFor(listen.host, token.token, readToken.token);
  const handlers = nodeHandlers(runtime);
  const server = await startApiServer({
    host: listen.host,
    port: listen.port,
    auth,
    handlers,
    metrics: async () => ({ contentType: runtime.metrics.contentType, text: await runtime.metrics.text() }),
    statusPage: async () => renderStatusPage(await handlers.status({ params: {}, body: undefined }), await handlers.peers({ params: {}, body: undefined })),
    searchPage: (query) => searchPage(handlers, query),
    log,
  });
  return { ...server, tokenPath: token.path, readTokenPath: readToken.path, tokenRequired: auth.tokenRequired };
}

/** The search page for a query string: the form alone, or with the hits, or with what was wrong. */
export async function searchPage(handlers: RouteHandlers, queryString: string): Promise<{ status: number; html: string }> {
  const form = searchFormOf(queryString);
  if (form.query.trim() === '' && form.field.trim() === '') return { status: 200, html: renderSearchPage(form, null) };
  try {
    const result = await handlers.search({ params: {}, body: { query: form.query, fields: form.field.trim() === '' ? [] : [form.field], limit: 20, stem: form.stem } });
    return { status: 200, html: renderSearchPage(form, { result }) };
  } catch (error) {
    const answer = errorAnswer(error);
    return { status: answer.status, html: renderSearchPage(form, { error: answer.body.error.message }) };
  }
}
