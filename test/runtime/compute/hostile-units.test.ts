/**
 * The sandbox against hostile and broken units (issue 5, item 3): each is contained and reported
 * with a clear status, and the host keeps serving — its event loop runs throughout, and a good
 * unit runs fine after all of them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runUnit, type UnitRun } from '../../../src/runtime/compute/unit-sandbox.ts';
import { wat } from '../../services/compute/wasm/wat.ts';

const ABI = `
  (import "env" "memory" (memory $memory 1 4))
  (import "peergrid" "input_size" (func $input_size (result i32)))
  (import "peergrid" "input_read" (func $input_read (param i32 i32 i32) (result i32)))
  (import "peergrid" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "peergrid" "checkpoint_save" (func $checkpoint_save (param i32 i32) (result i32)))
  (import "peergrid" "checkpoint_size" (func $checkpoint_size (result i32)))
  (import "peergrid" "checkpoint_read" (func $checkpoint_read (param i32 i32 i32) (result i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (import "env" "seed" (func $seed (result f64)))`;

/** A unit whose run() is `body`; output helpers write an i32 or the input back. */
async function unit(body: string, extra = ''): Promise<Uint8Array> {
  return wat(`(module ${ABI}
    (func $emit (param i32) (i32.store (i32.const 0) (local.get 0)) (drop (call $output_write (i32.const 0) (i32.const 4))))
    ${extra}
    (func (export "run") (result i32) ${body}))`);
}

const echo = unit(`
  (drop (call $input_read (i32.const 16) (i32.const 0) (call $input_size)))
  (drop (call $output_write (i32.const 16) (call $input_size)))
  (i32.const 0)`);

async function run(program: Uint8Array, options: Partial<UnitRun> = {}) {
  return runUnit({ program, input: new TextEncoder().encode('grid'), ...options, limits: { wallTimeMs: 20_000, ...options.limits } });
}

function int32(output: Uint8Array): number {
  return new DataView(output.buffer, output.byteOffset, output.byteLength).getInt32(0, true);
}

