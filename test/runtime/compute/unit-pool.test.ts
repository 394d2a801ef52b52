/** Warm sandbox workers: many units through few workers, the same outcomes as one-shot runs, a runaway unit replaced. */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { UnitPool } from '../../../src/runtime/compute/unit-pool.ts';
import { runUnit } from '../../../src/runtime/compute/unit-sandbox.ts';
import { wat } from '../../services/compute/wasm/wat.ts';

const pool = new UnitPool({ size: 2 });
after(() => pool.close());

/** Writes back its arguments, reversed order of nothing: the output is the args. */
const echoArgs = wat(`(module
  (import "env" "memory" (memory 1 2))
  (import "peergrid" "args_size" (func $args_size (result i32)))
  (import "peergrid" "args_read" (func $args_read (param i32 i32 i32) (result i32)))
  (import "peergrid" "output_write" (func $output_write (param i32 i32) (result i32)))
  (func (export "run") (result i32)
    (drop (call $args_read (i32.const 0) (i32.const 0) (call $args_size)))
    (drop (call $output_write (i32.const 0) (call $args_size)))
    (i32.const 0)))`);

describe('UnitPool', () => {
  it('runs many units through two workers, each with its own result, as a one-shot run would', async () => {
    const program = await echoArgs;
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, index) => pool.run({ program: program.slice(), input: new Uint8Array(0), args: `unit ${index}` })));
    outcomes.forEach((outcome, index) => {
      assert.equal(outcome.status, 'ok', outcome.detail);
      assert.equal(new TextDecoder().decode(outcome.output), `unit ${index}`);
    });
    const alone = await runUnit({ program, input: new Uint8Array(0), args: 'unit 7' });
    assert.equal(alone.fuelUsed, outcomes[7].fuelUsed);
  });

  it('runs urgent units before every unit waiting', async () => {
    const program = await echoArgs;
    const single = new UnitPool({ size: 1 });
    try {
      const finished: string[] = [];
      const run = (args: string, urgent: boolean) => single.run({ program: program.slice(), input: new Uint8Array(0), args }, { urgent }).then(() => finished.push(args));
      // The first starts at once; the rest wait, and the urgent ones jump the queue in their own order.
      await Promise.all([run('a', false), run('b', false), run('c', false), run('x', true), run('y', true)]);
      assert.deepEqual(finished, ['a', 'x', 'y', 'b', 'c']);
    } finally {
      await single.close();
    }
  });

  it('stops a runaway unit at its wall time, replaces its worker, and goes on with the others', async () => {
    const spin = await wat('(module (memory 1 1) (func (export "run") (result i32) (loop $forever (br $forever)) (i32.const 0)))');
    const program = await echoArgs;
    const runaway = pool.run({ program: spin, input: new Uint8Array(0), limits: { wallTimeMs: 300 } });
    const others = Array.from({ length: 5 }, (_, index) => pool.run({ program: program.slice(), input: new Uint8Array(0), args: `after ${index}` }));
    assert.equal((await runaway).status, 'timed_out');
    for (const outcome of await Promise.all(others)) assert.equal(outcome.status, 'ok');
    const later = await pool.run({ program: program.slice(), input: new Uint8Array(0), args: 'later' });
    assert.equal(new TextDecoder().decode(later.output), 'later');
  });

  it('refuses bad programs without occupying a worker, and refuses everything once closed', async () => {
    const refused = await pool.run({ program: new Uint8Array([1, 2, 3]), input: new Uint8Array(0) });
    assert.equal(refused.status, 'refused');
    const closed = new UnitPool({ size: 1 });
    await closed.close();
    assert.equal((await closed.run({ program: await echoArgs, input: new Uint8Array(0) })).status, 'refused');
  });
});
