/**
 * Progress streams (api/progress-lines.ts and its reader api/progress-stream.ts): progress lines
 * then the outcome, an operation's error carried as its API code, and a stream that breaks off or
 * holds garbage refused with a clear error.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressLines } from '../../src/api/progress-lines.ts';
import { ProgressStreamError, readProgressStream } from '../../src/api/progress-stream.ts';
import { ContentNotFoundError } from '../../src/runtime/content-store-errors.ts';

async function* bytesOf(...texts: string[]): AsyncGenerator<Uint8Array> {
  for (const text of texts) yield new TextEncoder().encode(text);
}

describe('progress streams', () => {
  it('carry progress figures, then the report', async () => {
    const lines = new ProgressLines<{ done: number }>();
    let finish = (_report: { total: number }): void => undefined;
    const operation = new Promise<{ total: number }>((resolve) => (finish = resolve));
    const body = lines.stream(operation);
    lines.progress({ done: 1 });
    setTimeout(() => finish({ total: 7 }), 10);
    const seen: Record<string, number>[] = [];
    const report = await readProgressStream(body, (figures) => seen.push(figures));
    assert.deepEqual(seen, [{ done: 1 }]);
    assert.deepEqual(report, { total: 7 });
  });

  it('send at most one progress line per 200 ms', async () => {
    const lines = new ProgressLines<{ n: number }>();
    for (let n = 0; n < 100; n++) lines.progress({ n });
    const seen: Record<string, number>[] = [];
    await readProgressStream(lines.stream(Promise.resolve({})), (figures) => seen.push(figures));
    assert.deepEqual(seen, [{ n: 0 }]);
  });

  it("carry an operation's failure as its API code and message", async () => {
    const lines = new ProgressLines<unknown>();
    const failing = Promise.reject(new ContentNotFoundError('bafkqaaa'));
    await assert.rejects(readProgressStream(lines.stream(failing), () => {}), (error: unknown) => {
      assert.ok(error instanceof ProgressStreamError);
      assert.equal(error.code, 'not_found');
      assert.match(error.message, /bafkqaaa/);
      return true;
    });
  });

  it('refuse a stream that ends without an outcome, or holds a line that is not JSON', async () => {
    await assert.rejects(readProgressStream(bytesOf('{"progress":{"a":1}}\n'), () => {}), /ended without a result/);
    await assert.rejects(readProgressStream(bytesOf('{"progress":', '{"a":1}}\nnot json\n'), () => {}), /not JSON/);
    // A line split across pieces, and a last line without its newline, are read whole.
    assert.deepEqual(await readProgressStream(bytesOf('{"do', 'ne":{"x":2}}'), () => {}), { x: 2 });
  });
});
