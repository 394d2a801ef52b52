/** The blockstore's readers–writer gate: shared holders overlap, an exclusive holder is alone, grants are in order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SharedExclusiveGate } from '../../../src/runtime/storage/shared-exclusive-gate.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('shared-exclusive gate', () => {
  it('runs shared work side by side and exclusive work alone, first come first served', async () => {
    const gate = new SharedExclusiveGate();
    const log: string[] = [];
    const firstShared = deferred();
    const a = gate.shared(async () => {
      log.push('a start');
      await firstShared.promise;
      log.push('a end');
    });
    const b = gate.shared(async () => void log.push('b'));
    const x = gate.exclusive(async () => void log.push('x'));
    // Queued behind the exclusive waiter: a stream of shared work cannot starve it.
    const c = gate.shared(async () => void log.push('c'));
    await b;
    assert.deepEqual(log, ['a start', 'b']);
    firstShared.resolve();
    await Promise.all([a, x, c]);
    assert.deepEqual(log, ['a start', 'b', 'a end', 'x', 'c']);
    assert.equal(gate.idle(), true);
  });

  it('releases the gate when the work throws', async () => {
    const gate = new SharedExclusiveGate();
    await assert.rejects(gate.exclusive(async () => {
      throw new Error('boom');
    }), /boom/);
    assert.equal(await gate.shared(async () => 7), 7);
    assert.equal(gate.idle(), true);
  });
});
