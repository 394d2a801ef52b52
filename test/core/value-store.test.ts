import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { idToHex, type Id } from '../../src/core/id.ts';
import { Limits } from '../../src/core/limits.ts';
import { StoreStatus } from '../../src/core/messages.ts';
import { defaultValueStoreLimits, ValueStore, type ValueOrigin, type ValueStoreLimits } from '../../src/core/value-store.ts';
import { fcOptions, hexId } from './helpers.ts';

const HOUR = 3_600_000;
const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const key = (n: number): Id => hexId(n.toString(16).padStart(8, '0'));
const small: ValueStoreLimits = { storedValuesMax: 3, cachedValuesMax: 2, valueBytesMax: 8, ttlMsMax: 10 * HOUR };

describe('ValueStore: expiry (§2.5: values expire after their time to live)', () => {
  it('holds a value until expiresAtMs = now + ttl, and drops it from that instant on', () => {
    const store = new ValueStore();
    assert.equal(store.put(key(1), bytes(1), 1000, 'stored', 5000), StoreStatus.ok);
    const held = store.get(key(1), 5999);
    assert.ok(held);
    assert.deepEqual(held.value, bytes(1));
    assert.equal(held.expiresAtMs, 6000);
    assert.equal(store.get(key(1), 6000), undefined);
    assert.equal(store.size, 0, 'an expired value is dropped when touched');
  });

  it('expire(now) drops exactly the values with expiresAtMs ≤ now, stored and cached, and counts them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ttl: fc.integer({ min: 1, max: 1000 }), cached: fc.boolean() }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 1100 }),
        (entries, nowMs) => {
          const store = new ValueStore();
          entries.forEach((entry, i) => store.put(key(i), bytes(i & 255), entry.ttl, entry.cached ? 'cached' : 'stored', 0));
          const dropped = store.expire(nowMs);
          assert.equal(dropped, entries.filter((entry) => entry.ttl <= nowMs).length);
          assert.equal(store.size, entries.length - dropped);
          entries.forEach((entry, i) => assert.equal(store.get(key(i), nowMs) !== undefined, entry.ttl > nowMs));
          assert.deepEqual([...store.heldValues()].map((v) => idToHex(v.key)), entries.flatMap((e, i) => (!e.cached && e.ttl > nowMs ? [idToHex(key(i))] : [])));
        },
      ),
      fcOptions(0x5701, 150),
    );
  });

  it('a refresh keeps the later expiry: storing again with a shorter TTL does not shorten it', () => {
    const store = new ValueStore();
    store.put(key(1), bytes(1), 10 * HOUR, 'stored', 0);
    store.put(key(1), bytes(2), 1 * HOUR, 'stored', 1000);
    const held = store.get(key(1), 2000);
    assert.ok(held);
    assert.equal(held.expiresAtMs, 10 * HOUR);
    assert.deepEqual(held.value, bytes(2), 'the newest value wins');
    store.put(key(1), bytes(3), 10 * HOUR, 'stored', 5 * HOUR);
    assert.equal(store.get(key(1), 5 * HOUR)?.expiresAtMs, 15 * HOUR);
  });

  it('delete removes a value whether stored or cached', () => {
    const store = new ValueStore();
    store.put(key(1), bytes(1), 1000, 'stored', 0);
    store.put(key(2), bytes(2), 1000, 'cached', 0);
    store.delete(key(1));
    store.delete(key(2));
    store.delete(key(3));
    assert.equal(store.size, 0);
  });
});

