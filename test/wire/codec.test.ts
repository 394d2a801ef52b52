/**
 * The wire codec: round trips, exact sizes, every decoder error, encoder assertions, that decoded
 * buffers do not alias the input, and the optional Vivaldi coordinates. Fuzzing lives in
 * codec-fuzz.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ID_BYTES, idFromBytes, type Id } from '../../src/core/id.ts';
import { Limits } from '../../src/core/limits.ts';
import { MessageCode, StoreStatus, type Message, type StoreStatusCode } from '../../src/core/messages.ts';
import { peerFromBytes, type PeerRef } from '../../src/core/peer.ts';
import type { VivaldiCoordinate } from '../../src/core/vivaldi.ts';
import { ByteReader } from '../../src/wire/byte-reader.ts';
import { ByteWriter } from '../../src/wire/byte-writer.ts';
import { decodeMessage, encodedSize, encodeMessage, WIRE_VERSION } from '../../src/wire/codec.ts';
import { messageArbitrary, messageArbitraryByKind } from './arbitraries.ts';

// Helpers to write raw encodings by hand, independently of the encoder under test.

function u16(value: number): number[] {
  return [value >>> 8, value & 0xff];
}

function u32(value: number): number[] {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

function bytesOf(...parts: ArrayLike<number>[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) out.push(...Array.from(part));
  return Uint8Array.from(out);
}

function filledId(byte: number): Id {
  return idFromBytes(new Uint8Array(ID_BYTES).fill(byte));
}

const header = (code: number): number[] => [WIRE_VERSION, code];
const someId = new Uint8Array(ID_BYTES).fill(7);

function expectError(bytes: Uint8Array, pattern: RegExp): void {
  const result = decodeMessage(bytes);
  assert.equal(result.ok, false, `expected an error matching ${pattern}`);
  if (!result.ok) assert.match(result.error, pattern);
}

function expectMessage(bytes: Uint8Array): Message {
  const result = decodeMessage(bytes);
  if (!result.ok) assert.fail(`expected a message, got error: ${result.error}`);
  return result.message;
}

function roundTrip(message: Message): void {
  const bytes = encodeMessage(message);
  assert.equal(encodedSize(message), bytes.length);
  assert.deepStrictEqual(expectMessage(bytes), message);
}

describe('wire codec round trip', () => {
  it('decodes every valid message of every kind back to an equal message, with encodedSize exact', () => {
    fc.assert(
      fc.property(messageArbitrary, (message) => {
        const bytes = encodeMessage(message);
        assert.equal(encodedSize(message), bytes.length);
        // deepStrictEqual compares ids and values byte by byte, and PeerRef heads and addresses too.
        assert.deepStrictEqual(expectMessage(bytes), message);
      }),
      { numRuns: 1500 },
    );
  });

  for (const [kind, arbitrary] of Object.entries(messageArbitraryByKind)) {
    it(`round-trips ${kind} messages and writes version 1 and code ${MessageCode[kind as Message['kind']]} first`, () => {
      fc.assert(
        fc.property(arbitrary, (message) => {
          const bytes = encodeMessage(message);
          assert.equal(bytes[0], 1);
          assert.equal(bytes[1] & 0x7f, MessageCode[message.kind]);
          assert.equal(bytes[1] & 0x80, 'coordinate' in message ? 0x80 : 0, 'the coordinate flag is set exactly when there is a coordinate');
          assert.deepStrictEqual(expectMessage(bytes), message);
        }),
        { numRuns: 100 },
      );
    });
  }

  it('lays out fields exactly as documented', () => {
    const key = filledId(0xab);
    const value = Uint8Array.from([1, 2, 3]);
    assert.deepStrictEqual(encodeMessage({ kind: 'leave' }), bytesOf([1, 9]));
    assert.deepStrictEqual(encodeMessage({ kind: 'ping', requestId: 0x01020304 }), bytesOf([1, 1, 1, 2, 3, 4]));
    assert.deepStrictEqual(
      encodeMessage({ kind: 'stored', requestId: 0xffffffff, status: StoreStatus.badTtl }),
      bytesOf([1, 8], u32(0xffffffff), [3]),
    );
    assert.deepStrictEqual(
      encodeMessage({ kind: 'store', requestId: 5, key, value, ttlMs: 1000 }),
      bytesOf([1, 7], u32(5), key.bytes, u32(1000), u32(3), value),
    );
    assert.deepStrictEqual(
      encodeMessage({ kind: 'value', requestId: 5, value, ttlMs: 1000 }),
      bytesOf([1, 6], u32(5), u32(1000), u32(3), value),
    );
    assert.deepStrictEqual(
      encodeMessage({ kind: 'nodes', requestId: 5, closer: [peerFromBytes(key.bytes, 'h€')] }),
      bytesOf([1, 4], u32(5), [1], key.bytes, u16(4), [0x68, 0xe2, 0x82, 0xac]),
    );
  });

  it('accepts every field at its limit', () => {
    const longestAddress = 'a'.repeat(Limits.addressBytesMax - 4) + '😀';
    const closer: PeerRef[] = [];
    for (let i = 0; i < Limits.contactsPerReplyMax; i++) closer.push(peerFromBytes(filledId(i).bytes, longestAddress));
    roundTrip({ kind: 'nodes', requestId: 0xffffffff, closer });
    const largestValue = new Uint8Array(Limits.valueBytesMax).fill(0x5a);
    roundTrip({ kind: 'value', requestId: 0, value: largestValue, ttlMs: Limits.valueTtlMsMax });
    roundTrip({ kind: 'store', requestId: 1, key: filledId(1), value: largestValue, ttlMs: Limits.valueTtlMsMax });
  });

  it('keeps empty fields and awkward addresses intact', () => {
    roundTrip({ kind: 'nodes', requestId: 1, closer: [] });
    roundTrip({ kind: 'value', requestId: 1, value: new Uint8Array(0), ttlMs: 0 });
    // A leading byte-order mark must survive: a lenient decoder would strip it.
    for (const address of ['', '\uFEFFhost', '\u0000', 'мир', '𝄞 music', '/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW']) {
      roundTrip({ kind: 'nodes', requestId: 1, closer: [peerFromBytes(someId, address)] });
    }
  });
});

describe('wire codec decoder errors', () => {
  it('rejects an unknown version', () => {
    expectError(bytesOf([0, MessageCode.ping], u32(1)), /unknown version 0/);
    expectError(bytesOf([2, MessageCode.ping], u32(1)), /unknown version 2/);
  });

  it('rejects an unknown kind code, with or without the coordinate flag', () => {
    for (const code of [0, 10, 127]) {
      expectError(bytesOf(header(code), u32(1)), new RegExp(`^unknown kind code ${code}$`));
      expectError(bytesOf(header(code | 0x80), u32(1)), new RegExp(`^unknown kind code ${code}$`));
    }
  });

  it('rejects an unknown store status', () => {
    expectError(bytesOf(header(MessageCode.stored), u32(1), [4]), /unknown store status 4/);
    expectError(bytesOf(header(MessageCode.stored), u32(1), [255]), /unknown store status 255/);
  });

  it('names the field that was cut short', () => {
    expectError(new Uint8Array(0), /^truncated: version$/);
    expectError(bytesOf([1]), /^truncated: kind$/);
    expectError(bytesOf(header(MessageCode.ping), [0, 0]), /^truncated: requestId$/);
    expectError(bytesOf(header(MessageCode.findNode), u32(1), someId.subarray(1)), /^truncated: target$/);
    expectError(bytesOf(header(MessageCode.findValue), u32(1)), /^truncated: key$/);
    expectError(bytesOf(header(MessageCode.nodes), u32(1)), /^truncated: contact count$/);
    expectError(bytesOf(header(MessageCode.value), u32(1), [0]), /^truncated: ttlMs$/);
    expectError(bytesOf(header(MessageCode.value), u32(1), u32(10)), /^truncated: value length$/);
    expectError(bytesOf(header(MessageCode.value), u32(1), u32(10), u32(3), [1, 2]), /^truncated: value$/);
    expectError(bytesOf(header(MessageCode.stored), u32(1)), /^truncated: status$/);

    const contact = bytesOf(someId, u16(2), [0x61, 0x62]);
    const threeContacts = bytesOf(contact, contact, contact);
    const nodesOfFour = bytesOf(header(MessageCode.nodes), u32(1), [4], threeContacts);
    expectError(bytesOf(nodesOfFour, someId, u16(2), [0x61]), /^truncated: contact 3 address$/);
    expectError(bytesOf(nodesOfFour, someId, [0]), /^truncated: contact 3 address length$/);
    expectError(bytesOf(nodesOfFour, someId.subarray(5)), /^truncated: contact 3 id$/);
    expectError(nodesOfFour, /^truncated: contact 3 id$/);
  });

  it('rejects too many contacts before reading them', () => {
    const count = Limits.contactsPerReplyMax + 1;
    expectError(bytesOf(header(MessageCode.nodes), u32(1), [count]), new RegExp(`too many contacts: ${count} > ${Limits.contactsPerReplyMax}`));
  });

  it('rejects an address longer than the limit before reading it', () => {
    const length = Limits.addressBytesMax + 1;
    const bytes = bytesOf(header(MessageCode.nodes), u32(1), [1], someId, u16(length), new Uint8Array(length).fill(0x61));
    expectError(bytes, /contact 0 address too long: 1025 bytes > 1024/);
    expectError(bytesOf(header(MessageCode.nodes), u32(1), [1], someId, u16(0xffff)), /contact 0 address too long/);
  });

  it('rejects an address that is not valid UTF-8', () => {
    const invalid = [
      [0xff], // never valid in UTF-8
      [0xc0, 0x80], // overlong encoding of U+0000
      [0xed, 0xa0, 0x80], // an encoded surrogate (U+D800)
      [0xe2, 0x82], // a sequence cut short
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0x80], // a continuation byte with no lead
    ];
    for (const address of invalid) {
      const bytes = bytesOf(header(MessageCode.nodes), u32(1), [2], someId, u16(1), [0x61], someId, u16(address.length), address);
      expectError(bytes, /^contact 1 address is not valid UTF-8$/);
    }
  });

  it('rejects a value longer than the limit before reading it', () => {
    const length = Limits.valueBytesMax + 1;
    expectError(bytesOf(header(MessageCode.value), u32(1), u32(0), u32(length)), /value too long: 65537 bytes > 65536/);
    expectError(bytesOf(header(MessageCode.store), u32(1), someId, u32(0), u32(0xffffffff)), /value too long/);
  });

  it('rejects a ttlMs over the limit', () => {
    const ttlMs = Limits.valueTtlMsMax + 1;
    expectError(bytesOf(header(MessageCode.value), u32(1), u32(ttlMs), u32(0)), new RegExp(`ttlMs too large: ${ttlMs}`));
    expectError(bytesOf(header(MessageCode.store), u32(1), someId, u32(0xffffffff), u32(0)), /ttlMs too large/);
  });

  it('rejects trailing bytes', () => {
    expectError(bytesOf(header(MessageCode.leave), [0]), /^trailing bytes: 1 after leave$/);
    expectError(bytesOf(header(MessageCode.ping), u32(1), [0, 0, 0]), /^trailing bytes: 3 after ping$/);
  });

  it('rejects input over messageBytesMax before parsing anything', () => {
    const oversized = new Uint8Array(Limits.messageBytesMax + 1);
    // Version 0 would be an error too; the size must be what is reported, because it is checked first.
    expectError(oversized, new RegExp(`message too large: ${Limits.messageBytesMax + 1} bytes > ${Limits.messageBytesMax}`));
    oversized.set(encodeMessage({ kind: 'ping', requestId: 1 }));
    expectError(oversized, /message too large/);
    // At exactly the limit the input is parsed (and here fails only for its padding).
    expectError(oversized.subarray(0, Limits.messageBytesMax), /^trailing bytes/);
  });
});

describe('wire codec decoded buffers', () => {
  const key = filledId(0x11);
  const messages: Message[] = [
    { kind: 'findNode', requestId: 1, target: key },
    { kind: 'findValue', requestId: 2, key },
    { kind: 'nodes', requestId: 3, closer: [peerFromBytes(filledId(0x22).bytes, 'a'), peerFromBytes(filledId(0x33).bytes, 'b')] },
    { kind: 'value', requestId: 4, value: Uint8Array.from([9, 8, 7]), ttlMs: 60_000 },
    { kind: 'store', requestId: 5, key, value: Uint8Array.from([6, 5, 4]), ttlMs: 60_000 },
  ];

  it('are copies: overwriting the input afterwards changes nothing decoded', () => {
    for (const message of messages) {
      const input = encodeMessage(message);
      const decoded = expectMessage(input);
      input.fill(0xee);
      assert.deepStrictEqual(decoded, message);
    }
  });

  it('are plain Uint8Arrays that own their memory even when the input is a Buffer at an offset', () => {
    for (const message of messages) {
      const encoded = encodeMessage(message);
      const pool = Buffer.alloc(encoded.length + 16);
      pool.set(encoded, 8);
      const input = pool.subarray(8, 8 + encoded.length);
      const decoded = expectMessage(input);
      pool.fill(0xee);
      assert.deepStrictEqual(decoded, message);
      const buffers: Uint8Array[] = [];
      if (decoded.kind === 'findNode') buffers.push(decoded.target.bytes);
      if (decoded.kind === 'findValue') buffers.push(decoded.key.bytes);
      if (decoded.kind === 'nodes') buffers.push(...decoded.closer.map((peer) => peer.bytes));
      if (decoded.kind === 'value') buffers.push(decoded.value);
      if (decoded.kind === 'store') buffers.push(decoded.key.bytes, decoded.value);
      for (const buffer of buffers) {
        assert.equal(Object.getPrototypeOf(buffer), Uint8Array.prototype);
        assert.notEqual(buffer.buffer, pool.buffer);
      }
    }
  });
});

describe('wire codec encoder assertions', () => {
  const throwsRange = (message: Message, pattern: RegExp): void => {
    assert.throws(() => encodeMessage(message), (error: unknown) => error instanceof RangeError && pattern.test(error.message));
  };

  it('refuses requestIds that are not u32 integers', () => {
    for (const requestId of [-1, 2 ** 32, 1.5, Number.NaN]) throwsRange({ kind: 'ping', requestId }, /requestId/);
  });

  it('refuses ids that are not 32 bytes', () => {
    const shortId = { bytes: new Uint8Array(31), head: 0 };
    throwsRange({ kind: 'findNode', requestId: 1, target: shortId }, /target must have 32 bytes/);
    throwsRange({ kind: 'nodes', requestId: 1, closer: [{ ...shortId, address: 'a', addressBytes: 1 }] }, /contact 0 id/);
  });

  it('refuses too many contacts and over-long or ill-formed addresses', () => {
    const peer = peerFromBytes(someId, 'a');
    throwsRange({ kind: 'nodes', requestId: 1, closer: new Array(Limits.contactsPerReplyMax + 1).fill(peer) }, /contactsPerReplyMax/);
    // 1023 ASCII bytes plus a two-byte character: 1025 UTF-8 bytes though only 1024 UTF-16 units.
    const longAddress = 'a'.repeat(Limits.addressBytesMax - 1) + 'é';
    throwsRange({ kind: 'nodes', requestId: 1, closer: [peerFromBytes(someId, longAddress)] }, /address has 1025 bytes/);
    throwsRange({ kind: 'nodes', requestId: 1, closer: [peerFromBytes(someId, 'x\uD800y')] }, /lone surrogate/);
    throwsRange({ kind: 'nodes', requestId: 1, closer: [peerFromBytes(someId, 'x\uDC00')] }, /lone surrogate/);
  });

  it('refuses over-long values and bad ttlMs', () => {
    const tooLong = new Uint8Array(Limits.valueBytesMax + 1);
    throwsRange({ kind: 'value', requestId: 1, value: tooLong, ttlMs: 0 }, /valueBytesMax/);
    throwsRange({ kind: 'store', requestId: 1, key: filledId(1), value: tooLong, ttlMs: 0 }, /valueBytesMax/);
    for (const ttlMs of [-1, Limits.valueTtlMsMax + 1, 0.5]) {
      throwsRange({ kind: 'value', requestId: 1, value: new Uint8Array(1), ttlMs }, /ttlMs/);
    }
  });

  it('refuses unknown store statuses', () => {
    // A number from elsewhere that was cast without checking, as a buggy caller might.
    const status = Number('9') as StoreStatusCode;
    throwsRange({ kind: 'stored', requestId: 1, status }, /unknown store status 9/);
  });
});

// Coordinates. These values are exact in float32, so they survive the wire unchanged.

const coordinateA: VivaldiCoordinate = { x: 1.5, y: -20.25, height: 3, error: 0.125 };
const coordinateB: VivaldiCoordinate = { x: -0.5, y: 1024, height: 0.25, error: 1 };

/** A float32's bits, big-endian, written out by hand. */
const f32Bits = {
  1.5: 0x3fc00000,
  '-20.25': 0xc1a20000,
  3: 0x40400000,
  0.125: 0x3e000000,
  nan: 0x7fc00000,
  infinity: 0x7f800000,
  '-1': 0xbf800000,
  0.0625: 0x3d800000,
  1e7: 0x4b189680,
} as const;

