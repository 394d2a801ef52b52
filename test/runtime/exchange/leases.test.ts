/**
 * Leases on the pieces kept for the grid (docs/storage-network.md, "Leases"), each part on its own
 * with a clock the test moves: the holdings table (a file from before leases, expiry order, the
 * record of renewals), a holder's answers to `renew`, maintenance dropping what ran out and
 * refusing to repair under a lease about to end, and the node's renewal of what it pins.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { idFromHex } from '../../../src/core/id.ts';
import { peerRef, type PeerRef } from '../../../src/core/peer.ts';
import { BlockCache } from '../../../src/runtime/exchange/block-cache.ts';
import type { CheckReport } from '../../../src/runtime/exchange/content-checker.ts';
import type { PlacementReport } from '../../../src/runtime/exchange/content-placer.ts';
import type { ExchangeClient } from '../../../src/runtime/exchange/exchange-client.ts';
import { ExchangeService } from '../../../src/runtime/exchange/exchange-service.ts';
import { HOLDINGS_FILE, Holdings, WHOLE_COPY } from '../../../src/runtime/exchange/holdings.ts';
import { LeaseKeeper } from '../../../src/runtime/exchange/lease-keeper.ts';
import { Maintenance } from '../../../src/runtime/exchange/maintenance.ts';
import { GRID_PIN } from '../../../src/runtime/storage/blockstore-limits.ts';
import { defaultStorageConfig, type StorageConfig } from '../../../src/runtime/storage-config.ts';
import type { CID } from '../../../src/services/storage/dag/cids.ts';
import { formatRedundancy, type Redundancy } from '../../../src/services/storage/durability/redundancy.ts';
import type { ExchangeRequest, ExchangeResponse } from '../../../src/services/storage/exchange/exchange-messages.ts';
import { LeasePolicy } from '../../../src/services/storage/placement/lease-policy.ts';
import { PeerLedger } from '../../../src/services/storage/placement/peer-ledger.ts';
import { TemporaryDirs, TestClock, freshStore, testBlock } from '../storage/blockstore-harness.ts';

const DAY_MS = 86_400_000;

function row(block: string, fragment: number, leaseExpiresAtMs: number) {
  return { block, fragment, piece: block, redundancy: 'replicate:3', origin: 'peer', bytes: 10, addedAtMs: 0, leaseExpiresAtMs };
}

describe('holdings: leases', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  it('gives a file from before leases the column, and its rows a lease only when asked', async () => {
    const dir = await dirs.make();
    const old = new DatabaseSync(join(dir, HOLDINGS_FILE));
    old.exec(`CREATE TABLE holdings (block TEXT NOT NULL, fragment INTEGER NOT NULL, piece TEXT NOT NULL, redundancy TEXT NOT NULL,
      origin TEXT NOT NULL, bytes INTEGER NOT NULL, added_at_ms INTEGER NOT NULL, next_check_at_ms INTEGER NOT NULL,
      record TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (block, fragment)) WITHOUT ROWID`);
    old.exec(`INSERT INTO holdings VALUES ('b1', -1, 'b1', 'replicate:3', 'peer', 10, 5, 6, '[]')`);
    old.close();
    const holdings = Holdings.open(dir);
    assert.equal(holdings.get('b1', WHOLE_COPY)?.leaseExpiresAtMs, 0);
    assert.equal(holdings.grantMissingLeases(1000), 1);
    assert.equal(holdings.get('b1', WHOLE_COPY)?.leaseExpiresAtMs, 1000);
    assert.equal(holdings.grantMissingLeases(2000), 0, 'a lease granted once is not granted again');
    holdings.close();
  });

  it('renews every piece of a block, never shortening; lists what ran out, the longest expired first', async () => {
    const holdings = Holdings.open(await dirs.make());
    holdings.upsert(row('a', 0, 100), 0);
    holdings.upsert(row('a', 1, 300), 0);
    holdings.upsert(row('b', WHOLE_COPY, 50), 0);
    assert.equal(holdings.renewLease('a', 200), 2);
    assert.deepEqual(holdings.piecesOf('a').map((piece) => piece.leaseExpiresAtMs), [200, 300]);
    assert.equal(holdings.renewLease('nothing', 200), 0);
    assert.equal(holdings.renewLeases(['a', 'nothing'], 250), 2, 'one transaction for many blocks');
    assert.deepEqual(holdings.piecesOf('a').map((piece) => piece.leaseExpiresAtMs), [250, 300]);
    holdings.renewLeases(['a'], 200);
    assert.deepEqual(holdings.expired(250, 10).map((piece) => [piece.block, piece.fragment]), [['b', WHOLE_COPY], ['a', 0]]);
    assert.deepEqual(holdings.expired(49, 10), []);
    // Stored again: the longer lease stays.
    holdings.upsert(row('a', 1, 10), 0);
    assert.equal(holdings.get('a', 1)?.leaseExpiresAtMs, 300);
    assert.deepEqual(holdings.leaseCounts(260), { pieces: 3, expiringSoon: 2, nextExpiryAtMs: 50 });
    holdings.close();
  });

  it('remembers when content was renewed, and the scheme it was placed under', async () => {
    const holdings = Holdings.open(await dirs.make());
    assert.equal(holdings.contentLease('root'), undefined);
    holdings.noteRenewed('root', 10, 'erasure:4+2');
    holdings.noteRenewed('root', 20);
    assert.deepEqual(holdings.contentLease('root'), { redundancy: 'erasure:4+2', renewedAtMs: 20 });
    holdings.noteRenewed('other', 30);
    assert.deepEqual(holdings.contentLease('other'), { redundancy: null, renewedAtMs: 30 });
    holdings.close();
  });
});

describe('a holder answering renew', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  async function holder(leaseMs: number) {
    const clock = new TestClock();
    const store = await freshStore(dirs);
    const holdings = Holdings.open(await dirs.make());
    const service = new ExchangeService({
      store, holdings, ledger: new PeerLedger(),
      quota: () => ({ bytesForOthersMax: 1 << 30, bytesPerPeerMax: 1 << 30 }),
      nowUnixMs: clock.now, firstCheckDelayMs: () => 60_000, leaseMs: () => leaseMs,
      penalize: () => undefined, cache: BlockCache.load(store, 1 << 20, () => 0),
    });
    const close = async (): Promise<void> => {
      holdings.close();
      await store.close();
    };
    return { clock, store, holdings, service, close };
  }

  it('keeps a stored piece a day, renews it up to its own longest lease, never shortens it, and answers as have does', async () => {
    const node = await holder(90 * DAY_MS);
    const block = testBlock('leased', 3000);
    const cached = testBlock('cached', 3000);
    const start = node.clock.nowMs;
    assert.deepEqual(await node.service.answer('owner', { kind: 'storeBlock', cid: block.cid, bytes: block.bytes, copies: 3 }), { kind: 'stored' });
    assert.deepEqual(await node.service.answer('pusher', { kind: 'cacheBlock', cid: cached.cid, bytes: cached.bytes }), { kind: 'stored' });
    const lease = (): number | undefined => node.holdings.get(block.cid.toString(), WHOLE_COPY)?.leaseExpiresAtMs;
    assert.equal(lease(), start + LeasePolicy.storeLeaseMs);
    const renew = (leaseSeconds: number): Promise<ExchangeResponse> => node.service.answer('anyone', { kind: 'renew', leaseSeconds, blocks: [block.cid, cached.cid] });
    const answer = await renew(30 * 86_400);
    const have = await node.service.answer('anyone', { kind: 'have', blocks: [block.cid, cached.cid] });
    assert.deepEqual(answer, have);
    assert.deepEqual(answer, { kind: 'haves', entries: [{ block: true, kept: true, fragments: [] }, { block: true, fragments: [] }] });
    assert.equal(lease(), start + 30 * DAY_MS);
    await renew(365 * 86_400);
    assert.equal(lease(), start + 90 * DAY_MS, 'granted at most storage.leaseMs');
    node.clock.advance(DAY_MS);
    await renew(1);
    assert.equal(lease(), start + 90 * DAY_MS, 'a short renewal does not shorten');
    assert.deepEqual(node.holdings.piecesOf(cached.cid.toString()), [], 'a cache copy has no lease');
    await node.close();
  });

  it('grants the default length when its own leases are off (storage.leaseMs 0)', async () => {
    const node = await holder(0);
    const block = testBlock('no expiry', 1000);
    await node.service.answer('owner', { kind: 'storeBlock', cid: block.cid, bytes: block.bytes, copies: 2 });
    await node.service.answer('owner', { kind: 'renew', leaseSeconds: 10 * 365 * 86_400, blocks: [block.cid] });
    assert.equal(node.holdings.get(block.cid.toString(), WHOLE_COPY)?.leaseExpiresAtMs, node.clock.nowMs + LeasePolicy.leaseMsDefault);
    await node.close();
  });
});

/** A client that answers as the test says, and records what it was asked. */
class FakeClient {
  readonly asked: { peer: string; request: ExchangeRequest }[] = [];
  holds = new Set<string>();
  answer(peer: PeerRef, request: ExchangeRequest): Promise<ExchangeResponse> {
    this.asked.push({ peer: peer.address, request });
    if (request.kind === 'have' || request.kind === 'renew') {
      return Promise.resolve({ kind: 'haves', entries: request.blocks.map(() => (this.holds.has(peer.address) ? { block: true, kept: true, fragments: [] } : { block: false, fragments: [] })) });
    }
    if (request.kind === 'storeBlock') return Promise.resolve({ kind: 'stored' });
    return Promise.resolve({ kind: 'notFound' });
  }
  have(peer: PeerRef, blocks: readonly CID[]) {
    return this.answer(peer, { kind: 'have', blocks });
  }
  renew(peer: PeerRef, leaseSeconds: number, blocks: readonly CID[]) {
    return this.answer(peer, { kind: 'renew', leaseSeconds, blocks });
  }
  storeBlock(peer: PeerRef, cid: CID, bytes: Uint8Array, copies: number) {
    return this.answer(peer, { kind: 'storeBlock', cid, bytes, copies });
  }
}

