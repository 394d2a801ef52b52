/**
 * UTF-8 helpers for the wire codec: measure a string's encoded length without encoding it,
 * write a string straight into an output buffer, and decode untrusted bytes without throwing.
 *
 * Measuring and writing are done by hand so that neither allocates: the simulator asks for the
 * encoded size of every message it delivers, and the encoder writes addresses in place.
 */

import { isHighSurrogate, isLowSurrogate, ONE_BYTE_MAX, TWO_BYTES_MAX } from '../core/utf8-length.ts';

export { utf8ByteLength } from '../core/utf8-length.ts';

/**
 * Writes `text` as UTF-8 into `target` from `offset` and returns the offset just past it.
 *
 * The caller must have made room for utf8ByteLength(text) bytes. A lone surrogate has no UTF-8
 * form; rather than silently replace it (which would make the decoded string differ from the one
 * sent), this throws a RangeError, because a malformed address is a bug in the sender's own code.
 */
export function writeUtf8(text: string, target: Uint8Array, offset: number): number {
  let position = offset;
  for (let index = 0; index < text.length; index++) {
    const codeUnit = text.charCodeAt(index);
    if (codeUnit <= ONE_BYTE_MAX) {
      target[position++] = codeUnit;
    } else if (codeUnit <= TWO_BYTES_MAX) {
      target[position++] = 0xc0 | (codeUnit >> 6);
      target[position++] = 0x80 | (codeUnit & 0x3f);
    } else if (isHighSurrogate(codeUnit)) {
      const next = index + 1 < text.length ? text.charCodeAt(index + 1) : -1;
      if (!isLowSurrogate(next)) throw new RangeError(`lone surrogate at index ${index} cannot be encoded as UTF-8`);
      const codePoint = 0x10000 + ((codeUnit - 0xd800) << 10) + (next - 0xdc00);
      target[position++] = 0xf0 | (codePoint >> 18);
      target[position++] = 0x80 | ((codePoint >> 12) & 0x3f);
      target[position++] = 0x80 | ((codePoint >> 6) & 0x3f);
      target[position++] = 0x80 | (codePoint & 0x3f);
      index++;
    } else if (isLowSurrogate(codeUnit)) {
      throw new RangeError(`lone surrogate at index ${index} cannot be encoded as UTF-8`);
    } else {
      target[position++] = 0xe0 | (codeUnit >> 12);
      target[position++] = 0x80 | ((codeUnit >> 6) & 0x3f);
      target[position++] = 0x80 | (codeUnit & 0x3f);
    }
  }
  return position;
}

/**
 * A strict decoder. `fatal` makes it reject every ill-formed sequence (overlong forms, encoded
 * surrogates, code points above U+10FFFF, truncated sequences) instead of substituting U+FFFD.
 * `ignoreBOM` stops it from silently dropping a leading U+FEFF, which would make the decoded
 * address differ from the one that was encoded.
 */
const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes `bytes` as UTF-8, or returns null if they are not well-formed UTF-8.
 *
 * TextDecoder reports malformed input only by throwing a TypeError, so this is the one place the
 * codec catches an exception: it turns that single, expected failure into a value.
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictDecoder.decode(bytes);
  } catch (error) {
    if (error instanceof TypeError) return null;
    throw error;
  }
}
