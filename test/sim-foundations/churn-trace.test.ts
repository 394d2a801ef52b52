import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ChurnTraceFormatError, formatChurnTrace, loadChurnTrace, parseChurnTrace } from '../../src/sim/churn/trace.ts';
import { trace } from '../../src/sim/churn/models.ts';

const EXAMPLE_TRACE_URL = new URL('../../data/churn-example.trace', import.meta.url);

function assertTraceError(text: string, lineNumber: number, pattern: RegExp): void {
  assert.throws(
    () => parseChurnTrace(text),
    (error: unknown) =>
      error instanceof ChurnTraceFormatError &&
      error.lineNumber === lineNumber &&
      error.message.startsWith(`line ${lineNumber}: `) &&
      pattern.test(error.message),
  );
}

describe('parseChurnTrace', () => {
  it('reads one array of durations per node, skipping comments and blank lines', () => {
    const text = '# header\n\n3600000 600000 7200000\n  # indented comment\n900000\r\n0\t1800000  3600000\n';
    assert.deepEqual(parseChurnTrace(text), [[3600000, 600000, 7200000], [900000], [0, 1800000, 3600000]]);
  });

  it('reads the example trace in data/, and the model replays it', () => {
    const lines = loadChurnTrace(EXAMPLE_TRACE_URL);
    assert.equal(lines.length, 8);
    const model = trace(lines);
    assert.ok(model.availability > 0 && model.availability <= 1);
  });

  it('round-trips through formatChurnTrace', () => {
    const duration = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
    const line = fc.tuple(fc.boolean(), fc.array(duration, { minLength: 1, maxLength: 12 })).map(
      ([startsOffline, durations]) => (startsOffline ? [0, ...durations] : durations),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 20 }), fc.option(fc.string()), (nodes, comment) => {
        const text = formatChurnTrace(nodes, comment ?? undefined);
        assert.deepEqual(parseChurnTrace(text), nodes);
      }),
      { seed: 20240601, numRuns: 200 },
    );
  });

  it('rejects bad tokens, negative and non-integer durations, and lines without durations, naming the line', () => {
    assertTraceError('# c\n100 200\n100 abc\n', 3, /duration 2 'abc' is not a number/);
    assertTraceError('100 -5\n', 1, /duration 2 '-5' is negative/);
    assertTraceError('100\n1.5 20\n', 2, /duration 1 '1.5' is not an integer/);
    assertTraceError('1e3\n', 1, /not an integer/);
    assertTraceError('\n0\n', 2, /no durations after the leading 0/);
    assertTraceError('10 0 5\n', 1, /only the first duration of a line may be 0/);
    assertTraceError('99999999999999999999\n', 1, /too large/);
    assertTraceError('# only comments\n\n', 3, /no node lines/);
  });

  it('names the file when loading from disk', () => {
    const directory = mkdtempSync(join(tmpdir(), 'peergrid-trace-'));
    try {
      const path = join(directory, 'bad.trace');
      writeFileSync(path, '100\nx\n');
      assert.throws(
        () => loadChurnTrace(path),
        (error: unknown) => error instanceof ChurnTraceFormatError && error.message.startsWith(`${path}: line 2:`),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