describe('maintenance under leases', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  const self = peerRef(idFromHex('00'.repeat(32)), 'self');
  const other = peerRef(idFromHex('ff'.repeat(32)), 'other');

  async function holderOf(blocks: readonly { cid: CID; bytes: Uint8Array; leaseExpiresAtMs: number }[], config: Partial<StorageConfig> = {}) {
    const clock = new TestClock();
    const store = await freshStore(dirs);
    const holdings = Holdings.open(await dirs.make());
    for (const block of blocks) {
      await store.put(block.cid, block.bytes, { owner: 'peer' });
      store.pin(block.cid, { name: GRID_PIN, recursive: false });
      holdings.upsert({ ...row(block.cid.toString(), WHOLE_COPY, block.leaseExpiresAtMs), redundancy: 'replicate:2' }, 0);
    }
    const client = new FakeClient();
    const maintenance = new Maintenance({
      holdings, store, client: client as unknown as ExchangeClient, closestNodes: () => Promise.resolve([self, other]), self,
      config: { ...defaultStorageConfig, ...config }, nowUnixMs: clock.now, penalize: () => undefined, log: () => undefined,
    });
    const close = async (): Promise<void> => {
      await maintenance.stop();
      holdings.close();
      await store.close();
    };
    return { clock, store, holdings, client, maintenance, close };
  }

  it('drops a piece whose lease ran out (its row and its grid pin), keeps the others', async () => {
    const clock = new TestClock();
    const [gone, kept] = [testBlock('expired', 500), testBlock('live', 500)];
    const node = await holderOf([{ ...gone, leaseExpiresAtMs: clock.nowMs - 1 }, { ...kept, leaseExpiresAtMs: clock.nowMs + 10 * DAY_MS }]);
    await node.maintenance.runDue();
    assert.equal(node.holdings.get(gone.cid.toString(), WHOLE_COPY), undefined);
    assert.ok(node.holdings.get(kept.cid.toString(), WHOLE_COPY) !== undefined);
    assert.deepEqual(node.store.listPins({ name: GRID_PIN }).map((pin) => pin.cid.toString()), [kept.cid.toString()]);
    assert.equal(node.maintenance.stats.piecesExpired, 1);
    // Unpinned, its bytes go at the next gc.
    await node.store.gc({ graceMs: 0 });
    assert.equal(node.store.has(gone.cid), false);
    assert.equal(node.store.has(kept.cid), true);
    await node.close();
  });

  it('keeps everything when leases are off (storage.leaseMs 0)', async () => {
    const clock = new TestClock();
    const block = testBlock('old', 500);
    const node = await holderOf([{ ...block, leaseExpiresAtMs: clock.nowMs - DAY_MS }], { leaseMs: 0 });
    await node.maintenance.runDue();
    assert.ok(node.holdings.get(block.cid.toString(), WHOLE_COPY) !== undefined);
    assert.equal(node.maintenance.stats.piecesExpired, 0);
    await node.close();
  });

  it('repairs under a long lease, passing on only what is left of it; not under one about to end', async () => {
    const clock = new TestClock();
    const [long, ending] = [testBlock('long lease', 500), testBlock('ending lease', 500)];
    const node = await holderOf([{ ...long, leaseExpiresAtMs: clock.nowMs + 10 * DAY_MS }, { ...ending, leaseExpiresAtMs: clock.nowMs + DAY_MS / 2 }]);
    await node.maintenance.runDue();
    const stores = node.client.asked.filter(({ request }) => request.kind === 'storeBlock');
    assert.deepEqual(stores.map(({ peer, request }) => [peer, request.kind === 'storeBlock' && request.cid.toString()]), [['other', long.cid.toString()]]);
    const renewals = node.client.asked.filter(({ request }) => request.kind === 'renew');
    assert.equal(renewals.length, 1);
    const renewal = renewals[0].request;
    assert.ok(renewal.kind === 'renew' && renewal.blocks[0].equals(long.cid));
    assert.equal(renewal.leaseSeconds, 10 * 86_400, 'the new holder keeps it as long as we would, no longer');
    assert.equal(node.maintenance.stats.repairsPassedOverForLease, 1);
    assert.equal(node.maintenance.stats.piecesCreated, 1);
    await node.close();
  });
});

