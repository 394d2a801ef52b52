import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  describeRange, formatBound, parseChoice, parseCommandLine, parseDuration, parseInteger, parseNumber, parseProbability,
  UsageError,
} from '../../src/cli/args.ts';

/** Asserts that `fn` throws a UsageError whose message matches every pattern. */
function assertUsage(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    assert.equal(error.name, 'UsageError');
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  });
}

describe('UsageError', () => {
  it('is a named Error', () => {
    const error = new UsageError('bad');
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'UsageError');
    assert.equal(error.message, 'bad');
  });
});

describe('parseInteger', () => {
  it('accepts integers in range, including exponent notation and the bounds', () => {
    assert.equal(parseInteger('--n', '1', 1, 10), 1);
    assert.equal(parseInteger('--n', '10', 1, 10), 10);
    assert.equal(parseInteger('--n', '+7', 1, 10), 7);
    assert.equal(parseInteger('--n', '1e6', 1, 1_000_000), 1_000_000);
    assert.equal(parseInteger('--seed', String(Number.MAX_SAFE_INTEGER), 0, Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  });

  it('rejects out-of-range values, fractions and non-numbers, naming the flag and the range', () => {
    for (const text of ['0', '11', '-1', '1.5', 'abc', '', ' 5', '0x5', '5abc', 'Infinity', 'NaN', '1e400']) {
      assertUsage(() => parseInteger('--nodes', text, 1, 10), /^--nodes must be an integer from 1 to 10, got '/);
    }
  });

  it('rejects integers beyond 2^53 - 1, which would lose precision', () => {
    assertUsage(() => parseInteger('--seed', '9007199254740992', 0, Number.MAX_SAFE_INTEGER), /--seed .* 0 to 2\^53-1/);
  });

  it('formats large bounds readably', () => {
    assertUsage(() => parseInteger('--nodes', '0', 1, 1_000_000), /1 to 1,000,000/);
  });
});

describe('parseNumber', () => {
  it('accepts decimals within the range', () => {
    assert.equal(parseNumber('--x', '0', { min: 0 }), 0);
    assert.equal(parseNumber('--x', '2.5', { min: 0 }), 2.5);
    assert.equal(parseNumber('--x', '.5', { min: 0 }), 0.5);
    assert.equal(parseNumber('--x', '1e3', { min: 0 }), 1000);
    assert.equal(parseNumber('--x', '-3'), -3);
  });

  it('rejects values outside the range, non-finite values and junk', () => {
    assertUsage(() => parseNumber('--bandwidth', '-1', { min: 0 }), /^--bandwidth must be a number >= 0, got '-1'$/);
    assertUsage(() => parseNumber('--x', '0', { min: 0, minExclusive: true }), /> 0/);
    assertUsage(() => parseNumber('--x', '5', { max: 5, maxExclusive: true }), /< 5/);
    assertUsage(() => parseNumber('--x', '1e999'), /finite/);
    assertUsage(() => parseNumber('--x', 'Infinity', { min: 0 }));
    assertUsage(() => parseNumber('--x', '1,5', { min: 0 }));
    assertUsage(() => parseNumber('--x', '', { min: 0 }));
  });

  it('describes ranges', () => {
    assert.equal(describeRange({ min: 0 }), '>= 0');
    assert.equal(describeRange({ min: 0, minExclusive: true }), '> 0');
    assert.equal(describeRange({ max: 1 }), '<= 1');
    assert.equal(describeRange({ min: 0, max: 1, maxExclusive: true }), 'in [0, 1)');
    assert.equal(describeRange({ min: 0, minExclusive: true, max: 1 }), 'in (0, 1]');
    assert.equal(formatBound(Number.MAX_SAFE_INTEGER), '2^53-1');
    assert.equal(formatBound(0.25), '0.25');
  });
});

describe('parseProbability', () => {
  it('accepts [0, 1] by default', () => {
    assert.equal(parseProbability('--graceful', '0'), 0);
    assert.equal(parseProbability('--graceful', '0.3'), 0.3);
    assert.equal(parseProbability('--graceful', '1'), 1);
    assertUsage(() => parseProbability('--graceful', '1.01'), /^--graceful must be a probability in \[0, 1\], got '1.01'$/);
    assertUsage(() => parseProbability('--graceful', '-0.1'), /--graceful/);
  });

  it('excludes 1 when asked', () => {
    assert.equal(parseProbability('--loss', '0.999', { allowOne: false }), 0.999);
    assertUsage(() => parseProbability('--loss', '1', { allowOne: false }), /^--loss must be a probability in \[0, 1\), got '1'$/);
  });
});

describe('parseDuration', () => {
  it('reads a bare number in the default unit', () => {
    assert.equal(parseDuration('--warmup', '2', 'm'), 120_000);
    assert.equal(parseDuration('--warmup', '0.5', 'm'), 30_000);
    assert.equal(parseDuration('--join-spacing', '10', 'ms'), 10);
    assert.equal(parseDuration('--warmup', '1e1', 'm'), 600_000);
  });

  it('reads unit suffixes', () => {
    assert.equal(parseDuration('--warmup', '500ms', 'm'), 500);
    assert.equal(parseDuration('--warmup', '30s', 'm'), 30_000);
    assert.equal(parseDuration('--warmup', '10m', 'ms'), 600_000);
    assert.equal(parseDuration('--warmup', '10min', 'ms'), 600_000);
    assert.equal(parseDuration('--warmup', '1.5h', 'm'), 5_400_000);
  });

  it('enforces the range, stated in the default unit', () => {
    assert.equal(parseDuration('--warmup', '0', 'm'), 0);
    assertUsage(() => parseDuration('--window', '0', 'm', { min: 0, minExclusive: true }), /^--window must be a duration > 0 in minutes/);
    assertUsage(() => parseDuration('--warmup', '-1', 'm'), /--warmup must be a duration >= 0 in minutes/);
  });

  it('rejects junk and unknown units', () => {
    for (const text of ['', 'x', '10 s', '10sec', '10d', 'ms', '1e999']) {
      assertUsage(() => parseDuration('--window', text, 'm'), /^--window must be a duration/);
    }
  });
});

describe('parseChoice', () => {
  it('accepts only the listed words', () => {
    assert.equal(parseChoice('--mode', 'b', ['a', 'b'] as const), 'b');
    assertUsage(() => parseChoice('--mode', 'c', ['a', 'b']), /^--mode must be one of a, b; got 'c'$/);
  });
});

describe('parseCommandLine', () => {
  const options = { nodes: { type: 'string' }, wire: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

  it('parses known options', () => {
    const { values, positionals } = parseCommandLine(['--nodes', '5', '--wire'], options);
    assert.equal(values.nodes, '5');
    assert.equal(values.wire, true);
    assert.equal(values.help, undefined);
    assert.deepEqual(positionals, []);
    assert.equal(parseCommandLine(['--nodes=-5'], options).values.nodes, '-5');
  });

  it('takes a negative number after a valued option as its value', () => {
    assert.equal(parseCommandLine(['--nodes', '-5'], options).values.nodes, '-5');
    assert.equal(parseCommandLine(['--nodes', '-.5', '--wire'], options).values.nodes, '-.5');
    assertUsage(() => parseCommandLine(['--wire', '-5'], options), /unknown option '-5'/);
    assert.deepEqual(parseCommandLine(['--', '--nodes', '-5'], options, { allowPositionals: true }).positionals, ['--nodes', '-5']);
  });

  it('turns each parseArgs error into a short UsageError', () => {
    assertUsage(() => parseCommandLine(['--bogus'], options), /^unknown option '--bogus'$/);
    assertUsage(() => parseCommandLine(['-x'], options), /^unknown option '-x'$/);
    assertUsage(() => parseCommandLine(['--nodes'], options), /^option '--nodes' needs a value$/);
    assertUsage(() => parseCommandLine(['--nodes', '-x'], options), /option '--nodes' needs a value; .*--nodes=<value>/);
    assertUsage(() => parseCommandLine(['--wire=yes'], options), /^option '--wire' does not take a value$/);
    assertUsage(() => parseCommandLine(['stray'], options), /^unexpected argument 'stray'/);
  });

  it('rejects an option given twice', () => {
    assertUsage(() => parseCommandLine(['--nodes', '1', '--nodes=2'], options), /^option '--nodes' given more than once$/);
    assertUsage(() => parseCommandLine(['--wire', '--wire'], options), /--wire/);
  });

  it('allows positionals when asked', () => {
    assert.deepEqual(parseCommandLine(['a', '--wire', 'b'], options, { allowPositionals: true }).positionals, ['a', 'b']);
  });
});
