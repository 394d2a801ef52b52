/**
 * The wire codec: round trips, exact sizes, every decoder error, encoder assertions, and that
 * decoded buffers do not alias the input. Fuzzing lives in codec-fuzz.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ID_BYTES, idFromBytes, type Id } from '../../src/core/id.ts';
import { Limits } from '../../src/core/limits.ts';
import { MessageCode, StoreStatus, type Message, type StoreStatusCode } from '../../src/core/messages.ts';
import { peerFromBytes, type PeerRef } from '../../src/core/peer.ts';
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
          assert.equal(bytes[1], MessageCode[message.kind]);
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

  it('rejects an unknown kind code', () => {
    for (const code of [0, 10, 255]) expectError(bytesOf(header(code), u32(1)), new RegExp(`unknown kind code ${code}`));
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
    throwsRange({ kind: 'nodes', requestId: 1, closer: [{ ...shortId, address: 'a' }] }, /contact 0 id/);
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
