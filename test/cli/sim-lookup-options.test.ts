import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/args.ts';
import {
  churnMedianSessionMs, defaultMeasurementMs, parseFinishRule, parseSimLookupArgs, simLookupUsage,
} from '../../src/cli/sim-lookup/command.ts';
import { defaultDhtConfig } from '../../src/core/config.ts';
import { MOJO } from '../../src/sim/churn/models.ts';
import { defaultNetworkConfig } from '../../src/sim/network.ts';

const MINUTE_MS = 60_000;
const EXAMPLE_TRACE_PATH = fileURLToPath(new URL('../../data/churn-example.trace', import.meta.url));
const fixedSeed = (): number => 4242;

/** Parses with the cheap geo latency model unless the arguments name another. */
function parse(...args: string[]) {
  return parseSimLookupArgs(args.includes('--latency') ? args : [...args, '--latency', 'geo'], fixedSeed);
}

function assertUsage(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => error instanceof UsageError && pattern.test(error.message));
}

describe('parseSimLookupArgs defaults', () => {
  it('uses the documented defaults and the kernel defaults', () => {
    const { experiment, json, progress } = parse();
    assert.equal(experiment.nodes, 1000);
    assert.equal(experiment.lookups, 1000);
    assert.equal(experiment.seed, 4242);
    assert.equal(experiment.churn, null);
    assert.equal(experiment.wire, false);
    assert.equal(experiment.joinSpacingMs, 10);
    assert.equal(experiment.gracefulLeaveFraction, 0);
    assert.equal(experiment.warmupMs, 1 * MINUTE_MS);
    assert.equal(experiment.windowMs, 10 * MINUTE_MS);
    assert.deepEqual(experiment.dht, defaultDhtConfig);
    assert.deepEqual(experiment.network, defaultNetworkConfig);
    assert.equal(json, false);
    assert.equal(progress, false);
  });

  it('defaults lookups to the number of nodes', () => {
    assert.equal(parse('--nodes', '300').experiment.lookups, 300);
    assert.equal(parse('--nodes', '300', '--lookups', '0').experiment.lookups, 0);
  });

  it('defaults latency to planetlab', () => {
    assert.equal(parseSimLookupArgs([], fixedSeed).experiment.latency.name, 'planetlab');
  });

  it('draws a seed only when none is given', () => {
    let draws = 0;
    const source = (): number => {
      draws++;
      return 17;
    };
    assert.equal(parseSimLookupArgs(['--latency', 'geo'], source).experiment.seed, 17);
    assert.equal(parseSimLookupArgs(['--latency', 'geo', '--seed', '5'], source).experiment.seed, 5);
    assert.equal(draws, 1);
  });

  it('draws seeds in [0, 2^48) by default', () => {
    for (let i = 0; i < 20; i++) {
      const seed = parseSimLookupArgs(['--latency', 'geo']).experiment.seed;
      assert.ok(Number.isSafeInteger(seed) && seed >= 0 && seed < 2 ** 48, String(seed));
    }
  });
});

