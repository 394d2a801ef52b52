/**
 * One HTTP byte range (RFC 9110 §14.1.2), as `GET /api/v1/content/:ref` takes it in a `Range`
 * header or a `range` query parameter: `bytes=START-END` (both inclusive), `bytes=START-` (to the
 * end) or `bytes=-SUFFIX` (the last SUFFIX bytes). A player seeks and a download resumes with it.
 * Only one range: a server may answer a multi-range request whole, which is what we do (the
 * caller asks `isSingleByteRange` first); a single range it cannot satisfy is 416.
 */

/** The bytes to send, `start` to `end` inclusive, of a file of `total` bytes. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
  readonly total: number;
}

/** The text of a range longer than this is not one we take (no real client sends one). */
export const RANGE_TEXT_BYTES_MAX = 100;

const SINGLE_RANGE = /^bytes=(\d{0,16})-(\d{0,16})$/;

/** Whether `text` is one byte range this parser reads (not several, nor another unit, nor an end before its start). */
export function isSingleByteRange(text: string): boolean {
  // Satisfiable or not, any one range resolves against some size; only what is not one is null.
  return resolveByteRange(text, Number.MAX_SAFE_INTEGER) !== null;
}

/**
 * The range `text` asks for in a file of `total` bytes; 'unsatisfiable' when it starts at or past
 * the end (or asks for an empty suffix); null when `text` is not a single byte range.
 */
export function resolveByteRange(text: string, total: number): ByteRange | 'unsatisfiable' | null {
  const match = SINGLE_RANGE.exec(text.trim());
  if (match === null || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || total === 0) return 'unsatisfiable';
    return { start: Math.max(0, total - suffix), end: total - 1, total };
  }
  const start = Number(match[1]);
  // bytes=9-3 is no range at all (RFC 9110: an invalid one, to be ignored).
  if (match[2] !== '' && Number(match[2]) < start) return null;
  if (start >= total) return 'unsatisfiable';
  return { start, end: match[2] === '' ? total - 1 : Math.min(Number(match[2]), total - 1), total };
}

/** The Content-Range header of a partial answer. */
export function contentRange(range: ByteRange): string {
  return `bytes ${range.start}-${range.end}/${range.total}`;
}

/**
 * The first `count` bytes of `source`, then no more: the source is closed as soon as they are out,
 * so a range in the middle of a file reads (and fetches) nothing after it.
 */
export async function* firstBytes(source: AsyncIterable<Uint8Array>, count: number): AsyncGenerator<Uint8Array> {
  let left = count;
  if (left <= 0) return;
  for await (const piece of source) {
    if (piece.length >= left) {
      yield piece.subarray(0, left);
      return;
    }
    left -= piece.length;
    yield piece;
  }
}
