/** The transfer progress line: drawn only on a terminal and never with --json; its text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CliIo } from '../../src/cli/command.ts';
import { BLOCKS_UNIT, formatBytes, progressText, startProgress } from '../../src/cli/content/progress.ts';

function io(errIsTty: boolean): { io: CliIo; err: () => string } {
  let err = '';
  return { io: { out: () => {}, err: (text) => (err += text), env: {}, errIsTty }, err: () => err };
}

describe('the progress line', () => {
  it('says bytes, share, rate and time left', () => {
    assert.equal(progressText('put x', 5 * 1024 * 1024, 20 * 1024 * 1024, 2000), 'put x  5.0 MiB of 20.0 MiB (25%)  2.5 MiB/s  ETA 6s');
    assert.equal(progressText('get y', 1536, null, 1000), 'get y  1.5 KiB  1.5 KiB/s');
    assert.deepEqual([formatBytes(0), formatBytes(1023), formatBytes(1024), formatBytes(3 * 1024 ** 3)], ['0 B', '1023 B', '1.0 KiB', '3.0 GiB']);
  });

  it('counts blocks when told to (a check)', () => {
    assert.equal(progressText('check x', 1500, 6000, 3000, BLOCKS_UNIT), 'check x  1,500 blocks of 6,000 blocks (25%)  500 blocks/s  ETA 9s');
  });

  it('is drawn in place on a terminal, at most every 200 ms, and cleared at the end', () => {
    let nowMs = 0;
    const terminal = io(true);
    const progress = startProgress(terminal.io, false, 'put f', 1000, () => nowMs);
    progress.add(100);
    nowMs = 50;
    progress.add(100);
    nowMs = 1000;
    progress.add(300);
    progress.done();
    const draws = terminal.err().split('\r').filter((part) => part !== '');
    assert.equal(draws.length, 3, terminal.err());
    assert.match(draws[0], /^put f {2}100 B of 1000 B \(10%\)/);
    assert.match(draws[1], /^put f {2}500 B of 1000 B \(50%\) {2}500 B\/s {2}ETA 1s/);
    assert.equal(draws[2], '\x1b[K');
  });

  it('takes a total learned on the way (a placement), with the detail after the figures', () => {
    let nowMs = 0;
    const terminal = io(true);
    const progress = startProgress(terminal.io, false, 'place f', null, () => nowMs);
    progress.total(2048);
    progress.add(1024);
    nowMs = 1000;
    progress.detail('3 nodes, 2.0 KiB sent');
    assert.match(terminal.err().split('\r').at(-1) as string, /^place f {2}1\.0 KiB of 2\.0 KiB \(50%\) {2}1\.0 KiB\/s {2}ETA 1s {2}3 nodes, 2\.0 KiB sent/);
  });

  it('is not drawn when standard error is not a terminal, nor with --json', () => {
    for (const [tty, json] of [[false, false], [true, true]] as const) {
      const target = io(tty);
      const progress = startProgress(target.io, json, 'put f', 10);
      progress.add(5);
      progress.done();
      assert.equal(target.err(), '');
    }
  });
});