describe('parseSimLookupArgs options', () => {
  it('maps every option onto the experiment', () => {
    const { experiment, json, progress } = parse(
      '--nodes', '50', '--lookups', '20', '--seed', '9', '--loss', '0.1', '--k', '8', '--alpha', '2', '--bits', '3',
      '--finish', '4', '--maintenance-finish', '2', '--connect-rtts', '1.5', '--bandwidth', '125000', '--graceful', '0.25',
      '--join-spacing', '2s', '--warmup', '0', '--window', '90s', '--churn', 'exp:30', '--wire', '--json', '--progress',
    );
    assert.equal(experiment.nodes, 50);
    assert.equal(experiment.lookups, 20);
    assert.equal(experiment.seed, 9);
    assert.equal(experiment.network.lossRate, 0.1);
    assert.equal(experiment.network.connectionSetupRtts, 1.5);
    assert.equal(experiment.network.uplinkBytesPerSecond, 125_000);
    assert.equal(experiment.network.connectionsPerNodeMax, defaultNetworkConfig.connectionsPerNodeMax);
    assert.equal(experiment.dht.k, 8);
    assert.equal(experiment.dht.alpha, 2);
    assert.equal(experiment.dht.bitsPerDigit, 3);
    assert.equal(experiment.dht.lookupFinish, 4);
    assert.equal(experiment.dht.maintenanceLookupFinish, 2);
    assert.equal(experiment.dht.lookupQueriesMax, defaultDhtConfig.lookupQueriesMax);
    assert.equal(experiment.gracefulLeaveFraction, 0.25);
    assert.equal(experiment.joinSpacingMs, 2000);
    assert.equal(experiment.warmupMs, 0);
    assert.equal(experiment.windowMs, 90_000);
    assert.equal(experiment.churn?.name, 'exp:30');
    assert.equal(experiment.latency.name, 'geo');
    assert.equal(experiment.wire, true);
    assert.equal(json, true);
    assert.equal(progress, true);
  });

  it('treats --churn none as no churn', () => {
    assert.equal(parse('--churn', 'none').experiment.churn, null);
  });

  it('accepts a latency matrix file and a churn trace file', (t) => {
    const directory = mkdtempSync(join(tmpdir(), 'peergrid-cli-'));
    t.after(() => rmSync(directory, { recursive: true, force: true }));
    const matrixPath = join(directory, 'rtt.txt');
    writeFileSync(matrixPath, '0 10 20\n10 0 30\n20 30 0\n');
    assert.equal(parse('--latency', matrixPath).experiment.latency.name, `matrix:${matrixPath}`);
    assert.equal(parse('--churn', `trace:${EXAMPLE_TRACE_PATH}`).experiment.churn?.name, `trace:${EXAMPLE_TRACE_PATH}`);
  });
});

describe('parseSimLookupArgs validation', () => {
  const cases: [string[], RegExp][] = [
    [['--nodes', '0'], /^--nodes must be an integer from 1 to 1,000,000, got '0'$/],
    [['--nodes', '1000001'], /^--nodes .*1,000,000/],
    [['--nodes', 'abc'], /^--nodes must be an integer/],
    [['--lookups', '-1'], /--lookups/],
    [['--lookups', '10000001'], /^--lookups must be an integer from 0 to 10,000,000/],
    [['--seed', '1.5'], /^--seed must be an integer from 0 to 2\^53-1/],
    [['--seed=-1'], /^--seed/],
    [['--loss', '1'], /^--loss must be a probability in \[0, 1\)/],
    [['--loss', '-0.1'], /--loss/],
    [['--k', '0'], /^--k must be an integer from 1 to 64/],
    [['--k', '65'], /^--k must be an integer from 1 to 64/],
    [['--alpha', '0'], /^--alpha must be an integer from 1 to 64/],
    [['--bits', '6'], /^--bits must be an integer from 1 to 5, got '6'$/],
    [['--bits', '0'], /^--bits/],
    [['--finish', '99'], /^--finish must be 'strict' or an integer from 1 to k = 20, got '99'$/],
    [['--finish', '0'], /^--finish/],
    [['--finish', 'loose'], /^--finish/],
    [['--k', '5', '--finish', '6'], /^--finish .* k = 5/],
    [['--maintenance-finish', '21'], /^--maintenance-finish must be 'strict' or an integer from 1 to k = 20/],
    [['--connect-rtts', '-1'], /^--connect-rtts must be a number >= 0/],
    [['--bandwidth', '-5'], /^--bandwidth must be a number >= 0/],
    [['--graceful', '1.5'], /^--graceful must be a probability in \[0, 1\]/],
    [['--join-spacing', '0'], /^--join-spacing must be a duration in \(0, 3,600,000\] in milliseconds/],
    [['--warmup', '-1'], /^--warmup must be a duration in \[0, 43,200\] in minutes/],
    [['--window', '0'], /^--window must be a duration in \(0, 43,200\] in minutes/],
    [['--probe', '-1'], /^--probe must be a duration >= 0 in seconds/],
    [['--check', '0'], /^--check must be a duration >= 1 in seconds/],
    [['--churn', 'bogus'], /^--churn: bad churn model 'bogus'/],
    [['--churn', 'exp:0'], /^--churn: .*median minutes must be a number > 0/],
    [['--churn', 'trace:/nonexistent/churn.trace'], /^--churn: .*cannot read trace file/],
    [['--latency', '/nonexistent'], /^--latency: unknown latency model '\/nonexistent'/],
    [['--latency', 'package.json'], /^--latency: /],
    [['--frobnicate'], /^unknown option '--frobnicate'$/],
    [['extra'], /^unexpected argument 'extra'/],
    [['--nodes', '5', '--nodes', '6'], /^option '--nodes' given more than once$/],
    [['--json=yes'], /^option '--json' does not take a value$/],
    [['--workers', '0'], /^--workers must be an integer from 1 to 64, got '0'/],
    [['--workers', '2', '--churn', 'exp:10', '--latency', 'geo'], /^--workers 2: under churn a split run divides the nodes by host: it needs a latency model with hosts/],
    // Simulated time that would never end: refused, not run until killed.
    [['--window', '1e300'], /^--window must be a duration in \(0, 43,200\] in minutes/],
    [['--warmup', '1e300'], /^--warmup must be a duration in \[0, 43,200\] in minutes/],
    [['--join-spacing', '1e300'], /^--join-spacing must be a duration in \(0, 3,600,000\] in milliseconds/],
    [['--probe', '0.000001ms'], /^--probe must be 0 \(off\) or at least 100ms, got '0.000001ms'$/],
    [['--check', '0.0000001ms'], /^--check must be a duration >= 1 in seconds/],
    [['--churn', 'exp:1e-300'], /^--churn 'exp:1e-300': its median session must be from 1 second to 7 days/],
    [['--churn', 'exp:1e300'], /^--churn 'exp:1e300': its median session must be from 1 second to 7 days/],
    [['--churn', 'weibull:1e-300:1'], /^--churn 'weibull:1e-300:1': its median session must be from 1 second to 7 days/],
    [['--nodes', '10', '--workers', '11'], /^--workers 11 is more than the 10 nodes/],
  ];
  for (const [args, pattern] of cases) {
    it(`rejects ${args.join(' ')}`, () => assertUsage(() => parse(...args), pattern));
  }
});

