/**
 * Fuzzing the decoder: it must never throw, and whatever it accepts must be a valid message.
 *
 * "Valid" is checked the strongest way available: the format has exactly one encoding per message,
 * so anything the decoder accepts must re-encode (without the encoder's assertions firing) to the
 * very bytes it was decoded from. That catches a decoder that lets through something the encoder
 * refuses, or that reads a field differently from how it is written. The messages generated carry
 * Vivaldi coordinates about half the time (arbitraries.ts), so the trailer and a nodes reply's
 * presence bytes are mutated and truncated too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeMessage, encodeMessage, WIRE_VERSION, type DecodeResult } from '../../src/wire/codec.ts';
import { coordinateArbitrary, messageArbitrary } from './arbitraries.ts';

/** Decodes `bytes`, failing the test if decoding throws or accepts something it should not. */
function decodeChecked(bytes: Uint8Array): DecodeResult {
  const result = decodeMessage(bytes);
  if (result.ok) {
    assert.deepStrictEqual(encodeMessage(result.message), Uint8Array.from(bytes), 'an accepted input must be the canonical encoding of what it decoded to');
  } else {
    assert.equal(typeof result.error, 'string');
    assert.ok(result.error.length > 0, 'an error must say what went wrong');
  }
  return result;
}

describe('wire codec fuzz', () => {
  it('never throws on arbitrary bytes, and accepts only canonical encodings', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        decodeChecked(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on arbitrary bytes after a valid header, which reach every kind decoder', () => {
    // Purely random bytes almost never start with version 1, so this fuzzes the bodies directly,
    // with the coordinate flag (0x80) set on the kind byte half the time.
    const headerAndBody = fc.tuple(fc.integer({ min: 0, max: 12 }), fc.boolean(), fc.uint8Array({ maxLength: 2000 }));
    fc.assert(
      fc.property(headerAndBody, ([kindCode, flagged, body]) => {
        const bytes = new Uint8Array(2 + body.length);
        bytes[0] = WIRE_VERSION;
        bytes[1] = flagged ? kindCode | 0x80 : kindCode;
        bytes.set(body, 2);
        decodeChecked(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on valid encodings with random single-byte mutations', () => {
    const mutated = fc.tuple(messageArbitrary, fc.nat(), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(mutated, ([message, position, byte]) => {
        const bytes = encodeMessage(message);
        bytes[position % bytes.length] = byte;
        decodeChecked(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts random coordinate bytes only when they make a valid coordinate, and then only canonically', () => {
    // A ping with the flag whose trailer is 16 random bytes, so any float32 bit pattern comes up
    // (NaNs, infinities, subnormals, -0) and the decoder's isCoordinate check decides; or a valid
    // coordinate with one bit flipped, which lands near the bounds and is often still valid.
    const randomTrailer = fc.uint8Array({ minLength: 16, maxLength: 16 });
    const flippedTrailer = fc.tuple(coordinateArbitrary, fc.integer({ min: 0, max: 127 })).map(([coordinate, bit]) => {
      const bytes = encodeMessage({ kind: 'ping', requestId: 1, coordinate }).subarray(6);
      bytes[bit >>> 3] ^= 1 << (bit & 7);
      return bytes;
    });
    const trailer = fc.oneof(randomTrailer, flippedTrailer);
    let accepted = 0;
    fc.assert(
      fc.property(trailer, (coordinate) => {
        const bytes = new Uint8Array(6 + 16);
        bytes.set([WIRE_VERSION, 0x81, 0, 0, 0, 1]);
        bytes.set(coordinate, 6);
        const result = decodeChecked(bytes);
        if (result.ok) accepted++;
        else assert.equal(result.error, 'bad coordinate');
      }),
      { numRuns: 2000 },
    );
    assert.ok(accepted > 0, 'some random coordinates are valid, so the accepting path is exercised');
  });

  it('reports every truncation of a valid encoding as truncated', () => {
    fc.assert(
      fc.property(messageArbitrary, (message) => {
        const bytes = encodeMessage(message);
        for (let length = 0; length < bytes.length; length++) {
          const result = decodeChecked(bytes.subarray(0, length));
          assert.equal(result.ok, false, `a prefix of ${length} of ${bytes.length} bytes was accepted`);
          if (!result.ok) assert.match(result.error, /^truncated: /);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('reports bytes appended to a valid encoding as trailing', () => {
    const extended = fc.tuple(messageArbitrary, fc.uint8Array({ minLength: 1, maxLength: 64 }));
    fc.assert(
      fc.property(extended, ([message, extra]) => {
        const encoded = encodeMessage(message);
        const bytes = new Uint8Array(encoded.length + extra.length);
        bytes.set(encoded);
        bytes.set(extra, encoded.length);
        const result = decodeChecked(bytes);
        assert.equal(result.ok, false);
        if (!result.ok) assert.equal(result.error, `trailing bytes: ${extra.length} after ${message.kind}`);
      }),
      { numRuns: 1000 },
    );
  });
});
