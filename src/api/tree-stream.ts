/**
 * A whole directory tree as one byte stream (GET /api/v1/trees/:ref): what `peergrid get` reads
 * instead of one request per file. Our own format, kept as plain as the task allows:
 *
 *   record  = header "\n" [bytes]
 *   header  = one line of JSON, at most HEADER_BYTES_MAX bytes:
 *             {"kind":"directory","path":[names…]}
 *             {"kind":"file","path":[names…],"bytes":N}   followed by exactly N bytes of the file
 *             {"kind":"end","files":F,"directories":D}     the last record: a stream without it was cut short
 *
 * Paths are the names from the top directory down (the top itself is not a record), parents before
 * their children, depth first. The reader checks the framing only — that headers are JSON of that
 * shape, within their limits, and that the stream ends with "end" — and hands each file's bytes
 * on as they arrive; whoever writes the tree checks the names (entry-name.ts) and where they land.
 */

/** A header is a path of at most DagLimits' depth of names of at most 255 bytes: far below this. */
export const TREE_HEADER_BYTES_MAX = 64 * 1024;
/** The most directories deep a record's path may be (the CLI's own limit is the same). */
export const TREE_DEPTH_MAX = 64;

export type TreeRecord =
  | { readonly kind: 'directory'; readonly path: readonly string[] }
  | { readonly kind: 'file'; readonly path: readonly string[]; readonly bytes: number };

const NEWLINE = 0x0a;
const encoder = new TextEncoder();

/** A header line's bytes: the record as JSON, then "\n". */
export function treeHeader(record: TreeRecord | { readonly kind: 'end'; readonly files: number; readonly directories: number }): Uint8Array {
  return encoder.encode(`${JSON.stringify(record)}\n`);
}

/** The stream did not follow the format: a malformed or oversized header, a short file, no end. */
export class TreeStreamError extends Error {
  override readonly name = 'TreeStreamError';
}

/**
 * Reads a tree stream: `next()` gives the next record (null after "end"), and after a file record
 * `fileBytes()` yields exactly that file's bytes, which must be read through before the next record.
 */
export class TreeStreamReader {
  private readonly source: AsyncIterator<Uint8Array>;
  /** Bytes read from the source and not yet handed out. */
  private buffered: Uint8Array = new Uint8Array(0);
  private pendingFileBytes = 0;
  private ended = false;
  /** The counts the "end" record gave. */
  private endCounts: { readonly files: number; readonly directories: number } | null = null;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** What the last record said was sent, once it has been read. */
  get totals(): { readonly files: number; readonly directories: number } | null {
    return this.endCounts;
  }

  async next(): Promise<TreeRecord | null> {
    if (this.pendingFileBytes > 0) throw new TreeStreamError('the previous file was not read to its end');
    if (this.ended) return null;
    const line = await this.readLine();
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(line));
    } catch {
      throw new TreeStreamError('a record header that is not JSON');
    }
    const record = recordOf(value);
    if (record.kind === 'end') {
      this.ended = true;
      this.endCounts = { files: record.files, directories: record.directories };
      return null;
    }
    if (record.kind === 'file') this.pendingFileBytes = record.bytes;
    return record;
  }

  /** The bytes of the file just read, exactly as many as its header said, in pieces as they came. */
  async *fileBytes(): AsyncGenerator<Uint8Array> {
    while (this.pendingFileBytes > 0) {
      if (this.buffered.length === 0 && !(await this.fill())) throw new TreeStreamError(`the stream ended ${this.pendingFileBytes} bytes before the end of a file`);
      const take = Math.min(this.pendingFileBytes, this.buffered.length);
      const piece = this.buffered.subarray(0, take);
      this.buffered = this.buffered.subarray(take);
      this.pendingFileBytes -= take;
      yield piece;
    }
  }

  /** Lets the source go (a get that stopped early). */
  async close(): Promise<void> {
    await this.source.return?.();
  }

  private async readLine(): Promise<Uint8Array> {
    for (;;) {
      const at = this.buffered.indexOf(NEWLINE);
      if (at >= 0) {
        if (at > TREE_HEADER_BYTES_MAX) break;
        const line = this.buffered.subarray(0, at);
        this.buffered = this.buffered.subarray(at + 1);
        return line;
      }
      if (this.buffered.length > TREE_HEADER_BYTES_MAX) break;
      if (!(await this.fill())) {
        throw new TreeStreamError(this.buffered.length === 0 ? 'the stream ended before its end record' : 'the stream ended inside a record header');
      }
    }
    throw new TreeStreamError(`a record header of more than ${TREE_HEADER_BYTES_MAX} bytes`);
  }

  /** Appends the source's next piece; false when it has ended. */
  private async fill(): Promise<boolean> {
    const next = await this.source.next();
    if (next.done === true) return false;
    const piece = next.value;
    if (this.buffered.length === 0) {
      this.buffered = piece;
    } else {
      const joined = new Uint8Array(this.buffered.length + piece.length);
      joined.set(this.buffered);
      joined.set(piece, this.buffered.length);
      this.buffered = joined;
    }
    return true;
  }
}

function recordOf(value: unknown): TreeRecord | { readonly kind: 'end'; readonly files: number; readonly directories: number } {
  if (typeof value !== 'object' || value === null) throw new TreeStreamError('a record header that is not an object');
  const record = value as Record<string, unknown>;
  if (record.kind === 'end') {
    if (!isCount(record.files) || !isCount(record.directories)) throw new TreeStreamError('an end record without its counts');
    return { kind: 'end', files: record.files, directories: record.directories };
  }
  if (record.kind !== 'file' && record.kind !== 'directory') throw new TreeStreamError(`a record of kind ${JSON.stringify(record.kind)}`);
  const path = record.path;
  if (!Array.isArray(path) || path.length === 0 || path.length > TREE_DEPTH_MAX || !path.every((name) => typeof name === 'string')) {
    throw new TreeStreamError(`a ${record.kind} record whose path is not 1 to ${TREE_DEPTH_MAX} names`);
  }
  if (record.kind === 'directory') return { kind: 'directory', path };
  if (!isCount(record.bytes)) throw new TreeStreamError('a file record without its size');
  return { kind: 'file', path, bytes: record.bytes };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