describe('--probe, --proximity and --check', () => {
  it('--probe sets the neighbourhood probe interval in seconds (0 turns probing off); the default is the kernel\'s', () => {
    assert.equal(parse().experiment.dht.neighbourhoodProbeIntervalMs, defaultDhtConfig.neighbourhoodProbeIntervalMs);
    assert.equal(parse('--probe', '15').experiment.dht.neighbourhoodProbeIntervalMs, 15_000);
    assert.equal(parse('--probe', '0').experiment.dht.neighbourhoodProbeIntervalMs, 0);
    assert.equal(parse('--probe', '2m').experiment.dht.neighbourhoodProbeIntervalMs, 120_000);
  });

  it('--proximity on|off turns proximity on or off; the default is the kernel\'s (off)', () => {
    assert.equal(parse().experiment.dht.proximity, false);
    assert.equal(parse('--proximity', 'on').experiment.dht.proximity, true);
    assert.equal(parse('--proximity', 'off').experiment.dht.proximity, false);
    assertUsage(() => parse('--proximity', 'yes'), /--proximity must be 'on' or 'off'/);
  });

  it('--eviction ping-first|lru sets a full bucket\'s policy; the default is Kademlia\'s', () => {
    assert.equal(parse().experiment.dht.eviction, 'ping-first');
    assert.equal(parse('--eviction', 'lru').experiment.dht.eviction, 'lru');
    assertUsage(() => parse('--eviction', 'fifo'), /--eviction must be 'ping-first' or 'lru'/);
  });

  it('--check runs the invariant checkers every so many simulated seconds; without it they do not run', () => {
    assert.equal(parse().experiment.invariantCheckIntervalMs, 0);
    assert.equal(parse('--check', '30').experiment.invariantCheckIntervalMs, 30_000);
  });
});

