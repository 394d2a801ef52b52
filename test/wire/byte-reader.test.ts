/** The bounds-checked reader and the exact-size writer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ByteReader } from '../../src/wire/byte-reader.ts';
import { ByteWriter } from '../../src/wire/byte-writer.ts';

describe('ByteReader', () => {
  it('reads big-endian unsigned integers', () => {
    const reader = new ByteReader(Uint8Array.from([0xfe, 0xff, 0x01, 0xff, 0xff, 0xff, 0xfe]));
    assert.equal(reader.readU8(), 0xfe);
    assert.equal(reader.readU16(), 0xff01);
    assert.equal(reader.readU32(), 0xfffffffe);
    assert.equal(reader.remaining, 0);
  });

  it('returns undefined when too few bytes remain, without moving the cursor', () => {
    const reader = new ByteReader(Uint8Array.from([1, 2, 3]));
    assert.equal(reader.readU32(), undefined);
    assert.equal(reader.remaining, 3);
    assert.equal(reader.readCopy(4), undefined);
    assert.equal(reader.readView(4), undefined);
    assert.equal(reader.remaining, 3);
    assert.equal(reader.readU16(), 0x0102);
    assert.equal(reader.readU16(), undefined);
    assert.equal(reader.readU8(), 3);
    assert.equal(reader.readU8(), undefined);
  });

  it('copies with readCopy and shares memory with readView', () => {
    const input = Uint8Array.from([1, 2, 3, 4]);
    const reader = new ByteReader(input);
    const copy = reader.readCopy(2);
    const view = reader.readView(2);
    input.fill(0);
    assert.deepStrictEqual(copy, Uint8Array.from([1, 2]));
    assert.deepStrictEqual(view, Uint8Array.from([0, 0]));
  });

  it('refuses negative lengths', () => {
    assert.equal(new ByteReader(new Uint8Array(4)).readCopy(-1), undefined);
  });
});

describe('ByteWriter', () => {
  it('writes big-endian fields and returns the filled buffer', () => {
    const writer = new ByteWriter(10);
    writer.writeU8(0xab);
    writer.writeU16(0x0102);
    writer.writeU32(0xfffffffe);
    writer.writeBytes(Uint8Array.from([7]));
    writer.writeUtf8('é');
    assert.deepStrictEqual(writer.finish(), Uint8Array.from([0xab, 0x01, 0x02, 0xff, 0xff, 0xff, 0xfe, 7, 0xc3, 0xa9]));
  });

  it('throws if the buffer was not filled exactly', () => {
    const underfilled = new ByteWriter(3);
    underfilled.writeU16(1);
    assert.throws(() => underfilled.finish(), RangeError);
    const overfilled = new ByteWriter(3);
    overfilled.writeU32(1);
    assert.throws(() => overfilled.finish(), RangeError);
  });
});