/** coordinateA as the 16 bytes the wire holds. */
const coordinateABytes = bytesOf(u32(f32Bits[1.5]), u32(f32Bits['-20.25']), u32(f32Bits[3]), u32(f32Bits[0.125]));

/** A coordinate's bytes from the four float32 bit patterns given. */
function coordinateBytes(x: number, y: number, height: number, error: number): Uint8Array {
  return bytesOf(u32(x), u32(y), u32(height), u32(error));
}

const flagged = (code: number): number[] => [WIRE_VERSION, code | 0x80];

describe('wire codec coordinates', () => {
  const key = filledId(0x44);
  const peerA = peerFromBytes(filledId(0x0a).bytes, 'a');
  const peerB = peerFromBytes(filledId(0x0b).bytes, 'b');
  const peerC = peerFromBytes(filledId(0x0c).bytes, 'c');

  it('reads and writes float32 fields big-endian (ByteWriter.writeF32, ByteReader.readF32)', () => {
    const writer = new ByteWriter(8);
    writer.writeF32(-20.25);
    writer.writeF32(0.1);
    const bytes = writer.finish();
    assert.deepStrictEqual(bytes.subarray(0, 4), Uint8Array.from(u32(f32Bits['-20.25'])));
    const reader = new ByteReader(bytes);
    assert.equal(reader.readF32(), -20.25);
    assert.equal(reader.readF32(), Math.fround(0.1), 'written rounded to the nearest float32');
    assert.equal(reader.readF32(), undefined);
    const short = new ByteReader(Uint8Array.from([0x3f, 0xc0, 0]));
    assert.equal(short.readF32(), undefined);
    assert.equal(short.remaining, 3, 'a short read does not move the cursor');
    assert.ok(Number.isNaN(new ByteReader(Uint8Array.from(u32(f32Bits.nan))).readF32()));
  });

  it('lays out the flag, the trailer and the contacts\' presence bytes exactly as documented', () => {
    assert.deepStrictEqual(
      encodeMessage({ kind: 'ping', requestId: 0x01020304, coordinate: coordinateA }),
      bytesOf([1, 0x81, 1, 2, 3, 4], coordinateABytes),
    );
    assert.deepStrictEqual(
      encodeMessage({ kind: 'stored', requestId: 7, status: StoreStatus.ok, coordinate: coordinateA }),
      bytesOf([1, 0x88], u32(7), [0], coordinateABytes),
    );
    assert.deepStrictEqual(
      encodeMessage({ kind: 'value', requestId: 5, value: Uint8Array.from([1, 2, 3]), ttlMs: 1000, coordinate: coordinateA }),
      bytesOf([1, 0x86], u32(5), u32(1000), u32(3), [1, 2, 3], coordinateABytes),
    );
    // Contact a's coordinate is known, b's is not; the sender's comes last.
    assert.deepStrictEqual(
      encodeMessage({ kind: 'nodes', requestId: 5, closer: [peerA, peerB], coordinate: coordinateA, closerCoordinates: [coordinateA, null] }),
      bytesOf([1, 0x84], u32(5), [2], peerA.bytes, u16(1), [0x61], [1], coordinateABytes, peerB.bytes, u16(1), [0x62], [0], coordinateABytes),
    );
  });

  it('encodes messages without a coordinate byte for byte as before coordinates existed', () => {
    // The old layouts, by hand: no flag, no presence bytes, no trailer.
    assert.deepStrictEqual(encodeMessage({ kind: 'ping', requestId: 9 }), bytesOf([1, 1], u32(9)));
    assert.deepStrictEqual(
      encodeMessage({ kind: 'nodes', requestId: 5, closer: [peerA, peerB] }),
      bytesOf([1, 4], u32(5), [2], peerA.bytes, u16(1), [0x61], peerB.bytes, u16(1), [0x62]),
    );
    // A `coordinate` key holding undefined is no coordinate.
    assert.deepStrictEqual(encodeMessage({ kind: 'ping', requestId: 9, coordinate: undefined }), bytesOf([1, 1], u32(9)));
    assert.equal(encodedSize({ kind: 'ping', requestId: 9, coordinate: undefined }), 6);
    // Stripping the coordinates from any message gives an encoding with the flag clear and no coordinate bytes.
    fc.assert(
      fc.property(messageArbitrary, (message) => {
        const { coordinate, closerCoordinates, ...plain } = message as { coordinate?: VivaldiCoordinate; closerCoordinates?: unknown };
        const bytes = encodeMessage(plain as Message);
        assert.ok(bytes[1] < 0x80);
        if (coordinate === undefined) return;
        const contacts = message.kind === 'nodes' ? message.closer.length : 0;
        const known = Array.isArray(closerCoordinates) ? closerCoordinates.filter((entry) => entry !== null).length : 0;
        assert.equal(encodeMessage(message).length, bytes.length + 16 + contacts + 16 * known);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes a message without the flag to one with no coordinate keys at all', () => {
    for (const message of [
      expectMessage(bytesOf([1, 1], u32(9))),
      expectMessage(bytesOf([1, 4], u32(5), [1], peerA.bytes, u16(1), [0x61])),
      expectMessage(bytesOf([1, 9])),
    ]) {
      assert.equal('coordinate' in message, false);
      assert.equal('closerCoordinates' in message, false);
    }
  });

  it('round-trips every kind but leave with a coordinate, encodedSize exact', () => {
    const value = Uint8Array.from([9, 8, 7]);
    roundTrip({ kind: 'ping', requestId: 1, coordinate: coordinateA });
    roundTrip({ kind: 'pong', requestId: 2, coordinate: coordinateB });
    roundTrip({ kind: 'findNode', requestId: 3, target: key, coordinate: coordinateA });
    roundTrip({ kind: 'findValue', requestId: 4, key, coordinate: coordinateA });
    roundTrip({ kind: 'value', requestId: 5, value, ttlMs: 60_000, coordinate: coordinateB });
    roundTrip({ kind: 'store', requestId: 6, key, value, ttlMs: 60_000, coordinate: coordinateA });
    roundTrip({ kind: 'stored', requestId: 7, status: StoreStatus.storeFull, coordinate: coordinateA });
    roundTrip({ kind: 'nodes', requestId: 8, closer: [], coordinate: coordinateA, closerCoordinates: [] });
  });

  it('round-trips nodes with a mix of known and unknown contact coordinates', () => {
    roundTrip({ kind: 'nodes', requestId: 1, closer: [peerA, peerB, peerC], coordinate: coordinateA, closerCoordinates: [null, coordinateB, coordinateA] });
    roundTrip({ kind: 'nodes', requestId: 2, closer: [peerA, peerB, peerC], coordinate: coordinateB, closerCoordinates: [null, null, null] });
    roundTrip({ kind: 'nodes', requestId: 3, closer: [peerA, peerB], coordinate: coordinateB, closerCoordinates: [coordinateA, coordinateB] });
  });

  it('treats missing closerCoordinates as all unknown, and decodes them as nulls', () => {
    const message: Message = { kind: 'nodes', requestId: 1, closer: [peerA, peerB], coordinate: coordinateA };
    const bytes = encodeMessage(message);
    assert.equal(encodedSize(message), bytes.length);
    assert.deepStrictEqual(bytes, encodeMessage({ ...message, closerCoordinates: [null, null] }));
    assert.deepStrictEqual(expectMessage(bytes), { ...message, closerCoordinates: [null, null] });
  });

  it('rounds to float32: the decoder gives the rounded values, which re-encode to the same bytes', () => {
    const coordinate = { x: 0.1, y: -1 / 3, height: 12.345, error: 0.7 };
    const bytes = encodeMessage({ kind: 'pong', requestId: 1, coordinate });
    const decoded = expectMessage(bytes);
    const rounded = { x: Math.fround(0.1), y: Math.fround(-1 / 3), height: Math.fround(12.345), error: Math.fround(0.7) };
    assert.deepStrictEqual(decoded, { kind: 'pong', requestId: 1, coordinate: rounded });
    assert.deepStrictEqual(encodeMessage(decoded), bytes);
    // The smallest valid height (0.1) rounds up, never below the minimum.
    roundTripBytes(encodeMessage({ kind: 'ping', requestId: 1, coordinate: { x: 0, y: 0, height: 0.1, error: 1 } }));
  });

  it('keeps -0 and subnormals, so every accepted coordinate has exactly one encoding', () => {
    const coordinate = { x: -0, y: 2 ** -149, height: 0.5, error: -0 };
    const message: Message = { kind: 'ping', requestId: 1, coordinate };
    roundTrip(message);
    assert.ok(Object.is((expectMessage(encodeMessage(message)) as { coordinate: VivaldiCoordinate }).coordinate.x, -0));
  });

  it('fits the largest nodes message with every coordinate in Limits.messageBytesMax', () => {
    const longestAddress = 'a'.repeat(Limits.addressBytesMax - 4) + '😀';
    const closer: PeerRef[] = [];
    for (let i = 0; i < Limits.contactsPerReplyMax; i++) closer.push(peerFromBytes(filledId(i).bytes, longestAddress));
    const message: Message = { kind: 'nodes', requestId: 0xffffffff, closer, coordinate: coordinateA, closerCoordinates: closer.map(() => coordinateB) };
    roundTrip(message);
    assert.ok(encodedSize(message) <= Limits.messageBytesMax);
  });
});

/** Decodes `bytes` and checks that re-encoding gives them back. */
function roundTripBytes(bytes: Uint8Array): void {
  assert.deepStrictEqual(encodeMessage(expectMessage(bytes)), bytes);
}

describe('wire codec coordinate decoder errors', () => {
  const contact = bytesOf(someId, u16(1), [0x61]);

  it('rejects a leave with the coordinate flag', () => {
    expectError(bytesOf(flagged(MessageCode.leave)), /^leave carries no coordinate$/);
    expectError(bytesOf(flagged(MessageCode.leave), coordinateABytes), /^leave carries no coordinate$/);
  });

  it('names the coordinate that was cut short', () => {
    for (let length = 0; length < 16; length++) {
      expectError(bytesOf(flagged(MessageCode.ping), u32(1), coordinateABytes.subarray(0, length)), /^truncated: coordinate$/);
    }
    expectError(bytesOf(flagged(MessageCode.store), u32(1), someId, u32(0), u32(1), [7]), /^truncated: coordinate$/);
    const nodesOfTwo = bytesOf(flagged(MessageCode.nodes), u32(1), [2], contact, [1], coordinateABytes);
    expectError(bytesOf(nodesOfTwo, contact), /^truncated: contact 1 coordinate presence$/);
    expectError(bytesOf(nodesOfTwo, contact, [1], coordinateABytes.subarray(0, 9)), /^truncated: contact 1 coordinate$/);
    expectError(bytesOf(nodesOfTwo, contact, [0]), /^truncated: coordinate$/);
    expectMessage(bytesOf(nodesOfTwo, contact, [0], coordinateABytes));
  });

  it('rejects a presence byte other than 0 or 1', () => {
    for (const presence of [2, 0x80, 255]) {
      const bytes = bytesOf(flagged(MessageCode.nodes), u32(1), [2], contact, [0], contact, [presence], coordinateABytes, coordinateABytes);
      expectError(bytes, new RegExp(`^contact 1 bad coordinate presence ${presence}$`));
    }
  });

  it('rejects coordinates that are not valid: NaN, infinite, negative or tiny height, error outside [0, 1], |x| at the bound', () => {
    const { 1.5: one5, 3: three, 0.125: eighth } = f32Bits;
    const bad = [
      coordinateBytes(f32Bits.nan, one5, three, eighth),
      coordinateBytes(one5, f32Bits.infinity, three, eighth),
      coordinateBytes(one5, one5, f32Bits['-1'], eighth),
      coordinateBytes(one5, one5, f32Bits[0.0625], eighth),
      coordinateBytes(one5, one5, three, f32Bits[1.5]),
      coordinateBytes(one5, one5, three, f32Bits['-1']),
      coordinateBytes(one5, one5, three, f32Bits.nan),
      coordinateBytes(f32Bits[1e7], one5, three, eighth),
      coordinateBytes(one5, one5, f32Bits[1e7], eighth),
    ];
    for (const coordinate of bad) {
      expectError(bytesOf(flagged(MessageCode.pong), u32(1), coordinate), /^bad coordinate$/);
      const nodes = bytesOf(flagged(MessageCode.nodes), u32(1), [4], contact, [0], contact, [0], contact, [1], coordinateABytes, contact, [1], coordinate, coordinateABytes);
      expectError(nodes, /^contact 3 bad coordinate$/);
    }
  });

  it('rejects bytes after the trailer', () => {
    expectError(bytesOf(flagged(MessageCode.ping), u32(1), coordinateABytes, [0]), /^trailing bytes: 1 after ping$/);
  });
});

describe('wire codec coordinate encoder assertions', () => {
  const throwsRange = (message: Message, pattern: RegExp): void => {
    assert.throws(() => encodeMessage(message), (error: unknown) => error instanceof RangeError && pattern.test(error.message));
  };
  const peer = peerFromBytes(someId, 'a');

  it('refuses a sender coordinate that is not one', () => {
    for (const coordinate of [
      { ...coordinateA, x: Number.NaN },
      { ...coordinateA, y: Number.POSITIVE_INFINITY },
      { ...coordinateA, height: -1 },
      { ...coordinateA, height: 0.05 },
      { ...coordinateA, error: 1.5 },
      { ...coordinateA, x: 1e7 },
      { ...coordinateA, x: 1e300 },
    ]) {
      throwsRange({ kind: 'ping', requestId: 1, coordinate }, /^coordinate is not a valid Vivaldi coordinate: /);
    }
  });

  it('refuses a coordinate that is valid but not once rounded to float32', () => {
    // 9,999,999.9 < 1e7, but the nearest float32 is 1e7 itself, which the decoder would refuse.
    throwsRange({ kind: 'ping', requestId: 1, coordinate: { ...coordinateA, x: 9_999_999.9 } }, /once rounded to float32/);
    throwsRange(
      { kind: 'nodes', requestId: 1, closer: [peer], coordinate: coordinateA, closerCoordinates: [{ ...coordinateA, height: 9_999_999.9 }] },
      /^contact 0 coordinate is not a valid Vivaldi coordinate once rounded to float32/,
    );
  });

  it('refuses a contact coordinate that is not one, naming the contact', () => {
    throwsRange(
      { kind: 'nodes', requestId: 1, closer: [peer, peer], coordinate: coordinateA, closerCoordinates: [null, { ...coordinateA, error: Number.NaN }] },
      /^contact 1 coordinate is not a valid Vivaldi coordinate: .*error: NaN/,
    );
  });

  it('refuses closerCoordinates of the wrong length, or without a coordinate', () => {
    throwsRange({ kind: 'nodes', requestId: 1, closer: [peer, peer], coordinate: coordinateA, closerCoordinates: [null] }, /closerCoordinates has 1 entries for 2 contacts/);
    throwsRange({ kind: 'nodes', requestId: 1, closer: [peer], coordinate: coordinateA, closerCoordinates: [null, null] }, /closerCoordinates has 2 entries for 1 contacts/);
    throwsRange({ kind: 'nodes', requestId: 1, closer: [peer], closerCoordinates: [coordinateA] }, /^closerCoordinates without a coordinate$/);
  });

  it('refuses a leave with a coordinate', () => {
    // The type forbids it; a cast (a bug) must not have the coordinate silently dropped.
    throwsRange({ kind: 'leave', coordinate: coordinateA } as unknown as Message, /^leave carries no coordinate$/);
  });
});
