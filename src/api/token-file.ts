/**
 * The API's bearer tokens, kept in the data directory: `api-token`, which may do everything, and
 * `api-read-token`, which may only read (auth.ts). Each is created on a node's first start (32
 * random bytes as hex), readable by its owner only, and kept across restarts so scripts that read
 * it once go on working. A user may replace either with a token of their own.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataFiles, writeFileAtomically } from '../runtime/data-dir.ts';

/** Characters of an RFC 6750 bearer token (token68), and a length that makes guessing hopeless. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~+/-]{16,256}$/;
const OWNER_ONLY = 0o600;

export interface ApiToken {
  readonly token: string;
  readonly path: string;
  readonly created: boolean;
  /** The file was readable by others and has been made owner-only; the token may have leaked. */
  readonly permissionsFixed: boolean;
}

/** The token file cannot be used; never replaced silently, since scripts may rely on it. */
export class ApiTokenFileError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem}`);
    this.name = 'ApiTokenFileError';
  }
}

export function apiTokenPath(dataDir: string): string {
  return join(dataDir, DataFiles.apiToken);
}

export function apiReadTokenPath(dataDir: string): string {
  return join(dataDir, DataFiles.apiReadToken);
}

export async function loadOrCreateApiToken(dataDir: string): Promise<ApiToken> {
  return loadOrCreateTokenFile(apiTokenPath(dataDir));
}

/** The read-only token (auth.ts); never the same as the full one. */
export async function loadOrCreateApiReadToken(dataDir: string, fullToken: string): Promise<ApiToken> {
  const read = await loadOrCreateTokenFile(apiReadTokenPath(dataDir));
  if (read.token === fullToken) throw new ApiTokenFileError(read.path, 'holds the same token as api-token: a read-only token must differ (delete the file to get a new one)');
  return read;
}

async function loadOrCreateTokenFile(path: string): Promise<ApiToken> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const token = randomBytes(32).toString('hex');
    await writeFileAtomically(path, `${token}\n`, OWNER_ONLY);
    return { token, path, created: true, permissionsFixed: false };
  }
  const token = text.trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new ApiTokenFileError(path, 'expected one token of 16 to 256 characters from A-Z a-z 0-9 . _ ~ + / - (delete the file to get a new one)');
  }
  const permissionsFixed = ((await stat(path)).mode & 0o077) !== 0;
  if (permissionsFixed) await chmod(path, OWNER_ONLY);
  return { token, path, created: false, permissionsFixed };
}

/** Reads a token file written by a node (for clients); the same format rules. */
export async function readApiTokenFile(path: string): Promise<string> {
  const token = (await readFile(path, 'utf8')).trim();
  if (!TOKEN_PATTERN.test(token)) throw new ApiTokenFileError(path, 'does not hold a token');
  return token;
}
