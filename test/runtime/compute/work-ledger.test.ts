/** The ledger of work: sums per peer, each receipt once, kept across a restart; an unreadable file starts an empty ledger, and says so. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WorkLedger } from '../../../src/runtime/compute/work-ledger.ts';

const receipt = (unit: number, worker: string, fuel = 10, wallMs = 5) => ({ jobId: 'job', unit, worker, fuel, wallMs, outputHash: 'ab' });

describe('WorkLedger', () => {
  it('sums work given and received per peer, counts a receipt once, and keeps them across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-ledger-'));
    try {
      const ledger = await WorkLedger.open(dir, () => {});
      ledger.given('submitter', receipt(0, 'me'));
      ledger.given('submitter', receipt(0, 'me'));
      ledger.given('submitter', receipt(1, 'me', 30, 7));
      ledger.received(receipt(0, 'worker-a'));
      ledger.received(receipt(0, 'worker-a'));
      ledger.received(receipt(0, 'worker-b', 1, 1));
      const expected = [
        { peer: 'submitter', given: { units: 2, fuel: 40, wallMs: 12 }, received: { units: 0, fuel: 0, wallMs: 0 } },
        { peer: 'worker-a', given: { units: 0, fuel: 0, wallMs: 0 }, received: { units: 1, fuel: 10, wallMs: 5 } },
        { peer: 'worker-b', given: { units: 0, fuel: 0, wallMs: 0 }, received: { units: 1, fuel: 1, wallMs: 1 } },
      ];
      assert.deepEqual(ledger.entries(), expected);
      await ledger.flush();
      const reopened = await WorkLedger.open(dir, () => {});
      assert.deepEqual(reopened.entries(), expected);
      reopened.given('submitter', receipt(1, 'me', 30, 7));
      assert.deepEqual(reopened.entries()[0].given.units, 2, 'a receipt counted before the restart is not counted again');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts empty from a file it cannot read, and says so in the log (its next save replaces the file)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-ledger-'));
    try {
      await writeFile(join(dir, 'ledger.json'), '{"peers": [{"peer": "cut sho');
      const events: Record<string, unknown>[] = [];
      const ledger = await WorkLedger.open(dir, (record) => events.push(record));
      assert.deepEqual(ledger.entries(), []);
      assert.deepEqual(events.map((event) => event.event), ['ledgerUnreadable']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
