/** The compute protocol's messages: every kind round-trips, and decoders refuse anything else with a reason, never a throw. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as DagCbor from '@ipld/dag-cbor';
import {
  ComputeLimits, decodeComputeRequest, decodeComputeResponse, encodeComputeMessage, type ComputeRequest, type ComputeResponse,
} from '../../../../src/services/compute/grid/compute-messages.ts';
import { decodeJobAdvert, encodeJobAdvert } from '../../../../src/services/compute/grid/job-advert.ts';

const ADVERT = { cores: 4, memoryMiB: 2048, speed: 1234.5, domain: 'lab.example', uptimeMs: 60_000 };
const JOB = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

const requests: ComputeRequest[] = [
  { kind: 'submit', manifest: new Uint8Array([1, 2, 3]) },
  { kind: 'manifest', jobId: JOB },
  { kind: 'lease', jobId: JOB, advert: ADVERT, slots: 8 },
  {
    kind: 'report', jobId: JOB,
    results: [{ lease: 1, status: 'ok', output: new Uint8Array([9]), fuel: 77, wallMs: 5 }, { lease: 2, status: 'out_of_fuel', output: null, fuel: 0, wallMs: 9 }, { lease: 5, status: 'ok', output: null, outputCid: JOB, fuel: 8, wallMs: 1 }],
    heartbeats: [{ lease: 3, progress: 0.5, checkpoint: new Uint8Array([4, 4]) }, { lease: 4, progress: 0, checkpoint: null }],
    signature: new Uint8Array(64).fill(3),
    receiptsFrom: 7,
  },
  { kind: 'status', jobId: JOB },
  { kind: 'results', jobId: JOB, fromUnit: 10, unitsMax: 100 },
  { kind: 'cancel', jobId: JOB },
  { kind: 'sync', jobId: JOB, manifest: new Uint8Array([5]), rank: 2, snapshot: new Uint8Array([0xa0]), outputsFrom: 4, outputs: [{ unit: 9, output: new Uint8Array([1, 2]) }] },
];

const responses: ComputeResponse[] = [
  { kind: 'submitted', jobId: JOB },
  { kind: 'manifest', manifest: new Uint8Array([7]) },
  { kind: 'leases', leases: [{ lease: 5, unit: 0, args: '1 2', input: null, checkpoint: null }, { lease: 6, unit: 1, args: '', input: JOB, checkpoint: new Uint8Array([1]) }], retryAfterMs: 0 },
  { kind: 'reported', lost: [3, 9], receiptsFrom: 0, receipts: [], signature: null },
  { kind: 'reported', lost: [], receiptsFrom: 2, receipts: [{ jobId: JOB, unit: 4, worker: 'peer', fuel: 9, wallMs: 12, outputHash: 'ab' }], signature: new Uint8Array(64).fill(1) },
  { kind: 'jobStatus', status: { jobId: JOB, name: 'pi', phase: 'running', units: { total: 3, done: 1, failed: 0, running: 2 }, submitter: 'peer', submittedAtUnixMs: 5, unitStates: 'doo', fromCopy: false } },
  { kind: 'results', entries: [{ unit: 0, args: 'a', state: 'done', output: new Uint8Array([1]), outputHash: 'ab', outputCid: null, fuel: 3, workers: [{ worker: 'w', fuel: 3, wallMs: 2 }] }, { unit: 1, args: 'b', state: 'open', output: null, outputHash: null, outputCid: null, fuel: null, workers: [] }, { unit: 2, args: 'c', state: 'done', output: null, outputHash: `cid:${JOB}`, outputCid: JOB, fuel: 3, workers: [] }], nextUnit: null, fromCopy: true },
  { kind: 'cancelled' },
  { kind: 'synced', outputsHeld: 12, settledHeld: 30, receiptsHeld: 31 },
  { kind: 'refused', reason: 'notQualified', message: 'needs 8 cores' },
];

describe('compute messages', () => {
  it('round-trips every request and response kind', () => {
    for (const request of requests) {
      const decoded = decodeComputeRequest(encodeComputeMessage(request));
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
      assert.deepEqual(decoded.value, request);
    }
    for (const response of responses) {
      const decoded = decodeComputeResponse(encodeComputeMessage(response));
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
      assert.deepEqual(decoded.value, response);
    }
  });

  it('refuses a response read as a request, and the reverse', () => {
    assert.equal(decodeComputeRequest(encodeComputeMessage(responses[6])).ok, false);
    assert.equal(decodeComputeRequest(encodeComputeMessage(responses[8])).ok, false);
    assert.equal(decodeComputeResponse(encodeComputeMessage(requests[6])).ok, false);
  });

  it('names the field that breaks a bound', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ kind: 'lease', jobId: JOB, advert: ADVERT, slots: ComputeLimits.leasesPerRequestMax + 1 }, /slots/],
      [{ kind: 'lease', jobId: JOB, advert: { ...ADVERT, cores: 0 }, slots: 1 }, /advert\.cores/],
      [{ kind: 'lease', jobId: 'x'.repeat(500), advert: ADVERT, slots: 1 }, /jobId/],
      [{ kind: 'report', jobId: JOB, results: [{ lease: 1, status: 'ok', output: new Uint8Array(ComputeLimits.inlineOutputBytesMax + 1), fuel: 1, wallMs: 1 }], heartbeats: [], signature: new Uint8Array(64), receiptsFrom: 0 }, /results\[0\]\.output/],
      [{ kind: 'report', jobId: JOB, results: [{ lease: 1, status: 'hacked', output: null, fuel: 1, wallMs: 1 }], heartbeats: [], signature: new Uint8Array(64), receiptsFrom: 0 }, /results\[0\]\.status/],
      [{ kind: 'report', jobId: JOB, results: [], heartbeats: [{ lease: 1, progress: 2, checkpoint: null }], signature: new Uint8Array(64), receiptsFrom: 0 }, /heartbeats\[0\]\.progress/],
      [{ kind: 'report', jobId: JOB, results: [], heartbeats: [], receiptsFrom: 0 }, /signature/],
      [{ kind: 'results', jobId: JOB, fromUnit: -1, unitsMax: 1 }, /fromUnit/],
      [{ kind: 'launch' }, /kind/],
    ];
    for (const [message, pattern] of cases) {
      const decoded = decodeComputeRequest(DagCbor.encode(message));
      assert.equal(decoded.ok, false);
      if (!decoded.ok) assert.match(decoded.error, pattern);
    }
    assert.equal(decodeComputeRequest(new Uint8Array(ComputeLimits.messageBytesMax + 1)).ok, false);
  });

  it('never throws on arbitrary or mutated bytes', () => {
    const encoded = requests.map((request) => encodeComputeMessage(request)).concat(responses.map((response) => encodeComputeMessage(response)));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
      decodeComputeRequest(bytes);
      decodeComputeResponse(bytes);
      decodeJobAdvert(bytes);
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.nat(encoded.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 }), (which, at, value) => {
      const bytes = encoded[which].slice();
      bytes[at % bytes.length] = value;
      decodeComputeRequest(bytes);
      decodeComputeResponse(bytes);
    }), { numRuns: 2000 });
  });

  it('round-trips a job advert and refuses a bad one', () => {
    const advert = { jobId: JOB, unitsWaiting: 12, requirements: { memoryMiB: 16, cores: 1, speedMin: 0, domains: ['a'] }, multiaddrs: ['/ip4/127.0.0.1/tcp/1/p2p/x'] };
    const decoded = decodeJobAdvert(encodeJobAdvert(advert));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, advert);
    assert.equal(decodeJobAdvert(DagCbor.encode({ ...advert, unitsWaiting: -1 })).ok, false);
  });
});
