/**
 * The hand-assembled WebAssembly loop: its encoder, its module, and agreement with the JavaScript
 * loop it replaces on the hot path.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rollToCut } from '../../../../src/services/storage/chunking/gear-roll.ts';
import { signed, unsigned } from '../../../../src/services/storage/chunking/wasm-encoding.ts';
import { gearRollModuleBytes, rollToCutWasm, wasmAvailable } from '../../../../src/services/storage/chunking/wasm-gear-roll.ts';
import { lowEntropyBytes, randomBytes } from './sample-data.ts';

describe('the WebAssembly encoder', () => {
  it('writes LEB128 integers as the specification\'s examples', () => {
    assert.deepEqual(unsigned(0), [0x00]);
    assert.deepEqual(unsigned(127), [0x7f]);
    assert.deepEqual(unsigned(128), [0x80, 0x01]);
    assert.deepEqual(unsigned(624485), [0xe5, 0x8e, 0x26]);
    assert.deepEqual(signed(0), [0x00]);
    assert.deepEqual(signed(63), [0x3f]);
    assert.deepEqual(signed(64), [0xc0, 0x00]);
    assert.deepEqual(signed(-1), [0x7f]);
    assert.deepEqual(signed(-64), [0x40]);
    assert.deepEqual(signed(-65), [0xbf, 0x7f]);
    assert.deepEqual(signed(-123456), [0xc0, 0xbb, 0x78]);
  });

  it('produces a module the runtime validates', () => {
    // This project's TypeScript libraries do not declare WebAssembly; Node has it.
    const api = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    assert.ok(api.validate(gearRollModuleBytes()));
  });
});

describe('the WebAssembly roll', { skip: !wasmAvailable }, () => {
  it('is available in Node', () => assert.ok(rollToCutWasm !== null));

  it('returns the same cut and the same carried fingerprint as the JavaScript roll, for any range and mask', () => {
    const data = randomBytes(11, 1 << 20);
    const flat = lowEntropyBytes(12, 1 << 20);
    fc.assert(
      fc.property(
        fc.boolean(), fc.nat({ max: 1 << 20 }), fc.nat({ max: 600_000 }), fc.integer(), fc.integer({ min: 1, max: 30 }),
        (useFlat, from, span, fingerprint, bits) => {
          const source = useFlat ? flat : data;
          const to = Math.min(source.length, from + span);
          const mask = ((2 ** bits - 1) * 2 ** (31 - bits)) | 0;
          const jsState = { fingerprint: 0 };
          const wasmState = { fingerprint: 0 };
          const expected = rollToCut(source, from, to, fingerprint, mask, jsState);
          assert.equal(rollToCutWasm!(source, from, to, fingerprint, mask, wasmState), expected);
          if (expected < 0) assert.equal(wasmState.fingerprint, jsState.fingerprint);
        },
      ),
      { seed: 0xa5a5, numRuns: 150 },
    );
  });
});
