/**
 * The storage routes over a real content store (a blockstore in a temporary directory) behind
 * the API server, in this process: bad input is answered with its 4xx and a message, a block that
 * fails verification with 502, content round-trips through the client (byte streams both ways,
 * queries), and a stalled upload is cut without stopping the server.
 */
import assert from 'node:assert/strict';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { ApiResponseError, InvalidRequestError } from '../../src/api/client-errors.ts';
import { nodeHandlers } from '../../src/api/handlers.ts';
import { ApiLimits } from '../../src/api/limits.ts';
import { startApiServer, type ApiServer, type LogRecord } from '../../src/api/server.ts';
import { TreeStreamReader } from '../../src/api/tree-stream.ts';
import { ContentStore } from '../../src/runtime/content-store.ts';
import { parseContentRef, rootOf } from '../../src/runtime/content/content-ref.ts';
import { DagLimits } from '../../src/services/storage/dag/limits.ts';
import { bytesOf, collect } from '../services/storage/helpers.ts';
import { FakeNode } from './fake-node.ts';
import { rawRequest, type RawAnswer } from './http-request.ts';

const OCTETS = { 'content-type': 'application/octet-stream' };
const JSON_TYPE = { 'content-type': 'application/json' };
const UNKNOWN_CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

function errorOf(answer: RawAnswer): { code: string; message: string } {
  const body = answer.json as { error?: { code: string; message: string } } | undefined;
  assert.ok(body?.error, `expected a JSON error, got ${answer.status} ${answer.text.slice(0, 200)}`);
  return body.error;
}

