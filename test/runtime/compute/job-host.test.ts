/** The jobs a node coordinates and the copies it keeps: submission checks, syncs, answers from a copy. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import * as DagCbor from '@ipld/dag-cbor';
import type { ComputeRequest, ComputeResponse } from '../../../src/services/compute/grid/compute-messages.ts';
import { encodeManifest } from '../../../src/services/compute/grid/job-manifest.ts';
import { parseJobSpec } from '../../../src/services/compute/jobs/job-spec.ts';
import { JobHost, JobHostLimits } from '../../../src/runtime/compute/job-host.ts';
import { CryptoRandom } from '../../../src/runtime/crypto-random.ts';
import { waitFor } from '../../support/wait-for.ts';

const PROGRAM = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

function manifestBytes(submitter: string, name = 'job', at = 1): Uint8Array {
  const parsed = parseJobSpec({ name, program: PROGRAM, units: { sweep: { from: 0, to: 4, step: 1 }, template: '{from}' }, validation: { replicas: 1, quorum: 1 } });
  assert.ok(parsed.ok);
  return encodeManifest({ spec: parsed.spec, submitter, submittedAtUnixMs: at });
}

function host(sent: ComputeRequest[] = []): JobHost {
  return new JobHost({
    nowMs: () => 1000, publish: () => {}, multiaddrs: () => [], log: () => {},
    self: 'host', sign: async () => new Uint8Array(64), verify: async () => true,
    backupsFor: async () => [{ peerId: 'copy', target: { peerId: 'copy' } }],
    compareNearness: () => 0, random: new CryptoRandom(),
    ask: async (_target, request): Promise<ComputeResponse> => {
      sent.push(request);
      return { kind: 'synced', outputsHeld: 0, settledHeld: 0, receiptsHeld: 0 };
    },
  });
}

describe('JobHost', () => {
  it('takes a job only from the submitter its manifest names, and so many of one submitter', () => {
    const node = host();
    const refused = node.host('mallory', manifestBytes('alice'));
    assert.deepEqual(refused, { ok: false, reason: 'invalid', message: 'the manifest names another node as its submitter' });
    for (let index = 0; index < JobHostLimits.runningJobsPerSubmitterMax; index++) assert.equal(node.host('alice', manifestBytes('alice', 'job', index)).ok, true);
    const over = node.host('alice', manifestBytes('alice', 'job', 999));
    assert.equal(over.ok, false);
    if (!over.ok) assert.equal(over.reason, 'busy');
    assert.equal(node.host('bob', manifestBytes('bob')).ok, true, 'another submitter still gets in');
  });

  it('syncs a job to its copies; a copy answers status and results, and sends the rest to the coordinator', async () => {
    const sent: ComputeRequest[] = [];
    const coordinator = host(sent);
    const hosted = coordinator.host('alice', manifestBytes('alice'));
    assert.ok(hosted.ok);
    await waitFor('hosting a job to sync it', () => sent.some((request) => request.kind === 'sync'));
    const sync = sent.find((request) => request.kind === 'sync');
    assert.ok(sync !== undefined && sync.kind === 'sync', 'hosting a job syncs it at once');
    assert.equal(sync.rank, 1);
    const copy = host();
    assert.deepEqual(await copy.answer('coordinator-peer', sync), { kind: 'synced', outputsHeld: 0, settledHeld: 0, receiptsHeld: 0 });
    const status = await copy.answer('anyone', { kind: 'status', jobId: hosted.jobId });
    assert.equal(status.kind, 'jobStatus');
    if (status.kind === 'jobStatus') assert.deepEqual(status.status.units, { total: 4, done: 0, failed: 0, running: 0 });
    assert.equal((await copy.answer('anyone', { kind: 'results', jobId: hosted.jobId, fromUnit: 0, unitsMax: 10 })).kind, 'results');
    const lease = await copy.answer('volunteer', { kind: 'lease', jobId: hosted.jobId, advert: { cores: 1, memoryMiB: 1, speed: 1, domain: '', uptimeMs: 0 }, slots: 1 });
    assert.deepEqual(lease, { kind: 'refused', reason: 'unavailable', message: `this node keeps a copy of the job; coordinator-peer coordinates it` });
    assert.deepEqual(copy.copiesKept(), [hosted.jobId]);
  });

  it('refuses a sync that does not hold together, with the reason', async () => {
    const copy = host();
    const manifest = manifestBytes('alice');
    const jobId = createHash('sha256').update(manifest).digest('hex');
    const wrongId = await copy.answer('peer', { kind: 'sync', jobId, manifest, rank: 1, snapshot: DagCbor.encode({}), outputsFrom: 0, outputs: [] });
    assert.deepEqual(wrongId, { kind: 'refused', reason: 'invalid', message: 'the manifest does not match the job id' });
    const coordinator = host();
    const hosted = coordinator.host('alice', manifest);
    assert.ok(hosted.ok);
    const garbage = await copy.answer('peer', { kind: 'sync', jobId: hosted.jobId, manifest, rank: 1, snapshot: DagCbor.encode({ state: 'nonsense' }), outputsFrom: 0, outputs: [] });
    assert.equal(garbage.kind, 'refused');
    const notCbor = await copy.answer('peer', { kind: 'sync', jobId: hosted.jobId, manifest, rank: 1, snapshot: new Uint8Array([0xff, 0x00]), outputsFrom: 0, outputs: [] });
    assert.equal(notCbor.kind, 'refused');
    assert.deepEqual(copy.copiesKept(), []);
  });

  it('computes the known answers of an adaptive job itself, blacklists a worker that fails a spot check, and reopens what it was trusted with', async () => {
    const events: Record<string, unknown>[] = [];
    const computed: number[] = [];
    let releaseLast = (): void => {};
    const lastHeld = new Promise<void>((resolve) => { releaseLast = resolve; });
    const node = new JobHost({
      nowMs: () => 1000, publish: () => {}, multiaddrs: () => [], log: (record) => events.push(record),
      self: 'host', sign: async () => new Uint8Array(64), verify: async () => true,
      backupsFor: async () => [], compareNearness: () => 0, random: new CryptoRandom(),
      ask: async (): Promise<ComputeResponse> => ({ kind: 'synced', outputsHeld: 0, settledHeld: 0, receiptsHeld: 0 }),
      // All answers but the last come at once; the last is held back, to show that spot checks
      // start with the first answers in.
      knownAnswers: async (_manifest, units, onEach) => {
        computed.push(...units);
        const answerOf = (unit: number) => ({ outputHash: createHash('sha256').update(`u${unit}`).digest('hex'), fuel: 10n });
        units.slice(0, -1).forEach((unit, index) => onEach(index, answerOf(unit)));
        await lastHeld;
        onEach(units.length - 1, answerOf(units[units.length - 1]));
      },
    });
    const advert = { cores: 1, memoryMiB: 1, speed: 1, domain: '', uptimeMs: 0 };
    const report = (jobId: string, lease: number, text: string) => node.answer('cheater', { kind: 'report', jobId, results: [{ lease, status: 'ok', output: new TextEncoder().encode(text), fuel: 10, wallMs: 1 }], heartbeats: [], signature: new Uint8Array(64), receiptsFrom: 0 });
    // A job of another submitter, on one replica a unit: the cheater's lie there is accepted, for now.
    const trusting = node.host('bob', manifestBytes('bob'));
    assert.ok(trusting.ok);
    const trustingLease = await node.answer('cheater', { kind: 'lease', jobId: trusting.jobId, advert, slots: 1 });
    assert.ok(trustingLease.kind === 'leases' && trustingLease.leases.length === 1);
    await report(trusting.jobId, trustingLease.leases[0].lease, 'a lie too');
    const statusOf = async (jobId: string) => {
      const answer = await node.answer('anyone', { kind: 'status', jobId });
      assert.ok(answer.kind === 'jobStatus');
      return answer.status.units.done;
    };
    assert.equal(await statusOf(trusting.jobId), 1);
    const parsed = parseJobSpec({ name: 'adaptive', program: PROGRAM, units: { sweep: { from: 0, to: 4, step: 1 }, template: '{from}' }, validation: { mode: 'adaptive', spotCheckRate: 0.999999 } });
    assert.ok(parsed.ok);
    const hosted = node.host('alice', encodeManifest({ spec: parsed.spec, submitter: 'alice', submittedAtUnixMs: 1 }));
    assert.ok(hosted.ok);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(computed.sort(), [0, 1, 2, 3], 'a job of 4 units: each is known (at least two, about the rate, at most 32)');
    assert.ok(events.some((event) => event.event === 'spotChecksReady'));
    assert.ok(!events.some((event) => event.event === 'knownAnswersComputed'), 'the last answer is still running');
    const leases = await node.answer('cheater', { kind: 'lease', jobId: hosted.jobId, advert, slots: 1 });
    assert.ok(leases.kind === 'leases' && leases.leases.length === 1);
    await report(hosted.jobId, leases.leases[0].lease, 'a lie');
    assert.ok(events.some((event) => event.event === 'workerBlacklisted' && event.worker === 'cheater' && event.reason === 'it failed a spot check'));
    // Caught: the unit it was trusted with in the other job is opened again.
    assert.ok(events.some((event) => event.event === 'unitsReopened' && event.jobId === trusting.jobId && event.units === 1));
    assert.equal(await statusOf(trusting.jobId), 0);
    const again = await node.answer('cheater', { kind: 'lease', jobId: hosted.jobId, advert, slots: 1 });
    assert.equal(again.kind, 'refused');
    releaseLast();
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(events.some((event) => event.event === 'knownAnswersComputed' && event.knownUnits === 4));
    node.stop();
  });

  it('syncs a copy with what settled since its last sync, and the copy restores the whole when asked', async () => {
    const copy = host();
    const sent: { settledFrom: number; settled: number; log: string }[] = [];
    const coordinator = new JobHost({
      nowMs: () => performance.now(), publish: () => {}, multiaddrs: () => [], log: () => {},
      self: 'host', sign: async () => new Uint8Array(64), verify: async () => true, random: new CryptoRandom(),
      backupsFor: async () => [{ peerId: 'copy', target: { peerId: 'copy' } }], compareNearness: () => 0, syncIntervalMs: 10,
      ask: async (_target, request): Promise<ComputeResponse> => {
        if (request.kind === 'sync') {
          const part = DagCbor.decode(request.snapshot) as { settledFrom: number; state: { settled: unknown[] }; log: string };
          sent.push({ settledFrom: part.settledFrom, settled: part.state.settled.length, log: part.log });
        }
        return copy.answer('host', request as Exclude<ComputeRequest, { kind: 'submit' }>);
      },
    });
    const hosted = coordinator.host('alice', manifestBytes('alice'));
    assert.ok(hosted.ok);
    coordinator.start();
    try {
      const advert = { cores: 1, memoryMiB: 1, speed: 1, domain: '', uptimeMs: 0 };
      for (let round = 0; round < 2; round++) {
        const leases = await coordinator.answer('worker', { kind: 'lease', jobId: hosted.jobId, advert, slots: 2 });
        assert.ok(leases.kind === 'leases' && leases.leases.length === 2);
        await coordinator.answer('worker', { kind: 'report', jobId: hosted.jobId, results: leases.leases.map((lease) => ({ lease: lease.lease, status: 'ok' as const, output: new TextEncoder().encode(`u${lease.unit}`), fuel: 1, wallMs: 1 })), heartbeats: [], signature: new Uint8Array(64), receiptsFrom: 0 });
        const done = (round + 1) * 2;
        for (let wait = 0; wait < 200; wait++) {
          const status = await copy.answer('anyone', { kind: 'status', jobId: hosted.jobId });
          if (status.kind === 'jobStatus' && status.status.units.done === done) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        const status = await copy.answer('anyone', { kind: 'status', jobId: hosted.jobId });
        assert.ok(status.kind === 'jobStatus' && status.status.fromCopy);
        assert.equal(status.status.units.done, done, `the copy follows: round ${round}`);
      }
    } finally {
      coordinator.stop();
    }
    assert.equal(sent[0].settledFrom, 0, 'the first sync is whole');
    assert.ok(sent.some((sync) => sync.settledFrom === 2 && sync.settled === 2), `a later one sends units 2 and 3 alone: ${JSON.stringify(sent)}`);
    const results = await copy.answer('anyone', { kind: 'results', jobId: hosted.jobId, fromUnit: 0, unitsMax: 4 });
    assert.ok(results.kind === 'results');
    assert.deepEqual(results.entries.map((entry) => entry.output === null ? null : new TextDecoder().decode(entry.output)), ['u0', 'u1', 'u2', 'u3']);
    // A part whose units are not this job's is refused when it comes.
    const bad = await copy.answer('host', { kind: 'sync', jobId: hosted.jobId, manifest: manifestBytes('alice'), rank: 1, snapshot: DagCbor.encode({ state: { version: 2, open: [], settled: [[99, { phase: 'failed', verdict: null }]], leases: [], nextLeaseId: 1 }, settledFrom: 4, receiptsFrom: 4, receipts: [], log: sent[sent.length - 1].log }), outputsFrom: 4, outputs: [] });
    assert.equal(bad.kind, 'refused');
  });
});

