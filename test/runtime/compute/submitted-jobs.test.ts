/** The list of jobs submitted here (jobs.json): kept across restarts; a write that failed does not fail every later one; an unreadable file is said in the log. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SubmittedJobs } from '../../../src/runtime/compute/submitted-jobs.ts';
import { NodeRuntime } from '../../../src/runtime/node-runtime.ts';
import { wat } from '../../services/compute/wasm/wat.ts';
import { LOOPBACK_LISTEN } from '../runtime-harness.ts';

describe('SubmittedJobs', () => {
  it('writes the whole list at the next add after a write that failed, and reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-submitted-'));
    try {
      // A directory where the file goes: the write fails, as on a full disk.
      await mkdir(join(dir, 'jobs.json'));
      const jobs = await SubmittedJobs.open(dir, () => {});
      await assert.rejects(jobs.add({ jobId: 'a', name: 'first', submittedAtUnixMs: 1 }));
      await rm(join(dir, 'jobs.json'), { recursive: true });
      await jobs.add({ jobId: 'b', name: 'second', submittedAtUnixMs: 2 });
      const reopened = await SubmittedJobs.open(dir, () => {});
      assert.deepEqual(reopened.list().map((job) => job.jobId), ['b', 'a']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('starts empty from a file it cannot read, and says so in the log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-submitted-'));
    try {
      await writeFile(join(dir, 'jobs.json'), '[{"jobId": "cut sho');
      const events: Record<string, unknown>[] = [];
      const jobs = await SubmittedJobs.open(dir, (record) => events.push(record));
      assert.deepEqual(jobs.list(), []);
      assert.deepEqual(events.map((event) => event.event), ['submittedJobsUnreadable']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('does not make a job a coordinator took fail (nor go to the next candidate) when the list cannot be written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-submitted-'));
    const events: Record<string, unknown>[] = [];
    try {
      await mkdir(join(dir, 'jobs.json'));
      const node = await NodeRuntime.start({ dataDir: dir, listen: LOOPBACK_LISTEN, bootstrap: [], log: (record) => events.push(record) });
      try {
        await node.joined;
        const program = await wat('(module (memory 1) (func (export "run") (result i32) (i32.const 0)))');
        const added = await node.content.addFile((async function* () {
          yield program;
        })(), { encrypt: false });
        const job = { name: 'listed nowhere', program: added.cid, units: { sweep: { from: 0, to: 10, step: 5 }, template: '{from} {to}' }, validation: { replicas: 1, quorum: 1 } };
        const submitted = await node.compute.submit(job);
        assert.equal(submitted.coordinator, node.peerId);
        assert.ok(events.some((event) => event.event === 'submittedJobNotSaved' && event.jobId === submitted.jobId));
      } finally {
        await node.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
