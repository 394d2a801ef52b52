/**
 * A volunteer at the end of a job (docs/COMPUTE.md, "The end of a job"): told "none now, ask once a
 * core is free", it does not ask again while its worker is busy, and once the unit ends it reports
 * the result before it asks for the next lease (the coordinator counts the lease as held until the
 * result is in). A scripted coordinator and a pool whose units end when the test says.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ComputeRequest, ComputeResponse, LeaseGrant } from '../../../src/services/compute/grid/compute-messages.ts';
import { encodeManifest, jobIdOf } from '../../../src/services/compute/grid/job-manifest.ts';
import { parseJobSpec } from '../../../src/services/compute/jobs/job-spec.ts';
import type { ComputeClient } from '../../../src/runtime/compute/compute-client.ts';
import { sha256 } from '../../../src/runtime/content/content-hash.ts';
import type { UnitPool } from '../../../src/runtime/compute/unit-pool.ts';
import type { UnitOutcome } from '../../../src/runtime/compute/unit-sandbox.ts';
import { Volunteer } from '../../../src/runtime/compute/volunteer.ts';

const PROGRAM = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

function manifestBytes(): Uint8Array {
  const parsed = parseJobSpec({ name: 'end-game', program: PROGRAM, units: { sweep: { from: 0, to: 4, step: 1 }, template: '{from}' } });
  assert.ok(parsed.ok);
  return encodeManifest({ spec: parsed.spec, submitter: 'owner', submittedAtUnixMs: 0 });
}

const grant = (lease: number): LeaseGrant => ({ lease, unit: lease, args: String(lease), input: null, checkpoint: null });

/** Waits until the event loop has run what is queued (the volunteer's promises and its 20 ms report timer). */
const settle = (ms = 60): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a volunteer at the end of a job', () => {
  it('waits for a free core after "none now", then reports before it asks again', async () => {
    const manifest = manifestBytes();
    const jobId = jobIdOf(manifest, sha256);
    const asked: string[] = [];
    /** What each lease request is answered with, in turn. */
    const leaseAnswers: ComputeResponse[] = [
      { kind: 'leases', leases: [grant(1)], retryAfterMs: 0 },
      { kind: 'leases', leases: [], retryAfterMs: 0 },
      { kind: 'leases', leases: [grant(2)], retryAfterMs: 0 },
    ];
    const client = {
      ask: async (_target: unknown, request: ComputeRequest): Promise<ComputeResponse> => {
        asked.push(request.kind === 'report' ? `report ${request.results.map((result) => result.lease).join(',')}` : request.kind);
        if (request.kind === 'manifest') return { kind: 'manifest', manifest };
        if (request.kind === 'lease') return leaseAnswers.shift() ?? { kind: 'leases', leases: [], retryAfterMs: 1000 };
        if (request.kind === 'report') return { kind: 'reported', lost: [], receiptsFrom: 0, receipts: [], signature: new Uint8Array(64) };
        throw new Error(`unexpected ${request.kind}`);
      },
    } as unknown as ComputeClient;
    const running: ((outcome: UnitOutcome) => void)[] = [];
    const pool = { run: () => new Promise<UnitOutcome>((resolve) => running.push(resolve)) } as unknown as UnitPool;
    const volunteer = new Volunteer({
      client, pool, workers: 1, self: 'volunteer',
      advert: () => ({ cores: 1, memoryMiB: 1024, speed: 1, domain: '', uptimeMs: 0 }),
      fetchFile: async () => new Uint8Array([0]),
      nowMs: () => performance.now(), log: () => {},
      sign: async () => new Uint8Array(64), verify: async () => true, onReceipts: () => {},
    });
    volunteer.offer('coordinator', { jobId, unitsWaiting: 3, requirements: { cores: 1, memoryMiB: 0, speedMin: 0, domains: [] }, multiaddrs: [] });
    await settle();
    // One lease, then a second ask for a unit to queue: "none now" (the job's end game).
    assert.deepEqual(asked, ['manifest', 'lease', 'lease']);
    assert.equal(running.length, 1);
    await settle(300);
    assert.deepEqual(asked, ['manifest', 'lease', 'lease'], 'no asking while its only core is busy');
    running[0]({ status: 'ok', exitCode: 0, output: new Uint8Array([7]), fuelUsed: 10n, wallMs: 100, detail: '' });
    await settle();
    assert.deepEqual(asked.slice(0, 5), ['manifest', 'lease', 'lease', 'report 1', 'lease'], 'the result goes first, then the ask for the next');
    assert.equal(running.length, 2, 'and the next unit runs');
    await volunteer.stop();
  });
});
