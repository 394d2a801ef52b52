/**
 * The node's Ed25519 key, kept in the data directory so that a restart keeps its libp2p peer id
 * and its kernel id (SHA-256 of the public key). Created on first start; readable by the owner only.
 *
 * Format: JSON { "version": 1, "type": "Ed25519", "privateKey": base64 of libp2p's protobuf key encoding }.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { DataFiles, writeFileAtomically } from './data-dir.ts';

const IDENTITY_VERSION = 1;

/** The identity file exists but cannot be used; never replaced silently, since it is who the node is. */
export class IdentityFileError extends Error {
  constructor(path: string, problem: string) {
    super(`${path}: ${problem} (move it away to start with a new identity)`);
    this.name = 'IdentityFileError';
  }
}

export async function loadOrCreateIdentity(dir: string): Promise<{ privateKey: Ed25519PrivateKey; created: boolean }> {
  const path = join(dir, DataFiles.identity);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    // A directory, a file we may not read: named, since Node's EISDIR message names no file.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new IdentityFileError(path, `cannot be read (${(error as Error).message})`);
    const privateKey = await generateKeyPair('Ed25519');
    const content = { version: IDENTITY_VERSION, type: 'Ed25519', privateKey: Buffer.from(privateKeyToProtobuf(privateKey)).toString('base64') };
    await writeFileAtomically(path, `${JSON.stringify(content, null, 2)}\n`, 0o600);
    return { privateKey, created: true };
  }
  return { privateKey: parseIdentity(path, text), created: false };
}

function parseIdentity(path: string, text: string): Ed25519PrivateKey {
  let content: unknown;
  try {
    content = JSON.parse(text);
  } catch {
    throw new IdentityFileError(path, 'not JSON');
  }
  const record = content as { version?: unknown; type?: unknown; privateKey?: unknown };
  if (record === null || typeof record !== 'object' || record.version !== IDENTITY_VERSION) {
    throw new IdentityFileError(path, `expected version ${IDENTITY_VERSION}`);
  }
  if (record.type !== 'Ed25519' || typeof record.privateKey !== 'string') throw new IdentityFileError(path, 'expected an Ed25519 privateKey');
  let key;
  try {
    key = privateKeyFromProtobuf(Buffer.from(record.privateKey, 'base64'));
  } catch {
    throw new IdentityFileError(path, 'privateKey does not decode');
  }
  if (key.type !== 'Ed25519') throw new IdentityFileError(path, `the key is ${key.type}, not Ed25519`);
  return key;
}
