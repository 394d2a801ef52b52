/**
 * The client's side of a progress stream (progress-lines.ts): reads the NDJSON lines, hands each
 * `progress` record to `onProgress`, and returns the `done` record — or throws the `error` the node
 * sent (code and message), or a plain Error when the stream ends without an outcome or holds a line
 * that is not JSON.
 */

export class ProgressStreamError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'ProgressStreamError';
    this.code = code;
  }
}

interface ProgressRecord {
  readonly progress?: Record<string, number>;
  readonly done?: Record<string, unknown>;
  readonly error?: { readonly code: string; readonly message: string };
}

export async function readProgressStream(body: AsyncIterable<Uint8Array>, onProgress: (figures: Record<string, number>) => void): Promise<Record<string, unknown>> {
  const decoder = new TextDecoder();
  let rest = '';
  let done: Record<string, unknown> | null = null;
  const take = (line: string): void => {
    if (line.trim() === '') return;
    let record: ProgressRecord;
    try {
      record = JSON.parse(line) as ProgressRecord;
    } catch {
      throw new Error(`the node sent a progress line that is not JSON: ${line.slice(0, 80)}`);
    }
    if (record.error !== undefined) throw new ProgressStreamError(record.error.code, record.error.message);
    if (record.progress !== undefined) onProgress(record.progress);
    if (record.done !== undefined) done = record.done;
  };
  for await (const piece of body) {
    const lines = (rest + decoder.decode(piece, { stream: true })).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) take(line);
  }
  take(rest + decoder.decode());
  if (done === null) throw new Error('the stream ended without a result');
  return done;
}
