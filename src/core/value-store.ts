/**
 * The values a node holds: those stored at it as one of the k closest (Kademlia §2.5) and, apart
 * and smaller, those cached at it by lookups that passed by (§2.3). Both are bounded; caching can
 * never push out a stored value. Expired values are dropped when touched and by `expire`.
 */
import { idToHex, type Id } from './id.ts';
import { Limits } from './limits.ts';
import { StoreStatus, type StoreStatusCode } from './messages.ts';

/** Why we hold a value: we published it, we are one of its k closest, or a lookup cached it here. */
export type ValueOrigin = 'published' | 'stored' | 'cached';

export interface HeldValue {
  readonly key: Id;
  value: Uint8Array;
  expiresAtMs: number;
  origin: ValueOrigin;
  /** When someone last stored it here, or we last republished it: republish is skipped while recent (§2.5). */
  refreshedAtMs: number;
  /** The time to live it was stored with, which a publisher's republish renews. */
  ttlMs: number;
}

export interface ValueStoreLimits {
  readonly storedValuesMax: number;
  readonly cachedValuesMax: number;
  readonly valueBytesMax: number;
  readonly ttlMsMax: number;
}

export const defaultValueStoreLimits: ValueStoreLimits = {
  storedValuesMax: Limits.storedValuesMax,
  cachedValuesMax: Limits.cachedValuesMax,
  valueBytesMax: Limits.valueBytesMax,
  ttlMsMax: Limits.valueTtlMsMax,
};

export class ValueStore {
  private readonly limits: ValueStoreLimits;
  private readonly held = new Map<string, HeldValue>();
  private readonly cached = new Map<string, HeldValue>();

  constructor(limits: ValueStoreLimits = defaultValueStoreLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.held.size + this.cached.size;
  }

  get(key: Id, nowMs: number): HeldValue | undefined {
    const name = idToHex(key);
    for (const map of [this.held, this.cached]) {
      const entry = map.get(name);
      if (!entry) continue;
      if (entry.expiresAtMs <= nowMs) {
        map.delete(name);
        continue;
      }
      return entry;
    }
    return undefined;
  }

  /** Stores or refreshes a value. A later expiry wins; a cached copy is promoted when stored for real. */
  put(key: Id, value: Uint8Array, ttlMs: number, origin: ValueOrigin, nowMs: number): StoreStatusCode {
    if (value.length > this.limits.valueBytesMax) return StoreStatus.valueTooLarge;
    if (!(ttlMs > 0) || ttlMs > this.limits.ttlMsMax) return StoreStatus.badTtl;
    const name = idToHex(key);
    const expiresAtMs = nowMs + ttlMs;
    if (origin === 'cached') {
      if (this.held.has(name)) return StoreStatus.ok;
      const existing = this.cached.get(name);
      if (existing) {
        existing.value = value;
        existing.expiresAtMs = Math.max(existing.expiresAtMs, expiresAtMs);
        return StoreStatus.ok;
      }
      if (this.cached.size >= this.limits.cachedValuesMax) {
        // Evict the oldest cached entry: caches favour what lookups asked for recently.
        const oldest = this.cached.keys().next().value as string;
        this.cached.delete(oldest);
      }
      this.cached.set(name, { key, value, expiresAtMs, origin, refreshedAtMs: nowMs, ttlMs });
      return StoreStatus.ok;
    }
    let existing = this.held.get(name);
    if (existing && existing.expiresAtMs <= nowMs) {
      // Expired but not yet swept: a new STORE starts afresh rather than inheriting its old state.
      this.held.delete(name);
      existing = undefined;
    }
    if (existing) {
      existing.value = value;
      existing.expiresAtMs = Math.max(existing.expiresAtMs, expiresAtMs);
      existing.refreshedAtMs = nowMs;
      if (origin === 'published') {
        existing.origin = 'published';
        existing.ttlMs = ttlMs;
      }
      return StoreStatus.ok;
    }
    if (this.held.size >= this.limits.storedValuesMax) {
      this.expire(nowMs);
      if (this.held.size >= this.limits.storedValuesMax) return StoreStatus.storeFull;
    }
    this.cached.delete(name);
    this.held.set(name, { key, value, expiresAtMs, origin, refreshedAtMs: nowMs, ttlMs });
    return StoreStatus.ok;
  }

  delete(key: Id): void {
    const name = idToHex(key);
    this.held.delete(name);
    this.cached.delete(name);
  }

  expire(nowMs: number): number {
    let dropped = 0;
    for (const map of [this.held, this.cached]) {
      for (const [name, entry] of map) {
        if (entry.expiresAtMs <= nowMs) {
          map.delete(name);
          dropped++;
        }
      }
    }
    return dropped;
  }

  /** Values stored here for real (not cached), in insertion order. */
  heldValues(): IterableIterator<HeldValue> {
    return this.held.values();
  }
}
