/** A job's manifest: canonical bytes whose CID is the job's id; only CIDs for program and inputs. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { decodeManifest, encodeManifest, jobIdOf } from '../../../../src/services/compute/grid/job-manifest.ts';
import { parseJobSpec } from '../../../../src/services/compute/jobs/job-spec.ts';

const sha256 = (bytes: Uint8Array): Uint8Array => createHash('sha256').update(bytes).digest();
const PROGRAM = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

function spec(extra: Record<string, unknown> = {}) {
  const parsed = parseJobSpec({ name: 'sweep', program: PROGRAM, units: { sweep: { from: 0, to: 10, step: 1 }, template: '{from}' }, ...extra });
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
  return parsed.spec;
}

describe('job manifest', () => {
  it('decodes what it encodes, and the same job gives the same id', () => {
    const manifest = { spec: spec({ limits: { fuelMax: 12345, wallTimeSeconds: 9 } }), submitter: '12D3KooWpeer', submittedAtUnixMs: 1000 };
    const bytes = encodeManifest(manifest);
    const decoded = decodeManifest(bytes);
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
    assert.deepEqual(decoded.manifest, manifest);
    assert.equal(jobIdOf(bytes, sha256), jobIdOf(encodeManifest(manifest), sha256));
    assert.notEqual(jobIdOf(bytes, sha256), jobIdOf(encodeManifest({ ...manifest, submittedAtUnixMs: 1001 }), sha256), 'a job submitted again is another job');
    assert.match(jobIdOf(bytes, sha256), /^bafkrei/);
  });

  it('refuses a program or inputs that are not CIDs, another version, and bytes that are not JSON', () => {
    const manifest = { spec: spec(), submitter: 'p', submittedAtUnixMs: 1 };
    const value = JSON.parse(new TextDecoder().decode(encodeManifest(manifest)));
    const encode = (object: unknown) => new TextEncoder().encode(JSON.stringify(object));
    const cases: [unknown, RegExp][] = [
      [{ ...value, job: { ...value.job, program: 'prog.wasm' } }, /program: not a CID/],
      [{ ...value, job: { ...value.job, units: { inputs: ['data.bin'], template: '{input}' } } }, /inputs/],
      [{ ...value, version: 2 }, /version/],
      [{ ...value, submitter: '' }, /submitter/],
      [{ ...value, job: { ...value.job, units: undefined } }, /units/],
    ];
    for (const [object, pattern] of cases) {
      const decoded = decodeManifest(encode(object));
      assert.equal(decoded.ok, false);
      if (!decoded.ok) assert.match(decoded.error, pattern);
    }
    assert.equal(decodeManifest(new Uint8Array([0xff, 0xfe])).ok, false);
  });
});
