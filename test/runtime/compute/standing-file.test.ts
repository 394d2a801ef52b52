/** The workers' standing kept across restarts: saved when changed, read back; an unreadable file starts an empty book, and a failed write is logged and tried again. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { StandingFile } from '../../../src/runtime/compute/standing-file.ts';

const CONFIG = { cheatersFraction: 0.2, workersMax: 3 };

describe('StandingFile', () => {
  it('keeps who was caught and who earned trust across a restart, the newest workers within the limit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-standing-'));
    try {
      const first = await StandingFile.open(dir, CONFIG, () => {});
      first.book.recordAccepted(['honest', 'other'], ['liar']);
      first.book.recordSpotCheck('honest', true);
      await first.stop();
      const again = await StandingFile.open(dir, CONFIG, () => {});
      assert.equal(again.book.isBlacklisted('liar'), true);
      assert.deepEqual(again.book.standingOf('honest'), { spotChecksPassed: 1, firstResultsConfirmed: 1, resultsAgreed: 1, resultsWrong: 0, blacklisted: false });
      const before = (await stat(join(dir, 'standing.json'))).mtimeMs;
      await new Promise((resolve) => setTimeout(resolve, 20));
      await again.flush();
      assert.equal((await stat(join(dir, 'standing.json'))).mtimeMs, before, 'unchanged: not written again');
      again.book.recordSpotCheck('fourth', true);
      await again.stop();
      const third = await StandingFile.open(dir, CONFIG, () => {});
      assert.equal(third.book.size, 3);
      assert.equal(third.book.standingOf('fourth')?.spotChecksPassed, 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts an empty book from a file it cannot read, and says so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-standing-'));
    try {
      for (const text of ['not json', '{"version": 7, "workers": []}', '{"version": 1}']) {
        await writeFile(join(dir, 'standing.json'), text);
        const events: Record<string, unknown>[] = [];
        const file = await StandingFile.open(dir, CONFIG, (record) => events.push(record));
        assert.equal(file.book.size, 0, text);
        assert.equal(events[0]?.event, 'standingUnreadable', text);
      }
      await writeFile(join(dir, 'standing.json'), JSON.stringify({ version: 1, config: CONFIG, workers: [['ok', 1, 0, 0, 0, 0], ['bad', -1, 0, 0, 0, 0], [7, 0, 0, 0, 0, 0]] }));
      const mixed = await StandingFile.open(dir, CONFIG, () => {});
      assert.equal(mixed.book.size, 1, 'malformed entries are left out');
      assert.match(await readFile(join(dir, 'standing.json'), 'utf8'), /"ok"/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('logs a write that fails and writes the book at the next flush, never rejecting (the timer\'s flush has nobody to catch it)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-standing-'));
    try {
      // A directory where the file goes: every write of it fails, as on a full disk.
      await mkdir(join(dir, 'standing.json'));
      const events: Record<string, unknown>[] = [];
      const file = await StandingFile.open(dir, CONFIG, (record) => events.push(record));
      file.book.recordAccepted(['honest'], ['liar']);
      await file.flush();
      assert.deepEqual(events.map((event) => event.event), ['standingUnreadable', 'standingNotSaved']);
      await rm(join(dir, 'standing.json'), { recursive: true });
      await file.stop();
      const again = await StandingFile.open(dir, CONFIG, () => {});
      assert.equal(again.book.isBlacklisted('liar'), true, 'the changes the failed write missed are written at the next flush');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
