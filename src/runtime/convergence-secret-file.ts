/**
 * The node's convergence secret (issue 4, encrypted content): 32 random bytes in
 * `<data dir>/convergence-secret`, created on first start with mode 0600. Every encrypted block's
 * key is derived from it and the block's content (content-cipher-node.ts), so two files stored
 * under one secret share their identical blocks, and nobody without the secret can tell whether a
 * stored file is one they know.
 *
 * Per node by default. A group that wants to deduplicate against each other (or several nodes of
 * one owner) copies one file into each data directory before storing: the secret is an ordinary
 * file, so sharing it needs no option. Changing it only changes the keys of content added from
 * then on; content added before stays readable, since a capability carries its own key.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CONVERGENCE_SECRET_BYTES } from './content-cipher-node.ts';
import { writeFileAtomically } from './data-dir.ts';

export const CONVERGENCE_SECRET_FILE = 'convergence-secret';

/** The file exists but cannot be a secret (another length). The node does not start: replacing it silently would change every key. */
export class ConvergenceSecretError extends Error {
  constructor(path: string, detail: string) {
    super(`the convergence secret ${path} cannot be used: ${detail}. It must hold exactly ${CONVERGENCE_SECRET_BYTES} bytes `
      + `(make one with: head -c ${CONVERGENCE_SECRET_BYTES} /dev/urandom > ${path}; chmod 600 ${path})`);
    this.name = 'ConvergenceSecretError';
  }
}

export interface LoadedSecret {
  readonly secret: Uint8Array;
  readonly path: string;
  readonly created: boolean;
  /** The file was readable by others and is now 0600. */
  readonly permissionsFixed: boolean;
}

export async function loadOrCreateConvergenceSecret(dataDir: string): Promise<LoadedSecret> {
  const path = join(dataDir, CONVERGENCE_SECRET_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    // A directory, a file we may not read: named, since Node's EISDIR message names no file.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConvergenceSecretError(path, `it cannot be read (${(error as Error).message})`);
    const secret = randomBytes(CONVERGENCE_SECRET_BYTES);
    // Created 0600, fsynced and renamed into place: a crash never leaves a short secret.
    await writeFileAtomically(path, secret, 0o600);
    return { secret: new Uint8Array(secret), path, created: true, permissionsFixed: false };
  }
  if (bytes.length !== CONVERGENCE_SECRET_BYTES) throw new ConvergenceSecretError(path, `it holds ${bytes.length} bytes`);
  let permissionsFixed = false;
  if (((await stat(path)).mode & 0o077) !== 0) {
    await chmod(path, 0o600);
    permissionsFixed = true;
  }
  return { secret: new Uint8Array(bytes), path, created: false, permissionsFixed };
}
