/** The codec's UTF-8 helpers, checked against Node's own encoder and decoder. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeUtf8, utf8ByteLength, writeUtf8 } from '../../src/wire/utf8.ts';

const textEncoder = new TextEncoder();

/** Any UTF-16 code units at all, lone surrogates included, which fc.string never produces. */
const anyCodeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 64 }).map((units) => String.fromCharCode(...units));

/** Strings biased towards surrogates, so lone and paired ones both come up often. */
const surrogateHeavy = fc
  .array(fc.oneof(fc.integer({ min: 0xd800, max: 0xdfff }), fc.integer({ min: 0, max: 0xffff })), { maxLength: 16 })
  .map((units) => String.fromCharCode(...units));

/** With the `u` flag a paired surrogate is one code point, so only lone surrogates match Cs. */
function hasLoneSurrogate(text: string): boolean {
  return /\p{Cs}/u.test(text);
}

describe('utf8ByteLength', () => {
  it('agrees with TextEncoder on well-formed strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        assert.equal(utf8ByteLength(text), textEncoder.encode(text).length);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with TextEncoder even on lone surrogates, which it counts as U+FFFD', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, surrogateHeavy), (text) => {
        assert.equal(utf8ByteLength(text), textEncoder.encode(text).length);
      }),
      { numRuns: 1000 },
    );
  });

  it('counts each width correctly at its boundaries', () => {
    assert.equal(utf8ByteLength(''), 0);
    assert.equal(utf8ByteLength('\u007f'), 1);
    assert.equal(utf8ByteLength('\u0080'), 2);
    assert.equal(utf8ByteLength('\u07ff'), 2);
    assert.equal(utf8ByteLength('\u0800'), 3);
    assert.equal(utf8ByteLength('\uffff'), 3);
    assert.equal(utf8ByteLength('\u{10000}'), 4);
    assert.equal(utf8ByteLength('\u{10ffff}'), 4);
    assert.equal(utf8ByteLength('\ud800'), 3);
    assert.equal(utf8ByteLength('\udc00\ud800'), 6);
  });
});

describe('writeUtf8', () => {
  it('writes the same bytes as TextEncoder for well-formed strings, at any offset', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), fc.nat({ max: 8 }), (text, offset) => {
        const expected = textEncoder.encode(text);
        const target = new Uint8Array(offset + expected.length);
        assert.equal(writeUtf8(text, target, offset), offset + expected.length);
        assert.deepStrictEqual(target.subarray(offset), expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('throws a RangeError on any lone surrogate rather than writing a replacement', () => {
    fc.assert(
      fc.property(fc.oneof(anyCodeUnits, surrogateHeavy), (text) => {
        const target = new Uint8Array(utf8ByteLength(text));
        if (hasLoneSurrogate(text)) {
          assert.throws(() => writeUtf8(text, target, 0), RangeError);
        } else {
          writeUtf8(text, target, 0);
          assert.deepStrictEqual(target, textEncoder.encode(text));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('decodeUtf8', () => {
  it('decodes what writeUtf8 wrote', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const bytes = new Uint8Array(utf8ByteLength(text));
        writeUtf8(text, bytes, 0);
        assert.equal(decodeUtf8(bytes), text);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a leading byte-order mark', () => {
    assert.equal(decodeUtf8(Uint8Array.from([0xef, 0xbb, 0xbf, 0x61])), '\ufeffa');
  });

  it('returns null for ill-formed input instead of throwing', () => {
    for (const bytes of [[0xff], [0xc0, 0xaf], [0xed, 0xbf, 0xbf], [0xf0, 0x9f, 0x98], [0xf5, 0x80, 0x80, 0x80], [0xbf]]) {
      assert.equal(decodeUtf8(Uint8Array.from(bytes)), null);
    }
  });

  it('never throws on arbitrary bytes, and whatever it accepts is exactly what TextEncoder writes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = decodeUtf8(bytes);
        if (text !== null) assert.deepStrictEqual(textEncoder.encode(text), bytes);
      }),
      { numRuns: 2000 },
    );
  });
});
