import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDhtConfig, defaultDhtConfig, type DhtConfig } from '../../src/core/config.ts';
import { Limits } from '../../src/core/limits.ts';

function withField(name: keyof DhtConfig, value: unknown): DhtConfig {
  return { ...defaultDhtConfig, [name]: value } as DhtConfig;
}

function problemsNaming(name: string, config: DhtConfig): string[] {
  return checkDhtConfig(config).filter((problem) => problem.includes(name));
}

const integerFields: ReadonlyArray<[keyof DhtConfig, number, number]> = [
  ['k', 1, Limits.bucketSizeMax],
  ['alpha', 1, 64],
  ['bitsPerDigit', 1, 5],
  ['lookupQueriesMax', 1, 10_000],
  ['failuresToEvict', 1, 100],
  ['refreshesPerMaintenanceMax', 0, 1000],
];

const positiveFields: ReadonlyArray<keyof DhtConfig> = [
  'lookupDurationMaxMs', 'rtoInitialMs', 'rtoMinMs', 'rtoMaxMs', 'requestTimeoutRtoMultiple', 'requestTimeoutMinMs',
  'livenessCheckAfterMs', 'bucketRefreshIntervalMs', 'republishIntervalMs', 'publisherRepublishIntervalMs',
  'valueTtlMsDefault', 'maintenanceIntervalMs',
];

describe('checkDhtConfig', () => {
  it('checks every numeric field of the configuration (a new field cannot go unchecked)', () => {
    for (const name of Object.keys(defaultDhtConfig) as (keyof DhtConfig)[]) {
      if (typeof defaultDhtConfig[name] !== 'number') continue;
      assert.ok(problemsNaming(name, withField(name, NaN)).length >= 1, `${name} = NaN is accepted`);
    }
  });

  it('accepts neighbourhoodProbeIntervalMs = 0 (probing off) and rejects a negative or non-finite one, naming the field', () => {
    assert.deepEqual(checkDhtConfig(withField('neighbourhoodProbeIntervalMs', 0)), []);
    for (const bad of [-1, NaN, Infinity]) {
      const problems = problemsNaming('neighbourhoodProbeIntervalMs', withField('neighbourhoodProbeIntervalMs', bad));
      assert.equal(problems.length, 1, String(bad));
      assert.match(problems[0], /^neighbourhoodProbeIntervalMs must be/);
    }
  });

  it('accepts the defaults (k = 20 and α = 3 as in the paper)', () => {
    assert.deepEqual(checkDhtConfig(defaultDhtConfig), []);
    assert.equal(defaultDhtConfig.k, 20);
    assert.equal(defaultDhtConfig.alpha, 3);
  });

  for (const [name, low, high] of integerFields) {
    it(`rejects ${name} outside ${low}…${high} or not an integer, naming the field`, () => {
      // Finish rules given as a number q must stay within 1…k, so k is tried with 'strict' ones.
      const withStrictFinishIfK = (config: DhtConfig): DhtConfig =>
        name === 'k' ? { ...config, lookupFinish: 'strict', maintenanceLookupFinish: 'strict' } : config;
      for (const bad of [low - 1, high + 1, low + 0.5, NaN, Infinity, '3' as unknown]) {
        const config = withStrictFinishIfK(withField(name, bad));
        const problems = problemsNaming(name, config);
        assert.equal(problems.length, 1, `${name} = ${String(bad)}: ${JSON.stringify(checkDhtConfig(config))}`);
        assert.match(problems[0], new RegExp(`^${name} must be an integer in ${low}…${high}`));
      }
      for (const good of [low, high]) {
        const config = withStrictFinishIfK(withField(name, good));
        assert.deepEqual(checkDhtConfig(config), [], `${name} = ${good}`);
      }
    });
  }

  for (const name of positiveFields) {
    it(`rejects ${name} unless it is a positive finite number, naming the field`, () => {
      for (const bad of [0, -1, NaN, Infinity, -Infinity, undefined]) {
        const problems = problemsNaming(name, withField(name, bad));
        assert.ok(problems.length >= 1, `${name} = ${String(bad)}`);
        assert.ok(problems.some((problem) => problem.startsWith(`${name} must be a positive number`)), problems.join('; '));
      }
    });
  }

  for (const name of ['lookupFinish', 'maintenanceLookupFinish'] as const) {
    it(`accepts ${name} = 'strict' or an integer q in 1…k, and rejects anything else naming the field`, () => {
      for (const good of ['strict', 1, 7, defaultDhtConfig.k]) assert.deepEqual(checkDhtConfig(withField(name, good)), [], String(good));
      for (const bad of [0, -1, defaultDhtConfig.k + 1, 1.5, NaN, 'loose']) {
        const problems = problemsNaming(name, withField(name, bad));
        assert.equal(problems.length, 1, String(bad));
        assert.match(problems[0], new RegExp(`^${name} must be 'strict' or an integer in 1…k`));
      }
      // q is checked against the configured k, not the default one.
      assert.deepEqual(checkDhtConfig({ ...defaultDhtConfig, k: 8, [name]: 8 }), []);
      assert.equal(problemsNaming(name, { ...defaultDhtConfig, k: 8, [name]: 9 }).length, 1);
    });
  }

  it('rejects rtoMinMs > rtoMaxMs, naming both', () => {
    const problems = checkDhtConfig({ ...defaultDhtConfig, rtoMinMs: 600, rtoMaxMs: 500, rtoInitialMs: 550 });
    assert.ok(problems.includes('rtoMinMs must not exceed rtoMaxMs'), problems.join('; '));
    assert.deepEqual(checkDhtConfig({ ...defaultDhtConfig, rtoMinMs: 500, rtoMaxMs: 500, rtoInitialMs: 500 }), []);
  });

  it('rejects an initial RTO outside [rtoMinMs, rtoMaxMs]', () => {
    assert.deepEqual(checkDhtConfig({ ...defaultDhtConfig, rtoInitialMs: defaultDhtConfig.rtoMaxMs + 1 }), ['rtoInitialMs must lie between rtoMinMs and rtoMaxMs']);
    assert.deepEqual(checkDhtConfig({ ...defaultDhtConfig, rtoInitialMs: defaultDhtConfig.rtoMinMs - 1 }), ['rtoInitialMs must lie between rtoMinMs and rtoMaxMs']);
  });

  it('rejects a default TTL beyond the hard ceiling (Limits.valueTtlMsMax)', () => {
    assert.deepEqual(checkDhtConfig(withField('valueTtlMsDefault', Limits.valueTtlMsMax)), []);
    const problems = checkDhtConfig(withField('valueTtlMsDefault', Limits.valueTtlMsMax + 1));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /^valueTtlMsDefault exceeds/);
  });

  it('reports every problem at once', () => {
    const problems = checkDhtConfig({ ...defaultDhtConfig, k: 0, alpha: 0, rtoInitialMs: -1, lookupFinish: 99 });
    // k = 0 also makes the default maintenance finish rule (a number q ≤ k) invalid.
    assert.deepEqual([...new Set(problems.map((problem) => problem.split(' ')[0]))].sort(), ['alpha', 'k', 'lookupFinish', 'maintenanceLookupFinish', 'rtoInitialMs']);
  });

  it('rejects a relaxedSplitting that is not a boolean (a config read from JSON might say "no")', () => {
    assert.deepEqual(checkDhtConfig(withField('relaxedSplitting', 'no')), ['relaxedSplitting must be true or false']);
  });
});
