/**
 * The API server over a fake node: every route's checks refuse bad input with a 4xx and a JSON
 * message and the server goes on serving; node failures become 503 or 500; the token rule holds
 * for a loopback listener and for one that requires the token (as a non-loopback one does).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AuthPolicy } from '../../src/api/auth.ts';
import { nodeHandlers } from '../../src/api/handlers.ts';
import { startApiServer, type ApiServer } from '../../src/api/server.ts';
import { renderStatusPage } from '../../src/api/status-page.ts';
import { FakeNode, OTHER_ID, SELF_ID } from './fake-node.ts';
import { rawExchange, rawRequest, type RawAnswer } from './http-request.ts';

const TOKEN = 'test-token-0123456789abcdef';
const STALLED_REQUEST_TIMEOUT_MS = 3_000;

async function startFakeApi(node: FakeNode, auth: AuthPolicy): Promise<ApiServer> {
  const handlers = nodeHandlers(node);
  return startApiServer({
    host: '127.0.0.1', port: 0, auth, handlers,
    // A client that stalls mid-body is cut after this; the default 30 s would only slow the suite.
    timeouts: { requestTimeoutMs: STALLED_REQUEST_TIMEOUT_MS },
    statusPage: async () => renderStatusPage(await handlers.status({ params: {}, body: undefined }), await handlers.peers({ params: {}, body: undefined })),
  });
}

function errorOf(answer: RawAnswer): { code: string; message: string } {
  const body = answer.json as { error?: { code: string; message: string } } | undefined;
  assert.ok(body?.error, `expected a JSON error, got ${answer.status} ${answer.text.slice(0, 200)}`);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  return body.error;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('API server on loopback', () => {
  const node = new FakeNode();
  let server: ApiServer;
  before(async () => {
    server = await startFakeApi(node, { token: TOKEN, tokenRequired: false });
  });
  after(() => server.close());

  it('serves status, peers, lookup, put and get as JSON', async () => {
    const status = await rawRequest(server.port, '/api/v1/status');
    assert.equal(status.status, 200);
    assert.equal((status.json as { id: string }).id, SELF_ID);
    assert.equal((status.json as { penalties: { recent: { lastAgoMs: number }[] } }).penalties.recent[0].lastAgoMs, 234);
    assert.deepEqual((status.json as { coordinate: unknown }).coordinate, { x: 12.5, y: -3, height: 4, error: 0.25 });

    const peers = await rawRequest(server.port, '/api/v1/peers');
    assert.deepEqual((peers.json as { contacts: { id: string; rttMs: number }[] }).contacts.map((c) => [c.id, c.rttMs]), [[OTHER_ID, 1.2]]);

    const lookup = await rawRequest(server.port, `/api/v1/lookup/${SELF_ID.toUpperCase()}`);
    assert.equal(lookup.status, 200);
    assert.deepEqual(lookup.json, {
      key: SELF_ID.toUpperCase(), id: SELF_ID, keyKind: 'id',
      closest: [{ id: OTHER_ID, peerId: '12D3KooWNEYrkz3mqvGdZaVj9ouJayYUQfnYyguc7mxJHH6CdRS1', multiaddrs: ['/ip4/127.0.0.1/tcp/4100/p2p/12D3KooWNEYrkz3mqvGdZaVj9ouJayYUQfnYyguc7mxJHH6CdRS1'] }],
      hops: 1, queries: 1, answers: 1, failures: 0, durationMs: 3,
    });

    const put = await rawRequest(server.port, '/api/v1/dht/a%2Fkey', { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ value: 'héllo', ttlMs: 60_000 }) });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.json, { key: 'a/key', id: sha256Hex('a/key'), keyKind: 'sha256', bytes: 6, stored: 2, refused: 0, failed: 0, durationMs: 5 });
    assert.deepEqual(node.calls.at(-1), { operation: 'put', key: sha256Hex('a/key'), value: new TextEncoder().encode('héllo'), ttlMs: 60_000 });

    const got = await rawRequest(server.port, '/api/v1/dht/a%2Fkey');
    assert.deepEqual(got.json, {
      key: 'a/key', id: sha256Hex('a/key'), keyKind: 'sha256', found: true, value: 'héllo',
      valueBase64: Buffer.from('héllo').toString('base64'), bytes: 6, hops: 1, queries: 1, durationMs: 3,
    });
    const binary = await rawRequest(server.port, '/api/v1/dht/bin', { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ value: '/w==', encoding: 'base64' }) });
    assert.equal(binary.status, 200);
    const gotBinary = (await rawRequest(server.port, '/api/v1/dht/bin')).json as { value: string | null; valueBase64: string };
    assert.deepEqual([gotBinary.value, gotBinary.valueBase64], [null, '/w==']);
    const missing = (await rawRequest(server.port, '/api/v1/dht/nothing')).json as { found: boolean; value: null };
    assert.deepEqual([missing.found, missing.value], [false, null]);
  });

  it('serves an HTML status page at /', async () => {
    const page = await rawRequest(server.port, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.match(page.text, new RegExp(SELF_ID));
    assert.match(page.text, /Contacts \(1\)/);
    assert.match(page.text, /\/ip4\/127\.0\.0\.1\/tcp\/4101/);
    assert.match(page.text, /\/api\/v1\/lookup\/:key/);
  });

  const refusals: [string, string, RawRequestShape, number, RegExp][] = [
    ['an empty key', '/api/v1/lookup/', {}, 400, /^key: must be a key/],
    ['a key that is too long', `/api/v1/lookup/${'k'.repeat(1025)}`, {}, 400, /^key: must be a key.*got 1,025 bytes$/],
    ['bad percent-encoding', '/api/v1/dht/%ZZ', {}, 400, /^key: bad percent-encoding/],
    ['a query string', '/api/v1/status?verbose=1', {}, 400, /takes no query parameters/],
    ['a query parameter named __proto__', '/api/v1/gc?__proto__=1', { method: 'POST' }, 400, /^query: unknown field '__proto__'/],
    ['an unknown path', '/api/v1/bogus', {}, 404, /^no route \/api\/v1\/bogus \(routes: /],
    ['an unknown method', '/api/v1/dht/k', { method: 'DELETE' }, 405, /^DELETE is not allowed on \/api\/v1\/dht\/k \(allowed: PUT, GET\)$/],
    ['a POST to the status page', '/', { method: 'POST' }, 405, /allowed: GET/],
    ['a body without a JSON content type', '/api/v1/dht/k', { method: 'PUT', body: '{"value":"x"}' }, 415, /Content-Type: application\/json/],
    ['an empty body', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE }, 400, /^body: missing/],
    ['a body that is not JSON', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: '{"value":' }, 400, /^body: not valid JSON/],
    ['a body that is not UTF-8', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: Buffer.from([0x22, 0xff, 0x22]) }, 400, /^body: not valid UTF-8$/],
    ['a body that is an array', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: '[]' }, 400, /^body: must be an object/],
    // JSON can carry a lone surrogate, UTF-8 cannot: it would be stored as U+FFFD, or reach the wire codec.
    ['a value with a lone surrogate', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: '{"value":"a\\ud800"}' }, 400, /^body\.value: not well-formed Unicode/],
    ['a lone surrogate deep in a job.json', '/api/v1/jobs', { method: 'POST', headers: JSON_TYPE, body: '{"job":{"units":{"args":["ok","\\udc00"]}}}' }, 400, /^body\.job\.units\.args\[1\]: not well-formed Unicode/],
    ['a field name with a lone surrogate', '/api/v1/jobs', { method: 'POST', headers: JSON_TYPE, body: '{"job":{"\\ud800":1}}' }, 400, /^body\.job \(the name of a field\): not well-formed Unicode/],
    ['a body nested 200,000 deep', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: `${'['.repeat(200_000)}${']'.repeat(200_000)}` }, 400, /^body: must be an object/],
    ['a value that is not a string', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: '{"value":5}' }, 400, /^body\.value: must be a string/],
    ['an unknown field', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: '{"value":"x","tll":5}' }, 400, /^body: unknown field 'tll'/],
    ['an unknown encoding', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: '{"value":"x","encoding":"hex"}' }, 400, /^body\.encoding: must be one of "utf8", "base64"/],
    ['a TTL of zero', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: '{"value":"x","ttlMs":0}' }, 400, /^body\.ttlMs: must be an integer from 1 to/],
    ['a TTL over 48 hours', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: '{"value":"x","ttlMs":172800001}' }, 400, /^body\.ttlMs:/],
    ['bad base64', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: '{"value":"not base64!","encoding":"base64"}' }, 400, /^body\.value: not valid base64/],
    ['a value over 64 KiB', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ value: 'x'.repeat(65_537) }) }, 413, /at most 65,536 bytes, got 65,537/],
    ['a body over 512 KiB', '/api/v1/dht/k', { method: 'PUT', headers: JSON_TYPE, body: JSON.stringify({ value: 'x'.repeat(600_000) }) }, 413, /larger than 524,288 bytes/],
  ];
  for (const [what, path, request, status, message] of refusals) {
    it(`refuses ${what} with ${status} and a message`, async () => {
      const callsBefore = node.calls.length;
      const answer = await rawRequest(server.port, path, request);
      assert.equal(answer.status, status, answer.text);
      assert.match(errorOf(answer).message, message);
      assert.equal(node.calls.length, callsBefore, 'the node was not asked');
    });
  }

  it('refuses a body announced larger than allowed, without buffering it, and cuts a client that then stalls', async () => {
    // Announces 10 MiB and sends 2 bytes: the refusal waits for the rest (a lingering close, up to
    // refusedBodyDrainBytesMax) until the request's time limit cuts the stalled client.
    const answer = await rawRequest(server.port, '/api/v1/dht/k', {
      method: 'PUT', headers: { ...JSON_TYPE, 'content-length': String(10 * 1024 * 1024) }, body: '{}',
    }).catch((error: Error) => error);
    // The refusal, not a 408: the time limit only ended the wait for the rest.
    assert.ok(!(answer instanceof Error), `an answer, not ${String(answer)}`);
    assert.equal(answer.status, 413);
    assert.match(errorOf(answer).message, /larger than 524,288 bytes/);
    assert.equal(answer.headers.connection, 'close');
    assert.equal((await rawRequest(server.port, '/api/v1/status')).status, 200);
  });

  it('answers a request refused before its route is known (no such route) whose body stalls, within the time limit', async () => {
    // Refused before any route set a time limit: the wait for the rest of its body must still end.
    const answer = await rawRequest(server.port, '/api/v1/bogus', {
      method: 'POST', headers: { ...JSON_TYPE, 'content-length': String(10 * 1024 * 1024) }, body: '{}',
    }).catch((error: Error) => error);
    assert.ok(!(answer instanceof Error), `an answer, not ${String(answer)}`);
    assert.equal(answer.status, 404);
    assert.match(errorOf(answer).message, /^no route \/api\/v1\/bogus/);
    assert.equal(answer.headers.connection, 'close');
  });

  it('turns node failures into 503 (busy, stopping) and 500 (a bug), and serves on', async () => {
    node.failNext = 'busy';
    const busy = await rawRequest(server.port, '/api/v1/lookup/x');
    assert.equal(busy.status, 503);
    assert.equal(errorOf(busy).code, 'busy');
    assert.equal(busy.headers['retry-after'], '1');
    node.failNext = 'stopped';
    const stopping = await rawRequest(server.port, '/api/v1/dht/x');
    assert.deepEqual([stopping.status, errorOf(stopping).code], [503, 'stopping']);
    node.failNext = 'bug';
    const bug = await rawRequest(server.port, '/api/v1/lookup/x');
    assert.equal(bug.status, 500);
    assert.deepEqual(errorOf(bug), { code: 'internal', message: 'internal error (see the node log)' });
    assert.equal((await rawRequest(server.port, '/api/v1/status')).status, 200);
  });

  it('answers malformed HTTP with 400 and serves on', async () => {
    const answer = await rawExchange(server.port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.equal((await rawRequest(server.port, '/api/v1/status')).status, 200);
  });

  it('refuses an HTTP/1.1 request without a Host header with 400 and a JSON message', async () => {
    const answer = await rawExchange(server.port, 'GET /api/v1/status HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /\r\ncontent-type: application\/json/i);
    assert.match(answer, /"message":"an HTTP\/1\.1 request needs a Host header"/);
  });

  it('accepts the token on loopback, refuses a wrong one with 401, and refuses a foreign Host without one', async () => {
    assert.equal((await rawRequest(server.port, '/api/v1/status', { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    const wrong = await rawRequest(server.port, '/api/v1/status', { headers: { authorization: 'Bearer wrong-token-0123456789' } });
    assert.equal(wrong.status, 401);
    assert.equal(errorOf(wrong).message, 'wrong API token');
    assert.match(String(wrong.headers['www-authenticate']), /^Bearer/);
    const rebound = await rawRequest(server.port, '/api/v1/status', { headers: { host: 'attacker.example:5380' } });
    assert.equal(rebound.status, 403);
    assert.match(errorOf(rebound).message, /Host header must name a loopback address/);
  });
});

type RawRequestShape = Parameters<typeof rawRequest>[2];

describe('API server that requires its token (as on a non-loopback address)', () => {
  const node = new FakeNode();
  let server: ApiServer;
  before(async () => {
    server = await startFakeApi(node, { token: TOKEN, tokenRequired: true });
  });
  after(() => server.close());

  for (const path of ['/api/v1/status', '/api/v1/lookup/x', '/']) {
    it(`refuses ${path} without the token or with a wrong one (401), and serves it with the right one`, async () => {
      const without = await rawRequest(server.port, path);
      assert.equal(without.status, 401);
      assert.match(errorOf(without).message, /needs its token/);
      const wrong = await rawRequest(server.port, path, { headers: { authorization: `Bearer ${TOKEN}x` } });
      assert.equal(wrong.status, 401);
      const malformed = await rawRequest(server.port, path, { headers: { authorization: `Basic ${TOKEN}` } });
      assert.equal(malformed.status, 401);
      assert.match(errorOf(malformed).message, /malformed Authorization header/);
      const right = await rawRequest(server.port, path, { headers: { authorization: `Bearer ${TOKEN}`, host: 'node.example:5380' } });
      assert.equal(right.status, 200);
    });
  }

  it('asks the node nothing for a refused request', async () => {
    const callsBefore = node.calls.length;
    const refused = await rawRequest(server.port, '/api/v1/dht/x', { method: 'PUT', headers: JSON_TYPE, body: '{"value":"x"}' });
    assert.equal(refused.status, 401);
    assert.equal(node.calls.length, callsBefore);
  });

  it('answers a request without the token whose body stalls, within the time limit, so no client can hold connections unanswered', async () => {
    const answer = await rawRequest(server.port, '/api/v1/dht/x', {
      method: 'PUT', headers: { ...JSON_TYPE, 'content-length': String(10 * 1024 * 1024) }, body: '{}',
    }).catch((error: Error) => error);
    assert.ok(!(answer instanceof Error), `an answer, not ${String(answer)}`);
    assert.equal(answer.status, 401);
    assert.match(errorOf(answer).message, /needs its token/);
    assert.equal(answer.headers.connection, 'close');
  });
});
