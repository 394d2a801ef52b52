/**
 * The length of a string in UTF-8, counted without encoding it. In core because a PeerRef keeps
 * its address's length (peer.ts): the simulator sizes every contact of every message it delivers,
 * and reading the address itself each time cost a twentieth of a 10^4-node run.
 */

/** The largest UTF-16 code unit that UTF-8 encodes in one byte. */
export const ONE_BYTE_MAX = 0x7f;
/** The largest UTF-16 code unit that UTF-8 encodes in two bytes. */
export const TWO_BYTES_MAX = 0x7ff;

export function isHighSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xd800 && codeUnit <= 0xdbff;
}

export function isLowSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xdc00 && codeUnit <= 0xdfff;
}

/**
 * The number of bytes `text` takes in UTF-8.
 *
 * A surrogate pair is one code point beyond the Basic Multilingual Plane and takes four bytes.
 * A lone surrogate is counted as three bytes, the length of the U+FFFD replacement character
 * TextEncoder would write in its place, so the answer always agrees with TextEncoder; the wire
 * codec's encoder refuses lone surrogates outright, so they never reach the wire.
 */
export function utf8ByteLength(text: string): number {
  let byteLength = 0;
  for (let index = 0; index < text.length; index++) {
    const codeUnit = text.charCodeAt(index);
    if (codeUnit <= ONE_BYTE_MAX) {
      byteLength += 1;
    } else if (codeUnit <= TWO_BYTES_MAX) {
      byteLength += 2;
    } else if (isHighSurrogate(codeUnit) && index + 1 < text.length && isLowSurrogate(text.charCodeAt(index + 1))) {
      byteLength += 4;
      index++;
    } else {
      byteLength += 3;
    }
  }
  return byteLength;
}
