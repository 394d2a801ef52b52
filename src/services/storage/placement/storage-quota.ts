/**
 * What a node agrees to store for others (issue 4, quotas: "each node caps what it stores for others
 * and refuses beyond it with a clear error"). Two caps: all bytes held for other peers, and bytes
 * held for any one peer, so that one peer cannot fill the space meant for everyone (the per-peer
 * share is what keeps a single greedy or hostile peer from crowding out the rest; Storj's storage
 * nodes cap per satellite for the same reason). A cap of 0 stores nothing for others.
 *
 * The caller supplies the current usage — the blockstore's own accounting of bytes held per peer,
 * which survives restarts — and the size offered. A refusal is a value with a message meant for the
 * peer's user, naming the cap and what the node holds.
 */

const GIB = 1024 ** 3;

export interface StorageQuota {
  /** All bytes this node holds for other peers, at most; 0 stores nothing for others. */
  readonly bytesForOthersMax: number;
  /** Bytes held for any one peer, at most. */
  readonly bytesPerPeerMax: number;
}

export const StorageQuotaDefaults: StorageQuota = Object.freeze({
  /** 10 GiB: a modest share of a desktop disk, enough for a few thousand files at the default replication. */
  bytesForOthersMax: 10 * GIB,
  /** 1 GiB: a tenth of the whole, so at least ten peers can use this node before any is refused for the total. */
  bytesPerPeerMax: GIB,
});

export interface StorageUsage {
  /** Bytes this node holds now for the peer asking. */
  readonly peerStoredBytes: number;
  /** Bytes this node holds now for all other peers together (the asking peer's included). */
  readonly othersStoredBytes: number;
  /** Bytes the peer asks to store. */
  readonly incomingBytes: number;
}

export type Admission =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'quota'; readonly scope: 'node' | 'peer'; readonly message: string }
  | { readonly ok: false; readonly reason: 'invalid'; readonly message: string };

/** What is wrong with a quota; empty when nothing is. */
export function checkStorageQuota(quota: StorageQuota): string[] {
  const problems: string[] = [];
  for (const name of ['bytesForOthersMax', 'bytesPerPeerMax'] as const) {
    const value = quota[name];
    if (!Number.isSafeInteger(value) || value < 0) problems.push(`${name} must be a whole number of bytes >= 0, got ${value}`);
  }
  return problems;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** `1.5 GiB`, `300 B`: what a user reads in a refusal. */
export function formatByteSize(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const rounded = value >= 100 ? Math.round(value).toString() : value.toFixed(value >= 10 ? 1 : 2).replace(/\.?0+$/, '');
  return `${rounded} ${UNITS[unit]}`;
}

function isByteCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Whether to store `incomingBytes` more for a peer. */
export function admitStore(quota: StorageQuota, usage: StorageUsage): Admission {
  const { peerStoredBytes, othersStoredBytes, incomingBytes } = usage;
  // The offered size comes from the peer; the usage from our own store. Either being nonsense is refused, not trusted.
  if (!isByteCount(incomingBytes)) return { ok: false, reason: 'invalid', message: `a store of ${String(incomingBytes)} bytes is not a size` };
  if (!isByteCount(peerStoredBytes) || !isByteCount(othersStoredBytes)) {
    return { ok: false, reason: 'invalid', message: `storage accounting is inconsistent (peer ${peerStoredBytes}, all peers ${othersStoredBytes})` };
  }
  if (quota.bytesForOthersMax === 0) {
    return { ok: false, reason: 'quota', scope: 'node', message: 'this node stores nothing for others' };
  }
  if (othersStoredBytes + incomingBytes > quota.bytesForOthersMax) {
    return {
      ok: false, reason: 'quota', scope: 'node',
      message: `this node stores at most ${formatByteSize(quota.bytesForOthersMax)} for others; it holds ${formatByteSize(othersStoredBytes)}, and ${formatByteSize(incomingBytes)} more would exceed that`,
    };
  }
  if (peerStoredBytes + incomingBytes > quota.bytesPerPeerMax) {
    return {
      ok: false, reason: 'quota', scope: 'peer',
      message: `this node stores at most ${formatByteSize(quota.bytesPerPeerMax)} for any one peer; it holds ${formatByteSize(peerStoredBytes)} for you, and ${formatByteSize(incomingBytes)} more would exceed that`,
    };
  }
  return { ok: true };
}
