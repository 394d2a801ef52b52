/**
 * `peergrid sim durability`: options, bad arguments (exit 2 with a message naming the flag), and a
 * tiny run through main() — the seed first on stderr, one JSON object on stdout.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/args.ts';
import { main, type CliIo } from '../../src/cli/main.ts';
import {
  DurabilityDefaults, parseScheme, parseSimDurabilityArgs, simDurabilityUsage,
} from '../../src/cli/sim-durability/command.ts';
import { defaultRepairPolicy } from '../../src/services/storage/durability/repair-policy.ts';
import type { DurabilityExperimentResult } from '../../src/sim/experiments/durability-experiment.ts';

const HOUR_MS = 3_600_000;
const fixedSeed = (): number => 4242;

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    io: { out: (text) => { out += text; }, err: (text) => { err += text; }, env: {} },
    out: () => out,
    err: () => err,
  };
}

describe('parseSimDurabilityArgs', () => {
  it('uses the documented defaults', () => {
    const { experiment, json, progress } = parseSimDurabilityArgs([], fixedSeed);
    assert.equal(experiment.seed, 4242);
    assert.equal(experiment.objects, DurabilityDefaults.objects);
    assert.equal(experiment.nodes, DurabilityDefaults.nodes);
    assert.equal(experiment.days, 365);
    assert.equal(experiment.permanentLossPerMonth, 0.1);
    assert.equal(experiment.offlineFraction, 0.3);
    assert.equal(experiment.downtime, DurabilityDefaults.downtime);
    assert.deepEqual(experiment.schemes.map((s) => s.redundancy), [
      { kind: 'replicate', copies: 6 }, { kind: 'erasure', dataFragments: 10, parityFragments: 10 },
    ]);
    assert.deepEqual(experiment.schemes[0].policy, { ...defaultRepairPolicy({ kind: 'replicate', copies: 6 }), recordedPiecesMax: 15 });
    assert.equal(json, false);
    assert.equal(progress, false);
  });

  it('maps every option onto the experiment', () => {
    const { experiment, json, progress } = parseSimDurabilityArgs([
      '--objects', '1e4', '--nodes', '300', '--days', '30.5', '--seed', '9', '--scheme', 'replicate:3,erasure:4+2@6',
      '--permanent-loss-per-month', '0.05', '--offline-fraction', '0.2', '--downtime', 'exp:6', '--grace', '36',
      '--forget-after', '240h', '--retry', '30m', '--extra-pieces', '1', '--object-bytes', '4096', '--check', '--json', '--progress',
    ], fixedSeed);
    assert.equal(experiment.objects, 10_000);
    assert.equal(experiment.nodes, 300);
    assert.equal(experiment.days, 30.5);
    assert.equal(experiment.seed, 9);
    assert.equal(experiment.permanentLossPerMonth, 0.05);
    assert.equal(experiment.offlineFraction, 0.2);
    assert.equal(experiment.downtime, 'exp:6');
    assert.equal(experiment.objectBytes, 4096);
    assert.equal(experiment.checkInvariants, true);
    const [copies, fragments] = experiment.schemes;
    assert.deepEqual(copies.redundancy, { kind: 'replicate', copies: 3 });
    assert.equal(copies.policy.graceMs, 36 * HOUR_MS);
    assert.equal(copies.policy.forgetAfterMs, 240 * HOUR_MS);
    assert.equal(copies.policy.retryIntervalMs, HOUR_MS / 2);
    assert.equal(copies.policy.extraPiecesMax, 1);
    assert.equal(copies.policy.recordedPiecesMax, 7);
    assert.equal(copies.policy.repairBelowPieces, 3);
    assert.equal(fragments.policy.repairBelowPieces, 6);
    assert.equal(fragments.policy.recordedPiecesMax, 13);
    assert.equal(json, true);
    assert.equal(progress, true);
  });

  const cases: [string[], RegExp][] = [
    [['--objects', '0'], /^--objects must be an integer from 1 to 10,000,000, got '0'$/],
    [['--objects', '2.5'], /^--objects must be an integer/],
    [['--nodes', '99'], /^--nodes must be an integer from 100 to 1,000,000/],
    [['--days', '0'], /^--days must be a number in \(0, 3,650\]/],
    [['--days', 'year'], /^--days/],
    [['--seed', '-1'], /^--seed must be an integer from 0 to 2\^53-1/],
    [['--scheme', 'raid:5'], /^--scheme: bad redundancy scheme 'raid:5'/],
    [['--scheme', 'replicate:0'], /^--scheme: replicate:R needs R from 1 to 16/],
    [['--scheme', 'erasure:4+0'], /^--scheme: erasure:K\+M needs K >= 1, M >= 1/],
    [['--scheme', 'replicate:3@4'], /^--scheme replicate:3@4: repairBelowPieces must be an integer from 0 to 3/],
    [['--scheme', 'replicate:3,'], /^--scheme: bad redundancy scheme ''/],
    [['--scheme', Array.from({ length: 9 }, () => 'replicate:2').join(',')], /^--scheme takes at most 8 schemes/],
    [['--permanent-loss-per-month', '1'], /^--permanent-loss-per-month must be a probability in \[0, 1\)/],
    [['--offline-fraction', '-0.1'], /^--offline-fraction/],
    [['--downtime', 'pareto:1:2'], /^--downtime: bad downtime model 'pareto:1:2'/],
    [['--downtime', 'exp:0'], /^--downtime: downtime 'exp:<mean hours>' needs a mean > 0/],
    [['--downtime', 'weibull:20:8'], /^--downtime: downtime weibull shape must be in \[0.1, 10\]/],
    [['--grace', '-1'], /^--grace must be a duration >= 0 in hours/],
    [['--grace', '100', '--forget-after', '50'], /forgetAfterMs must be finite and >= graceMs/],
    [['--retry', '0'], /^--retry must be a duration > 0 in hours/],
    [['--extra-pieces', '33'], /^--extra-pieces must be an integer from 0 to 32/],
    [['--object-bytes', '0'], /^--object-bytes/],
    [['--nodes', '100', '--scheme', 'erasure:32+32'], /^--nodes must be at least 256 for --scheme erasure:32\+32, got 100$/],
    [['--frobnicate'], /^unknown option '--frobnicate'$/],
    [['extra'], /^unexpected argument 'extra'/],
    [['--days', '5', '--days', '6'], /^option '--days' given more than once$/],
  ];
  for (const [args, pattern] of cases) {
    it(`rejects ${args.join(' ')}`, () => {
      assert.throws(() => parseSimDurabilityArgs(args, fixedSeed), (error: unknown) => error instanceof UsageError && pattern.test(error.message));
    });
  }

  it('parseScheme keeps the scheme\'s own defaults unless overridden', () => {
    const { policy } = parseScheme('erasure:8+8', {});
    assert.equal(policy.repairBelowPieces, 15);
    assert.equal(policy.extraPiecesMax, defaultRepairPolicy({ kind: 'erasure', dataFragments: 8, parityFragments: 8 }).extraPiecesMax);
  });
});

describe('peergrid sim durability through main', () => {
  it('--help prints the options', async () => {
    const c = capture();
    assert.equal(await main(['sim', 'durability', '--help'], c.io), 0);
    assert.equal(c.out(), simDurabilityUsage());
    for (const flag of ['--objects', '--nodes', '--days', '--seed', '--scheme', '--permanent-loss-per-month', '--offline-fraction',
      '--downtime', '--grace', '--forget-after', '--retry', '--extra-pieces', '--object-bytes', '--check', '--json', '--progress']) {
      assert.match(c.out(), new RegExp(`${flag}\\b`), flag);
    }
  });

  it('is listed under sim', async () => {
    const c = capture();
    assert.equal(await main(['sim', '--help'], c.io), 0);
    assert.match(c.out(), /durability/);
  });

  for (const [argv, pattern] of [
    [['sim', 'durability', '--objects', '0'], /--objects must be an integer/],
    [['sim', 'durability', '--scheme', 'erasure:4'], /--scheme: bad redundancy scheme/],
    [['sim', 'durability', '--bogus'], /unknown option '--bogus'/],
  ] as [string[], RegExp][]) {
    it(`exits 2 on ${argv.slice(2).join(' ')}`, async () => {
      const c = capture();
      assert.equal(await main(argv, c.io), 2);
      assert.equal(c.out(), '');
      assert.match(c.err(), pattern);
      assert.match(c.err(), /Run 'peergrid sim durability --help' for usage\./);
    });
  }

  it('a tiny run prints seed= first and one JSON object', async () => {
    const c = capture();
    const status = await main(['sim', 'durability', '--objects', '500', '--nodes', '150', '--days', '10', '--seed', '7',
      '--scheme', 'replicate:3,erasure:4+2', '--check', '--json'], c.io);
    assert.equal(status, 0, c.err());
    assert.equal(c.err().split('\n')[0], 'seed=7');
    const lines = c.out().split('\n');
    assert.equal(lines.length, 2);
    const result = JSON.parse(lines[0]) as DurabilityExperimentResult;
    assert.equal(result.seed, 7);
    assert.deepEqual(result.schemes.map((s) => s.scheme), ['replicate:3', 'erasure:4+2']);
    for (const s of result.schemes) {
      assert.equal(s.objects, 500);
      assert.deepEqual(s.invariantViolations, []);
      for (const field of ['lost', 'repairBytes', 'permanentOnlyBytes', 'repairOverPermanentOnly', 'unavailability'] as const) {
        assert.equal(typeof s[field], 'number', field);
      }
    }
  });

  it('the readable summary names each scheme and its figures', async () => {
    const c = capture();
    assert.equal(await main(['sim', 'durability', '--objects', '300', '--nodes', '120', '--days', '5', '--seed', '1', '--scheme', 'replicate:2'], c.io), 0);
    assert.match(c.out(), /^300 objects of 1,048,576 bytes on 120 nodes for 5 days, seed 1/);
    assert.match(c.out(), /\nreplicate:2\n/);
    for (const label of ['policy', 'lost', 'unavailable', 'repairs', 'repair bytes', 'storage', 'run']) assert.match(c.out(), new RegExp(`\\n  ${label} `));
  });
});
