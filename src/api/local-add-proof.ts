/**
 * The proof a local add carries (POST /api/v1/local-adds): that its client can read the node's
 * api-token, which only the node's own user can, without sending it. The node reads the path with
 * its own permissions; on loopback the API takes requests without a token from any user of the
 * machine, so this says the caller is entitled to those permissions.
 *
 * Why not send the token itself: the client finds it through the data directory the API names
 * in its status. Something else listening on the node's port could name a real node's data
 * directory and collect its token. A keyed hash of the request is no use to it: it binds the path,
 * the identity, the options and the time, so it can be replayed at most within the window, to
 * make the real node add the very file its own user asked for.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A proof is good this long either way of the node's clock. */
export const LOCAL_ADD_PROOF_WINDOW_MS = 5 * 60_000;

export interface LocalAddRequest {
  readonly path: string;
  readonly identity: string;
  readonly encrypt?: boolean;
  readonly name?: string;
  readonly atMs: number;
}

/** HMAC-SHA256 under the token of every field of the request, in hex. */
export function localAddProof(token: string, request: LocalAddRequest): string {
  const fields = JSON.stringify(['peergrid local add v1', request.path, request.identity, request.encrypt ?? true, request.name ?? null, request.atMs]);
  return createHmac('sha256', token).update(fields, 'utf8').digest('hex');
}

/** Why the proof does not hold, or null when it does. */
export function localAddProofProblem(token: string, request: LocalAddRequest & { readonly proof: string }, nowMs: number): string | null {
  if (Math.abs(nowMs - request.atMs) > LOCAL_ADD_PROOF_WINDOW_MS) {
    return `the proof was made at ${new Date(request.atMs).toISOString()}, more than ${LOCAL_ADD_PROOF_WINDOW_MS / 60_000} minutes from the node's clock`;
  }
  const expected = Buffer.from(localAddProof(token, request), 'hex');
  const given = Buffer.from(request.proof, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'the proof was not made with this node\'s api-token';
  return null;
}