describe('ValueStore: limits', () => {
  it('refuses a value larger than valueBytesMax with valueTooLarge (and accepts one of exactly that size)', () => {
    const store = new ValueStore(small);
    assert.equal(store.put(key(1), new Uint8Array(9), 1000, 'stored', 0), StoreStatus.valueTooLarge);
    assert.equal(store.put(key(1), new Uint8Array(9), 1000, 'cached', 0), StoreStatus.valueTooLarge);
    assert.equal(store.put(key(1), new Uint8Array(8), 1000, 'stored', 0), StoreStatus.ok);
    const big = new ValueStore();
    assert.equal(big.put(key(1), new Uint8Array(Limits.valueBytesMax + 1), 1000, 'stored', 0), StoreStatus.valueTooLarge);
    assert.equal(big.put(key(1), new Uint8Array(Limits.valueBytesMax), 1000, 'stored', 0), StoreStatus.ok);
  });

  it('refuses a TTL that is not positive, not a number, or beyond ttlMsMax with badTtl', () => {
    const store = new ValueStore(small);
    for (const ttl of [0, -1, NaN, 10 * HOUR + 1, Infinity]) {
      for (const origin of ['stored', 'cached', 'published'] as ValueOrigin[]) {
        assert.equal(store.put(key(1), bytes(1), ttl, origin, 0), StoreStatus.badTtl, `${ttl} ${origin}`);
      }
    }
    assert.equal(store.size, 0);
    assert.equal(store.put(key(1), bytes(1), 10 * HOUR, 'stored', 0), StoreStatus.ok);
    assert.equal(defaultValueStoreLimits.ttlMsMax, Limits.valueTtlMsMax);
  });

  it('refuses a new stored value with storeFull when storedValuesMax live values are held, but still refreshes held ones', () => {
    const store = new ValueStore(small);
    for (let i = 0; i < 3; i++) assert.equal(store.put(key(i), bytes(i), 1000, 'stored', 0), StoreStatus.ok);
    assert.equal(store.put(key(9), bytes(9), 1000, 'stored', 0), StoreStatus.storeFull);
    assert.equal(store.put(key(9), bytes(9), 1000, 'published', 0), StoreStatus.storeFull);
    assert.equal(store.put(key(1), bytes(7), 1000, 'stored', 10), StoreStatus.ok, 'a refresh of a held value needs no room');
    assert.equal(store.get(key(9), 0), undefined);
  });

  it('makes room by expiring first: a full store accepts a new value once an old one has expired', () => {
    const store = new ValueStore(small);
    store.put(key(0), bytes(0), 100, 'stored', 0);
    store.put(key(1), bytes(1), 1000, 'stored', 0);
    store.put(key(2), bytes(2), 1000, 'stored', 0);
    assert.equal(store.put(key(9), bytes(9), 1000, 'stored', 50), StoreStatus.storeFull);
    assert.equal(store.put(key(9), bytes(9), 1000, 'stored', 100), StoreStatus.ok);
    assert.equal(store.get(key(0), 100), undefined);
  });
});

