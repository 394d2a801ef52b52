/** job.json: every field checked, every problem reported at once by path; never a throw. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseJobSpec } from '../../../../src/services/compute/jobs/job-spec.ts';

function problems(value: unknown): string {
  const parsed = parseJobSpec(value);
  assert.equal(parsed.ok, false);
  return parsed.ok ? '' : parsed.problems.join('\n');
}

describe('parseJobSpec', () => {
  it('reads a full job.json, and fills defaults for what it leaves out', () => {
    const parsed = parseJobSpec(JSON.stringify({
      name: 'primes below 10^8', program: 'primes.wasm',
      units: { sweep: { from: 0, to: 100_000_000, step: 1_000_000 }, template: '{from} {to}' },
      requirements: { memoryMiB: 64, cores: 1, domains: ['lab.example.org'] }, rank: 'uptime',
      validation: { replicas: 3, quorum: 2 }, limits: { fuelMax: 1e12, wallTimeSeconds: 120 }, deadlineSeconds: 7200,
    }));
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.problems.join('; '));
    const { spec } = parsed;
    assert.deepEqual(spec.units, { kind: 'sweep', from: 0, to: 100_000_000, step: 1_000_000, template: '{from} {to}' });
    assert.deepEqual(spec.requirements, { memoryMiB: 64, cores: 1, speedMin: 0, domains: ['lab.example.org'] });
    assert.equal(spec.rank, 'uptime');
    assert.deepEqual(spec.validation, { replicas: 3, quorum: 2, replicasMax: 7 });
    assert.equal(spec.limits.fuelMax, 1_000_000_000_000n);
    assert.equal(spec.limits.wallTimeSeconds, 120);
    assert.equal(spec.deadlineSeconds, 7200);

    const minimal = parseJobSpec({ program: 'pi.wasm', units: { args: ['1000000', '1000000'] } });
    assert.ok(minimal.ok);
    assert.equal(minimal.spec.name, 'job');
    assert.deepEqual(minimal.spec.validation, { replicas: 2, quorum: 2, replicasMax: 5 });
    assert.equal(minimal.spec.rank, 'speed');
  });

  it('reports every problem, each with its path', () => {
    const text = problems({
      program: 7, units: { sweep: { from: 10, to: 5, step: 0 }, template: 'no placeholders' },
      rank: 'cheapest', validation: { replicas: 2, quorum: 3, adaptive: true }, limits: { wallTimeSeconds: -1 }, deadlineSeconds: 1e12, colour: 'blue',
    });
    for (const expected of [
      /program: must be a non-empty string/, /units\.sweep\.step: must be above 0/, /units\.sweep: "to" must be above "from"/,
      /units\.template: a sweep's template uses \{from\} and \{to\}/, /rank: must be one of speed, uptime, proximity/,
      /validation\.adaptive: unknown field/, /validation\.quorum: 3 agreeing results cannot come from 2 replicas/,
      /limits\.wallTimeSeconds: must be at least 1/, /deadlineSeconds: must be at most/, /colour: unknown field/,
    ]) assert.match(text, expected);
  });

  it('refuses jobs without units, with two kinds of units, too many units, or a grid that does not fit its template', () => {
    assert.match(problems({ program: 'a.wasm' }), /units: missing/);
    assert.match(problems({ program: 'a.wasm', units: { args: ['1'], inputs: ['x'] } }), /exactly one of/);
    assert.match(problems({ program: 'a.wasm', units: { sweep: { from: 0, to: 1e9, step: 1 }, template: '{from} {to}' } }), /1000000000 units; at most 1000000/);
    assert.match(problems({ program: 'a.wasm', units: { grid: { x: [1, 2], y: [] }, template: '{x}' } }), /units\.grid\.y: no values[\s\S]*does not use \{y\}/);
    assert.match(problems({ program: 'a.wasm', units: { args: [] } }), /units\.args: empty/);
    assert.match(problems('{"program": "a.wasm", '), /not JSON/);
    assert.match(problems([1, 2]), /must be an object/);
    assert.match(problems(null), /must be an object/);
  });

  it('never throws, whatever it is given', () => {
    fc.assert(fc.property(fc.anything(), (value) => void parseJobSpec(value)), { numRuns: 2000 });
    fc.assert(fc.property(fc.string(), (text) => void parseJobSpec(text)), { numRuns: 1000 });
    fc.assert(fc.property(fc.record({ program: fc.anything(), units: fc.anything(), validation: fc.anything(), limits: fc.anything() }), (value) => void parseJobSpec(value)), { numRuns: 2000 });
  });
});
