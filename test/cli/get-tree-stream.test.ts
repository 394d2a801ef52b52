/**
 * `peergrid get` of a directory reads one tree stream (GET /api/v1/trees/:ref) and trusts none of
 * it: against an API that sends hostile or broken streams, names that would leave PATH are
 * refused and nothing lands outside it, a stream cut short fails the get (what was written stays,
 * for --continue); and a node without the tree route is read file by file, as before.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { authPolicyFor } from '../../src/api/auth.ts';
import { ApiError } from '../../src/api/errors.ts';
import { nodeHandlers } from '../../src/api/handlers.ts';
import { startApiServer, type ApiServer, type RouteHandlers } from '../../src/api/server.ts';
import { treeHeader } from '../../src/api/tree-stream.ts';
import { main, type CliIo } from '../../src/cli/main.ts';
import { sha256 } from '../../src/runtime/storage/sha256.ts';
import { cidOf, Codec } from '../../src/services/storage/dag/cids.ts';
import { FakeNode } from '../api/fake-node.ts';

const text = new TextEncoder();
const REF = cidOf(Codec.dagPb, text.encode('a directory'), sha256).toString();
const FILE_REF = cidOf(Codec.raw, text.encode('hello'), sha256).toString();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((part) => [...part]));
}

/** What the fake API answers for the tree; each test sets it. */
let treeAnswer: () => Promise<{ body: AsyncIterable<Uint8Array>; bytes: null }>;

async function startApi(): Promise<ApiServer> {
  const handlers: RouteHandlers = {
    ...nodeHandlers(new FakeNode()),
    listContent: async ({ params }) => params.ref === REF
      ? { ref: REF, cid: REF, kind: 'directory', bytes: 5, entries: [{ name: 'hello.txt', kind: 'file', bytes: 5, ref: FILE_REF }] }
      : { ref: params.ref, cid: params.ref, kind: 'file', bytes: 5, entries: [] },
    getTree: () => treeAnswer(),
    getContent: async () => ({ body: (async function* () { yield text.encode('hello'); })(), bytes: 5 }),
  };
  return startApiServer({ host: '127.0.0.1', port: 0, auth: authPolicyFor('127.0.0.1', null), handlers, statusPage: async () => '' });
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function get(api: ApiServer, out: string): Promise<{ status: number; out: string; err: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { out: (chunk) => (stdout += chunk), err: (chunk) => (stderr += chunk), env: {} };
  const status = await main(['get', REF, '-o', out, '--api', api.url, '--json'], io);
  return { status, out: stdout, err: stderr };
}

describe('get of a directory through its tree stream', () => {
  let api: ApiServer;
  let work = '';
  before(async () => {
    api = await startApi();
    work = await mkdtemp(join(tmpdir(), 'peergrid-get-tree-'));
  });
  after(async () => {
    await api.close();
    await rm(work, { recursive: true, force: true });
  });

  it('writes the directories and files of the stream', async () => {
    treeAnswer = async () => ({
      body: once(concat([
        treeHeader({ kind: 'directory', path: ['docs'] }),
        treeHeader({ kind: 'file', path: ['docs', 'a.txt'], bytes: 3 }), text.encode('abc'),
        treeHeader({ kind: 'file', path: ['b.txt'], bytes: 0 }),
        treeHeader({ kind: 'end', files: 2, directories: 1 }),
      ])),
      bytes: null,
    });
    const out = join(work, 'good');
    const result = await get(api, out);
    assert.equal(result.status, 0, result.err);
    const { fetched: _fetched, ...summary } = JSON.parse(result.out) as Record<string, unknown>;
    assert.deepEqual(summary, { path: out, kind: 'directory', files: 2, directories: 2, bytes: 3, filesKept: 0 });
    assert.equal(await readFile(join(out, 'docs', 'a.txt'), 'utf8'), 'abc');
    assert.equal(await readFile(join(out, 'b.txt'), 'utf8'), '');
  });

  for (const name of ['..', '.', 'a/b', '', 'x\0y']) {
    it(`refuses the name ${JSON.stringify(name)} and writes nothing outside PATH`, async () => {
      const out = join(work, `hostile-${Buffer.from(name).toString('hex') || 'empty'}`);
      treeAnswer = async () => ({
        body: once(concat([treeHeader({ kind: 'file', path: [name, 'escaped.txt'], bytes: 4 }), text.encode('evil'), treeHeader({ kind: 'end', files: 1, directories: 0 })])),
        bytes: null,
      });
      const result = await get(api, out);
      assert.equal(result.status, 1);
      assert.match(result.err, /refused to write/);
      assert.deepEqual((await readdir(work)).filter((entry) => entry.includes('escaped')), []);
      assert.deepEqual(await readdir(out), []);
    });
  }

  it('writes nothing through a name whose directory the stream did not send first (a link left at PATH)', async () => {
    const out = join(work, 'linked');
    const elsewhere = join(work, 'elsewhere');
    await mkdir(out);
    await mkdir(elsewhere);
    await symlink(elsewhere, join(out, 'a'));
    treeAnswer = async () => ({
      body: once(concat([treeHeader({ kind: 'file', path: ['a', 'planted.txt'], bytes: 2 }), text.encode('hi'), treeHeader({ kind: 'end', files: 1, directories: 0 })])),
      bytes: null,
    });
    let stderr = '';
    const io: CliIo = { out: () => {}, err: (chunk) => (stderr += chunk), env: {} };
    assert.equal(await main(['get', REF, '-o', out, '--continue', '--api', api.url], io), 1);
    assert.match(stderr, /comes before its directory/);
    assert.deepEqual(await readdir(elsewhere), []);
  });

  it('fails a stream cut short, keeps what it wrote, and points at --continue', async () => {
    treeAnswer = async () => ({
      body: once(concat([treeHeader({ kind: 'file', path: ['whole.txt'], bytes: 2 }), text.encode('ok'), treeHeader({ kind: 'file', path: ['cut.txt'], bytes: 10 }), text.encode('12345')])),
      bytes: null,
    });
    const out = join(work, 'cut');
    const result = await get(api, out);
    assert.equal(result.status, 1);
    assert.match(result.err, /the tree's stream is not as it should be: the stream ended 5 bytes before the end of a file/);
    assert.match(result.err, /--continue/);
    assert.equal(await readFile(join(out, 'whole.txt'), 'utf8'), 'ok');
    assert.deepEqual((await readdir(out)).filter((entry) => entry.includes('cut.txt')), []);
  });

  it('reads the tree file by file from a node without the tree route', async () => {
    treeAnswer = async () => {
      throw new ApiError(404, 'not_found', 'no route /api/v1/trees/x (routes: …)');
    };
    const out = join(work, 'old-node');
    const result = await get(api, out);
    assert.equal(result.status, 0, result.err);
    assert.equal(await readFile(join(out, 'hello.txt'), 'utf8'), 'hello');
  });

  it('reports any other refusal of the tree as the node gave it', async () => {
    treeAnswer = async () => {
      throw new ApiError(404, 'not_found', 'no such content');
    };
    const result = await get(api, join(work, 'missing'));
    assert.equal(result.status, 1);
    assert.match(result.err, /no such content/);
  });
});
