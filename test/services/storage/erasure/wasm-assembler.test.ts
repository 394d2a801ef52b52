/** The assembler: LEB128 against the specification's examples, a module that runs, and the kernel's listing. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FunctionBody, assembleModule, signedLeb128, unsignedLeb128, valueType } from '../../../../src/services/storage/erasure/wasm-assembler.ts';
import { kernelProgram, swizzleFlavour } from '../../../../src/services/storage/erasure/wasm-kernel-program.ts';
import { webAssemblyApi, type WebAssemblyApi } from '../../../../src/services/storage/erasure/webassembly-api.ts';

const WebAssembly: WebAssemblyApi = webAssemblyApi()!;

function readUnsigned(bytes: number[]): number {
  let value = 0;
  bytes.forEach((byte, i) => (value += (byte & 0x7f) * 2 ** (7 * i)));
  return value;
}

function readSigned(bytes: number[]): number {
  let value = readUnsigned(bytes);
  const bits = 7 * bytes.length;
  if (bytes[bytes.length - 1] & 0x40) value -= 2 ** bits;
  return value;
}

describe('LEB128', () => {
  it('matches known encodings', () => {
    assert.deepEqual(unsignedLeb128(0), [0]);
    assert.deepEqual(unsignedLeb128(127), [0x7f]);
    assert.deepEqual(unsignedLeb128(128), [0x80, 0x01]);
    assert.deepEqual(unsignedLeb128(256), [0x80, 0x02]);
    assert.deepEqual(unsignedLeb128(624485), [0xe5, 0x8e, 0x26]);
    assert.deepEqual(signedLeb128(0), [0]);
    assert.deepEqual(signedLeb128(-1), [0x7f]);
    assert.deepEqual(signedLeb128(63), [0x3f]);
    assert.deepEqual(signedLeb128(64), [0xc0, 0x00]);
    assert.deepEqual(signedLeb128(-64), [0x40]);
    assert.deepEqual(signedLeb128(-65), [0xbf, 0x7f]);
    assert.deepEqual(signedLeb128(-123456), [0xc0, 0xbb, 0x78]);
  });

  it('round-trips, ends on the first byte without its high bit, and refuses what it cannot encode', () => {
    const check = (bytes: number[]): void => {
      bytes.forEach((byte, i) => assert.equal(byte >= 0x80, i < bytes.length - 1));
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }), (u, s) => {
        check(unsignedLeb128(u));
        check(signedLeb128(s));
        assert.equal(readUnsigned(unsignedLeb128(u)), u);
        assert.equal(readSigned(signedLeb128(s)), s);
      }),
      { seed: 6, numRuns: 2000 },
    );
    assert.throws(() => unsignedLeb128(-1), RangeError);
    assert.throws(() => unsignedLeb128(2 ** 32), RangeError);
    assert.throws(() => signedLeb128(2 ** 31), RangeError);
    assert.throws(() => unsignedLeb128(1.5), RangeError);
  });
});

describe('assembleModule', () => {
  it('builds a module that validates and runs: a loop summing 16-byte vectors with XOR', () => {
    const params = [
      { name: 'source', type: valueType.i32 },
      { name: 'count', type: valueType.i32 },
      { name: 'target', type: valueType.i32 },
    ];
    const locals = [{ name: 'sum', type: valueType.v128 }];
    const body = new FunctionBody(params, locals);
    body.v128ConstSplatBytes(0).localSet('sum');
    body.block('done').localGet('count').i32Eqz().brIf('done');
    body.loop('each');
    body.localGet('sum').localGet('source').v128Load().v128Xor().localSet('sum');
    body.localGet('source').i32Const(16).i32Add().localSet('source');
    body.localGet('count').i32Const(1).i32Sub().localTee('count').brIf('each');
    body.end().end();
    body.localGet('target').localGet('sum').v128Store();
    const { bytes, listing } = assembleModule({ memoryImport: { module: 'env', field: 'memory', minimumPages: 1 }, functions: [{ name: 'xorAll', params, locals, body }] });
    assert.ok(WebAssembly.validate(bytes));
    assert.match(listing, /\(func \$xorAll \(export "xorAll"\) \(param \$source i32\)/);
    assert.match(listing, /br_if \$each/);

    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
    const view = new Uint8Array(memory.buffer);
    for (let i = 0; i < 48; i++) view[i] = (i * 37) & 255;
    (instance.exports.xorAll as (source: number, count: number, target: number) => void)(0, 3, 100);
    for (let lane = 0; lane < 16; lane++) assert.equal(view[100 + lane], view[lane] ^ view[16 + lane] ^ view[32 + lane]);
  });

  it('refuses unknown locals and branches to no enclosing block', () => {
    const body = new FunctionBody([{ name: 'a', type: valueType.i32 }], []);
    assert.throws(() => body.localGet('b'), /no local \$b/);
    assert.throws(() => body.br('nowhere'), /no enclosing block/);
    assert.throws(() => body.end(), /end without block/);
    assert.throws(() => new FunctionBody([{ name: 'a', type: valueType.i32 }], [{ name: 'a', type: valueType.v128 }]), /declared twice/);
  });
});

describe('the kernel program', () => {
  it('both flavours validate on this engine (Node 24 has SIMD and relaxed SIMD)', () => {
    assert.ok(WebAssembly.validate(kernelProgram(swizzleFlavour.plain).bytes));
    assert.ok(WebAssembly.validate(kernelProgram(swizzleFlavour.relaxed).bytes));
  });

  it('is listed, as generated, in the comment of wasm-kernel-program.ts', () => {
    const source = readFileSync(new URL('../../../../src/services/storage/erasure/wasm-kernel-program.ts', import.meta.url), 'utf8');
    const commented = /\* LISTING multiply_1\n([\s\S]*?) \* END LISTING/.exec(source);
    assert.ok(commented !== null, 'the listing markers are in the comment');
    const fromComment = commented[1].split('\n').filter((line) => line !== '').map((line) => line.replace(/^ \* /, ''));
    const lines = kernelProgram(swizzleFlavour.relaxed).listing.split('\n');
    const start = lines.findIndex((line) => line.startsWith('  (func $multiply_1 '));
    const end = lines.indexOf('  )', start);
    assert.deepEqual(fromComment, lines.slice(start, end + 1));
  });
});
