/**
 * A real kill -9: a child process writes to the store in a loop (blockstore-crash-child.ts) and is
 * killed with SIGKILL mid-way, twice on the same directory. After each kill the store opens
 * (recovery), fsck finds it consistent, every indexed block reads back verified, tmp/ is empty,
 * and every operation the child saw return is there: blocks it kept, and not the ones it deleted.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseCid } from '../../../src/runtime/storage/block-cid.ts';
import { Blockstore } from '../../../src/runtime/storage/blockstore.ts';
import { TemporaryDirs } from './blockstore-harness.ts';

const dirs = new TemporaryDirs();
after(() => dirs.removeAll());

const childScript = join(dirname(fileURLToPath(import.meta.url)), 'blockstore-crash-child.ts');
const START_TIMEOUT_MS = 20_000;

interface Promises {
  readonly kept: Set<string>;
  readonly deleted: Set<string>;
  events: number;
}

/** Runs the child until it has reported `events` operations, then kills it with SIGKILL (by pid). */
async function runAndKill(dir: string, round: number, events: number, promises: Promises): Promise<void> {
  const child: ChildProcess = spawn(process.execPath, [childScript, dir, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
  const lines = createInterface({ input: child.stdout! });
  const closed = once(lines, 'close');
  const exited = once(child, 'exit');
  let reported = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child reported ${reported} operations in ${START_TIMEOUT_MS} ms; stderr: ${stderr}`)), START_TIMEOUT_MS);
      child.once('exit', (code, signal) => reject(new Error(`the child exited by itself (${code ?? signal}); stderr: ${stderr}`)));
      lines.on('line', (line) => {
        const event = JSON.parse(line) as { event: string; cids?: string[]; cid?: string };
        if (event.event === 'kept') for (const cid of event.cids ?? []) promises.kept.add(cid);
        if (event.event === 'deleted' && event.cid !== undefined) promises.deleted.add(event.cid);
        if (event.event !== 'open') promises.events++;
        if (event.event !== 'open' && ++reported === events) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // A second opener is refused while the child has the store, and disturbs nothing.
    if (round === 0) await assert.rejects(Blockstore.open(dir), { name: 'BlockstoreLockedError' });
    // Land the kill at a varying point of the next operation.
    await delay(Math.floor(Math.random() * 15));
    // By the child's own pid (ChildProcess.kill), and only while it runs: a reaped pid may be reused.
    assert.ok(child.exitCode === null && child.signalCode === null, `the child stopped by itself; stderr: ${stderr}`);
    child.kill('SIGKILL');
    await exited;
    await closed;
    assert.equal(child.signalCode, 'SIGKILL');
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  }
}

async function checkConsistent(dir: string, promises: Promises): Promise<void> {
  const store = await Blockstore.open(dir);
  if (process.env.BLOCKSTORE_CRASH_VERBOSE) console.log(JSON.stringify(store.recovery));
  try {
    assert.deepEqual(await readdir(join(dir, 'tmp')), [], 'recovery at open empties tmp/');
    const report = await store.fsck();
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.tmpFound, 0);
    assert.equal(report.unsettled, 0);
    assert.equal(report.pinnedMissing.count, 0, 'every pinned DAG is complete');
    let read = 0;
    for (const cid of store.cids()) {
      await store.get(cid);
      read++;
    }
    assert.equal(read, report.blocksChecked);
    for (const cid of promises.kept) assert.ok(store.has(parseCid(cid)), `kept block ${cid} is there`);
    for (const cid of promises.deleted) assert.ok(!store.has(parseCid(cid)), `deleted block ${cid} is gone`);
  } finally {
    await store.close();
  }
}

describe('blockstore: kill -9 during writes', () => {
  it('leaves a consistent store, twice in a row, with every completed operation kept', async () => {
    const dir = await dirs.make();
    const promises: Promises = { kept: new Set(), deleted: new Set(), events: 0 };
    // BLOCKSTORE_CRASH_ROUNDS=50 BLOCKSTORE_CRASH_VERBOSE=1 for a longer run that prints each recovery.
    const rounds = Number(process.env.BLOCKSTORE_CRASH_ROUNDS ?? 2);
    for (let round = 0; round < rounds; round++) {
      await runAndKill(dir, round, 5 + Math.floor(Math.random() * 8), promises);
      await checkConsistent(dir, promises);
    }
    assert.ok(promises.kept.size >= 10, `the child wrote ${promises.kept.size} kept blocks`);
  });
});
