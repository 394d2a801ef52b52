/**
 * The `storage` section of config.json: how this node keeps content on the grid and what it keeps
 * for others (issue 4, docs/storage-network.md).
 *
 * - `redundancy`: the scheme `put` uses when the caller names none: `replicate:R` or `erasure:K+M`.
 * - `bytesForOthersMax`, `bytesPerPeerMax`: the quota — what this node stores for all other nodes
 *   together, and for any one of them; beyond it a store is refused with a clear error. 0 stores
 *   nothing for others (a node that only uses the grid).
 * - `maintenanceIntervalMs`: how often this node checks the holders of each key it holds (0: never).
 * - `repairGraceMs`: how long a silent holder still counts before its piece is re-created
 *   (Carbonite's timeout; the default is the durability simulation's choice, three days).
 * - `serveBytesPerSecondMax`: caps what this node uploads in exchange answers, all peers together
 *   (a home connection's upstream; benchmarks throttle sources with it); 0: no cap.
 * - `cacheBytesMax`: room for cache copies of hot blocks other holders push here (block-cache.ts),
 *   apart from the quota; the least recently served are dropped first. 0: no cache.
 * - `leaseMs`: the longest lease this node grants on a piece it keeps for others, and the lease it
 *   asks for on the pieces of content it places or pins (lease-policy.ts). A piece whose lease
 *   runs out is dropped. 0: pieces here never expire (renewals are still answered, at the default
 *   length). At least a day otherwise: a store's own lease is a day.
 * - `leaseRenewIntervalMs`: how often this node renews the leases of the content pinned on it
 *   (lease-keeper.ts); 0: never by itself (`peergrid check --renew` still does).
 */
import { RepairPolicyDefaults } from '../services/storage/durability/repair-policy.ts';
import { LeasePolicy } from '../services/storage/placement/lease-policy.ts';
import { parseRedundancy, formatRedundancy, type Redundancy } from '../services/storage/durability/redundancy.ts';
import { isNonNegativeInteger, isRecord } from './config-values.ts';

export interface StorageConfig {
  readonly redundancy: Redundancy;
  readonly bytesForOthersMax: number;
  readonly bytesPerPeerMax: number;
  readonly maintenanceIntervalMs: number;
  readonly repairGraceMs: number;
  readonly serveBytesPerSecondMax: number;
  readonly cacheBytesMax: number;
  readonly leaseMs: number;
  readonly leaseRenewIntervalMs: number;
}

const GIB = 1024 * 1024 * 1024;

export const defaultStorageConfig: StorageConfig = {
  redundancy: { kind: 'replicate', copies: 3 },
  bytesForOthersMax: 10 * GIB,
  bytesPerPeerMax: 1 * GIB,
  maintenanceIntervalMs: 10 * 60_000,
  repairGraceMs: RepairPolicyDefaults.graceMs,
  serveBytesPerSecondMax: 0,
  cacheBytesMax: 1 * GIB,
  leaseMs: LeasePolicy.leaseMsDefault,
  leaseRenewIntervalMs: LeasePolicy.renewIntervalMsDefault,
};

/** The section as config.json holds it (the scheme as text). */
export function storageConfigFileContent(config: StorageConfig): Record<string, unknown> {
  return { ...config, redundancy: formatRedundancy(config.redundancy) };
}

/** Validates the section; problems are appended to `problems`, and a bad field keeps its default. */
export function parseStorageConfig(value: unknown, problems: string[]): StorageConfig {
  if (value === undefined) return defaultStorageConfig;
  if (!isRecord(value)) {
    problems.push("'storage' must be an object");
    return defaultStorageConfig;
  }
  for (const name of Object.keys(value)) if (!(name in defaultStorageConfig)) problems.push(`unknown storage setting '${name}'`);
  const integer = (name: Exclude<keyof StorageConfig, 'redundancy'>): number => {
    const field = value[name];
    if (field === undefined) return defaultStorageConfig[name];
    if (isNonNegativeInteger(field)) return field;
    problems.push(`'storage.${name}' must be an integer >= 0`);
    return defaultStorageConfig[name];
  };
  let redundancy = defaultStorageConfig.redundancy;
  if (value.redundancy !== undefined) {
    const parsed = typeof value.redundancy === 'string' ? parseRedundancy(value.redundancy) : { ok: false as const, error: 'it must be a string' };
    if (parsed.ok) redundancy = parsed.value;
    else problems.push(`'storage.redundancy': ${parsed.error}`);
  }
  return {
    redundancy,
    bytesForOthersMax: integer('bytesForOthersMax'),
    bytesPerPeerMax: integer('bytesPerPeerMax'),
    maintenanceIntervalMs: integer('maintenanceIntervalMs'),
    repairGraceMs: integer('repairGraceMs'),
    serveBytesPerSecondMax: integer('serveBytesPerSecondMax'),
    cacheBytesMax: integer('cacheBytesMax'),
    leaseMs: leaseLength(integer('leaseMs'), problems),
    leaseRenewIntervalMs: integer('leaseRenewIntervalMs'),
  };
}

/** 0 (no expiry) or at least a store's own lease: a shorter one would drop pieces before their placer could renew them. */
function leaseLength(leaseMs: number, problems: string[]): number {
  if (leaseMs === 0 || leaseMs >= LeasePolicy.storeLeaseMs) return leaseMs;
  problems.push(`'storage.leaseMs' must be 0 (pieces never expire) or at least ${LeasePolicy.storeLeaseMs} ms (a day)`);
  return defaultStorageConfig.leaseMs;
}
