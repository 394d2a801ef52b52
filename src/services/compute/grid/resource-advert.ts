/**
 * What a volunteer offers, and whether it suits a job (issue 5, item 4; seed §5.1, Condor's
 * ClassAds as fixed fields rather than an expression language). A volunteer sends its advert with
 * every lease request; the coordinator checks the job's requirements against it (never the
 * volunteer's own claim that it qualifies) and ranks the volunteers that ask when units are scarce.
 *
 * An advert is the volunteer's word: a liar about its speed gets work it is slow at (its leases
 * expire and the units go elsewhere), and validation (validation-policy.ts) never trusts results
 * for who sent them.
 */
import { CborRecord } from '../../../wire/cbor-record.ts';
import type { Rank, Requirements } from '../jobs/job-spec.ts';

export interface ResourceAdvert {
  /** Units it runs at once. */
  readonly cores: number;
  /** Memory it gives one unit. */
  readonly memoryMiB: number;
  /** Its benchmark speed: units of a reference kernel per second (the node measures itself). */
  readonly speed: number;
  /** Its administrative domain (an organisation, a site); '' for none. */
  readonly domain: string;
  /** How long it has been up. */
  readonly uptimeMs: number;
}

export const AdvertLimits = {
  coresMax: 4096,
  memoryMiBMax: 1 << 24,
  speedMax: 1e12,
  domainBytesMax: 253,
  uptimeMsMax: 10 * 365 * 24 * 3600 * 1000,
} as const;

/** Why a volunteer does not suit a job, or null when it does. */
export function unsuitability(requirements: Requirements, advert: ResourceAdvert): string | null {
  if (advert.cores < requirements.cores) return `needs ${requirements.cores} cores, offered ${advert.cores}`;
  if (advert.memoryMiB < requirements.memoryMiB) return `needs ${requirements.memoryMiB} MiB, offered ${advert.memoryMiB}`;
  if (advert.speed < requirements.speedMin) return `needs speed ${requirements.speedMin}, offered ${advert.speed}`;
  if (requirements.domains.length > 0 && !requirements.domains.includes(advert.domain)) return `needs a domain among ${requirements.domains.join(', ')}`;
  return null;
}

/**
 * How much a job prefers this volunteer (higher is better). 'proximity' has no measure here yet
 * (Vivaldi coordinates are issue 6), so it ranks every volunteer alike.
 */
export function rankOf(rank: Rank, advert: ResourceAdvert): number {
  switch (rank) {
    case 'speed': return advert.speed;
    case 'uptime': return advert.uptimeMs;
    case 'proximity': return 0;
  }
}

export function advertToCbor(advert: ResourceAdvert): Record<string, unknown> {
  return { cores: advert.cores, memoryMiB: advert.memoryMiB, speed: advert.speed, domain: advert.domain, uptimeMs: advert.uptimeMs };
}

export function advertFromCbor(value: unknown, path: string): ResourceAdvert {
  const record = new CborRecord(value, path);
  return {
    cores: record.integer('cores', 1, AdvertLimits.coresMax),
    memoryMiB: record.integer('memoryMiB', 0, AdvertLimits.memoryMiBMax),
    speed: record.number('speed', 0, AdvertLimits.speedMax),
    domain: record.text('domain', AdvertLimits.domainBytesMax),
    uptimeMs: record.integer('uptimeMs', 0, AdvertLimits.uptimeMsMax),
  };
}
