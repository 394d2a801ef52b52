import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  MatrixFormatError,
  loadRttMatrixFile,
  matrixLatencyModel,
  parseRttMatrix,
} from '../../src/sim/latency/matrix.ts';
import type { RttMatrix } from '../../src/sim/latency/matrix.ts';
import { loadPlanetLabMatrix, planetLabLatencyModel } from '../../src/sim/latency/planetlab.ts';
import { Prng } from '../../src/sim/prng.ts';

function rows(...lines: (number | string)[][]): string {
  return lines.map((line) => line.join('\t')).join('\n');
}

function entry(matrix: RttMatrix, i: number, j: number): number {
  return matrix.rttMs[i * matrix.hosts + j];
}

function assertSymmetricWithZeroDiagonal(matrix: RttMatrix): void {
  for (let i = 0; i < matrix.hosts; i++) {
    assert.equal(entry(matrix, i, i), 0);
    for (let j = 0; j < matrix.hosts; j++) {
      assert.equal(entry(matrix, i, j), entry(matrix, j, i), `(${i}, ${j})`);
      if (i !== j) assert.ok(entry(matrix, i, j) > 0 && Number.isFinite(entry(matrix, i, j)));
    }
  }
}

function assertMatrixFormatError(text: string, lineNumber: number, pattern: RegExp): void {
  assert.throws(
    () => parseRttMatrix(text),
    (error: unknown) =>
      error instanceof MatrixFormatError &&
      error.lineNumber === lineNumber &&
      error.message.startsWith(`line ${lineNumber}: `) &&
      pattern.test(error.message),
  );
}

