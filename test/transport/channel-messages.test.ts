/**
 * The request channel's messages (channel-messages.ts): golden bytes pin the wire format, every
 * message round-trips, and the decoder refuses bad input with an error value — never a throw — on
 * random bytes, truncations and extensions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  CHANNEL_HEADER_BYTES_MAX, CHANNEL_ID_MAX, ChannelKind, decodeChannelMessage, encodeChannelHeader, encodeChannelMessage, type ChannelMessage,
} from '../../src/transport/libp2p/request-response/channel-messages.ts';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function decodeOk(bytes: Uint8Array): ChannelMessage {
  const result = decodeChannelMessage(bytes);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.message;
}

function decodeError(bytes: Uint8Array): string {
  const result = decodeChannelMessage(bytes);
  assert.ok(!result.ok, `expected ${hex(bytes)} to be refused`);
  return result.error;
}

const messageArb: fc.Arbitrary<ChannelMessage> = fc.oneof(
  fc.record({ kind: fc.constantFrom(ChannelKind.request, ChannelKind.response), id: fc.integer({ min: 1, max: CHANNEL_ID_MAX }), payload: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constantFrom(ChannelKind.cancel, ChannelKind.failed), id: fc.integer({ min: 1, max: CHANNEL_ID_MAX }) }),
);

describe('request channel messages', () => {
  it('golden encodings: the wire format cannot change silently', () => {
    assert.equal(hex(encodeChannelMessage({ kind: ChannelKind.request, id: 1, payload: Uint8Array.of(0xaa, 0xbb) })), '0101aabb');
    assert.equal(hex(encodeChannelMessage({ kind: ChannelKind.cancel, id: 300 })), '02ac02');
    assert.equal(hex(encodeChannelMessage({ kind: ChannelKind.response, id: 127, payload: Uint8Array.of(7) })), '037f07');
    assert.equal(hex(encodeChannelMessage({ kind: ChannelKind.failed, id: 128 })), '048001');
    assert.equal(hex(encodeChannelHeader(ChannelKind.response, CHANNEL_ID_MAX)), '03ffffffff0f');
    assert.equal(encodeChannelHeader(ChannelKind.response, CHANNEL_ID_MAX).length, CHANNEL_HEADER_BYTES_MAX);
  });

  it('decodes the golden bytes back, the payload a view of the frame (no copy)', () => {
    const frame = Uint8Array.of(0x03, 0x7f, 0x07, 0x08);
    const message = decodeOk(frame);
    assert.equal(message.kind, ChannelKind.response);
    assert.equal(message.id, 127);
    const payload = (message as { payload: Uint8Array }).payload;
    assert.deepEqual([...payload], [7, 8]);
    assert.equal(payload.buffer, frame.buffer);
    assert.deepEqual(decodeOk(Uint8Array.of(0x02, 0xac, 0x02)), { kind: ChannelKind.cancel, id: 300 });
  });

  it('round-trips every message', () => {
    fc.assert(fc.property(messageArb, (message) => {
      const decoded = decodeOk(encodeChannelMessage(message));
      assert.equal(decoded.kind, message.kind);
      assert.equal(decoded.id, message.id);
      if ('payload' in message) assert.deepEqual([...(decoded as { payload: Uint8Array }).payload], [...message.payload]);
      else assert.ok(!('payload' in decoded));
    }));
  });

  it('refuses what is not a message, each with its reason', () => {
    assert.match(decodeError(Uint8Array.of()), /shorter than its header/);
    assert.match(decodeError(Uint8Array.of(1)), /shorter than its header/);
    assert.match(decodeError(Uint8Array.of(0, 1, 1)), /unknown channel message kind 0/);
    assert.match(decodeError(Uint8Array.of(5, 1, 1)), /unknown channel message kind 5/);
    assert.match(decodeError(Uint8Array.of(1, 0, 1)), /out of range: 0/);
    assert.match(decodeError(Uint8Array.of(1, 0x80)), /cut short/);
    assert.match(decodeError(Uint8Array.of(1, 0x81, 0x00, 1)), /non-minimal/);
    assert.match(decodeError(Uint8Array.of(1, 0xff, 0xff, 0xff, 0xff, 0x1f, 1)), /out of range/);
    assert.match(decodeError(Uint8Array.of(1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1)), /longer than 5 bytes/);
    assert.match(decodeError(Uint8Array.of(1, 1)), /without a payload/);
    assert.match(decodeError(Uint8Array.of(3, 1)), /without a payload/);
    assert.match(decodeError(Uint8Array.of(2, 1, 0)), /bytes after a cancel/);
    assert.match(decodeError(Uint8Array.of(4, 1, 9)), /bytes after a cancel or failed/);
  });

  it('the encoder refuses ids out of range and empty payloads: our own bugs', () => {
    assert.throws(() => encodeChannelHeader(ChannelKind.request, 0), RangeError);
    assert.throws(() => encodeChannelHeader(ChannelKind.request, CHANNEL_ID_MAX + 1), RangeError);
    assert.throws(() => encodeChannelHeader(ChannelKind.request, 1.5), RangeError);
    assert.throws(() => encodeChannelMessage({ kind: ChannelKind.request, id: 1, payload: new Uint8Array(0) }), RangeError);
  });

  it('never throws on random bytes, and what it accepts re-encodes to the same bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 16 }), (bytes) => {
      const result = decodeChannelMessage(bytes);
      if (result.ok) assert.equal(hex(encodeChannelMessage(result.message)), hex(bytes));
    }), { numRuns: 5000 });
  });

  it('never throws on truncated or extended encodings', () => {
    fc.assert(fc.property(messageArb, fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 4 }), (message, cut, extra) => {
      const bytes = encodeChannelMessage(message);
      const truncated = bytes.subarray(0, cut % bytes.length);
      const truncatedResult = decodeChannelMessage(truncated);
      // A shorter request or response may still be a valid one (its payload is opaque here), with
      // its header intact; a cancel or failed message cut short never is.
      if (truncatedResult.ok) {
        assert.ok('payload' in message);
        assert.equal(truncatedResult.message.id, message.id);
      }
      const extended = new Uint8Array(bytes.length + extra.length);
      extended.set(bytes);
      extended.set(extra, bytes.length);
      const extendedResult = decodeChannelMessage(extended);
      assert.equal(extendedResult.ok, 'payload' in message, 'only an opaque payload can grow');
    }));
  });
});
