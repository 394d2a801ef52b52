/** What a node keeps in its data directory: identity, configuration, routing snapshot, lock, its SQLite files. */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultDhtConfig } from '../../src/core/config.ts';
import { idFromHex, idToHex } from '../../src/core/id.ts';
import { peerRef } from '../../src/core/peer.ts';
import { DataFiles, defaultDataDir, lockDataDir, writeFileAtomically } from '../../src/runtime/data-dir.ts';
import { loadOrCreateIdentity } from '../../src/runtime/identity-file.ts';
import { defaultNodeConfig, loadOrCreateNodeConfig, parseNodeConfig } from '../../src/runtime/node-config.ts';
import { Holdings, HOLDINGS_FILE } from '../../src/runtime/exchange/holdings.ts';
import { SearchStore } from '../../src/runtime/search/search-store.ts';
import { loadSnapshot, saveSnapshot } from '../../src/runtime/snapshot-file.ts';
import { removeDataDirs, temporaryDataDir } from './runtime-harness.ts';

const dirs: string[] = [];
after(() => removeDataDirs(dirs));

async function freshDir(): Promise<string> {
  const dir = await temporaryDataDir();
  dirs.push(dir);
  return dir;
}

describe('data directory', () => {
  it('defaults to ~/.peergrid', () => {
    assert.equal(defaultDataDir('/home/ada'), '/home/ada/.peergrid');
  });

  it('is locked by one node at a time, and a lock left by a dead process is taken over', async () => {
    const dir = await freshDir();
    const lock = await lockDataDir(dir);
    await assert.rejects(lockDataDir(dir), { name: 'DataDirLockedError' });
    await lock.release();
    // A pid that cannot be running: beyond the kernel's pid range.
    await writeFile(join(dir, DataFiles.lock), '2147483646\n');
    const taken = await lockDataDir(dir);
    assert.equal((await readFile(join(dir, DataFiles.lock), 'utf8')).trim(), String(process.pid));
    await taken.release();
  });
});

describe('atomic writes', () => {
  it('leave no temporary file behind when the write fails', async () => {
    const dir = await freshDir();
    // A directory where the file goes: the rename fails, as a full disk fails the write.
    await mkdir(join(dir, 'state.json'));
    await assert.rejects(writeFileAtomically(join(dir, 'state.json'), '{}'), { code: 'EISDIR' });
    assert.deepEqual(await readdir(dir), ['state.json']);
  });
});

describe('identity file', () => {
  it('is created once, private, and read back as the same Ed25519 key', async () => {
    const dir = await freshDir();
    const first = await loadOrCreateIdentity(dir);
    assert.equal(first.created, true);
    assert.equal((await stat(join(dir, DataFiles.identity))).mode & 0o077, 0, 'only the owner may read it');
    const second = await loadOrCreateIdentity(dir);
    assert.equal(second.created, false);
    assert.ok(second.privateKey.equals(first.privateKey));
  });

  it('is never replaced when it is damaged', async () => {
    const dir = await freshDir();
    await writeFile(join(dir, DataFiles.identity), '{"version":1,"type":"Ed25519","privateKey":"AAAA"}');
    await assert.rejects(loadOrCreateIdentity(dir), { name: 'IdentityFileError', message: /privateKey does not decode/ });
    await writeFile(join(dir, DataFiles.identity), 'nonsense');
    await assert.rejects(loadOrCreateIdentity(dir), { name: 'IdentityFileError', message: /not JSON/ });
  });

  it('that cannot be read at all (a directory in its place) is an error that names it', async () => {
    const dir = await freshDir();
    await mkdir(join(dir, DataFiles.identity));
    await assert.rejects(loadOrCreateIdentity(dir), { name: 'IdentityFileError', message: new RegExp(`^${join(dir, DataFiles.identity)}: cannot be read \\(EISDIR`) });
  });
});

