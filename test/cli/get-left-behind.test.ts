/**
 * `peergrid get` writes a directory while it is fetched, so a failure can come after files were
 * written: the error then says what is left at PATH and that it must go before a second get.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leftBehind } from '../../src/cli/get/command.ts';
import { CommandFailedError } from '../../src/cli/command.ts';
import { UsageError } from '../../src/cli/args.ts';

describe('peergrid get: what a failure leaves behind', () => {
  const failure = new CommandFailedError('the node could not fetch X: no holder answered');

  it('a failure before any directory was made is passed on as it is', () => {
    assert.equal(leftBehind(failure, null), failure);
    assert.equal(leftBehind(failure, { top: '/tmp/out', totals: { files: 0, directories: 0 } }), failure);
  });

  it('a failure after the directory was made names it, what is in it, and what to do', () => {
    const said = leftBehind(failure, { top: '/tmp/out', totals: { files: 3, directories: 2 } });
    assert.ok(said instanceof CommandFailedError);
    assert.match(said.message, /^the node could not fetch X: no holder answered\n/);
    assert.match(said.message, /\/tmp\/out holds what was written before that \(3 files\); run the same get with --continue to finish it/);
  });

  it('bad usage stays bad usage (exit status 2)', () => {
    const usage = new UsageError('./x exists already');
    assert.equal(leftBehind(usage, { top: '/tmp/out', totals: { files: 1, directories: 1 } }), usage);
  });
});
