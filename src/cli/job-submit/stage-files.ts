/**
 * Puts a job's files on the grid before it is submitted: the program and any input files named in
 * job.json (paths relative to job.json) are added to the node unencrypted — volunteers must read
 * them without a capability, and a program is no secret from those who run it — pinned under the
 * job's pin name, and placed on the grid with the node's default redundancy. A name that already is
 * a CID is left as it is. Returns job.json's value with those names replaced by CIDs.
 */
import { open, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ApiClient } from '../../api/client.ts';
import { readProgressStream } from '../../api/progress-stream.ts';
import { UsageError } from '../args.ts';
import { CommandFailedError } from '../command.ts';
import { callApi } from '../api-client/call.ts';

const CID_TEXT = /^b[a-z2-7]{20,}$/;

export async function stageJobFiles(api: ApiClient, baseUrl: string, jobPath: string, job: Record<string, unknown>, pinName: string): Promise<Record<string, unknown>> {
  const folder = dirname(resolve(jobPath));
  const pathOf = (name: string): string => (isAbsolute(name) ? name : resolve(folder, name));
  const units = job.units;
  const inputNames = typeof units === 'object' && units !== null && Array.isArray((units as Record<string, unknown>).inputs)
    ? (units as Record<string, unknown>).inputs as unknown[] : null;
  // Every file is checked before the first is stored, so a missing input stages nothing.
  if (typeof job.program === 'string') await checkLocalFile(job.program, pathOf(job.program), 'the program');
  for (const input of inputNames ?? []) if (typeof input === 'string') await checkLocalFile(input, pathOf(input), 'the input');
  const staged = { ...job };
  const stage = async (name: string, what: string): Promise<string> => {
    if (CID_TEXT.test(name)) return name;
    const path = pathOf(name);
    const handle = await open(path, 'r').catch((error: Error) => {
      throw new CommandFailedError(`cannot read ${what} ${path}: ${error.message}`);
    });
    let cid: string;
    try {
      const added = await callApi(baseUrl, () => api.addFile(handle.createReadStream({ autoClose: false }), { encrypt: false, name: pinName }));
      cid = added.cid;
    } finally {
      await handle.close();
    }
    const placing = await callApi(baseUrl, () => api.placeContent({ ref: cid }, {}));
    try {
      await readProgressStream(placing.body, () => {});
    } catch (error) {
      throw new CommandFailedError(`the node could not place ${what} ${path}: ${(error as Error).message}`);
    }
    return cid;
  };
  if (typeof job.program === 'string') staged.program = await stage(job.program, 'the program');
  if (inputNames !== null) {
    const inputs: unknown[] = [];
    for (const input of inputNames) inputs.push(typeof input === 'string' ? await stage(input, 'the input') : input);
    staged.units = { ...(units as Record<string, unknown>), inputs };
  }
  return staged;
}

/** A file job.json names (unless it is a CID) must be a readable file: a usage error otherwise, before any request. */
async function checkLocalFile(name: string, path: string, what: string): Promise<void> {
  if (CID_TEXT.test(name)) return;
  const info = await stat(path).catch((error: Error) => {
    throw new UsageError(`cannot read ${what} ${path}: ${error.message}${what === 'the program' && path.endsWith('.wasm') ? ' (build it first: node build.ts in its folder)' : ''}`);
  });
  if (!info.isFile()) throw new UsageError(`${what} ${path} is not a file`);
}