describe('the sandbox: hostile units are contained', () => {
  it('runs a good unit: its output, fuel and exit status; the same unit twice gives the same output and fuel', async () => {
    const first = await run(await echo);
    assert.equal(first.status, 'ok', first.detail);
    assert.equal(new TextDecoder().decode(first.output), 'grid');
    const second = await run(await echo);
    assert.equal(second.fuelUsed, first.fuelUsed);
    assert.ok((first.fuelUsed ?? 0n) > 0n);
  });

  it('an infinite loop runs out of fuel', async () => {
    const outcome = await run(await unit('(loop $forever (br $forever)) (i32.const 0)'), { limits: { fuelMax: 10_000_000n } });
    assert.equal(outcome.status, 'out_of_fuel');
    assert.ok((outcome.fuelUsed ?? 0n) > 10_000_000n);
  });

  it('an infinite loop with fuel to spare is stopped at its wall time, while the host goes on', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 20);
    try {
      const outcome = await run(await unit('(loop $forever (br $forever)) (i32.const 0)'), { limits: { wallTimeMs: 600 } });
      assert.equal(outcome.status, 'timed_out');
      assert.match(outcome.detail, /after 600 ms/);
      assert.ok(ticks >= 10, `the host's event loop ran meanwhile (${ticks} ticks)`);
    } finally {
      clearInterval(ticker);
    }
  });

  it('a memory bomb gets no more memory than its maximum', async () => {
    // Grows one page at a time until refused, then reports how many it got.
    const outcome = await run(await unit(`(local $grown i32)
      (block $full (loop $more
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (local.set $grown (i32.add (local.get $grown) (i32.const 1)))
        (br $more)))
      (call $emit (local.get $grown)) (i32.const 0)`));
    assert.equal(outcome.status, 'ok', outcome.detail);
    assert.equal(int32(outcome.output), 3, 'from 1 page to its maximum of 4');
    const unbounded = await run(await wat('(module (memory 1) (func (export "run") (result i32) (i32.const 0)))'));
    assert.equal(unbounded.status, 'refused');
    assert.match(unbounded.detail, /no maximum/);
  });

  it('a huge output is cut at the cap and fails the unit', async () => {
    const outcome = await run(await unit('(loop $more (drop (call $output_write (i32.const 0) (i32.const 65536))) (br $more)) (i32.const 0)'), {
      limits: { outputBytesMax: 1 << 20, fuelMax: 100_000_000n },
    });
    assert.ok(outcome.status === 'output_too_large', `${outcome.status}: ${outcome.detail}`);
    assert.ok(outcome.output.length <= 1 << 20);
  });

  it('forbidden imports and malformed binaries are refused before anything runs', async () => {
    const wasi = await wat('(module (import "wasi_snapshot_preview1" "proc_exit" (func (param i32))) (memory 1 1) (func (export "run") (result i32) (i32.const 0)))');
    const refused = await run(wasi);
    assert.equal(refused.status, 'refused');
    assert.match(refused.detail, /not in the host ABI/);
    const garbage = await run(new TextEncoder().encode('\0asm but not really'));
    assert.equal(garbage.status, 'refused');
    assert.match(garbage.detail, /malformed module/);
  });

  it('deep recursion overflows the stack and is reported so', async () => {
    const outcome = await run(await unit('(call $down (i32.const 0)) (i32.const 0)', '(func $down (param i32) (call $down (i32.add (local.get 0) (i32.const 1))))'));
    assert.equal(outcome.status, 'stack_overflow', outcome.detail);
  });

  it('traps, aborts and non-zero exits each get their status', async () => {
    const trap = await run(await unit('(drop (i32.div_u (i32.const 1) (i32.const 0))) (i32.const 0)'));
    assert.equal(trap.status, 'trapped');
    assert.match(trap.detail, /divide by zero/);
    const abort = await run(await unit('(call $abort (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 1)) (i32.const 0)'));
    assert.equal(abort.status, 'aborted');
    const failed = await run(await unit('(i32.const 3)'));
    assert.deepEqual([failed.status, failed.exitCode], ['failed', 3]);
    const outOfBounds = await run(await unit('(i32.load (i32.const 1000000)) (drop) (i32.const 0)'));
    assert.equal(outOfBounds.status, 'trapped');
    assert.match(outOfBounds.detail, /out of bounds/);
  });

  it('an ABI call with a pointer outside memory gets -2, and the unit goes on', async () => {
    const outcome = await run(await unit('(call $emit (call $output_write (i32.const 300000) (i32.const 10))) (i32.const 0)'));
    assert.equal(outcome.status, 'ok', outcome.detail);
    assert.equal(int32(outcome.output), -2);
  });

  it('a start function that never returns is stopped by fuel while the module is instantiated', async () => {
    const looping = await wat(`(module (memory 1 1) (func $init (loop $forever (br $forever))) (start $init) (func (export "run") (result i32) (i32.const 0)))`);
    const outcome = await run(looping, { limits: { fuelMax: 1_000_000n } });
    assert.equal(outcome.status, 'instantiation_failed');
  });

  it('saves checkpoints the host keeps, and a rerun resumes from the last one', async () => {
    // Counts to 5 from where its checkpoint says, saving after each step; outputs where it started.
    const counter = await unit(`(local $at i32)
      (if (i32.eq (call $checkpoint_size) (i32.const 4)) (then
        (drop (call $checkpoint_read (i32.const 8) (i32.const 0) (i32.const 4)))
        (local.set $at (i32.load (i32.const 8)))))
      (call $emit (local.get $at))
      (block $done (loop $step
        (br_if $done (i32.ge_u (local.get $at) (i32.const 5)))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (i32.store (i32.const 8) (local.get $at))
        (drop (call $checkpoint_save (i32.const 8) (i32.const 4)))
        (br $step)))
      (i32.const 0)`);
    const saved: Uint8Array[] = [];
    const fresh = await run(counter, { onCheckpoint: (bytes) => saved.push(bytes) });
    assert.equal(fresh.status, 'ok');
    assert.equal(int32(fresh.output), 0, 'started afresh');
    assert.equal(saved.length, 5);
    const resumed = await run(counter, { checkpoint: saved[2] });
    assert.equal(int32(resumed.output), 3, 'resumed from the third checkpoint');
  });

  it('gives every replica the same seed, derived from the unit', async () => {
    const seeded = await unit('(f64.store (i32.const 0) (call $seed)) (drop (call $output_write (i32.const 0) (i32.const 8))) (i32.const 0)');
    const a = await run(seeded);
    const b = await run(seeded);
    const c = await run(seeded, { input: new TextEncoder().encode('other input') });
    assert.deepEqual(a.output, b.output);
    assert.notDeepEqual(a.output, c.output);
  });

  it('still serves a good unit after all of the above', async () => {
    const outcome = await run(await echo);
    assert.equal(outcome.status, 'ok');
  });
});
