/**
 * A directory put's staging pins (cli/put/command.ts): each stored part is pinned under the put's
 * own name until its parent holds it; a put that fails part way releases every staging pin it
 * still holds, and one that succeeds leaves none to release. The node's side is a stand-in that
 * records the calls.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ApiClient } from '../../src/api/client.ts';
import { uploadTree, type PutPlan } from '../../src/cli/put/command.ts';
import { scanLocalTree, type LocalNode } from '../../src/cli/put/local-tree.ts';

const STAGING = 'peergrid-put-0badf00d';

interface Calls {
  readonly added: string[];
  readonly made: { name: string; releaseEntryPins: string; entries: string[] }[];
  readonly released: { ref: string; name: string }[];
}

/** A node whose addFile fails on call number `failOn` (1-based; 0 never), and makeDirectory on `failDirectoryOn`. */
function standIn(failOn: number, failDirectoryOn = 0): { api: ApiClient; calls: Calls } {
  const calls: Calls = { added: [], made: [], released: [] };
  let adds = 0;
  let directories = 0;
  const api = {
    addFile: async (body: AsyncIterable<Uint8Array>) => {
      const call = ++adds;
      let bytes = 0;
      for await (const piece of body) bytes += piece.length;
      if (call === failOn) throw new Error('the node refused the file');
      const cid = `bafy-file-${call}`;
      calls.added.push(cid);
      return { cid, capability: null, bytes, chunks: 1 };
    },
    makeDirectory: async (body: { entries: { ref: string }[]; name: string; releaseEntryPins: string }) => {
      if (++directories === failDirectoryOn) throw new Error('the node refused the directory');
      const cid = `bafy-dir-${directories}`;
      calls.made.push({ name: body.name, releaseEntryPins: body.releaseEntryPins, entries: body.entries.map((entry) => entry.ref) });
      return { cid, capability: null, bytes: 0, chunks: 0 };
    },
    pinRemove: async (params: { ref: string }, query: { name: string }) => {
      calls.released.push({ ref: params.ref, name: query.name });
      return { cid: params.ref, removed: 1, withdrawn: false };
    },
  };
  return { api: api as unknown as ApiClient, calls };
}

function planFor(api: ApiClient): PutPlan {
  return {
    api, baseUrl: 'http://127.0.0.1:1', encrypt: false, pinName: 'mine', stagingPin: STAGING, staged: new Set(),
    progress: { add: () => {}, detail: () => {}, total: () => {}, done: () => {} }, totals: { bytes: 0, chunks: 0 },
  };
}

describe('staging pins of a directory put', () => {
  let dir: string;
  let root: LocalNode;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'peergrid-put-staging-'));
    await mkdir(join(dir, 'tree', 'sub'), { recursive: true });
    for (let i = 0; i < 6; i++) await writeFile(join(dir, 'tree', i < 3 ? `f${i}` : join('sub', `f${i}`)), `file ${i}`);
    root = (await scanLocalTree(join(dir, 'tree'))).root;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a put that fails part way releases the staging pin of every file it stored', async () => {
    const { api, calls } = standIn(5);
    const plan = planFor(api);
    await assert.rejects(uploadTree(root, plan), /the node refused the file/);
    assert.ok(calls.added.length >= 4, `${calls.added.length} files stored before the failure`);
    assert.deepEqual(calls.released.map((pin) => pin.ref).sort(), [...calls.added].sort());
    assert.ok(calls.released.every((pin) => pin.name === STAGING));
    assert.equal(plan.staged.size, 0);
  });

  it('a put whose top directory fails releases the files the subdirectory did not hold, and the subdirectory', async () => {
    const { api, calls } = standIn(0, 2);
    const plan = planFor(api);
    await assert.rejects(uploadTree(root, plan), /the node refused the directory/);
    const inSub = calls.made[0].entries;
    assert.equal(inSub.length, 3);
    const expected = [...calls.added.filter((cid) => !inSub.includes(cid)), 'bafy-dir-1'].sort();
    assert.deepEqual(calls.released.map((pin) => pin.ref).sort(), expected);
  });

  it('a put that succeeds has nothing to release: each directory released its entries, the top is pinned under the user\'s name', async () => {
    const { api, calls } = standIn(0);
    const plan = planFor(api);
    const top = await uploadTree(root, plan);
    assert.equal(top.cid, 'bafy-dir-2');
    assert.deepEqual(calls.made.map((made) => [made.name, made.releaseEntryPins]), [[STAGING, STAGING], ['mine', STAGING]]);
    assert.deepEqual(calls.released, []);
    assert.equal(plan.staged.size, 0);
  });
});
