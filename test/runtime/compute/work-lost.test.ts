/**
 * A volunteer that vanishes in the middle of a unit (issue 5, departures): the unit resumes on
 * another volunteer from the last checkpoint the coordinator received, and the job completes with
 * the right output. The real JobHost, Volunteer and sandbox, in one process (bench/compute/work-lost.ts).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { checkpointingUnit, checkResume, expectedOutput, LoopbackGrid, lossOf, type Member } from '../../../bench/compute/work-lost.ts';

/** About 4 s of work here, a checkpoint every 80 ms or so: long enough for a checkpoint to reach the coordinator (within a second) mid-unit. */
const shape = { callsPerChunk: 100, chunks: 50 };

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 600; tries++) {
    if (await condition()) return;
    await sleep(50);
  }
  assert.fail(`still waiting for ${what} after 30 s`);
}

describe('a departing volunteer', () => {
  it('the test unit resumes from its checkpoint with the same output and less fuel', async () => {
    const small = { callsPerChunk: 20, chunks: 6 };
    const check = await checkResume(await checkpointingUnit(small), small, 7);
    assert.equal(check.resumedFromChunk, 3);
    assert.ok(check.resumedFuelRatio < 0.6, `resumed run burnt ${check.resumedFuelRatio} of the whole run's fuel`);
  });

  it('leaves a checkpoint another volunteer resumes from, and the job completes', async () => {
    const grid = new LoopbackGrid(await checkpointingUnit(shape), 1500);
    try {
      await grid.submit(1, 120);
      const first: Member = grid.addVolunteer();
      // Departs as soon as the coordinator holds a checkpoint of the running unit.
      await until(() => first.received.size > 0, 'a checkpoint at the coordinator');
      const departure = await grid.depart(first);
      assert.equal(departure.leases.length, 1);
      const left = departure.leases[0];
      const receivedChunk = first.received.get(left.grant.lease)?.chunk ?? 0;
      assert.ok(receivedChunk >= 1 && receivedChunk < shape.chunks, `checkpoint of chunk ${receivedChunk}`);

      const second = grid.addVolunteer();
      await until(async () => (await grid.status()).phase !== 'running', 'the job to end');
      const status = await grid.status();
      assert.equal(status.phase, 'done');
      assert.deepEqual(await grid.outputs(), new Map([[0, expectedOutput(shape, 0)]]));

      const next = grid.grants.find((grant) => grant.atMs > departure.atMs);
      assert.equal(next?.worker, second.name, 'the unit went to the other volunteer');
      assert.equal(next?.checkpointChunk, receivedChunk, 'with the last checkpoint the coordinator received');
      assert.equal(second.pool.runs[0]?.startChunk, receivedChunk, 'and it ran from there');
      assert.equal(lossOf(departure, grid.grants, 80, 4000).runningCase, 'resumedFromItsCheckpoint');
    } finally {
      await grid.close();
    }
  });
});
