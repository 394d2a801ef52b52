/**
 * `peergrid put` to a node on the same machine: the node reads the file or tree from disk itself
 * (POST /api/v1/local-adds) instead of receiving its bytes over the API, which spares both
 * processes a read, a socket write and a socket read of every byte. The path sent is the resolved
 * one, with what this process sees there (runtime/content/local-path-guard.ts); a node that sees
 * something else there (a tunnel to another machine, another container), that will not read it,
 * or that is older than this route, refuses — and the put streams the bytes as before.
 *
 * The node reads with its own permissions, so it asks for proof that the caller can read its
 * api-token (api/local-add-proof.ts), even on loopback where other requests need no token. This
 * command reads the token from the node's data directory (its status names it), which only the
 * node's own user can; it never sends it. A user of the machine who cannot read that file streams
 * the bytes, with its own permissions, as before.
 */
import { realpath } from 'node:fs/promises';
import { ApiResponseError } from '../../api/client-errors.ts';
import { LOCAL_PATH_REFUSED } from '../../api/errors.ts';
import { localAddProof } from '../../api/local-add-proof.ts';
import { ProgressStreamError, readProgressStream } from '../../api/progress-stream.ts';
import { localAddedSchema } from '../../api/routes.ts';
import type { Infer } from '../../api/schema.ts';
import { localPathIdentity } from '../../runtime/content/local-path-guard.ts';
import { isLoopbackHost } from '../../api/auth.ts';
import { apiTokenPath, readApiTokenFile } from '../../api/token-file.ts';
import { callApi, translateApiError } from '../api-client/call.ts';
import { CommandFailedError } from '../command.ts';
import type { PutPlan } from './command.ts';

export type LocalAdded = Infer<typeof localAddedSchema>;

/** Whether the API's address is this machine's: only then is a local add worth asking. */
export function apiIsOnThisMachine(baseUrl: string): boolean {
  try {
    return isLoopbackHost(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}

/** Asks the node to add `path` itself; null when it refuses to (the caller streams the bytes then). */
export async function addLocally(path: string, plan: PutPlan): Promise<LocalAdded | null> {
  const status = await callApi(plan.baseUrl, () => plan.api.status());
  const token = await readApiTokenFile(apiTokenPath(status.dataDir)).catch(() => null);
  if (token === null) return null;
  const resolved = await realpath(path);
  const request = { path: resolved, identity: await localPathIdentity(resolved), encrypt: plan.encrypt, name: plan.pinName, atMs: Date.now() };
  let answer: { body: AsyncIterable<Uint8Array> };
  try {
    answer = await plan.api.addLocalPath({ ...request, proof: localAddProof(token, request) });
  } catch (error) {
    // 403: the put's token is the read-only one. 404: a node from before local adds.
    if (error instanceof ApiResponseError && (error.code === LOCAL_PATH_REFUSED || error.status === 403 || error.status === 404)) return null;
    throw translateApiError(error, plan.baseUrl);
  }
  let done: Record<string, unknown>;
  let bytesShown = 0;
  try {
    done = await readProgressStream(answer.body, (figures) => {
      const bytes = figures.bytes ?? 0;
      if (bytes > bytesShown) plan.progress.add(bytes - bytesShown);
      bytesShown = Math.max(bytesShown, bytes);
    });
  } catch (error) {
    // A hard link into the node's data directory is found only as the tree is read.
    if (error instanceof ProgressStreamError && error.code === LOCAL_PATH_REFUSED) {
      plan.progress.add(-bytesShown);
      return null;
    }
    throw new CommandFailedError(`the node could not add ${path}: ${(error as Error).message}`);
  }
  const checked = localAddedSchema.check(done, 'done');
  if (!checked.ok) throw new CommandFailedError(`${plan.baseUrl}: unexpected answer to a local add: ${checked.error}`);
  return checked.value;
}
