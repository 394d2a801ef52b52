import assert from 'node:assert/strict';
import { test } from 'node:test';
import { overrideArgs } from '../../bench/benchmarks.ts';

test('a benchmark\'s arguments given again on the command line replace its own, once each (the CLI refuses repeats)', () => {
  assert.deepEqual(
    overrideArgs(['--seed', '1', '--nodes', '10000', '--lookups', '10000', '--wire'], ['--nodes', '2000', '--progress']),
    ['--seed', '1', '--lookups', '10000', '--wire', '--nodes', '2000', '--progress'],
  );
  assert.deepEqual(overrideArgs(['--nodes', '10'], []), ['--nodes', '10']);
  assert.deepEqual(overrideArgs([], ['--churn', 'exp:10']), ['--churn', 'exp:10']);
});
