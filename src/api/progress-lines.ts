/**
 * A long operation's answer as NDJSON lines (fetches and placements): `{"progress":{…}}` at most
 * every 200 ms, then `{"done":{…}}` with the report, or `{"error":{"code","message"}}` with what
 * the API would have answered had the status line not long been sent.
 *
 * The operation is started by the handler before the answer begins, so that arguments it refuses
 * at once (a bad scheme, content not here) still get their HTTP status; `progress` is what the
 * operation is given to report with.
 */
import { errorAnswer } from './errors.ts';

/** Progress lines are written at most this often: live enough for a progress bar, cheap at any rate. */
const PROGRESS_INTERVAL_MS = 200;

export class ProgressLines<P> {
  private readonly lines: string[] = [];
  private wake: (() => void) | null = null;
  private lastAtMs = Number.NEGATIVE_INFINITY;

  /** Hand this to the operation: it keeps the newest figures, at most one line per interval. */
  readonly progress = (figures: P): void => {
    const nowMs = performance.now();
    if (nowMs - this.lastAtMs < PROGRESS_INTERVAL_MS) return;
    this.lastAtMs = nowMs;
    this.push(JSON.stringify({ progress: figures }));
  };

  /** The answer's body: the progress lines as they come, then the outcome of `operation`. */
  async *stream<R>(operation: Promise<R>, report: (result: R) => unknown = (result) => result): AsyncGenerator<Uint8Array> {
    const encoder = new TextEncoder();
    let finished = false;
    const settled = operation.then(
      (result) => this.push(JSON.stringify({ done: report(result) })),
      (error: unknown) => this.push(JSON.stringify({ error: errorAnswer(error).body.error })),
    ).finally(() => {
      finished = true;
      this.wake?.();
    });
    while (!finished || this.lines.length > 0) {
      if (this.lines.length === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      yield encoder.encode(`${this.lines.shift() as string}\n`);
    }
    await settled;
  }

  private push(line: string): void {
    this.lines.push(line);
    this.wake?.();
  }
}
