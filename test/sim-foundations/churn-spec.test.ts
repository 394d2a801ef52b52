import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ChurnTraceFormatError } from '../../src/sim/churn/trace.ts';
import { parseChurnSpec } from '../../src/sim/churn/spec.ts';
import { gammaFunction } from '../../src/sim/churn/distributions.ts';
import { Prng } from '../../src/sim/prng.ts';

const EXAMPLE_TRACE_PATH = fileURLToPath(new URL('../../data/churn-example.trace', import.meta.url));
const ACCEPTED_FORMS = /Accepted forms:[\s\S]*none[\s\S]*mojo[\s\S]*exp:<median minutes>[\s\S]*weibull:<shape>:<scale minutes>[\s\S]*pareto:<shape>:<scale minutes>[\s\S]*trace:<file>/;

describe('parseChurnSpec', () => {
  it('knows none and mojo', () => {
    assert.equal(parseChurnSpec('none').availability, 1);
    assert.equal(parseChurnSpec(' mojo ').name, 'mojo');
  });

  it('reads exp:<median minutes> as exponential sessions and downtimes', () => {
    const model = parseChurnSpec('exp:30');
    assert.equal(model.name, 'exp:30');
    assert.equal(model.availability, 0.5);
    const random = Prng.fromSeed(1);
    model.start(0, random);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += model.next(0, i % 2 === 0, random)!.durationMs;
    const meanMs = (30 * 60_000) / Math.LN2;
    assert.ok(Math.abs(sum / 20_000 - meanMs) < 0.03 * meanMs);
  });

  it('reads weibull:<shape>:<scale minutes> and pareto:<shape>:<scale minutes>', () => {
    const weibullModel = parseChurnSpec('weibull:0.5:60');
    assert.equal(weibullModel.name, 'weibull:0.5:60');
    assert.equal(weibullModel.availability, 0.5);
    const random = Prng.fromSeed(2);
    weibullModel.start(0, random);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += weibullModel.next(0, i % 2 === 0, random)!.durationMs;
    const meanMs = 60 * 60_000 * gammaFunction(3);
    assert.ok(Math.abs(sum / 20_000 - meanMs) < 0.05 * meanMs, `${sum / 20_000} vs ${meanMs}`);

    const paretoModel = parseChurnSpec('pareto:1.5:.5');
    const transition = paretoModel.next(0, true, random)!;
    assert.ok(transition.durationMs >= 30_000);
    assert.equal(parseChurnSpec('pareto:0.9:10').availability, 0.5);
  });

  it('reads trace:<file>', () => {
    const model = parseChurnSpec(`trace:${EXAMPLE_TRACE_PATH}`);
    assert.equal(model.name, `trace:${EXAMPLE_TRACE_PATH}`);
    assert.deepEqual(model.start(0, Prng.fromSeed(1)), { online: true, untilMs: 72_000_000 });
  });

  it('rejects bad specs with a message listing the accepted forms', () => {
    const bad = ['', 'None', 'exp', 'exp:', 'exp:0', 'exp:-1', 'exp:abc', 'exp:1:2', 'exp:Infinity', 'weibull:1',
      'weibull:0:10', 'pareto:1:2:3', 'pareto:x:1', 'gnutella', 'trace:', 'trace:/no/such/file.trace'];
    for (const spec of bad) {
      assert.throws(() => parseChurnSpec(spec), (error: unknown) => error instanceof Error && ACCEPTED_FORMS.test(error.message), spec);
    }
    assert.throws(() => parseChurnSpec('exp:0'), /median minutes must be a number > 0, got '0'/);
    assert.throws(() => parseChurnSpec('trace:/no/such/file.trace'), /cannot read trace file/);
  });

  it('passes on a trace file’s format error, which names the file and line', () => {
    assert.throws(() => parseChurnSpec(`trace:${fileURLToPath(new URL('../../data/README.md', import.meta.url))}`), ChurnTraceFormatError);
  });
});
