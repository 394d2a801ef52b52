/**
 * A volunteer follows a job's advert only from a node among the nearest to the job's key: anyone
 * can publish an advert, and a node far from the key must not draw volunteers' reports to itself.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ComputeRequest, ComputeResponse } from '../../../src/services/compute/grid/compute-messages.ts';
import { encodeManifest, jobIdOf } from '../../../src/services/compute/grid/job-manifest.ts';
import { parseJobSpec } from '../../../src/services/compute/jobs/job-spec.ts';
import type { ComputeClient } from '../../../src/runtime/compute/compute-client.ts';
import type { UnitPool } from '../../../src/runtime/compute/unit-pool.ts';
import { Volunteer } from '../../../src/runtime/compute/volunteer.ts';
import { sha256 } from '../../../src/runtime/content/content-hash.ts';

const PROGRAM = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
const flush = async (): Promise<void> => {
  for (let round = 0; round < 10; round++) await new Promise((resolve) => setImmediate(resolve));
};

function setUp() {
  const parsed = parseJobSpec({ name: 'job', program: PROGRAM, units: { sweep: { from: 0, to: 4, step: 1 }, template: '{from}' } });
  assert.ok(parsed.ok);
  const manifest = encodeManifest({ spec: parsed.spec, submitter: 'alice', submittedAtUnixMs: 1 });
  const jobId = jobIdOf(manifest, sha256);
  const asked: { to: string; kind: string }[] = [];
  const logged: Record<string, unknown>[] = [];
  const lookups: string[] = [];
  const clock = { nowMs: 0 };
  const client = {
    ask: async (target: { peerId: { toString(): string } | string }, request: ComputeRequest): Promise<ComputeResponse> => {
      asked.push({ to: target.peerId.toString(), kind: request.kind });
      if (request.kind === 'manifest') return { kind: 'manifest', manifest };
      return { kind: 'leases', leases: [], retryAfterMs: 1000 };
    },
  } as unknown as ComputeClient;
  const volunteer = new Volunteer({
    client, pool: {} as UnitPool, workers: 1, fetchFile: async () => new Uint8Array(0), nowMs: () => clock.nowMs,
    log: (record) => logged.push(record), self: 'me', sign: async () => new Uint8Array(64), verify: async () => true,
    onReceipts: () => {}, advert: () => ({ cores: 1, memoryMiB: 1024, speed: 1, domain: '', uptimeMs: 0 }),
    isNearJobKey: async (_jobId, peerId) => {
      lookups.push(peerId);
      return peerId === 'near' || peerId === 'copy';
    },
  });
  const advert = { jobId, unitsWaiting: 4, requirements: parsed.spec.requirements, multiaddrs: [] };
  return { volunteer, advert, asked, logged, lookups, clock };
}

describe('a volunteer hearing job adverts', () => {
  it('ignores an advert from a node far from the job\'s key, and asks that node nothing', async () => {
    const { volunteer, advert, asked, logged } = setUp();
    volunteer.offer('far', advert);
    await flush();
    assert.deepEqual(asked, []);
    assert.equal(volunteer.status().jobsKnown, 0);
    assert.deepEqual(logged.map((record) => [record.event, record.from]), [['advertIgnored', 'far']]);
  });

  it('follows one from a near node, and after a takeover the copy that announces it; a far node is looked up once', async () => {
    const { volunteer, advert, asked, lookups, clock } = setUp();
    volunteer.offer('near', advert);
    await flush();
    assert.deepEqual(asked.map((request) => `${request.kind}@${request.to}`), ['manifest@near', 'lease@near']);
    volunteer.offer('far', advert);
    volunteer.offer('far', advert);
    await flush();
    assert.deepEqual(lookups, ['near', 'far'], 'a verdict is remembered: the far node is looked up once');
    // Past the back-off the empty lease answer set.
    clock.nowMs = 2000;
    volunteer.offer('copy', { ...advert, unitsWaiting: 3 });
    await flush();
    assert.deepEqual(asked.map((request) => `${request.kind}@${request.to}`), ['manifest@near', 'lease@near', 'lease@copy']);
  });

  it('believes its own node without a lookup', async () => {
    const { volunteer, advert, asked, lookups } = setUp();
    volunteer.offer('me', advert);
    await flush();
    assert.deepEqual(lookups, []);
    assert.deepEqual(asked.map((request) => request.to), ['me', 'me']);
  });
});