describe('parseRttMatrix: cleaning', () => {
  it('keeps a clean symmetric matrix as it is and reports nothing to clean', () => {
    const { matrix, report } = parseRttMatrix(rows([0, 10, 20], [10, 0, 30], [20, 30, 0]));
    assert.equal(matrix.hosts, 3);
    assert.deepEqual(Array.from(matrix.rttMs), [0, 10, 20, 10, 0, 30, 20, 30, 0]);
    assert.deepEqual(report, {
      hosts: 3,
      missing: 0,
      absurd: 0,
      asymmetricPairs: 0,
      filledByTwoHop: 0,
      filledByMedian: 0,
      medianRttMs: 20,
      maxRttMs: 30,
    });
  });

  it('uses the mean of the two directions of an asymmetric pair', () => {
    const { matrix, report } = parseRttMatrix(rows([0, 10, 20], [12, 0, 30], [20, 31, 0]));
    assert.equal(entry(matrix, 0, 1), 11);
    assert.equal(entry(matrix, 1, 2), 30.5);
    assert.equal(report.asymmetricPairs, 2);
    assertSymmetricWithZeroDiagonal(matrix);
  });

  it('treats markers, negative values and zeros off the diagonal as missing, and uses the other direction', () => {
    const text = rows([0, 'NaN', '-', 7], [10, 0, 0, 8], [20, 30, 0, -1], [7, 8, 9, 0]);
    const { matrix, report } = parseRttMatrix(text);
    assert.equal(report.missing, 4); // (0,1) NaN, (0,2) '-', (1,2) zero, (2,3) negative
    assert.equal(entry(matrix, 0, 1), 10);
    assert.equal(entry(matrix, 0, 2), 20);
    assert.equal(entry(matrix, 1, 2), 30);
    assert.equal(entry(matrix, 2, 3), 9);
    assert.equal(report.filledByTwoHop + report.filledByMedian, 0);
    assertSymmetricWithZeroDiagonal(matrix);
  });

  it('accepts the usual missing-value markers in any case', () => {
    const { report } = parseRttMatrix(rows([0, 'nan', 'NA', 'N/A'], ['?', 0, 'null', 'Inf'], [5, 5, 0, 5], [5, 5, 5, 0]));
    assert.equal(report.missing, 6);
  });

  it('fills a pair with both directions bad from the best two-hop detour over measured pairs', () => {
    // d(0,2) + d(2,1) = 15 + 25 = 40 beats d(0,3) + d(3,1) = 5 + 50 = 55.
    const text = rows([0, 'NaN', 15, 5], [-3, 0, 25, 50], [15, 25, 0, 60], [5, 50, 60, 0]);
    const { matrix, report } = parseRttMatrix(text);
    assert.equal(entry(matrix, 0, 1), 40);
    assert.equal(report.filledByTwoHop, 1);
    assert.equal(report.filledByMedian, 0);
    assert.equal(report.missing, 2);
    assertSymmetricWithZeroDiagonal(matrix);
  });

  it('fills from measured pairs only, never from another fill, and falls back to the median', () => {
    // (0,1) and (0,2) both missing in both directions: each one's only detour needs the other.
    const text = rows([0, 'NaN', 'NaN', 'NaN'], ['NaN', 0, 40, 10], ['NaN', 40, 0, 20], ['NaN', 10, 20, 0]);
    const { matrix, report } = parseRttMatrix(text);
    assert.equal(report.missing, 6);
    assert.equal(report.filledByTwoHop, 0);
    assert.equal(report.filledByMedian, 3);
    // Measured pairs: 40, 10, 20 -> median 20.
    assert.equal(entry(matrix, 0, 1), 20);
    assert.equal(entry(matrix, 0, 2), 20);
    assert.equal(entry(matrix, 0, 3), 20);
    assertSymmetricWithZeroDiagonal(matrix);
  });

  it('uses a two-hop fill when exactly one detour exists, and the median when none does', () => {
    const text = rows([0, 'NaN', 'NaN'], ['NaN', 0, 30], ['NaN', 30, 0]);
    const { matrix, report } = parseRttMatrix(text);
    assert.equal(report.filledByMedian, 2);
    assert.equal(entry(matrix, 0, 1), 30);
    assert.equal(entry(matrix, 0, 2), 30);
  });

  it('discards an RTT above 1000 ms that is more than 3 times a detour, and refills it from the detour', () => {
    const text = rows([0, 1500, 40, 300], [1400, 0, 40, 300], [40, 40, 0, 300], [300, 300, 300, 0]);
    const { matrix, report } = parseRttMatrix(text);
    assert.equal(report.absurd, 2);
    assert.equal(report.filledByTwoHop, 1);
    assert.equal(entry(matrix, 0, 1), 80);
    assertSymmetricWithZeroDiagonal(matrix);
  });

  it('keeps an absurd-looking direction’s partner when only one direction is absurd', () => {
    const text = rows([0, 1500, 40], [70, 0, 40], [40, 40, 0]);
    const { matrix, report } = parseRttMatrix(text);
    assert.equal(report.absurd, 1);
    assert.equal(report.asymmetricPairs, 0);
    assert.equal(entry(matrix, 0, 1), 70);
  });

  it('keeps large RTTs that no detour beats by 3 times, and fast-detour RTTs under 1000 ms', () => {
    // 1200 ms with the best detour at 500 ms (ratio 2.4): a slow but real path.
    // 900 ms with a 20 ms detour: suspicious, but not above the 1000 ms floor.
    const text = rows([0, 1200, 250, 900], [1200, 0, 250, 10], [250, 250, 0, 600], [900, 10, 600, 0]);
    const { matrix, report } = parseRttMatrix(text);
    assert.equal(report.absurd, 0);
    assert.equal(entry(matrix, 0, 1), 1200);
    assert.equal(entry(matrix, 0, 3), 900);
    assert.equal(report.maxRttMs, 1200);
  });

  it('ignores whatever the diagonal holds', () => {
    const { matrix, report } = parseRttMatrix(rows([5, 10], [10, 'NaN']));
    assert.equal(entry(matrix, 0, 0), 0);
    assert.equal(entry(matrix, 1, 1), 0);
    assert.equal(report.missing, 0);
  });

  it('ignores comments and blank lines, and accepts spaces, tabs and CRLF line ends', () => {
    const text = '# a comment\r\n\r\n0  10\t20\r\n  # indented comment\r\n10 0 30\r\n\t20 30 0 \r\n\r\n';
    const { matrix } = parseRttMatrix(text);
    assert.deepEqual(Array.from(matrix.rttMs), [0, 10, 20, 10, 0, 30, 20, 30, 0]);
  });

  it('accepts a one-host matrix', () => {
    const { matrix, report } = parseRttMatrix('0\n');
    assert.equal(matrix.hosts, 1);
    assert.equal(report.medianRttMs, 0);
  });
});

