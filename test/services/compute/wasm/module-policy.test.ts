/** The sandbox's admission check of a unit's module: the host ABI only, bounded memory, a run export; hostile bytes refused, never a crash. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkModule, DEFAULT_MODULE_POLICY } from '../../../../src/services/compute/wasm/module-policy.ts';
import { wat } from './wat.ts';

const engine = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

const GOOD = `(module
  (import "env" "memory" (memory 1 16))
  (import "peergrid" "input_size" (func $input_size (result i32)))
  (import "peergrid" "output_write" (func $output_write (param i32 i32) (result i32)))
  (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
  (func (export "run") (result i32)
    (drop (call $output_write (i32.const 0) (call $input_size)))
    (i32.const 0)))`;

function problemsOf(bytes: Uint8Array): string {
  const report = checkModule(bytes);
  assert.equal(report.ok, false, 'refused');
  return report.problems.join('\n');
}

describe('checkModule: what a work unit may be', () => {
  it('accepts a module that imports only the ABI, with a bounded memory and run() -> i32', async () => {
    const report = checkModule(await wat(GOOD));
    assert.deepEqual(report.problems, []);
    assert.equal(report.ok, true);
    assert.deepEqual(report.memory, { imported: true, minPages: 1, maxPages: 16 });
  });

  it('accepts a memory the module defines, if it has a maximum', async () => {
    const report = checkModule(await wat('(module (memory 2 8) (func (export "run") (result i32) (i32.const 0)))'));
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.memory, { imported: false, minPages: 2, maxPages: 8 });
  });

  it('refuses imports outside the ABI: WASI, a clock, a table, a global, a wrongly typed ABI call', async () => {
    const problems = problemsOf(await wat(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "env" "now" (func (result f64)))
      (import "env" "table" (table 1 funcref))
      (import "env" "g" (global i32))
      (import "peergrid" "input_size" (func (result i64)))
      (memory 1 1)
      (func (export "run") (result i32) (i32.const 0)))`));
    assert.match(problems, /"wasi_snapshot_preview1"\."fd_write", which is not in the host ABI/);
    assert.match(problems, /"env"\."now", which is not in the host ABI/);
    assert.match(problems, /imports a table "env"\."table"/);
    assert.match(problems, /imports a global "env"\."g"/);
    assert.match(problems, /imports "peergrid"\."input_size" as \(\) -> \(i64\); the ABI's is \(\) -> \(i32\)/);
  });

  it('refuses memories without a maximum, above the cap, shared, 64-bit, or more than one', async () => {
    assert.match(problemsOf(await wat('(module (memory 1) (func (export "run") (result i32) (i32.const 0)))')), /no maximum/);
    assert.match(problemsOf(await wat('(module (import "env" "memory" (memory 1)) (func (export "run") (result i32) (i32.const 0)))')), /no maximum/);
    const over = DEFAULT_MODULE_POLICY.memoryPagesMax + 1;
    assert.match(problemsOf(await wat(`(module (memory 1 ${over}) (func (export "run") (result i32) (i32.const 0)))`)), new RegExp(`maximum is ${over} pages`));
    assert.match(problemsOf(await wat('(module (memory 1 2 shared) (func (export "run") (result i32) (i32.const 0)))', { threads: true })), /shared/);
    assert.match(problemsOf(await wat('(module (memory i64 1 2) (func (export "run") (result i32) (i32.const 0)))', { memory64: true })), /64-bit/);
    assert.match(problemsOf(await wat('(module (memory 1 2) (memory 1 2) (func (export "run") (result i32) (i32.const 0)))', { multi_memory: true })), /2 memories/);
    assert.match(problemsOf(await wat('(module (import "env" "mem" (memory 1 2)) (func (export "run") (result i32) (i32.const 0)))')), /the only memory import is "env"\."memory"/);
  });

  it('refuses a module without run() -> i32', async () => {
    assert.match(problemsOf(await wat('(module (memory 1 1))')), /does not export a function "run"/);
    assert.match(problemsOf(await wat('(module (memory 1 1) (func (export "run") (param i32)))')), /"run" is \(i32\) -> \(\); it must be \(\) -> \(i32\)/);
  });

  it('refuses oversized modules and tables, and malformed bytes, with a reason', async () => {
    assert.match(problemsOf(new Uint8Array(DEFAULT_MODULE_POLICY.moduleBytesMax + 1)), /at most 16777216 are accepted/);
    assert.match(problemsOf(await wat('(module (memory 1 1) (table 200000 funcref) (func (export "run") (result i32) (i32.const 0)))')), /table starts with 200000 elements/);
    assert.match(problemsOf(new Uint8Array([1, 2, 3])), /malformed module at byte 0: 8 bytes announced, 3 left/);
    assert.match(problemsOf(new TextEncoder().encode('#!/bin/sh\nrm -rf /\n')), /no \\0asm magic/);
    const good = await wat(GOOD);
    assert.match(problemsOf(good.subarray(0, good.length - 3)), /malformed module/);
    // A section claiming more bytes than the module has.
    const lying = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0xff, 0xff, 0x03, 0x60]);
    assert.match(problemsOf(lying), /section 1 of 65535 bytes/);
    // A vector claiming a billion entries.
    const huge = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 6, 0xff, 0xff, 0xff, 0xff, 0x03, 0x60]);
    assert.match(problemsOf(huge), /a vector of \d+ elements/);
    assert.match(problemsOf(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])), /not WebAssembly version 1/);
    assert.equal(checkModule('not bytes' as unknown as Uint8Array).ok, false);
  });

  it('never throws on mutated modules, and accepts only what the engine also accepts', async () => {
    const good = await wat(GOOD);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }), (flips) => {
        const bytes = Uint8Array.from(good);
        for (const [at, value] of flips) bytes[at] = value;
        const report = checkModule(bytes);
        if (report.ok) assert.equal(engine.validate(bytes), true);
      }),
      { numRuns: 2000 },
    );
  });
});