describe('config file', () => {
  it('is written with the defaults on first start, kernel settings only as overrides', async () => {
    const dir = await freshDir();
    assert.deepEqual(await loadOrCreateNodeConfig(dir), defaultNodeConfig);
    const written = JSON.parse(await readFile(join(dir, DataFiles.config), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(written.listen, ['/ip4/0.0.0.0/tcp/4100']);
    assert.deepEqual(written.dht, {});
    assert.deepEqual(await loadOrCreateNodeConfig(dir), defaultNodeConfig);
  });

  it('fills in what is missing and applies kernel overrides', () => {
    const problems: string[] = [];
    const config = parseNodeConfig({ bootstrap: ['/ip4/127.0.0.1/tcp/1'], dht: { k: 8, lookupFinish: 2 } }, problems);
    assert.deepEqual(problems, []);
    assert.deepEqual(config.bootstrap, ['/ip4/127.0.0.1/tcp/1']);
    assert.equal(config.dht.k, 8);
    assert.equal(config.dht.alpha, defaultDhtConfig.alpha);
    assert.equal(config.dialTimeoutMs, defaultNodeConfig.dialTimeoutMs);
  });

  it('names every problem: unknown settings, wrong types, bad multiaddrs, bad kernel values', async () => {
    const problems: string[] = [];
    parseNodeConfig({ lisen: [], listen: 'x', announce: ['nope'], dialTimeoutMs: -1, leaveOnShutdown: 'yes', dht: { k: 0, kk: 1 } }, problems);
    assert.deepEqual(problems, [
      "unknown setting 'lisen'",
      "'listen' must be an array of multiaddr strings",
      "'announce' holds an invalid multiaddr 'nope'",
      "'dialTimeoutMs' must be a positive integer",
      "'leaveOnShutdown' must be true or false",
      "unknown dht setting 'kk'",
      'dht: k must be an integer in 1…64, got 0',
      "dht: lookupFinish must be 'strict' or an integer in 1…k, got 3",
      "dht: maintenanceLookupFinish must be 'strict' or an integer in 1…k, got 3",
    ]);
    const dir = await freshDir();
    await writeFile(join(dir, DataFiles.config), '{"connectionsMax": 0}');
    await assert.rejects(loadOrCreateNodeConfig(dir), { name: 'ConfigError', message: /'connectionsMax' must be a positive integer/ });
  });

  it('that cannot be read at all (a directory in its place) is an error that names it', async () => {
    const dir = await freshDir();
    await mkdir(join(dir, DataFiles.config));
    await assert.rejects(loadOrCreateNodeConfig(dir), { name: 'ConfigError', message: new RegExp(`^${join(dir, DataFiles.config)}: cannot be read \\(EISDIR`) });
  });
});

describe('routing snapshot file', () => {
  const self = peerRef(idFromHex('11'.repeat(32)), 'self-address');
  const contact = peerRef(idFromHex('22'.repeat(32)), 'contact-address');

  it('round-trips contacts and values, taking off the time spent stopped', async () => {
    const dir = await freshDir();
    const snapshot = {
      self,
      contacts: [contact],
      values: [
        { key: idFromHex('33'.repeat(32)), value: Uint8Array.of(1, 2, 3), expiresAtMs: 5000 + 60_000, ttlMs: 90_000, origin: 'published' as const },
        { key: idFromHex('44'.repeat(32)), value: Uint8Array.of(4), expiresAtMs: 5000 + 1000, ttlMs: 1000, origin: 'stored' as const },
      ],
    };
    await saveSnapshot(dir, snapshot, 5000, 1_000_000);
    // Ten seconds later, on a new process whose monotonic clock reads 200.
    const loaded = await loadSnapshot(dir, peerRef(self, 'new-address'), 200, 1_010_000);
    assert.equal(loaded.kind, 'loaded');
    if (loaded.kind !== 'loaded') return;
    assert.equal(loaded.snapshot.self.address, 'new-address');
    assert.deepEqual(loaded.snapshot.contacts.map((peer) => [idToHex(peer), peer.address]), [[idToHex(contact), 'contact-address']]);
    assert.equal(loaded.snapshot.values.length, 1, 'the value with 1 s left has expired');
    const [held] = loaded.snapshot.values;
    assert.deepEqual(held.value, Uint8Array.of(1, 2, 3));
    assert.equal(held.expiresAtMs, 200 + 50_000);
    assert.equal(held.ttlMs, 90_000);
    assert.equal(held.origin, 'published');
  });

  it('is ignored, with the reason, when missing, damaged or another identity\'s', async () => {
    const dir = await freshDir();
    assert.deepEqual(await loadSnapshot(dir, self, 0, 0), { kind: 'none' });
    await saveSnapshot(dir, { self, contacts: [], values: [] }, 0, 0);
    assert.deepEqual(await loadSnapshot(dir, contact, 0, 0), { kind: 'unusable', problem: 'saved by another identity' });
    await writeFile(join(dir, DataFiles.routing), '{"version":1');
    assert.deepEqual(await loadSnapshot(dir, self, 0, 0), { kind: 'unusable', problem: 'not JSON' });
  });
});

describe('SQLite files (search.sqlite, holdings.sqlite)', () => {
  it('are refused with an error that names the file when SQLite cannot use them: cut short, not a database, a directory', async () => {
    const dir = await freshDir();
    const holdings = Holdings.open(dir);
    for (let index = 0; index < 200; index++) {
      holdings.upsert({ block: `block-${index}`, fragment: -1, piece: `piece-${index}`, redundancy: 'replicate:3', origin: 'self', bytes: 1000, addedAtMs: 0, leaseExpiresAtMs: 0 }, 0);
    }
    holdings.close();
    const path = join(dir, HOLDINGS_FILE);
    await truncate(path, (await stat(path)).size / 2);
    assert.throws(() => Holdings.open(dir), { name: 'SqliteFileError', message: new RegExp(`^${path} cannot be used: database disk image is malformed`) });
    await writeFile(path, 'not a database, though long enough to be read as one..........................................................');
    assert.throws(() => Holdings.open(dir), { name: 'SqliteFileError', message: new RegExp(`^${path} cannot be used: file is not a database`) });
    await mkdir(join(dir, 'search.sqlite'));
    assert.throws(() => SearchStore.open(dir), { name: 'SqliteFileError', message: new RegExp(`^${join(dir, 'search.sqlite')} cannot be used`) });
  });
});