describe('parseFinishRule', () => {
  it('accepts strict and 1…k', () => {
    assert.equal(parseFinishRule('--finish', 'strict', 20), 'strict');
    assert.equal(parseFinishRule('--finish', '1', 20), 1);
    assert.equal(parseFinishRule('--finish', '20', 20), 20);
    assertUsage(() => parseFinishRule('--finish', '21', 20), /k = 20/);
  });
});

describe('warm-up and window defaults', () => {
  it('are 1 and 10 minutes without churn', () => {
    assert.deepEqual(defaultMeasurementMs(null), { warmupMs: MINUTE_MS, windowMs: 10 * MINUTE_MS });
    assert.deepEqual(defaultMeasurementMs('none'), { warmupMs: MINUTE_MS, windowMs: 10 * MINUTE_MS });
  });

  it('take the median session from the churn model', () => {
    assert.equal(churnMedianSessionMs('exp:30'), 30 * MINUTE_MS);
    assert.ok(Math.abs(churnMedianSessionMs('weibull:0.5:60')! - 60 * MINUTE_MS * Math.LN2 ** 2) < 1e-6);
    assert.ok(Math.abs(churnMedianSessionMs('pareto:2:10')! - 10 * MINUTE_MS * Math.SQRT2) < 1e-6);
    assert.equal(churnMedianSessionMs('mojo'), MOJO.establishedSessionMedianMs);
    assert.equal(churnMedianSessionMs(`trace:${EXAMPLE_TRACE_PATH}`), null);
  });

  it('are 3 and 1 median sessions under churn, at least 10 minutes each', () => {
    assert.deepEqual(defaultMeasurementMs('exp:30'), { warmupMs: 90 * MINUTE_MS, windowMs: 30 * MINUTE_MS });
    assert.deepEqual(defaultMeasurementMs('exp:1'), { warmupMs: 10 * MINUTE_MS, windowMs: 10 * MINUTE_MS });
    assert.deepEqual(defaultMeasurementMs('exp:5'), { warmupMs: 15 * MINUTE_MS, windowMs: 10 * MINUTE_MS });
    assert.deepEqual(defaultMeasurementMs('mojo'), { warmupMs: 3 * MOJO.establishedSessionMedianMs, windowMs: MOJO.establishedSessionMedianMs });
    const weibullMedianMs = 60 * MINUTE_MS * Math.LN2 ** 2; // about 28.8 minutes
    const weibullDefaults = defaultMeasurementMs('weibull:0.5:60');
    assert.ok(Math.abs(weibullDefaults.warmupMs - 3 * weibullMedianMs) < 1e-6);
    assert.ok(Math.abs(weibullDefaults.windowMs - weibullMedianMs) < 1e-6);
  });

  it('are 10 minutes each for traces', () => {
    assert.deepEqual(defaultMeasurementMs(`trace:${EXAMPLE_TRACE_PATH}`), { warmupMs: 10 * MINUTE_MS, windowMs: 10 * MINUTE_MS });
  });

  it('reach the experiment, and --warmup / --window override them', () => {
    const churned = parse('--churn', 'exp:30').experiment;
    assert.equal(churned.warmupMs, 90 * MINUTE_MS);
    assert.equal(churned.windowMs, 30 * MINUTE_MS);
    const overridden = parse('--churn', 'exp:30', '--warmup', '2', '--window', '3').experiment;
    assert.equal(overridden.warmupMs, 2 * MINUTE_MS);
    assert.equal(overridden.windowMs, 3 * MINUTE_MS);
  });
});

describe('simLookupUsage', () => {
  it('lists every option and shows the kernel defaults', () => {
    const usage = simLookupUsage();
    for (const flag of [
      '--nodes', '--lookups', '--seed', '--latency', '--churn', '--loss', '--k', '--alpha', '--bits', '--finish',
      '--maintenance-finish', '--probe', '--check', '--connect-rtts', '--bandwidth', '--graceful', '--join-spacing', '--warmup', '--window',
      '--wire', '--json', '--progress', '--help',
    ]) {
      assert.match(usage, new RegExp(`${flag}\\b`), flag);
    }
    assert.match(usage, new RegExp(`default ${defaultDhtConfig.k}\\)`));
    assert.match(usage, /weibull:<shape>:<scale minutes>/);
  });
});