describe('ValueStore: caching along the lookup path (§2.3) is bounded and never evicts stored values', () => {
  it('keeps at most cachedValuesMax cached values, evicting the oldest cached, never a stored one', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ k: fc.integer({ min: 0, max: 9 }), origin: fc.constantFrom<ValueOrigin>('cached', 'stored', 'published') }), { maxLength: 60 }),
        (puts) => {
          const store = new ValueStore({ ...small, storedValuesMax: 100 });
          const stored = new Set<number>();
          for (const [t, put] of puts.entries()) {
            assert.equal(store.put(key(put.k), bytes(t & 255), 1000, put.origin, t), StoreStatus.ok);
            if (put.origin !== 'cached') stored.add(put.k);
            const held = [...store.heldValues()].map((v) => idToHex(v.key)).sort();
            assert.deepEqual(held, [...stored].map((n) => idToHex(key(n))).sort(), 'every stored value stays');
            assert.ok(store.size - held.length <= small.cachedValuesMax, 'cached values are bounded');
            for (const n of stored) assert.notEqual(store.get(key(n), t)?.origin, 'cached');
          }
        },
      ),
      fcOptions(0x5702, 200),
    );
  });

  it('evicts the oldest cached value first', () => {
    const store = new ValueStore(small);
    store.put(key(1), bytes(1), 1000, 'cached', 0);
    store.put(key(2), bytes(2), 1000, 'cached', 1);
    store.put(key(3), bytes(3), 1000, 'cached', 2);
    assert.equal(store.get(key(1), 3), undefined);
    assert.ok(store.get(key(2), 3));
    assert.ok(store.get(key(3), 3));
  });

  it('a cached copy does not overwrite a stored value, and a real STORE promotes a cached copy', () => {
    const store = new ValueStore(small);
    store.put(key(1), bytes(1), 1000, 'stored', 0);
    assert.equal(store.put(key(1), bytes(2), 5000, 'cached', 0), StoreStatus.ok);
    assert.deepEqual(store.get(key(1), 0)?.value, bytes(1));
    assert.equal(store.get(key(1), 0)?.expiresAtMs, 1000);

    store.put(key(2), bytes(2), 1000, 'cached', 0);
    assert.equal([...store.heldValues()].length, 1);
    store.put(key(2), bytes(3), 1000, 'stored', 10);
    assert.equal(store.get(key(2), 10)?.origin, 'stored');
    assert.deepEqual(store.get(key(2), 10)?.value, bytes(3));
    assert.equal(store.size, 2, 'no second copy left in the cache');
  });

  it('refreshing a cached value replaces it and keeps the later expiry', () => {
    const store = new ValueStore(small);
    store.put(key(1), bytes(1), 1000, 'cached', 0);
    store.put(key(1), bytes(2), 100, 'cached', 10);
    assert.equal(store.get(key(1), 10)?.expiresAtMs, 1000);
    assert.deepEqual(store.get(key(1), 10)?.value, bytes(2));
  });
});

describe('ValueStore: origin and refresh times (§2.5 republishing)', () => {
  it('keeps the published origin when others store the same key, and renews ttlMs only from the publisher', () => {
    const store = new ValueStore();
    store.put(key(1), bytes(1), 2 * HOUR, 'published', 0);
    store.put(key(1), bytes(2), 1 * HOUR, 'stored', 10);
    let held = store.get(key(1), 10);
    assert.equal(held?.origin, 'published');
    assert.equal(held?.ttlMs, 2 * HOUR);
    store.put(key(1), bytes(3), 3 * HOUR, 'published', 20);
    held = store.get(key(1), 20);
    assert.equal(held?.ttlMs, 3 * HOUR);
    assert.equal(held?.expiresAtMs, 20 + 3 * HOUR);
  });

  it('a stored value becomes published when we publish it ourselves', () => {
    const store = new ValueStore();
    store.put(key(1), bytes(1), HOUR, 'stored', 0);
    store.put(key(1), bytes(1), 2 * HOUR, 'published', 5);
    assert.equal(store.get(key(1), 5)?.origin, 'published');
    assert.equal(store.get(key(1), 5)?.ttlMs, 2 * HOUR);
  });

  it('refreshedAtMs is the time of the last STORE or republish (a republish is skipped while recent)', () => {
    const store = new ValueStore();
    store.put(key(1), bytes(1), HOUR, 'stored', 100);
    assert.equal(store.get(key(1), 100)?.refreshedAtMs, 100);
    store.put(key(1), bytes(1), HOUR, 'stored', 700);
    assert.equal(store.get(key(1), 700)?.refreshedAtMs, 700);
    store.put(key(1), bytes(1), HOUR, 'cached', 900);
    assert.equal(store.get(key(1), 900)?.refreshedAtMs, 700, 'a cached copy passing by is not a refresh');
  });

  it('a value stored again after it expired (but before expire() ran) starts afresh', () => {
    const store = new ValueStore();
    store.put(key(1), bytes(1), HOUR, 'published', 0);
    // The publisher's copy has expired; nobody called get() or expire() since.
    store.put(key(1), bytes(2), 2 * HOUR, 'stored', 3 * HOUR);
    const held = store.get(key(1), 3 * HOUR);
    assert.equal(held?.origin, 'stored');
    assert.equal(held?.ttlMs, 2 * HOUR);
  });
});
