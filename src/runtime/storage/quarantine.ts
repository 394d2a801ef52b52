/**
 * quarantine/: bytes that failed verification, and entries found where they do not belong, kept
 * for a human to look at and never deleted by the store. A block's bad bytes are copied out of
 * its pack (the pack itself stays: its other blocks may be fine).
 */
import { rename, writeFile } from 'node:fs/promises';
import { quarantinePath } from './block-layout.ts';

/** Writes a copy of a block's bad bytes; returns its path. */
export async function writeQuarantineCopy(root: string, hex: string, bytes: Uint8Array, nowUnixMs: number): Promise<string> {
  const path = quarantinePath(root, hex, nowUnixMs);
  await writeFile(path, bytes, { flag: 'wx', mode: 0o600 });
  return path;
}

/** Moves a file into quarantine/ under a name saying where it came from; returns its new path. */
export async function moveToQuarantine(root: string, path: string, name: string, nowUnixMs: number): Promise<string> {
  const target = quarantinePath(root, name.slice(0, 120), nowUnixMs);
  await rename(path, target);
  return target;
}
