/**
 * The fetcher when every holder of a block keeps failing (content-fetcher.ts): the block is looked
 * for again, the holders found again get another chance, and after a few rounds the fetch fails
 * with ContentUnavailableError — it used to wait for ever once the scheduler had dropped them all.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { idFromBytes } from '../../../src/core/id.ts';
import { peerRef } from '../../../src/core/peer.ts';
import { ContentUnavailableError } from '../../../src/runtime/content-store-errors.ts';
import { createNodeContentCipher } from '../../../src/runtime/content-cipher-node.ts';
import { ContentFetcher } from '../../../src/runtime/exchange/content-fetcher.ts';
import type { ExchangeClient } from '../../../src/runtime/exchange/exchange-client.ts';
import type { HolderDiscovery } from '../../../src/runtime/exchange/holder-discovery.ts';
import { Holdings } from '../../../src/runtime/exchange/holdings.ts';
import { plainReading } from '../../../src/services/storage/walk/block-children.ts';
import type { CID } from '../../../src/services/storage/dag/cids.ts';
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
