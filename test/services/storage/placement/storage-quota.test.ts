/** The quota: what a node stores for others, refused beyond its caps with a message that names them. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { admitStore, checkStorageQuota, formatByteSize, StorageQuotaDefaults } from '../../../../src/services/storage/placement/storage-quota.ts';

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

describe('admitStore', () => {
  it('admits within both caps, up to exactly the cap', () => {
    assert.deepEqual(admitStore(StorageQuotaDefaults, { peerStoredBytes: 0, othersStoredBytes: 0, incomingBytes: MIB }), { ok: true });
    assert.deepEqual(admitStore(StorageQuotaDefaults, { peerStoredBytes: GIB - MIB, othersStoredBytes: 10 * GIB - MIB, incomingBytes: MIB }), { ok: true });
  });

  it('refuses beyond the node cap, saying what the cap is and what it holds', () => {
    const answer = admitStore(StorageQuotaDefaults, { peerStoredBytes: 0, othersStoredBytes: 10 * GIB - MIB, incomingBytes: 2 * MIB });
    assert.equal(answer.ok, false);
    assert.ok(!answer.ok && answer.reason === 'quota' && answer.scope === 'node');
    assert.equal(answer.message, 'this node stores at most 10 GiB for others; it holds 10 GiB, and 2 MiB more would exceed that');
  });

  it('refuses beyond the per-peer cap', () => {
    const answer = admitStore(StorageQuotaDefaults, { peerStoredBytes: GIB, othersStoredBytes: 3 * GIB, incomingBytes: 1 });
    assert.ok(!answer.ok && answer.reason === 'quota' && answer.scope === 'peer');
    assert.match(answer.message, /at most 1 GiB for any one peer; it holds 1 GiB for you/);
  });

  it('a cap of 0 stores nothing for others, not even an empty block', () => {
    const answer = admitStore({ bytesForOthersMax: 0, bytesPerPeerMax: GIB }, { peerStoredBytes: 0, othersStoredBytes: 0, incomingBytes: 0 });
    assert.ok(!answer.ok && answer.reason === 'quota');
    assert.equal(answer.message, 'this node stores nothing for others');
  });

  it('a nonsense size offered by a peer is refused as invalid, not trusted', () => {
    for (const incomingBytes of [-1, 1.5, Number.NaN, Infinity, 2 ** 60]) {
      const answer = admitStore(StorageQuotaDefaults, { peerStoredBytes: 0, othersStoredBytes: 0, incomingBytes });
      assert.ok(!answer.ok && answer.reason === 'invalid', String(incomingBytes));
    }
  });

  it('property: admitted exactly when both totals stay within their caps', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(1000), fc.nat(1000), fc.nat(500), fc.nat(500), (nodeMax, peerMax, others, peerShare, incoming) => {
        const peer = Math.min(peerShare, others);
        const answer = admitStore({ bytesForOthersMax: nodeMax, bytesPerPeerMax: peerMax }, { peerStoredBytes: peer, othersStoredBytes: others, incomingBytes: incoming });
        assert.equal(answer.ok, nodeMax > 0 && others + incoming <= nodeMax && peer + incoming <= peerMax);
      }),
      { seed: 31, numRuns: 1000 },
    );
  });
});

describe('checkStorageQuota and formatByteSize', () => {
  it('accepts the defaults and 0; refuses negatives and fractions', () => {
    assert.deepEqual(checkStorageQuota(StorageQuotaDefaults), []);
    assert.deepEqual(checkStorageQuota({ bytesForOthersMax: 0, bytesPerPeerMax: 0 }), []);
    assert.equal(checkStorageQuota({ bytesForOthersMax: -1, bytesPerPeerMax: 0.5 }).length, 2);
  });

  it('formats sizes for people', () => {
    assert.equal(formatByteSize(0), '0 B');
    assert.equal(formatByteSize(1023), '1023 B');
    assert.equal(formatByteSize(1536), '1.5 KiB');
    assert.equal(formatByteSize(10 * GIB), '10 GiB');
    assert.equal(formatByteSize(250 * MIB), '250 MiB');
    assert.equal(formatByteSize(12.25 * MIB), '12.3 MiB');
  });
});