describe('storage routes', () => {
  let dataDir: string;
  let content: ContentStore;
  let server: ApiServer;
  let api: ApiClient;
  const logged: LogRecord[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'peergrid-storage-api-'));
    content = await ContentStore.open(dataDir, { blockstore: { durability: 'none' } });
    const node = new FakeNode();
    node.content = content;
    server = await startApiServer({
      host: '127.0.0.1', port: 0, auth: { token: 'test-token-0123456789abcdef', tokenRequired: false },
      handlers: nodeHandlers(node), statusPage: async () => '', log: (record) => logged.push(record),
      timeouts: { streamIdleTimeoutMs: 500, requestTimeoutMs: 500 },
    });
    api = createApiClient({ baseUrl: server.url });
  });
  after(async () => {
    await server.close();
    await content.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('mirrors the storage layer\'s limits in ApiLimits (the client cannot load them)', () => {
    assert.equal(ApiLimits.directoryEntriesMax, DagLimits.directoryEntriesMax);
  });

  it('round-trips a file, a directory, pins, gc, fsck and a CAR through the client', async () => {
    const bytes = bytesOf(300_000, 5);
    const plain = await api.addFile(bytes, { encrypt: false, name: 'mine' });
    assert.deepEqual([plain.bytes, plain.capability], [bytes.length, null]);
    const encrypted = await api.addFile((async function* () {
      yield bytes.subarray(0, 1000);
      yield bytes.subarray(1000);
    })());
    assert.match(encrypted.capability ?? '', /^pgcap1:/, 'encrypted by default');
    const got = await api.getContent({ ref: encrypted.capability as string });
    assert.equal(got.bytes, bytes.length);
    assert.deepEqual(await collect(got.body), bytes);

    const directory = await api.makeDirectory({ entries: [{ name: 'a.bin', ref: plain.cid }] });
    const listing = await api.listContent({ ref: directory.cid });
    assert.deepEqual(listing.entries, [{ name: 'a.bin', kind: 'file', bytes: bytes.length, ref: plain.cid }]);
    assert.deepEqual(await api.pinAdd({ ref: directory.cid }, { name: 'dir', recursive: false }), { cid: directory.cid, name: 'dir', recursive: false });
    assert.ok((await api.pinList()).pins.some((pin) => pin.cid === plain.cid && pin.name === 'mine' && pin.recursive));
    assert.deepEqual(await api.pinRemove({ ref: plain.cid }, { name: 'mine' }), { cid: plain.cid, removed: 1, withdrawn: false });
    assert.equal((await api.gc({ graceMs: 0 })).blocksRemoved, 0, 'the directory\'s recursive pin keeps the file');
    assert.equal((await api.fsck()).ok, true);

    const car = await api.exportCar({ ref: directory.cid });
    assert.equal(car.bytes, null);
    const carBytes = await collect(car.body);
    const otherDir = await mkdtemp(join(tmpdir(), 'peergrid-storage-api-'));
    const other = await ContentStore.open(otherDir, { blockstore: { durability: 'none' } });
    try {
      const report = await other.importCar((async function* () {
        yield carBytes;
      })());
      assert.deepEqual([report.roots, report.refused], [[directory.cid], 0]);
    } finally {
      await other.close();
      await rm(otherDir, { recursive: true, force: true });
    }
    const imported = await api.importCar(carBytes);
    assert.deepEqual([imported.roots, imported.refused], [[directory.cid], 0]);
  });

  it('refuses bad input in the client before sending', async () => {
    await assert.rejects(api.gc({ graceMs: -1 }), (error: unknown) => error instanceof InvalidRequestError && /^query\.graceMs: must be an integer/.test(error.message));
    await assert.rejects(api.makeDirectory({ entries: [{ name: '', ref: 'x' }] }), (error: unknown) => error instanceof InvalidRequestError && /^body\.entries\[0\]\.name/.test(error.message));
    await assert.rejects(api.getContent({ ref: '' }), InvalidRequestError);
  });

  const json = (body: unknown) => ({ method: 'POST', headers: JSON_TYPE, body: JSON.stringify(body) });
  const refusals: [string, string, Parameters<typeof rawRequest>[2], number, RegExp][] = [
    ['a ref that is no CID', '/api/v1/content/hello', {}, 400, /^ref: not a CID or a capability: "hello"/],
    ['a malformed capability', '/api/v1/entries/pgcap1%3Abafy%3Axyz', {}, 400, /^ref: not a valid capability/],
    ['a CIDv0 or another hash', '/api/v1/content/QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG', {}, 400, /^ref: not a CID or a capability/],
    ['content that is not here', `/api/v1/content/${UNKNOWN_CID}`, {}, 404, /is not stored on this node/],
    ['an upload that is JSON', '/api/v1/files', { method: 'POST', headers: JSON_TYPE, body: '{}' }, 415, /application\/octet-stream/],
    ['a query flag that is not true or false', '/api/v1/files?encrypt=yes', { method: 'POST', headers: OCTETS, body: 'x' }, 400, /^query\.encrypt: must be "true" or "false", got "yes"$/],
    ['an unknown query parameter', '/api/v1/files?replicas=3', { method: 'POST', headers: OCTETS, body: 'x' }, 400, /^query: unknown field 'replicas'/],
    ['a query parameter given twice', '/api/v1/files?encrypt=true&encrypt=false', { method: 'POST', headers: OCTETS, body: 'x' }, 400, /^query\.encrypt: given more than once$/],
    ['a query on a route that takes none', '/api/v1/pins?x=1', {}, 400, /takes no query parameters/],
    ['an entry name that escapes', '/api/v1/directories', json({ entries: [{ name: '..', ref: UNKNOWN_CID }] }), 400, /^entries\[0\]\.name: refused the name "\.\."/],
    ['an entry name with a slash', '/api/v1/directories', json({ entries: [{ name: 'a/b', ref: UNKNOWN_CID }] }), 400, /^entries\[0\]\.name: refused a name with a path separator/],
    ['an entry that is not stored', '/api/v1/directories', json({ entries: [{ name: 'a', ref: UNKNOWN_CID }] }), 404, /is not stored on this node/],
    ['a directory body over its bound', '/api/v1/directories', json({ entries: [], pad: 'x'.repeat(ApiLimits.directoryBodyBytesMax) }), 413, /larger than 8,388,608 bytes/],
    ['an unknown field', '/api/v1/directories', json({ entries: [], replicas: 3 }), 400, /^body: unknown field 'replicas'/],
    ['a CAR that is not one', '/api/v1/car', { method: 'POST', headers: OCTETS, body: 'not a CAR file' }, 422, /^not a readable CAR file/],
    ['a pin on content not here', `/api/v1/pins/${UNKNOWN_CID}`, { method: 'PUT', headers: JSON_TYPE, body: '{}' }, 404, /is not stored on this node/],
    ['a pin that is not there', `/api/v1/pins/${UNKNOWN_CID}?name=nope`, { method: 'DELETE' }, 404, /has no pin named "nope"/],
    ['a gc grace period that is negative', '/api/v1/gc?graceMs=-5', { method: 'POST' }, 400, /^query\.graceMs: must be an integer from 0/],
    ['an export of content not here', `/api/v1/car/${UNKNOWN_CID}`, {}, 404, /is not stored on this node/],
  ];
  for (const [what, path, request, status, message] of refusals) {
    it(`refuses ${what} with ${status} and a message`, async () => {
      const answer = await rawRequest(server.port, path, request);
      assert.equal(answer.status, status, answer.text);
      assert.match(errorOf(answer).message, message);
    });
  }

  it('answers a tree as one stream of records, nested directories and files with their bytes; 422 for a file', async () => {
    const one = bytesOf(200_000, 7);
    const a = await api.addFile(one);
    const b = await api.addFile(new Uint8Array(0));
    const inner = await api.makeDirectory({ entries: [{ name: 'b.bin', ref: b.capability as string }] });
    const top = await api.makeDirectory({ entries: [{ name: 'a.bin', ref: a.capability as string }, { name: 'sub', ref: inner.capability as string }] });
    const reader = new TreeStreamReader((await api.getTree({ ref: top.capability as string })).body);
    const records: unknown[] = [];
    for (let record = await reader.next(); record !== null; record = await reader.next()) {
      records.push(record.kind === 'file' ? { ...record, content: await collect(reader.fileBytes()) } : record);
    }
    assert.deepEqual(records, [
      { kind: 'file', path: ['a.bin'], bytes: one.length, content: one },
      { kind: 'directory', path: ['sub'] },
      { kind: 'file', path: ['sub', 'b.bin'], bytes: 0, content: new Uint8Array(0) },
    ]);
    assert.deepEqual(reader.totals, { files: 2, directories: 1 });
    const ofFile = await rawRequest(server.port, `/api/v1/trees/${encodeURIComponent(a.capability as string)}`);
    assert.deepEqual([ofFile.status, errorOf(ofFile).code], [422, 'not_a_directory']);
  });

  it('answers 422 for the bytes of a directory, and for a directory entry mixing plain and encrypted', async () => {
    const file = await api.addFile(new Uint8Array([1, 2, 3]), { encrypt: false });
    const secret = await api.addFile(new Uint8Array([4, 5, 6]));
    const directory = await api.makeDirectory({ entries: [{ name: 'f', ref: file.cid }] });
    const bytes = await rawRequest(server.port, `/api/v1/content/${directory.cid}`);
    assert.deepEqual([bytes.status, errorOf(bytes).code], [422, 'is_a_directory']);
    const mixed = await rawRequest(server.port, '/api/v1/directories', json({ entries: [{ name: 'a', ref: file.cid }, { name: 'b', ref: secret.capability }] }));
    assert.equal(mixed.status, 400);
    assert.match(errorOf(mixed).message, /all plain CIDs or all capabilities/);
  });

  it('answers 502 for a block that fails verification on disk (and quarantines it), and serves on', async () => {
    const added = await api.addFile(bytesOf(1000, 77), { encrypt: false });
    const parsed = parseContentRef(added.cid);
    assert.ok(parsed.ok);
    // The block's bytes rot in their pack file.
    const where = content.store.where(rootOf(parsed.ref));
    assert.ok(where);
    const file = await open(where.path, 'r+');
    await file.write(bytesOf(1000, 78), 0, 1000, where.offset);
    await file.close();
    const answer = await rawRequest(server.port, `/api/v1/content/${added.cid}`);
    assert.deepEqual([answer.status, errorOf(answer).code], [502, 'block_corrupt']);
    assert.match(errorOf(answer).message, /is corrupt on disk .*quarantined/);
    const again = await rawRequest(server.port, `/api/v1/content/${added.cid}`);
    assert.equal(again.status, 404, 'the quarantined block is no longer stored');
    await assert.rejects(api.getContent({ ref: added.cid }), (error: unknown) => error instanceof ApiResponseError && error.status === 404);
  });

  it('serves one byte range of a file, plain or sealed, from a Range header or the range query: 206, Content-Range, only those bytes', async () => {
    const bytes = bytesOf(1_500_000, 9);
    for (const encrypt of [false, true]) {
      const added = await api.addFile(bytes, { encrypt });
      const ref = encodeURIComponent(added.capability ?? added.cid);
      const path = `/api/v1/content/${ref}`;
      const whole = await rawRequest(server.port, path);
      assert.deepEqual([whole.status, whole.headers['accept-ranges'], whole.bytes.length], [200, 'bytes', bytes.length]);
      // Within one chunk, across chunk boundaries, to the end, and the last bytes.
      for (const [header, start, end] of [['bytes=0-99', 0, 99], ['bytes=700000-1200000', 700_000, 1_200_000], ['bytes=1499990-', 1_499_990, 1_499_999], ['bytes=-10', 1_499_990, 1_499_999], ['bytes=1400000-9999999', 1_400_000, 1_499_999]] as const) {
        const answer = await rawRequest(server.port, path, { headers: { range: header } });
        assert.equal(answer.status, 206, `${header}: ${answer.text.slice(0, 200)}`);
        assert.equal(answer.headers['content-range'], `bytes ${start}-${end}/${bytes.length}`);
        assert.equal(answer.headers['content-length'], String(end - start + 1));
        assert.ok(answer.bytes.equals(bytes.subarray(start, end + 1)), header);
      }
      const byQuery = await api.getContent({ ref: added.capability ?? added.cid }, { range: 'bytes=5-9' });
      assert.deepEqual([byQuery.bytes, [...await collect(byQuery.body)]], [5, [...bytes.subarray(5, 10)]]);
      const past = await rawRequest(server.port, path, { headers: { range: `bytes=${bytes.length}-` } });
      assert.deepEqual([past.status, errorOf(past).code, past.headers['content-range']], [416, 'range_not_satisfiable', `bytes */${bytes.length}`]);
      // Several ranges, or another unit: the whole file, as RFC 9110 lets a server answer.
      for (const ignored of ['bytes=0-1,5-6', 'lines=1-2', 'bytes=9-3']) {
        const answer = await rawRequest(server.port, path, { headers: { range: ignored } });
        assert.deepEqual([answer.status, answer.bytes.length], [200, bytes.length], ignored);
      }
      const bad = await rawRequest(server.port, `${path}?range=${encodeURIComponent('bytes=9-3')}`);
      assert.deepEqual([bad.status, errorOf(bad).code], [400, 'bad_request']);
      assert.match(errorOf(bad).message, /is not one byte range/);
    }
  });

  /** Sends `bytes` and then nothing; resolves with what the server sent before it closed the connection. */
  function stall(bytes: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => socket.write(bytes));
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('close', () => resolve(received));
      socket.on('error', reject);
      socket.setTimeout(20_000, () => socket.destroy(new Error('the server never closed the stalled request')));
    });
  }

  it('answers a JSON body that does not arrive whole in time with 408, and closes the connection', async () => {
    const answer = await stall(`POST /api/v1/directories HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"entr`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"request_timeout","message":"the request was not received whole within 0\.5 s"/);
  });

  it('cuts an upload that stalls (after the idle limit) and serves on; nothing of it is pinned', async () => {
    const pinsBefore = (await api.pinList()).count;
    const closed = await stall(`POST /api/v1/files HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\ncontent-type: application/octet-stream\r\n`
      + 'transfer-encoding: chunked\r\n\r\n5\r\nhello\r\n');
    assert.equal(closed, '', 'the connection was closed, with nothing to answer');
    assert.equal((await api.pinList()).count, pinsBefore);
    assert.equal((await api.status()).id.length, 64);
    assert.deepEqual(logged.filter((record) => record.level === 'error'), []);
  });
});
