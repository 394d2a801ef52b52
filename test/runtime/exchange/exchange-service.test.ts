/**
 * The serving side's answers to cacheBlock, on its own (a real blockstore and holdings, no
 * network): a pushed copy is kept as a cache (held, not kept, charged to nobody), forged bytes are
 * refused and penalised, a flood from one peer is refused and penalised, a disabled cache says so,
 * and a cached block later stored for a peer is kept for it. Served blocks are reported for
 * hot-block detection; a block stored again asking fewer copies keeps the most asked. And
 * storeFragment: a fragment this node keeps is not replaced by another record claiming the same
 * block and index.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BlockCache } from '../../../src/runtime/exchange/block-cache.ts';
import { ExchangeService } from '../../../src/runtime/exchange/exchange-service.ts';
import { Holdings } from '../../../src/runtime/exchange/holdings.ts';
import { PeerLedger } from '../../../src/services/storage/placement/peer-ledger.ts';
import type { CID } from '../../../src/services/storage/dag/cids.ts';
import { decodeFragmentRecord, encodeFragmentRecord, encodeFragmentRecords } from '../../../src/services/storage/placement/fragment-record.ts';
import { sha256 } from '../../../src/runtime/content/content-hash.ts';
import { TemporaryDirs, freshStore, testBlock } from '../storage/blockstore-harness.ts';

describe('exchange service: cacheBlock', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  async function service(cacheBytesMax: number, limits?: { bytesPerPeerPerWindow: number; windowMs: number; peersTrackedMax: number }) {
    const store = await freshStore(dirs);
    const holdings = Holdings.open(await dirs.make());
    const penalties: { peer: string; reason: string }[] = [];
    const served: { peer: string; cid: CID }[] = [];
    const exchange = new ExchangeService({
      store, holdings, ledger: new PeerLedger(),
      quota: () => ({ bytesForOthersMax: 1 << 30, bytesPerPeerMax: 1 << 30 }),
      nowUnixMs: Date.now, firstCheckDelayMs: () => 60_000, leaseMs: () => 0,
      penalize: (peer, reason) => penalties.push({ peer, reason }),
      cache: BlockCache.load(store, cacheBytesMax, () => 0, limits),
      onServed: (peer, cid) => served.push({ peer, cid }),
    });
    const close = async (): Promise<void> => {
      holdings.close();
      await store.close();
    };
    return { exchange, store, holdings, penalties, served, close };
  }

  it('keeps a pushed copy as a cache: held, not kept, and serves it, reporting the serve', async () => {
    const node = await service(1 << 20);
    const block = testBlock('hot', 2000);
    assert.deepEqual(await node.exchange.answer('pusher', { kind: 'cacheBlock', cid: block.cid, bytes: block.bytes }), { kind: 'stored' });
    assert.deepEqual(await node.exchange.answer('reader', { kind: 'have', blocks: [block.cid] }), { kind: 'haves', entries: [{ block: true, fragments: [] }] });
    const answer = await node.exchange.answer('reader', { kind: 'getBlock', cid: block.cid });
    assert.ok(answer.kind === 'block' && Buffer.from(answer.bytes).equals(block.bytes));
    assert.deepEqual(node.served.map((entry) => entry.peer), ['reader']);
    assert.equal(node.holdings.piecesOf(block.cid.toString()).length, 0);
    // Stored for a peer afterwards: kept for it from then on.
    assert.deepEqual(await node.exchange.answer('owner', { kind: 'storeBlock', cid: block.cid, bytes: block.bytes, copies: 3 }), { kind: 'stored' });
    assert.deepEqual(await node.exchange.answer('reader', { kind: 'have', blocks: [block.cid] }), { kind: 'haves', entries: [{ block: true, kept: true, fragments: [] }] });
    assert.equal(node.store.stat(block.cid)?.owner, 'owner');
    await node.close();
  });

  it('keeps a stored block at the most copies any placer asked for: a second store asking fewer does not lower it', async () => {
    const node = await service(1 << 20);
    const block = testBlock('shared', 2000);
    const redundancy = (): string | undefined => node.holdings.piecesOf(block.cid.toString())[0]?.redundancy;
    assert.deepEqual(await node.exchange.answer('first', { kind: 'storeBlock', cid: block.cid, bytes: block.bytes, copies: 3 }), { kind: 'stored' });
    assert.equal(redundancy(), 'replicate:3');
    assert.deepEqual(await node.exchange.answer('second', { kind: 'storeBlock', cid: block.cid, bytes: block.bytes, copies: 1 }), { kind: 'stored' });
    assert.equal(redundancy(), 'replicate:3');
    assert.deepEqual(await node.exchange.answer('third', { kind: 'storeBlock', cid: block.cid, bytes: block.bytes, copies: 5 }), { kind: 'stored' });
    assert.equal(redundancy(), 'replicate:5');
    await node.close();
  });

  it('refuses forged bytes as invalid and penalises the sender; stores nothing', async () => {
    const node = await service(1 << 20);
    const block = testBlock('real', 2000);
    const forged = Uint8Array.from(block.bytes);
    forged[3] ^= 0x40;
    const answer = await node.exchange.answer('liar', { kind: 'cacheBlock', cid: block.cid, bytes: forged });
    assert.equal(answer.kind === 'refused' && answer.reason, 'invalid');
    assert.deepEqual(node.penalties.map((entry) => entry.peer), ['liar']);
    assert.equal(node.store.has(block.cid), false);
    await node.close();
  });

  it('refuses a flood from one peer as busy, penalised; says so when it keeps no cache', async () => {
    const node = await service(1 << 20, { bytesPerPeerPerWindow: 3000, windowMs: 1000, peersTrackedMax: 16 });
    const [a, b] = [testBlock('a', 2000), testBlock('b', 2000)];
    assert.deepEqual(await node.exchange.answer('flooder', { kind: 'cacheBlock', cid: a.cid, bytes: a.bytes }), { kind: 'stored' });
    const flood = await node.exchange.answer('flooder', { kind: 'cacheBlock', cid: b.cid, bytes: b.bytes });
    assert.equal(flood.kind === 'refused' && flood.reason, 'busy');
    assert.deepEqual(node.penalties.map((entry) => entry.peer), ['flooder']);
    await node.close();
    const none = await service(0);
    const refused = await none.exchange.answer('pusher', { kind: 'cacheBlock', cid: a.cid, bytes: a.bytes });
    assert.ok(refused.kind === 'refused' && refused.reason === 'unavailable' && /keeps no cache/.test(refused.message));
    assert.deepEqual(none.penalties, []);
    await none.close();
  });
});

describe('exchange service: storeFragment', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  it('keeps the fragment it holds when another peer stores a different record for the same block and index', async () => {
    const store = await freshStore(dirs);
    const holdings = Holdings.open(await dirs.make());
    const penalties: string[] = [];
    const exchange = new ExchangeService({
      store, holdings, ledger: new PeerLedger(),
      quota: () => ({ bytesForOthersMax: 1 << 30, bytesPerPeerMax: 1 << 30 }),
      nowUnixMs: Date.now, firstCheckDelayMs: () => 60_000, leaseMs: () => 0,
      penalize: (peer) => penalties.push(peer),
      cache: BlockCache.load(store, 0, () => 0),
    });
    try {
      const block = testBlock('placed', 3000);
      const [genuine] = encodeFragmentRecords(block.cid, block.bytes, { kind: 'erasure', dataFragments: 2, parityFragments: 1 }, sha256);
      assert.deepEqual(await exchange.answer('owner', { kind: 'storeFragment', record: genuine }), { kind: 'stored' });
      // A record that checks out on its own (its payload matches its own digest list) but is junk.
      const decoded = decodeFragmentRecord(genuine);
      assert.ok(decoded.ok);
      const junk = new Uint8Array(decoded.record.payload.length).fill(0x5a);
      const forged = encodeFragmentRecord({ ...decoded.record, payload: junk, fragmentDigests: [sha256(junk), ...decoded.record.fragmentDigests.slice(1)] });
      const answer = await exchange.answer('vandal', { kind: 'storeFragment', record: forged });
      assert.ok(answer.kind === 'refused' && answer.reason === 'invalid' && /already keeps fragment 0/.test(answer.message), JSON.stringify(answer));
      // The genuine fragment is still the one kept and served.
      const served = await exchange.answer('reader', { kind: 'getFragment', block: block.cid, index: 0 });
      assert.ok(served.kind === 'fragment' && Buffer.from(served.record).equals(genuine));
      assert.equal(holdings.get(block.cid.toString(), 0)?.origin, 'owner');
      // The same record again is no conflict.
      assert.deepEqual(await exchange.answer('other', { kind: 'storeFragment', record: genuine }), { kind: 'stored' });
    } finally {
      holdings.close();
      await store.close();
    }
  });
});
