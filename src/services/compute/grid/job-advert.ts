/**
 * "Work here": what a job's coordinator announces to the grid while the job has units waiting for
 * volunteers (issue 5, item 4: volunteers pull work). It travels by gossip (libp2p gossipsub,
 * topic JOBS_TOPIC), signed by the coordinator's peer key, so the sender is who a volunteer asks for
 * leases. It carries the job's requirements so that a volunteer skips jobs it cannot run without
 * asking; the coordinator checks them again on every lease request.
 */
import * as DagCbor from '@ipld/dag-cbor';
import type { Requirements } from '../jobs/job-spec.ts';
import { CborRecord, FieldProblem } from '../../../wire/cbor-record.ts';
import { ComputeLimits, type Decoded } from './compute-messages.ts';

export const JOBS_TOPIC = '/peergrid/jobs/1.0.0';

export interface JobAdvert {
  readonly jobId: string;
  readonly unitsWaiting: number;
  readonly requirements: Requirements;
  /** Where the coordinator listens (each with /p2p/), for a volunteer not connected to it. */
  readonly multiaddrs: readonly string[];
}

export const JobAdvertLimits = {
  advertBytesMax: 16 * 1024,
  multiaddrsMax: 16,
  multiaddrBytesMax: 512,
  domainsMax: 100,
} as const;

export function encodeJobAdvert(advert: JobAdvert): Uint8Array {
  return DagCbor.encode({
    jobId: advert.jobId,
    unitsWaiting: advert.unitsWaiting,
    requirements: { ...advert.requirements, domains: [...advert.requirements.domains] },
    multiaddrs: advert.multiaddrs.slice(0, JobAdvertLimits.multiaddrsMax),
  });
}

export function decodeJobAdvert(bytes: Uint8Array): Decoded<JobAdvert> {
  if (bytes.length > JobAdvertLimits.advertBytesMax) return { ok: false, error: `advert of ${bytes.length} bytes` };
  try {
    const record = new CborRecord(DagCbor.decode(bytes), '');
    const requirements = record.record('requirements');
    return {
      ok: true,
      value: {
        jobId: record.text('jobId', ComputeLimits.jobIdBytesMax),
        unitsWaiting: record.integer('unitsWaiting', 0, 2 ** 32),
        requirements: {
          memoryMiB: requirements.integer('memoryMiB', 0, 1 << 20),
          cores: requirements.integer('cores', 1, 1024),
          speedMin: requirements.number('speedMin', 0, 1e12),
          domains: requirements.list('domains', JobAdvertLimits.domainsMax, (item, path) => textItem(item, path, 253)),
        },
        multiaddrs: record.list('multiaddrs', JobAdvertLimits.multiaddrsMax, (item, path) => textItem(item, path, JobAdvertLimits.multiaddrBytesMax)),
      },
    };
  } catch (error) {
    return { ok: false, error: error instanceof FieldProblem ? error.message : `not dag-cbor: ${(error as Error).message}` };
  }
}

function textItem(item: unknown, path: string, maxLength: number): string {
  if (typeof item !== 'string' || item.length > maxLength) throw new FieldProblem(`${path}: not text of at most ${maxLength} characters`);
  return item;
}