describe('parseRttMatrix: format errors name the line', () => {
  it('rejects a row of the wrong length', () => {
    assertMatrixFormatError('# header\n0 1 2\n1 0\n2 1 0\n', 3, /expected 3 values .* found 2/);
  });

  it('rejects a token that is neither a number nor a missing-value marker', () => {
    assertMatrixFormatError('0 1\n\n1 abc\n', 3, /column 2: 'abc' is neither a number/);
    assertMatrixFormatError('0 1,5\n1 0\n', 1, /'1,5'/);
  });

  it('rejects a matrix that is not square', () => {
    assertMatrixFormatError('0 1\n1 0\n2 2\n', 3, /row 3 found, .* must be square/);
    assertMatrixFormatError('0 1 2\n1 0 2\n', 3, /only 2 rows, .* 3 columns/);
  });

  it('rejects input with no rows or no valid entry', () => {
    assertMatrixFormatError('# nothing\n\n', 3, /no matrix rows/);
    assertMatrixFormatError('0 NaN\n- 0', 2, /no valid round-trip time/);
  });

  it('names the file when loading from disk', () => {
    const directory = mkdtempSync(join(tmpdir(), 'peergrid-matrix-'));
    try {
      const path = join(directory, 'bad.txt');
      writeFileSync(path, '0 1\n1 x\n');
      assert.throws(
        () => loadRttMatrixFile(path),
        (error: unknown) =>
          error instanceof MatrixFormatError && error.lineNumber === 2 && error.message.startsWith(`${path}: line 2:`),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('matrixLatencyModel', () => {
  const { matrix } = parseRttMatrix(rows([0, 10, 20], [10, 0, 30], [20, 30, 0]));

  it('adds both ends’ access delays twice to the core RTT, symmetrically, with 0 core on a shared host', () => {
    const model = matrixLatencyModel(matrix, { name: 'small' });
    const a = { host: 0, accessMs: 1, latitude: Number.NaN, longitude: Number.NaN };
    const b = { host: 2, accessMs: 3, latitude: Number.NaN, longitude: Number.NaN };
    const c = { host: 0, accessMs: 0.5, latitude: Number.NaN, longitude: Number.NaN };
    assert.equal(model.rttMs(a, b), 20 + 2 * (1 + 3));
    assert.equal(model.rttMs(b, a), model.rttMs(a, b));
    assert.equal(model.rttMs(a, c), 2 * (1 + 0.5));
    assert.equal(model.name, 'small');
  });

  it('places nodes on uniformly chosen hosts with exponential access delays (mean 2 ms, cap 20 ms)', () => {
    const model = matrixLatencyModel(matrix, { name: 'small' });
    const random = Prng.fromSeed(17);
    const hostCounts = [0, 0, 0];
    let accessSum = 0;
    const count = 30_000;
    for (let i = 0; i < count; i++) {
      const placement = model.place(random);
      hostCounts[placement.host]++;
      accessSum += placement.accessMs;
      assert.ok(placement.accessMs >= 0 && placement.accessMs <= 20);
      assert.ok(Number.isNaN(placement.latitude) && Number.isNaN(placement.longitude));
    }
    for (const hostCount of hostCounts) assert.ok(Math.abs(hostCount / count - 1 / 3) < 0.02);
    assert.ok(Math.abs(accessSum / count - 2) < 0.05, `mean access ${accessSum / count}`);
  });

  it('places deterministically given the Random, and honours accessMsMean', () => {
    const model = matrixLatencyModel(matrix, { name: 'small', accessMsMean: 0 });
    const first = Array.from({ length: 20 }, ((random) => () => model.place(random))(Prng.fromSeed(1)));
    const second = Array.from({ length: 20 }, ((random) => () => model.place(random))(Prng.fromSeed(1)));
    assert.deepEqual(first, second);
    assert.ok(first.every((placement) => placement.accessMs === 0));
    assert.throws(() => matrixLatencyModel(matrix, { name: 'bad', accessMsMean: -1 }), RangeError);
  });
});

describe('the PlanetLab matrix', () => {
  it('has 490 hosts, and cleaning fixes only the 67 pairs of one loaded host', (t) => {
    const { matrix, report } = loadPlanetLabMatrix();
    t.diagnostic(`PlanetLab cleaning report: ${JSON.stringify(report)}`);
    assert.equal(report.hosts, 490);
    assert.equal(matrix.rttMs.length, 490 * 490);
    assert.equal(report.missing, 0);
    assert.equal(report.absurd, 134);
    assert.equal(report.asymmetricPairs, 0);
    assert.equal(report.filledByTwoHop, 67);
    assert.equal(report.filledByMedian, 0);
    assert.ok(Math.abs(report.medianRttMs - 134.97) < 0.01, `median ${report.medianRttMs}`);
    assert.ok(report.maxRttMs < 1000, `max ${report.maxRttMs}`);
    assertSymmetricWithZeroDiagonal(matrix);
  });

  it('is parsed once and cached', () => {
    assert.equal(loadPlanetLabMatrix(), loadPlanetLabMatrix());
    const model = planetLabLatencyModel();
    assert.equal(model.name, 'planetlab');
    const random = Prng.fromSeed(2);
    const a = model.place(random);
    const b = model.place(random);
    assert.ok(a.host >= 0 && a.host < 490);
    assert.equal(model.rttMs(a, b), model.rttMs(b, a));
  });
});
