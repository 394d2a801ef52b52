/**
 * The fetcher (content-fetcher.ts) when every holder of a block keeps failing: the block is looked
 * for again, the holders found again get another chance, and after a few rounds the fetch fails
 * with ContentUnavailableError — it used to wait for ever once the scheduler had dropped them all.
 * And when the disk is slower than the holders: requests go on while a block waits for its write
 * (they used to wait for it, which left the holder idle), up to a bound on blocks waiting.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import * as DagPb from '@ipld/dag-pb';
import { idFromBytes } from '../../../src/core/id.ts';
import { peerRef } from '../../../src/core/peer.ts';
import { ContentUnavailableError } from '../../../src/runtime/content-store-errors.ts';
import { createNodeContentCipher } from '../../../src/runtime/content-cipher-node.ts';
import { ContentFetcher } from '../../../src/runtime/exchange/content-fetcher.ts';
import type { ExchangeClient } from '../../../src/runtime/exchange/exchange-client.ts';
import type { HolderDiscovery } from '../../../src/runtime/exchange/holder-discovery.ts';
import { Holdings } from '../../../src/runtime/exchange/holdings.ts';
import { plainReading } from '../../../src/services/storage/walk/block-children.ts';
import { Codec, cidOf, type CID } from '../../../src/services/storage/dag/cids.ts';
import { sha256 } from '../../../src/runtime/content/content-hash.ts';
import type { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { SWARM_CONFIG_DEFAULTS } from '../../../src/services/storage/exchange/swarm-config.ts';
import { waitFor } from '../../support/wait-for.ts';
import { TemporaryDirs, freshStore, testBlock } from '../storage/blockstore-harness.ts';

describe('content fetcher: holders that keep failing', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  it('looks again, gives the holder another chance, then fails with ContentUnavailableError instead of waiting for ever', { timeout: 30_000 }, async () => {
    const store = await freshStore(dirs);
    const holdings = Holdings.open(await dirs.make());
    const holder = peerRef(idFromBytes(new Uint8Array(32).fill(7)), 'a holder that is always busy');
    let discoveries = 0;
    let requests = 0;
    const discovery = {
      discover: async (cids: readonly CID[]) => {
        discoveries++;
        return new Map(cids.map((cid) => [cid.toString(), { copies: [holder], fragments: [] }]));
      },
    } as unknown as HolderDiscovery;
    const client = {
      getBlock: async () => {
        requests++;
        return { kind: 'refused', reason: 'busy', message: 'always busy' };
      },
    } as unknown as ExchangeClient;
    const fetcher = new ContentFetcher({
      store, holdings, client, discovery, cipher: createNodeContentCipher(new Uint8Array(32)),
      penalize: () => {}, nowMs: () => performance.now(),
    });
    const block = testBlock('wanted', 5000);
    await assert.rejects(fetcher.fetch(block.cid, plainReading()), ContentUnavailableError);
    assert.ok(discoveries >= 2, `looked for ${discoveries} times`);
    assert.ok(requests > 3, `asked ${requests} times: the holder was given another chance after its first three failures`);
    holdings.close();
    await store.close();
  });
});

describe('content fetcher: a disk slower than the holders', () => {
  const dirs = new TemporaryDirs();
  after(() => dirs.removeAll());

  /** A root linking to `count` leaves of `size` bytes, as plain content. */
  function content(count: number, size: number): { root: { cid: CID; bytes: Uint8Array }; leaves: { cid: CID; bytes: Uint8Array }[] } {
    const leaves = Array.from({ length: count }, (_, index) => testBlock(`leaf ${index}`, size));
    const bytes = DagPb.encode(DagPb.prepare({ Links: leaves.map((leaf) => ({ Hash: leaf.cid, Tsize: leaf.bytes.length })) }));
    return { root: { cid: cidOf(Codec.dagPb, bytes, sha256), bytes }, leaves };
  }

  /** The store, with its writes held until `release` is called. */
  function heldWrites(store: Blockstore): { store: Blockstore; writesStarted: () => number; release: () => void } {
    let started = 0;
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = new Proxy(store, {
      get(target, name, receiver) {
        if (name === 'putMany') {
          return async (...args: Parameters<Blockstore['putMany']>) => {
            started++;
            await gate;
            return target.putMany(...args);
          };
        }
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    return { store: held, writesStarted: () => started, release };
  }

  it('asks for the next blocks while the first are still being written, and stops at the bound on blocks waiting', { timeout: 30_000 }, async () => {
    const real = await freshStore(dirs);
    const holdings = Holdings.open(await dirs.make());
    const { root, leaves } = content(100, 1000);
    const byCid = new Map([root, ...leaves].map((block) => [block.cid.toString(), block.bytes]));
    const holder = peerRef(idFromBytes(new Uint8Array(32).fill(9)), 'a fast holder');
    const requested = new Set<string>();
    const discovery = {
      discover: async (cids: readonly CID[]) => new Map(cids.map((cid) => [cid.toString(), { copies: [holder], fragments: [] }])),
    } as unknown as HolderDiscovery;
    const client = {
      getBlock: async (_peer: unknown, cid: CID) => {
        requested.add(cid.toString());
        return { kind: 'block', bytes: byCid.get(cid.toString()) };
      },
    } as unknown as ExchangeClient;
    const { store, writesStarted, release } = heldWrites(real);
    const fetcher = new ContentFetcher({
      store, holdings, client, discovery, cipher: createNodeContentCipher(new Uint8Array(32)),
      penalize: () => {}, nowMs: () => performance.now(),
    });
    const fetching = fetcher.fetch(root.cid, plainReading());
    // The root's write is held, and with it every later batch: the leaves are asked for all the
    // same (before, the fetch sat at the root until its write was done), up to the bound of 64
    // blocks delivered and waiting for the disk.
    await waitFor('the leaves to be asked for while the root is being written', () => requested.size >= 64);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(writesStarted(), 1, 'one write in flight, the rest gathering behind it');
    // 64 waiting for the disk, and what was in flight when the bound was reached: at most one
    // holder's cap (a fast holder's pipeline and batch, swarm-config.ts).
    assert.ok(requested.size <= 64 + SWARM_CONFIG_DEFAULTS.inFlightPerPeerMax, `${requested.size} blocks asked for while the first write is held: more than the bound lets through`);
    release();
    const report = await fetching;
    assert.equal(report.blocksDone, 101);
    assert.equal(requested.size, 101);
    for (const leaf of leaves) assert.ok(real.has(leaf.cid), `${leaf.cid} stored`);
    holdings.close();
    await real.close();
  });
});

