/**
 * A refusal's human-readable text, made fit for the wire: at most a given number of UTF-8 bytes,
 * cut at a code point boundary, with lone surrogates (which UTF-8 cannot carry) replaced by U+FFFD.
 *
 * The text often comes from an error message, which may be long or hold anything, and the reason
 * code is what the other side acts on; so rather than refuse to encode, the encoder shortens it.
 */

const REPLACEMENT_CHARACTER = '\uFFFD';

function isHighSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xd800 && codeUnit <= 0xdbff;
}

function isLowSurrogate(codeUnit: number): boolean {
  return codeUnit >= 0xdc00 && codeUnit <= 0xdfff;
}

/** UTF-8 bytes of the code point that starts with `codeUnit` (a pair counts once, as 4). */
function utf8BytesOf(codeUnit: number, paired: boolean): number {
  if (paired) return 4;
  if (codeUnit <= 0x7f) return 1;
  if (codeUnit <= 0x7ff) return 2;
  return 3;
}

/**
 * The longest prefix of `text` (lone surrogates replaced) whose UTF-8 form takes at most
 * `bytesMax` bytes. A code point is never split, so the result is always well-formed.
 */
export function fitUtf8(text: string, bytesMax: number): string {
  let out = '';
  let used = 0;
  for (let index = 0; index < text.length; index++) {
    const codeUnit = text.charCodeAt(index);
    const paired = isHighSurrogate(codeUnit) && index + 1 < text.length && isLowSurrogate(text.charCodeAt(index + 1));
    const lone = !paired && (isHighSurrogate(codeUnit) || isLowSurrogate(codeUnit));
    const bytes = utf8BytesOf(codeUnit, paired);
    if (used + bytes > bytesMax) break;
    used += bytes;
    if (paired) {
      out += text.slice(index, index + 2);
      index++;
    } else {
      out += lone ? REPLACEMENT_CHARACTER : text[index];
    }
  }
  return out;
}