describe('the lease keeper: renewing what this node pins', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  function report(root: CID, blocks: number, lost: number): CheckReport {
    return {
      redundancy: 'replicate:3', blocks, healthy: blocks - lost, degraded: 0, lost, piecesWanted: 3 * blocks, piecesFound: 3 * (blocks - lost), piecesMin: lost > 0 ? 0 : 3,
      nodes: 3, lostBlocks: lost > 0 ? [root.toString()] : [], blocksNotWalked: 0, verified: false, claimsAudited: 0, claimsFailed: 0, claimsChallenged: 0,
      fragmentsCheckedAgainstBlock: 0, failedHolders: [],
    };
  }

  it('renews each content pin once an interval (not grid pieces, caches or staging), under its placed scheme, and places lost content again if it placed it', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs);
    const holdings = Holdings.open(await dirs.make());
    const [mine, theirs, staged, fetched] = [testBlock('mine', 100), testBlock('theirs', 100), testBlock('staged', 100), testBlock('fetched', 100)];
    for (const block of [mine, theirs, staged, fetched]) await store.put(block.cid, block.bytes);
    store.pin(mine.cid, { name: 'default', recursive: true });
    store.pin(mine.cid, { name: 'backup', recursive: true });
    store.pin(theirs.cid, { name: GRID_PIN, recursive: false });
    store.pin(staged.cid, { name: 'peergrid-put-1234', recursive: true });
    store.pin(fetched.cid, { name: 'default', recursive: true });
    holdings.noteRenewed(mine.cid.toString(), clock.nowMs - 30 * DAY_MS, 'erasure:4+2');
    const renewed: [string, string][] = [];
    const placed: [string, string][] = [];
    let lost = 0;
    const keeper = new LeaseKeeper({
      holdings, store, config: { ...defaultStorageConfig, leaseRenewIntervalMs: 7 * DAY_MS }, nowUnixMs: clock.now, log: () => undefined,
      renew: (root: CID, redundancy: Redundancy) => {
        renewed.push([root.toString(), formatRedundancy(redundancy)]);
        return Promise.resolve(report(root, 10, lost));
      },
      place: (root: CID, redundancy: Redundancy) => {
        placed.push([root.toString(), formatRedundancy(redundancy)]);
        return Promise.resolve({ piecesSent: 10, blocksShort: 0 } as PlacementReport);
      },
    });
    assert.equal(await keeper.runDue(), 2);
    assert.deepEqual(renewed.sort(), [[fetched.cid.toString(), 'replicate:3'], [mine.cid.toString(), 'erasure:4+2']].sort());
    assert.equal(placed.length, 0);
    assert.equal(holdings.contentLease(fetched.cid.toString())?.renewedAtMs, clock.nowMs);
    // Within the interval, nothing; after it, again — and content found lost is placed again.
    clock.advance(6 * DAY_MS);
    assert.equal(await keeper.runDue(), 0);
    clock.advance(DAY_MS);
    lost = 2;
    assert.equal(await keeper.runDue(), 2);
    // Only what this node placed goes out again: the fetched (or --local) content stays where it is.
    assert.deepEqual(placed, [[mine.cid.toString(), 'erasure:4+2']]);
    assert.equal(keeper.stats.contentPlacedAgain, 1);
    assert.equal(holdings.contentLease(fetched.cid.toString())?.redundancy, null);
    assert.equal(keeper.stats.contentRenewed, 4);
    await keeper.stop();
    holdings.close();
    await store.close();
  });

  it('looks again only every four intervals at content nobody placed that has no piece on the grid', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs);
    const holdings = Holdings.open(await dirs.make());
    const [local, placed] = [testBlock('local only', 100), testBlock('placed here', 100)];
    for (const block of [local, placed]) {
      await store.put(block.cid, block.bytes);
      store.pin(block.cid, { name: 'default', recursive: true });
    }
    holdings.noteRenewed(placed.cid.toString(), clock.nowMs - 30 * DAY_MS, 'replicate:3');
    const renewed: string[] = [];
    const keeper = new LeaseKeeper({
      holdings, store, config: { ...defaultStorageConfig, leaseRenewIntervalMs: 7 * DAY_MS }, nowUnixMs: clock.now, log: () => undefined,
      // Nothing of either is on the grid.
      renew: (root: CID) => {
        renewed.push(root.toString());
        return Promise.resolve({ ...report(root, 1, 1), piecesFound: 0 });
      },
      place: () => Promise.resolve({ piecesSent: 3, blocksShort: 0 } as PlacementReport),
    });
    await keeper.runDue();
    assert.deepEqual(renewed.sort(), [local.cid.toString(), placed.cid.toString()].sort());
    // A week on: what this node placed is renewed (and placed again); the local content waits.
    clock.advance(7 * DAY_MS);
    renewed.length = 0;
    await keeper.runDue();
    assert.deepEqual(renewed, [placed.cid.toString()]);
    clock.advance(3 * 7 * DAY_MS);
    renewed.length = 0;
    await keeper.runDue();
    assert.deepEqual(renewed.sort(), [local.cid.toString(), placed.cid.toString()].sort());
    await keeper.stop();
    holdings.close();
    await store.close();
  });

  it('counts a renewal that failed and tries it again next round', async () => {
    const clock = new TestClock();
    const store = await freshStore(dirs);
    const holdings = Holdings.open(await dirs.make());
    const block = testBlock('unreachable', 100);
    await store.put(block.cid, block.bytes);
    store.pin(block.cid, { name: 'default', recursive: true });
    let fail = true;
    const keeper = new LeaseKeeper({
      holdings, store, config: defaultStorageConfig, nowUnixMs: clock.now, log: () => undefined,
      renew: (root: CID) => (fail ? Promise.reject(new Error('no route')) : Promise.resolve(report(root, 1, 0))),
      place: () => Promise.reject(new Error('not expected')),
    });
    await keeper.runDue();
    assert.equal(keeper.stats.failures, 1);
    assert.equal(holdings.contentLease(block.cid.toString()), undefined);
    fail = false;
    await keeper.runDue();
    assert.equal(keeper.stats.contentRenewed, 1);
    await keeper.stop();
    holdings.close();
    await store.close();
  });
});
