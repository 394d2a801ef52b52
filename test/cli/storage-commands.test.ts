/**
 * The storage commands (put, get, ls, pin, gc, fsck, export, import) against two running
 * `peergrid node start` processes, called through main() in this process: put and get round trips
 * of a file and a directory tree, plain and encrypted; pins, unpinning and gc; fsck of a healthy
 * store; a CAR exported from one node, imported into the other and read there; exit status 2 for
 * bad usage, 1 for content no node has. (The two nodes are not joined: placement finds only the
 * node itself; test/devnet/storage-grid.test.ts places and fetches across nodes.)
 * The nodes run in their own process groups and are killed by group when the tests end.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { link, mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createApiClient } from '../../src/api/client.ts';
import { ApiResponseError } from '../../src/api/client-errors.ts';
import { localAddProof } from '../../src/api/local-add-proof.ts';
import { ProgressStreamError, readProgressStream } from '../../src/api/progress-stream.ts';
import { apiTokenPath, readApiTokenFile } from '../../src/api/token-file.ts';
import { main, type CliIo } from '../../src/cli/main.ts';
import { localPathIdentity } from '../../src/runtime/content/local-path-guard.ts';
import { NodeProcess, type NodeEvent } from '../runtime/node-process.ts';
import { LOOPBACK_LISTEN, removeDataDirs, temporaryDataDir } from '../runtime/runtime-harness.ts';
import { bytesOf } from '../services/storage/helpers.ts';

interface Run {
  readonly status: number;
  readonly out: string;
  readonly err: string;
}

const BIN = fileURLToPath(new URL('../../bin/peergrid.js', import.meta.url));

async function peergrid(argv: readonly string[]): Promise<Run> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (text) => (out += text), err: (text) => (err += text), env: {} };
  const status = await main(argv, io);
  return { status, out, err };
}

/** main() with a byte output that collects what `cat` writes; it reports the reader gone after `stopAfterBytes`. */
async function peergridBytes(argv: readonly string[], stopAfterBytes = Infinity): Promise<Run & { bytes: Buffer }> {
  let out = '';
  let err = '';
  const pieces: Uint8Array[] = [];
  let written = 0;
  const io: CliIo = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    outBytes: async (bytes) => {
      pieces.push(Uint8Array.from(bytes));
      written += bytes.length;
      return written < stopAfterBytes;
    },
    env: {},
  };
  const status = await main(argv, io);
  return { status, out, err, bytes: Buffer.concat(pieces) };
}

function jsonOf(run: Run): Record<string, unknown> {
  assert.equal(run.status, 0, run.err);
  assert.match(run.out, /^\{.*\}\n$/, 'stdout is one JSON line');
  return JSON.parse(run.out) as Record<string, unknown>;
}

/** Every file under `dir`, as relative path → bytes; symbolic links left out. */
async function treeOf(dir: string, prefix = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) {
      out.set(`${prefix}${entry.name}/`, Buffer.alloc(0));
      for (const [name, bytes] of await treeOf(path, `${prefix}${entry.name}/`)) out.set(name, bytes);
    } else {
      out.set(`${prefix}${entry.name}`, await readFile(path));
    }
  }
  return out;
}

