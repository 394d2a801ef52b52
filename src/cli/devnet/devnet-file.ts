/**
 * DIR/devnet.json: what a script needs to drive a running devnet — each node's kernel id, process
 * id, API URL, multiaddrs and data directory, in start order (node 0 is the bootstrap).
 */
import { join } from 'node:path';
import { writeFileAtomically } from '../../runtime/data-dir.ts';

export const DEVNET_FILE = 'devnet.json';

export interface DevnetEntry {
  readonly id: string;
  readonly pid: number;
  readonly api: string;
  readonly multiaddrs: readonly string[];
  readonly dataDir: string;
}

export async function writeDevnetFile(dir: string, entries: readonly DevnetEntry[]): Promise<string> {
  const path = join(dir, DEVNET_FILE);
  await writeFileAtomically(path, `${JSON.stringify(entries, null, 2)}\n`, 0o644);
  return path;
}
