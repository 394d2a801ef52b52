/** Keys, addresses, the loopback rule, the token file, the router and the status page. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parseApiListenAddress, parseApiUrl } from '../../src/api/api-address.ts';
import { authPolicyFor, authorize, checkAccess, isLoopbackHost } from '../../src/api/auth.ts';
import { ApiError } from '../../src/api/errors.ts';
import { keySchema, parseKey } from '../../src/api/key.ts';
import { matchRoute } from '../../src/api/router.ts';
import { escapeHtml, formatDuration } from '../../src/api/status-page.ts';
import { apiReadTokenPath, apiTokenPath, loadOrCreateApiReadToken, loadOrCreateApiToken } from '../../src/api/token-file.ts';
import { idToHex } from '../../src/core/id.ts';

describe('keys', () => {
  it('take 64 hex digits as an id, in either case', () => {
    const hex = 'AB'.repeat(32);
    const key = parseKey(hex);
    assert.equal(key.kind, 'id');
    assert.equal(idToHex(key.id), hex.toLowerCase());
  });

  it('hash anything else with SHA-256 of its UTF-8 bytes', () => {
    for (const text of ['greeting', 'ab'.repeat(31), 'ünïcödé', 'a/b?c']) {
      const key = parseKey(text);
      assert.equal(key.kind, 'sha256');
      assert.equal(idToHex(key.id), createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  });

  it('must not be empty, too long, or a dot segment', () => {
    assert.ok(keySchema.check('x'.repeat(1024), 'key').ok);
    for (const bad of ['', 'x'.repeat(1025), '.', '..']) assert.equal(keySchema.check(bad, 'key').ok, false, JSON.stringify(bad));
    assert.ok(keySchema.check('...', 'key').ok);
  });
});

describe('API addresses', () => {
  it('parse HOST:PORT for the listener', () => {
    assert.deepEqual(parseApiListenAddress('127.0.0.1:5380'), { ok: true, value: { host: '127.0.0.1', port: 5380 } });
    assert.deepEqual(parseApiListenAddress('[::1]:0'), { ok: true, value: { host: '::1', port: 0 } });
    assert.deepEqual(parseApiListenAddress('localhost:1'), { ok: true, value: { host: 'localhost', port: 1 } });
    for (const bad of ['127.0.0.1', ':5380', '127.0.0.1:65536', 'example.com:80', '::1:5380', '[nope]:1', '127.0.0.1:-1']) {
      assert.equal(parseApiListenAddress(bad).ok, false, bad);
    }
  });

  it('parse the URL a client is given, with or without the scheme', () => {
    assert.deepEqual(parseApiUrl('http://127.0.0.1:5380/'), { ok: true, value: 'http://127.0.0.1:5380' });
    assert.deepEqual(parseApiUrl('127.0.0.1:5381'), { ok: true, value: 'http://127.0.0.1:5381' });
    assert.deepEqual(parseApiUrl('http://[::1]:5380'), { ok: true, value: 'http://[::1]:5380' });
    assert.deepEqual(parseApiUrl('5383'), { ok: true, value: 'http://127.0.0.1:5383' }, 'a port alone is this machine\'s');
    for (const bad of ['0', '65536', 'https://127.0.0.1:5380', 'http://user:pw@127.0.0.1:1', 'http://127.0.0.1:1/api', 'http://127.0.0.1:1?x', 'http://']) {
      assert.equal(parseApiUrl(bad).ok, false, bad);
    }
  });
});

describe('the token rule', () => {
  it('knows loopback from everything else', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
    for (const host of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com', '::ffff:10.0.0.1', '']) assert.ok(!isLoopbackHost(host), host);
  });

  it('requires a token exactly off loopback, and refuses to run without one there', () => {
    assert.deepEqual(authPolicyFor('127.0.0.1', 't'.repeat(32)), { token: 't'.repeat(32), readToken: null, tokenRequired: false });
    assert.equal(authPolicyFor('0.0.0.0', 't'.repeat(32)).tokenRequired, true);
    assert.throws(() => authPolicyFor('0.0.0.0', null));
  });

  const token = 'secret-token-0123456789';
  const refusal = (policy: ReturnType<typeof authPolicyFor>, headers: { authorization?: string; host?: string }): number | null => {
    try {
      authorize(policy, headers);
      return null;
    } catch (error) {
      assert.ok(error instanceof ApiError);
      return error.status;
    }
  };

  it('on loopback: no token is fine from a loopback Host, a wrong one is 401, a foreign Host is 403', () => {
    const policy = authPolicyFor('127.0.0.1', token);
    assert.equal(refusal(policy, { host: '127.0.0.1:5380' }), null);
    assert.equal(refusal(policy, { host: 'localhost:5380' }), null);
    assert.equal(refusal(policy, { host: '[::1]:5380' }), null);
    assert.equal(refusal(policy, { host: '127.0.0.1:5380', authorization: `Bearer ${token}` }), null);
    assert.equal(refusal(policy, { host: '127.0.0.1:5380', authorization: 'Bearer wrong' }), 401);
    assert.equal(refusal(policy, { host: '127.0.0.1:5380', authorization: token }), 401);
    assert.equal(refusal(policy, { host: 'rebound.example:5380' }), 403);
    assert.equal(refusal(policy, { host: 'rebound.example:5380', authorization: `bearer ${token}` }), null);
  });

  it('a read-only token reads and nothing more; the full token does everything', () => {
    const readToken = 'reader-token-0123456789';
    const policy = authPolicyFor('0.0.0.0', token, readToken);
    assert.equal(authorize(policy, { host: '192.0.2.1:5380', authorization: `Bearer ${token}` }), 'full');
    assert.equal(authorize(policy, { host: '192.0.2.1:5380', authorization: `Bearer ${readToken}` }), 'read');
    assert.equal(authorize(authPolicyFor('127.0.0.1', token, readToken), { host: '127.0.0.1:5380' }), 'full', 'loopback without a token');
    assert.equal(refusal(policy, { host: '192.0.2.1:5380', authorization: `Bearer ${readToken}x` }), 401);
    assert.doesNotThrow(() => checkAccess('read', 'GET'));
    assert.doesNotThrow(() => checkAccess('full', 'POST'));
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      assert.throws(() => checkAccess('read', method), (error: unknown) => error instanceof ApiError && error.status === 403 && /may only read/.test(error.message));
    }
  });

  it('off loopback: only the right token passes', () => {
    const policy = authPolicyFor('0.0.0.0', token);
    assert.equal(refusal(policy, { host: '192.0.2.1:5380' }), 401);
    assert.equal(refusal(policy, { host: '127.0.0.1:5380' }), 401);
    assert.equal(refusal(policy, { host: '192.0.2.1:5380', authorization: 'Bearer wrong' }), 401);
    assert.equal(refusal(policy, { host: '192.0.2.1:5380', authorization: `Bearer ${token}` }), null);
  });
});

describe('the token file', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

  it('is created once, owner-only, and read back the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-token-'));
    dirs.push(dir);
    const first = await loadOrCreateApiToken(dir);
    assert.equal(first.created, true);
    assert.match(first.token, /^[0-9a-f]{64}$/);
    assert.equal((await stat(apiTokenPath(dir))).mode & 0o777, 0o600);
    const second = await loadOrCreateApiToken(dir);
    assert.deepEqual({ ...second, created: true }, first);
  });

  it('is made owner-only when others could read it, and refused when it holds no token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-token-'));
    dirs.push(dir);
    await writeFile(apiTokenPath(dir), 'my-own-token-of-enough-length\n');
    await chmod(apiTokenPath(dir), 0o644);
    const loaded = await loadOrCreateApiToken(dir);
    assert.equal(loaded.token, 'my-own-token-of-enough-length');
    assert.equal(loaded.permissionsFixed, true);
    assert.equal((await stat(apiTokenPath(dir))).mode & 0o777, 0o600);
    await writeFile(apiTokenPath(dir), 'short\n');
    await assert.rejects(loadOrCreateApiToken(dir), { name: 'ApiTokenFileError' });
  });

  it('the read-only token lives beside it, differs from it, and is refused if made the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-token-'));
    dirs.push(dir);
    const full = await loadOrCreateApiToken(dir);
    const read = await loadOrCreateApiReadToken(dir, full.token);
    assert.equal(read.path, apiReadTokenPath(dir));
    assert.notEqual(read.token, full.token);
    assert.equal((await stat(read.path)).mode & 0o777, 0o600);
    await writeFile(read.path, `${full.token}\n`);
    await assert.rejects(loadOrCreateApiReadToken(dir, full.token), (error: unknown) => error instanceof Error && error.name === 'ApiTokenFileError' && /must differ/.test(error.message));
  });
});

describe('the router', () => {
  it('finds routes and decodes their parameters', () => {
    assert.deepEqual(matchRoute('GET', '/api/v1/status'), { name: 'status', params: {} });
    assert.deepEqual(matchRoute('GET', '/api/v1/lookup/a%2Fb%20c'), { name: 'lookup', params: { key: 'a/b c' } });
    assert.deepEqual(matchRoute('PUT', '/api/v1/dht/k'), { name: 'dhtPut', params: { key: 'k' } });
    assert.deepEqual(matchRoute('GET', '/api/v1/dht/k'), { name: 'dhtGet', params: { key: 'k' } });
    assert.deepEqual(matchRoute('GET', '/api/v1/dht/'), { name: 'dhtGet', params: { key: '' } });
  });

  it('says 404, 405 with Allow, or 400 for bad percent-encoding', () => {
    const statusOf = (method: string, path: string): [number, Readonly<Record<string, string>>] => {
      try {
        matchRoute(method, path);
      } catch (error) {
        assert.ok(error instanceof ApiError);
        return [error.status, error.headers];
      }
      throw new Error('no error');
    };
    assert.equal(statusOf('GET', '/api/v1/nothing')[0], 404);
    assert.equal(statusOf('GET', '/api/v1/lookup/a/b')[0], 404);
    assert.deepEqual(statusOf('DELETE', '/api/v1/dht/k'), [405, { allow: 'PUT, GET' }]);
    assert.equal(statusOf('GET', '/api/v1/lookup/%E0%A4%A')[0], 400);
  });
});

describe('the status page helpers', () => {
  it('escape HTML and format durations', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
    assert.equal(formatDuration(450), '450 ms');
    assert.equal(formatDuration(83_000), '1m 23s');
    assert.equal(formatDuration(2 * 3_600_000 + 5 * 60_000), '2h 5m');
    assert.equal(formatDuration(3 * 86_400_000 + 3_600_000), '3d 1h');
  });
});