describe('storage commands against running nodes', () => {
  const processes: NodeProcess[] = [];
  const dataDirs: string[] = [];
  let work: string;
  let first: string;
  let second: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'peergrid-cli-storage-'));
    for (let index = 0; index < 2; index++) dataDirs.push(await temporaryDataDir());
    // Started together (they need not know each other: storage is local for now).
    const started = dataDirs.map((dir) => NodeProcess.start(['--data-dir', dir, '--listen', LOOPBACK_LISTEN[0], '--api', '127.0.0.1:0']));
    processes.push(...started);
    const events: NodeEvent[] = await Promise.all(started.map((child) => child.event('started')));
    [first, second] = events.map((event) => event.api as string);
    const tree = join(work, 'tree');
    await mkdir(join(tree, 'docs', 'empty'), { recursive: true });
    await writeFile(join(tree, 'big.bin'), bytesOf(1_500_000, 21));
    await writeFile(join(tree, 'docs', 'a note.txt'), 'hello, grid\n');
    await writeFile(join(tree, 'docs', 'empty.txt'), '');
    await symlink('/etc/passwd', join(tree, 'docs', 'outside'));
    await writeFile(join(work, 'file.bin'), bytesOf(700_000, 22));
  });

  after(async () => {
    for (const child of processes) child.kill();
    await removeDataDirs(dataDirs);
    await rm(work, { recursive: true, force: true });
  });

  it('the node keeps a convergence secret of 32 bytes, mode 0600, and a blockstore in its data directory', async () => {
    const secret = await stat(join(dataDirs[0], 'convergence-secret'));
    assert.deepEqual([secret.size, secret.mode & 0o777], [32, 0o600]);
    assert.ok((await stat(join(dataDirs[0], 'blocks'))).isDirectory());
  });

  for (const encrypted of [true, false]) {
    const flags = encrypted ? [] : ['--no-encrypt'];
    it(`put and get a file, ${encrypted ? 'encrypted' : 'plain'}: text and --json`, async () => {
      const text = await peergrid(['put', join(work, 'file.bin'), ...flags, '--api', first]);
      assert.equal(text.status, 0, text.err);
      assert.match(text.out, /^cid +baf\w+\n/);
      assert.equal(/^capability +pgcap1:/m.test(text.out), encrypted);
      assert.match(text.out, new RegExp(`stored a file, 700,000 bytes in \\d+ chunks, ${encrypted ? 'encrypted' : 'plain'}, read from disk by the node\nplaced replicate:3: (\\d+) of \\d+ pieces of \\d+ blocks on 1 node\n`));
      assert.match(text.out, /warning: \d+ block\(s\) have fewer pieces than the scheme wants/);
      const put = jsonOf(await peergrid(['put', join(work, 'file.bin'), ...flags, '--api', first, '--json']));
      assert.deepEqual(Object.keys(put), ['cid', 'capability', 'bytes', 'chunks', 'readBy', 'placement', 'published']);
      const placement = put.placement as { redundancy: string; blocks: number; piecesStored: number; piecesHere: number; nodes: number };
      assert.deepEqual([placement.redundancy, placement.piecesStored, placement.piecesHere, placement.nodes], ['replicate:3', placement.blocks, placement.blocks, 1]);
      assert.equal(put.bytes, 700_000);
      assert.equal(put.capability === null, !encrypted);
      const ref = (put.capability ?? put.cid) as string;
      const out = join(work, `file-${encrypted}.out`);
      const got = await peergrid(['get', ref, '-o', out, '--api', first]);
      assert.equal(got.status, 0, got.err);
      assert.equal(got.out, `wrote ${out} (700,000 bytes)\n`);
      assert.deepEqual(await readFile(out), await readFile(join(work, 'file.bin')));
      const again = await peergrid(['get', ref, '-o', out, '--api', first]);
      assert.equal(again.status, 2);
      assert.match(again.err, /exists already; peergrid get never replaces anything/);
      // --continue keeps the same file, and refuses one that differs, leaving it as it was.
      const kept = await peergrid(['get', ref, '-o', out, '--continue', '--api', first]);
      assert.equal(kept.status, 0, kept.err);
      assert.equal(kept.out, `wrote ${out} (700,000 bytes, already there)\n`);
      const edited = Buffer.from(await readFile(out));
      edited[123_456] ^= 1;
      await writeFile(out, edited);
      const differs = await peergrid(['get', ref, '-o', out, '--continue', '--api', first]);
      assert.equal(differs.status, 1);
      assert.match(differs.err, /exists and differs from the content from byte 123,456; peergrid get never replaces anything/);
      assert.deepEqual(await readFile(out), edited);
    });

    it(`put and get a directory tree, ${encrypted ? 'encrypted' : 'plain'}: the same tree comes back, links skipped; ls lists it`, async () => {
      const put = await peergrid(['put', join(work, 'tree'), ...flags, '--api', first, '--json']);
      const added = jsonOf(put);
      assert.match(put.err, /skipped .*docs\/outside \(a symbolic link\)/);
      assert.equal(added.bytes, 1_500_000 + 12);
      const ref = (added.capability ?? added.cid) as string;
      const out = join(work, `tree-${encrypted}.out`);
      const { fetched, ...got } = jsonOf(await peergrid(['get', ref, '-o', out, '--api', first, '--json']));
      assert.deepEqual(got, { path: out, kind: 'directory', files: 3, directories: 3, bytes: 1_500_012, filesKept: 0 });
      assert.deepEqual({ ...(fetched as object), blocksLocal: 0 }, { blocksFetched: 0, blocksLocal: 0, bytesFetched: 0, sources: 0 }, 'all of it was here');
      assert.deepEqual(await treeOf(out), await treeOf(join(work, 'tree')));

      const listed = await peergrid(['ls', ref, '--api', first]);
      assert.equal(listed.status, 0, listed.err);
      assert.match(listed.out, /^directory \w+: 2 entries/);
      assert.match(listed.out, /^file +1,500,000 +\S+ +big\.bin$/m);
      assert.match(listed.out, new RegExp(`^directory +${encrypted ? '12' : '-'} +${encrypted ? 'pgcap1:' : 'bafy'}\\S+ +docs$`, 'm'));
      const docs = (jsonOf(await peergrid(['ls', ref, '--api', first, '--json'])).entries as { name: string; ref: string }[])
        .find((entry) => entry.name === 'docs');
      const inner = jsonOf(await peergrid(['ls', docs?.ref as string, '--api', first, '--json']));
      assert.deepEqual((inner.entries as { name: string }[]).map((entry) => entry.name), ['a note.txt', 'empty', 'empty.txt']);
      const pins = jsonOf(await peergrid(['pin', 'ls', '--api', first, '--json'])).pins as { name: string }[];
      assert.deepEqual(pins.filter((pin) => pin.name.startsWith('peergrid-put-')), [], 'no staging pin is left behind');

      // A path inside the tree names an entry: ls lists it, get writes it (to ./<last name> by default).
      const byPath = jsonOf(await peergrid(['ls', `${ref}/docs/`, '--api', first, '--json']));
      assert.deepEqual(byPath, inner);
      const note = join(work, `note-${encrypted}.txt`);
      const gotNote = jsonOf(await peergrid(['get', `${ref}/docs//a note.txt`, '-o', note, '--api', first, '--json']));
      assert.deepEqual([gotNote.kind, gotNote.bytes], ['file', 12]);
      assert.equal(await readFile(note, 'utf8'), 'hello, grid\n');
      const noName = await peergrid(['get', `${ref}/docs/nothing.txt`, '-o', join(work, 'nothing'), '--api', first]);
      assert.deepEqual([noName.status, noName.err], [1, 'peergrid: docs has no entry "nothing.txt"\n']);
      const throughFile = await peergrid(['ls', `${ref}/big.bin/x`, '--api', first]);
      assert.deepEqual([throughFile.status, throughFile.err], [1, 'peergrid: big.bin is a file: it has no entry "x"\n']);
    });
  }

  it('put to a node on this machine has it read the path from disk: the same content as streamed, file and tree, plain and encrypted; --stream streams', async () => {
    await symlink(join(work, 'file.bin'), join(work, 'file-link.bin'));
    for (const flags of [[], ['--no-encrypt']]) {
      for (const path of [join(work, 'file.bin'), join(work, 'tree'), join(work, 'file-link.bin')]) {
        const here = jsonOf(await peergrid(['put', path, ...flags, '--local', '--api', first, '--json']));
        const streamed = jsonOf(await peergrid(['put', path, ...flags, '--local', '--stream', '--api', first, '--json']));
        assert.deepEqual([here.readBy, streamed.readBy], ['node', 'client'], path);
        assert.deepEqual({ ...here, readBy: null }, { ...streamed, readBy: null }, path);
      }
    }
  });

  it('a local add is refused (409 local_path_refused) without proof of the node\'s api-token, or for a path the node sees otherwise; a hard link to its own files stops it, and put then streams', async () => {
    const api = createApiClient({ baseUrl: first });
    const token = await readApiTokenFile(apiTokenPath(dataDirs[0]));
    const base = await realpath(work);
    const file = join(base, 'file.bin');
    const identity = await localPathIdentity(file);
    const ask = (fields: { path?: string; identity?: string; atMs?: number }, proofToken = token): Promise<{ body: AsyncIterable<Uint8Array> }> => {
      const request = { path: file, identity, encrypt: false, atMs: Date.now(), ...fields };
      return api.addLocalPath({ ...request, proof: localAddProof(proofToken, request) });
    };
    const refused = (answer: Promise<unknown>, reason: RegExp): Promise<void> => assert.rejects(answer, (error: unknown) => {
      assert.ok(error instanceof ApiResponseError, String(error));
      assert.deepEqual([error.status, error.code], [409, 'local_path_refused']);
      assert.match(error.serverMessage, reason);
      return true;
    });
    await refused(ask({}, 'not the token'), /not made with this node's api-token/);
    await refused(ask({ atMs: Date.now() - 10 * 60_000 }), /more than 5 minutes from the node's clock/);
    await refused(ask({ identity: identity.replace(/:\d+$/, ':1') }), /the node sees another file at .*file\.bin than the client does/);
    await refused(ask({ path: 'file.bin' }), /is not an absolute path/);
    await refused(ask({ path: join(base, 'nothing-here') }), /cannot reach .*nothing-here \(ENOENT\)/);
    await symlink(file, join(base, 'another-link.bin'));
    await refused(ask({ path: join(base, 'another-link.bin') }), /is not canonical \(it resolves to .*file\.bin\)/);
    const dataDir = await realpath(dataDirs[0]);
    await refused(ask({ path: dataDir, identity: await localPathIdentity(dataDir) }), /is or contains the node's data directory/);
    await refused(ask({ path: join(dataDir, 'blocks'), identity: await localPathIdentity(join(dataDir, 'blocks')) }), /is or contains the node's data directory/);
    // A proof good for one request is good for no other.
    const request = { path: file, identity, encrypt: false, atMs: Date.now() };
    await refused(api.addLocalPath({ ...request, encrypt: true, proof: localAddProof(token, request) }), /not made with this node's api-token/);

    const sneaky = join(base, 'sneaky');
    await mkdir(sneaky);
    await writeFile(join(sneaky, 'a.txt'), 'an ordinary file\n');
    await link(join(dataDir, 'convergence-secret'), join(sneaky, 'b-secret'));
    const answer = await ask({ path: sneaky, identity: await localPathIdentity(sneaky) });
    await assert.rejects(readProgressStream(answer.body, () => {}), (error: unknown) => {
      assert.ok(error instanceof ProgressStreamError, String(error));
      assert.equal(error.code, 'local_path_refused');
      assert.match(error.message, /b-secret is one of the node's own files/);
      return true;
    });
    const put = jsonOf(await peergrid(['put', sneaky, '--local', '--api', first, '--json']));
    assert.equal(put.readBy, 'client', 'the put streamed it instead, with the command\'s own permissions');
  });

  it('cat writes a file\'s bytes (plain, encrypted, by path); refuses a directory; stops quietly when the reader goes', async () => {
    const file = await readFile(join(work, 'file.bin'));
    for (const flags of [['--no-encrypt'], []]) {
      const put = jsonOf(await peergrid(['put', join(work, 'file.bin'), ...flags, '--local', '--api', first, '--json']));
      const cat = await peergridBytes(['cat', (put.capability ?? put.cid) as string, '--api', first]);
      assert.deepEqual([cat.status, cat.err, cat.out], [0, '', '']);
      assert.ok(cat.bytes.equals(file));
      // One range: from an offset, for a length, past the end of the file.
      const ref = (put.capability ?? put.cid) as string;
      const middle = await peergridBytes(['cat', ref, '--offset', '300000', '--length', '500000', '--api', first]);
      assert.equal(middle.status, 0, middle.err);
      assert.ok(middle.bytes.equals(file.subarray(300_000, 800_000)));
      const tail = await peergridBytes(['cat', ref, '--offset', String(file.length - 7), '--api', first]);
      assert.ok(tail.bytes.equals(file.subarray(file.length - 7)));
      const head = await peergridBytes(['cat', ref, '--length', '3', '--api', first]);
      assert.ok(head.bytes.equals(file.subarray(0, 3)));
      const atEnd = await peergridBytes(['cat', ref, '--offset', String(file.length), '--api', first]);
      assert.deepEqual([atEnd.status, atEnd.bytes.length], [0, 0]);
      const past = await peergridBytes(['cat', ref, '--offset', String(file.length + 1), '--api', first]);
      assert.deepEqual([past.status, past.err], [1, `peergrid: --offset ${file.length + 1} is past the end of the file (${file.length} bytes)\n`]);
    }
    const tree = jsonOf(await peergrid(['put', join(work, 'tree'), '--local', '--api', first, '--json']));
    const ref = tree.capability as string;
    const note = await peergridBytes(['cat', `${ref}/docs/a note.txt`, '--api', first]);
    assert.deepEqual([note.status, note.bytes.toString()], [0, 'hello, grid\n']);
    const directory = await peergridBytes(['cat', `${ref}/docs`, '--api', first]);
    assert.deepEqual([directory.status, directory.err], [1, 'peergrid: docs is a directory: list it with peergrid ls, or write it out with peergrid get\n']);
    const big = await peergridBytes(['cat', `${ref}/big.bin`, '--api', first], 1);
    assert.equal(big.status, 0, big.err);
    assert.ok(big.bytes.length > 0 && big.bytes.length < 1_500_000, `${big.bytes.length} bytes written before the reader went`);
    // The real process: a pipe closed after the first bytes (`| head -c 1`) ends it quietly, exit 0.
    const child = spawn(process.execPath, [BIN, 'cat', `${ref}/big.bin`, '--api', first], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (piece: Buffer) => (stderr += piece.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      child.stdout.destroy();
      assert.deepEqual([await exited, stderr], [0, '']);
    } finally {
      // A CLI process, not a node, but never left behind: stopped by its pid if still running.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // Without a byte output (a text-only caller), cat says so rather than mangle the bytes.
    const textOnly = await peergrid(['cat', `${ref}/big.bin`, '--api', first]);
    assert.deepEqual([textOnly.status, textOnly.err], [1, 'peergrid: this output takes text only, not the bytes of a file\n']);
  });

  it('put - stores standard input as one file: the same content as the file itself, read back by cat', async () => {
    const file = await readFile(join(work, 'file.bin'));
    const fromFile = jsonOf(await peergrid(['put', join(work, 'file.bin'), '--local', '--api', first, '--json']));
    let out = '';
    let err = '';
    async function* stdin(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < file.length; at += 65_536) yield file.subarray(at, at + 65_536);
    }
    const status = await main(['put', '-', '--local', '--api', first, '--json'], { out: (text) => (out += text), err: (text) => (err += text), inBytes: stdin(), env: {} });
    assert.equal(status, 0, err);
    const fromStdin = JSON.parse(out) as Record<string, unknown>;
    assert.deepEqual([fromStdin.cid, fromStdin.capability, fromStdin.bytes], [fromFile.cid, fromFile.capability, 700_000]);
    const cat = await peergridBytes(['cat', fromStdin.capability as string, '--api', first]);
    assert.ok(cat.bytes.equals(file));
    // The real process reads its standard input.
    const child = spawn(process.execPath, [BIN, 'put', '-', '--local', '--api', first, '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    try {
      let stdout = '';
      child.stdout.on('data', (piece: Buffer) => (stdout += piece.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
      child.stdin.end(file);
      assert.equal(await exited, 0);
      assert.equal((JSON.parse(stdout) as { cid: string }).cid, fromFile.cid);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const noInput = await peergrid(['put', '-', '--api', first]);
    assert.deepEqual([noInput.status, noInput.err], [1, 'peergrid: there is no standard input to read here\n']);
  });

  it('get <cid>/<path> without -o writes ./<last name>', async () => {
    const ref = jsonOf(await peergrid(['put', join(work, 'tree'), '--no-encrypt', '--local', '--api', first, '--json'])).cid as string;
    const cwd = process.cwd();
    process.chdir(work);
    try {
      const got = await peergrid(['get', `${ref}/docs`, '--api', first]);
      assert.equal(got.status, 0, got.err);
      assert.deepEqual((await readdir(join(work, 'docs'))).sort(), ['a note.txt', 'empty', 'empty.txt']);
    } finally {
      process.chdir(cwd);
    }
  });

  it('get --continue takes up a directory an interrupted get left: keeps the files that match, writes the rest, refuses what differs', async () => {
    const ref = jsonOf(await peergrid(['put', join(work, 'tree'), '--api', first, '--json'])).capability as string;
    const out = join(work, 'tree-continued.out');
    jsonOf(await peergrid(['get', ref, '-o', out, '--api', first, '--json']));
    // As if interrupted: a file and a subdirectory's file are missing.
    await rm(join(out, 'big.bin'));
    await rm(join(out, 'docs', 'a note.txt'));
    const { fetched: _fetched, ...got } = jsonOf(await peergrid(['get', ref, '-o', out, '--continue', '--api', first, '--json']));
    assert.deepEqual(got, { path: out, kind: 'directory', files: 3, directories: 3, bytes: 1_500_012, filesKept: 1 });
    assert.deepEqual(await treeOf(out), await treeOf(join(work, 'tree')));
    // A file that differs is named and left alone; so is a link where a file belongs.
    await writeFile(join(out, 'docs', 'a note.txt'), 'hello, GRID\n');
    const differs = await peergrid(['get', ref, '-o', out, '--continue', '--api', first]);
    assert.equal(differs.status, 1);
    assert.match(differs.err, /a note\.txt exists and differs from the content from byte 7/);
    assert.equal(await readFile(join(out, 'docs', 'a note.txt'), 'utf8'), 'hello, GRID\n');
    await rm(join(out, 'docs', 'a note.txt'));
    await symlink('/etc/passwd', join(out, 'docs', 'a note.txt'));
    const link = await peergrid(['get', ref, '-o', out, '--continue', '--api', first]);
    assert.equal(link.status, 1);
    assert.match(link.err, /a note\.txt exists and is not a file; it was left as it is/);
  });

  it('get writes to ./<cid> without -o', async () => {
    const added = jsonOf(await peergrid(['put', join(work, 'tree', 'docs', 'a note.txt'), '--no-encrypt', '--api', first, '--json']));
    const cwd = process.cwd();
    process.chdir(work);
    try {
      const got = await peergrid(['get', added.cid as string, '--api', first]);
      assert.equal(got.status, 0, got.err);
      assert.equal(await readFile(join(work, added.cid as string), 'utf8'), 'hello, grid\n');
    } finally {
      process.chdir(cwd);
    }
  });

  it('pins keep content through gc; once unpinned, gc collects it and get finds nothing (exit 1)', async () => {
    await writeFile(join(work, 'short-lived.bin'), bytesOf(50_000, 31));
    // --local: placement would pin the node's own copies as the grid's (it is a block's closest node).
    const added = jsonOf(await peergrid(['put', join(work, 'short-lived.bin'), '--no-encrypt', '--local', '--pin', 'temporary', '--api', first, '--json']));
    assert.equal(added.placement, null);
    const cid = added.cid as string;
    const pinned = await peergrid(['pin', 'add', cid, '--name', 'second', '--api', first]);
    assert.equal(pinned.out, `pinned ${cid} as 'second' (recursive: with everything it links to)\n`);
    const listed = await peergrid(['pin', 'ls', '--api', first]);
    assert.match(listed.out, /^CID +KIND +PINNED +NAME$/m);
    assert.match(listed.out, new RegExp(`^${cid} +recursive +\\S+ +temporary$`, 'm'));
    assert.equal((await peergrid(['pin', 'rm', cid, '--name', 'temporary', '--api', first])).status, 0);
    assert.equal(jsonOf(await peergrid(['gc', '--grace', '0', '--api', first, '--json'])).blocksRemoved, 0, 'the second pin keeps it');
    const removed = await peergrid(['pin', 'rm', cid, '--api', first]);
    assert.equal(removed.out, `removed 1 pin from ${cid}; gc may now remove what nothing else keeps, and the grid its pieces once their leases run out, if no node pins it any more\n`);
    const gc = await peergrid(['gc', '--grace', '0', '--api', first]);
    assert.match(gc.out, /^removed [1-9]\d* blocks? \(/);
    const missing = await peergrid(['get', cid, '-o', join(work, 'gone'), '--api', first]);
    assert.equal(missing.status, 1);
    assert.match(missing.err, /could not fetch .*could not be found here or on any node of the grid/);
    const noPin = await peergrid(['pin', 'rm', cid, '--api', first]);
    assert.equal(noPin.status, 1);
    assert.match(noPin.err, /has no pin/);
  });

  it('check counts pieces on the grid: healthy as placed, degraded under more copies (--repair tops up what it can), lost when kept only here (exit 1)', async () => {
    const put = jsonOf(await peergrid(['put', join(work, 'file.bin'), '--no-encrypt', '--replicas', '1', '--api', first, '--json']));
    const cid = put.cid as string;
    const blocks = (put.placement as { blocks: number }).blocks;
    const healthy = jsonOf(await peergrid(['check', cid, '--replicas', '1', '--api', first, '--json']));
    assert.deepEqual(Object.keys(healthy), ['check', 'repair', 'afterRepair']);
    const census = healthy.check as { redundancy: string; blocks: number; healthy: number; nodes: number };
    assert.deepEqual([census.redundancy, census.blocks, census.healthy, census.nodes, healthy.repair], ['replicate:1', blocks, blocks, 1, null]);
    // --verify audits what others claim; with no other node there is nothing to fetch, and it says so.
    const verified = jsonOf(await peergrid(['check', cid, '--replicas', '1', '--verify', '--api', first, '--json'])).check as { verified: boolean; claimsAudited: number; healthy: number };
    assert.deepEqual([verified.verified, verified.claimsAudited, verified.healthy], [true, 0, blocks]);
    // --renew: the same census, and every holder asked (here, this node) renews its lease.
    const renewed = jsonOf(await peergrid(['check', cid, '--replicas', '1', '--renew', '--api', first, '--json'])).check as { healthy: number };
    assert.equal(renewed.healthy, blocks);
    const verifiedText = await peergrid(['check', cid, '--replicas', '1', '--verify', '--api', first]);
    assert.match(verifiedText.out, /\nverified: 0 pieces checked \(0 by challenge, 0 downloaded\), 0 not what their holder claimed\n/);
    // The nodes are not joined: under three copies each block has one, here.
    const short = await peergrid(['check', cid, '--replicas', '3', '--api', first]);
    assert.equal(short.status, 0, short.err);
    assert.match(short.out, new RegExp(`^replicate:3: ${blocks} blocks, pieces on 1 node\n  healthy   0\n  degraded  ${blocks}  `));
    assert.match(short.out, new RegExp(`pieces: ${blocks} of ${3 * blocks} found; the fewest any block has: 1\n$`));
    // --repair places again; with no other node to take copies the blocks stay short, and readable.
    const repaired = jsonOf(await peergrid(['check', cid, '--replicas', '3', '--repair', '--api', first, '--json']));
    assert.equal((repaired.repair as { blocksShort: number }).blocksShort, blocks);
    assert.equal((repaired.afterRepair as { degraded: number }).degraded, blocks);
    await writeFile(join(work, 'local.bin'), bytesOf(50_000, 7));
    const local = jsonOf(await peergrid(['put', join(work, 'local.bin'), '--no-encrypt', '--local', '--api', first, '--json']));
    const lost = await peergrid(['check', local.cid as string, '--api', first]);
    assert.equal(lost.status, 1);
    assert.match(lost.out, /^replicate:3: 1 block, pieces on 0 nodes\n/);
    assert.match(lost.out, new RegExp(`  lost: ${local.cid as string}\n`));
    assert.match(lost.err, /1 block\(s\) cannot be read from the grid \(peergrid check --repair places them again/);
    // --pinned: every content pinned here, the placed file healthy, the local-only one lost (exit 1).
    const everything = await peergrid(['check', '--pinned', '--replicas', '1', '--api', first, '--json']);
    assert.equal(everything.status, 1);
    const all = JSON.parse(everything.out) as { checked: { cid: string; check: { lost: number; healthy: number; blocks: number } }[]; lost: number };
    const byCid = new Map(all.checked.map((entry) => [entry.cid, entry.check]));
    assert.equal(byCid.get(cid)?.healthy, blocks);
    assert.equal(byCid.get(local.cid as string)?.lost, 1);
    assert.equal(new Set(all.checked.map((entry) => entry.cid)).size, all.checked.length, 'each content once');
    assert.equal(all.lost, all.checked.reduce((sum, entry) => sum + entry.check.lost, 0));
    const pinnedText = await peergrid(['check', '--pinned', '--replicas', '1', '--api', first]);
    assert.match(pinnedText.out, new RegExp(`^${local.cid as string}\n  replicate:1: 1 block, pieces on 0 nodes\n`, 'm'));
    // A block no node has is lost, wherever it is checked from.
    const absent = await peergrid(['check', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--api', first]);
    assert.equal(absent.status, 1);
    assert.match(absent.out, /^replicate:3: 1 block, pieces on 0 nodes\n/);
    assert.match(absent.err, /1 block\(s\) cannot be read from the grid/);
  });

  it('fsck of a healthy store says ok (exit 0)', async () => {
    const text = await peergrid(['fsck', '--api', first]);
    assert.equal(text.status, 0, text.err);
    assert.match(text.out, /^ok: [\d,]+ blocks checked, .* verified\n$/);
    assert.equal(jsonOf(await peergrid(['fsck', '--api', first, '--json'])).ok, true);
  });

  it('export a CAR from one node, import it into the other, and get it there (encrypted, by capability)', async () => {
    const added = jsonOf(await peergrid(['put', join(work, 'tree'), '--api', first, '--json']));
    const car = join(work, 'tree.car');
    const exported = await peergrid(['export', added.cid as string, car, '--api', first]);
    assert.equal(exported.status, 0, exported.err);
    assert.match(exported.out, new RegExp(`^wrote ${car}: a CAR of ${added.cid as string}, [\\d,]+ bytes\\n$`));
    assert.equal((await peergrid(['export', added.cid as string, car, '--api', first])).status, 2, 'never replaces a file');
    const before = await peergrid(['ls', added.capability as string, '--api', second]);
    assert.equal(before.status, 1, 'the second node does not have it yet');
    const imported = await peergrid(['import', car, '--api', second]);
    assert.equal(imported.status, 0, imported.err);
    assert.match(imported.out, new RegExp(`^imported \\d+ blocks \\([\\d,]+ bytes\\), pinned as 'import'\\nroot  ${added.cid as string}\\n$`));
    const out = join(work, 'tree-from-car');
    const got = await peergrid(['get', added.capability as string, '-o', out, '--api', second]);
    assert.equal(got.status, 0, got.err);
    assert.deepEqual(await treeOf(out), await treeOf(join(work, 'tree')));
    const notCar = await peergrid(['import', join(work, 'file.bin'), '--api', second]);
    assert.equal(notCar.status, 1);
    assert.match(notCar.err, /422 unprocessable: not a readable CAR file/);
  });

  it('put --meta publishes into the search index; search finds it (text and --json); unpublish withdraws it', async () => {
    await writeFile(join(work, 'paper.txt'), 'Kademlia routes by XOR distance; Chord by finger tables.\n');
    const put = jsonOf(await peergrid([
      'put', join(work, 'paper.txt'), '--no-encrypt', '--meta', 'title=Overlay routing compared', '--meta', 'creator=Ada Lovelace', '--meta', 'subject=DHT',
      '--index-text', '--api', first, '--json',
    ]));
    const published = put.published as { cid: string; lists: number; replicas: number };
    assert.equal(published.cid, put.cid);
    assert.ok(published.lists > 5);

    const text = await peergrid(['search', 'overlay', 'routing', '--field', 'creator:lovelace', '--api', first]);
    assert.equal(text.status, 0, text.err);
    assert.match(text.out, /^1 document holds every term: overlay \(1\), routing \(1\), lovelace in creator \(1\)\n/);
    assert.match(text.out, new RegExp(`1\\. Overlay routing compared  \\[score [0-9.]+\\]\n   ${put.cid as string}\n   creator: Ada Lovelace\n   subject: DHT\n`));
    const stemmed = await peergrid(['search', 'overlays', '--stem', '--api', first]);
    assert.equal(stemmed.status, 0, stemmed.err);
    assert.match(stemmed.out, /^1 document holds every term: overlay\* \(1\)\n/, 'a stem is shown with a star');
    const json = jsonOf(await peergrid(['search', 'kademlia', '--field', 'text:chord', '--api', first, '--json']));
    assert.deepEqual((json.hits as { cid: string }[]).map((hit) => hit.cid), [put.cid]);
    const none = jsonOf(await peergrid(['search', 'kademlia', '--field', 'title:chord', '--api', first, '--json']));
    assert.deepEqual(none.hits, []);

    const unpublished = await peergrid(['unpublish', put.cid as string, '--api', first]);
    assert.equal(unpublished.status, 0, unpublished.err);
    assert.match(unpublished.out, /^withdrew \S+ from the search index/);
    assert.deepEqual(jsonOf(await peergrid(['search', 'kademlia', '--api', first, '--json'])).hits, []);
    const again = await peergrid(['unpublish', put.cid as string, '--api', first]);
    assert.equal(again.status, 1);
    assert.match(again.err, /404 not_published: .* is not published from this node/);
    const republished = jsonOf(await peergrid(['publish', put.cid as string, '--meta', 'title=Routing', '--api', first, '--json']));
    assert.equal(republished.cid, put.cid);
    assert.equal((jsonOf(await peergrid(['search', 'routing', '--api', first, '--json'])).hits as unknown[]).length, 1);
    // Removing the content's last pin withdraws it from search.
    const unpinned = await peergrid(['pin', 'rm', put.cid as string, '--api', first]);
    assert.equal(unpinned.status, 0, unpinned.err);
    assert.match(unpinned.out, /withdrew it from the search index/);
    assert.deepEqual(jsonOf(await peergrid(['search', 'routing', '--api', first, '--json'])).hits, []);
    const badMeta = await peergrid(['publish', put.cid as string, '--meta', 'author=Ada', '--api', first]);
    assert.equal(badMeta.status, 2);
    assert.match(badMeta.err, /--meta "author=Ada": .*creator/);
  });

  const usageErrors: [string[], RegExp][] = [
    [['put'], /^peergrid: missing <file\|dir>$/m],
    [['put', 'FILE', '--meta', 'title=x'], /^peergrid: --meta and --index-text publish the content for anyone to find: put it with --no-encrypt/m],
    [['search'], /^peergrid: give words to search for/m],
    [['search', 'grid', '--limit', '0'], /^peergrid: --limit must be an integer from 1 to 100/m],
    [['search', 'grid', '--field', 'nocolon'], /^peergrid: --field "nocolon": expected element:words/m],
    [['publish', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'], /^peergrid: give the metadata to publish under/m],
    [['put', '/nonexistent/file'], /^peergrid: cannot read \/nonexistent\/file: ENOENT/m],
    [['put', '/dev/null'], /^peergrid: \/dev\/null is neither a file nor a directory \(to store a stream, pipe it/m],
    [['put', 'FILE', '--replicas', '3', '--local'], /^peergrid: --replicas, --erasure and --local exclude each other/m],
    [['put', 'FILE', '--replicas', '0'], /^peergrid: --replicas must be an integer from 1 to 16, got '0'$/m],
    [['put', 'FILE', '--erasure', '4-2'], /^peergrid: --erasure must be K\+M/m],
    [['put', 'FILE', '--erasure', '60+10'], /^peergrid: --erasure must be K\+M .*at most 64/m],
    [['put', 'FILE', '--replicas', '3', '--erasure', '4+2'], /^peergrid: --replicas, --erasure and --local exclude each other/m],
    [['get'], /^peergrid: missing <cid\|capability>$/m],
    [['get', 'not-a-cid'], /^peergrid: <cid\|capability>: not a CID or a capability: "not-a-cid"/m],
    [['get', 'pgcap1:bafy:zz'], /^peergrid: <cid\|capability>: not a valid capability/m],
    [['get', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '-o', 'FILE'], /exists already; peergrid get never replaces anything/],
    [['get', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '-o', '/nonexistent/dir/out'], /the directory \/nonexistent\/dir does not exist/],
    [['get', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '-o', 'FILE/out'], /^peergrid: .*file\.bin\/out: a part of this path before its last name is a file, not a directory$/m],
    [['export', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', 'FILE/out.car'], /a part of this path before its last name is a file/],
    [['ls', 'a', 'b'], /^peergrid: unexpected argument 'b' \(expected <cid\|capability>\)$/m],
    [['pin', 'add', 'x'], /^peergrid: <cid\|capability>: not a CID/m],
    [['pin'], /^peergrid: .* for 'pin' \(subcommands: add, rm, ls\)$/m],
    [['pin', 'ls', 'extra'], /unexpected argument 'extra'/],
    [['gc', '--grace', '-1'], /^peergrid: --grace must be a duration/m],
    [['export', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy'], /^peergrid: missing <file\.car>$/m],
    [['import', '/nonexistent.car'], /^peergrid: cannot read \/nonexistent\.car/m],
    [['ls', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy/docs/../x'], /^peergrid: <cid\|capability>: the path holds "\.\.", which no entry can be named/m],
    [['get', 'not-a-cid/docs'], /^peergrid: <cid\|capability>: not a CID or a capability: "not-a-cid"/m],
    [['cat', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--length', '0'], /^peergrid: --length 0 asks for nothing/m],
    [['cat', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--offset', '-1'], /^peergrid: --offset must be/m],
    [['check'], /^peergrid: missing <cid\|capability>$/m],
    [['check', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--pinned'], /^peergrid: --pinned checks every content pinned on the node: give no <cid\|capability> with it$/m],
    [['check', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--local'], /^peergrid: unknown option '--local'/m],
    [['check', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '--replicas', '1', '--erasure', '2+1'], /exclude each other/],
  ];
  for (const [argv, message] of usageErrors) {
    it(`bad usage exits 2: ${argv.join(' ').slice(0, 60)}`, async () => {
      const filled = argv.map((arg) => arg.replace(/^FILE(?=\/|$)/, join(work, 'file.bin')));
      const run = await peergrid([...filled, '--api', first]);
      assert.equal(run.status, 2, run.err);
      assert.equal(run.out, '');
      assert.match(run.err, message);
    });
  }
});
