/**
 * The Mandelbrot example's assembler (examples/mandelbrot/assemble.ts, tile-image.ts): tiles
 * rendered by the real tile.wasm in the sandbox are placed by their arguments into one PNG, a
 * failed tile is left grey and reported, and bad input ends with one clear line and exit code 1.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileExample } from '../../examples/build-example.ts';
import { readResultsDir } from '../../examples/mandelbrot/assemble.ts';
import { assembleTiles, MISSING_RGB, PALETTE, parseTileArgs, type TileResult } from '../../examples/mandelbrot/tile-image.ts';
import { runUnit } from '../../src/runtime/compute/unit-sandbox.ts';
import { decodePng } from '../support/png-reader.ts';

const ASSEMBLE = fileURLToPath(new URL('../../examples/mandelbrot/assemble.ts', import.meta.url));
const TILE_PIXELS = 16;
const argsOf = (column: number, row: number): string => `${column} ${row} 2 2 -2.5 -1.25 1 1.25 ${TILE_PIXELS} ${TILE_PIXELS} 100`;

let work: string;
/** The four tiles of a 2 × 2 grid, by unit (unit = row · 2 + column), as tile.wasm renders them. */
const tileOutputs: Uint8Array[] = [];

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'peergrid-mandelbrot-'));
  // Built afresh: examples/mandelbrot/tile.wasm is a build product that may be older than tile.ts.
  const wasm = join(work, 'tile.wasm');
  await compileExample(fileURLToPath(new URL('../../examples/mandelbrot/tile.ts', import.meta.url)), wasm);
  const program = new Uint8Array(await readFile(wasm));
  for (let unit = 0; unit < 4; unit++) {
    const outcome = await runUnit({ program, input: new Uint8Array(0), args: argsOf(unit % 2, Math.floor(unit / 2)) });
    assert.equal(outcome.status, 'ok', outcome.detail);
    tileOutputs.push(outcome.output);
  }
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

interface ListedUnit {
  readonly unit: number;
  readonly args: string;
  readonly state: 'done' | 'failed' | 'open';
  readonly output: string | null;
  /** The bytes written as the unit's .out file; omitted to leave the file out. */
  readonly bytes?: Uint8Array;
}

/** Writes a results directory as `peergrid job results -o DIR` does. */
async function resultsDir(name: string, units: readonly ListedUnit[]): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const unit of units) if (unit.output !== null && unit.bytes !== undefined) await writeFile(join(dir, unit.output), unit.bytes);
  const listed = units.map(({ unit, args, state, output }) => ({ unit, args, state, output, outputHash: '', fuel: '0' }));
  await writeFile(join(dir, 'results.json'), JSON.stringify({ jobId: 'test-job', units: listed }));
  return dir;
}

function doneUnit(unit: number, bytes: Uint8Array = tileOutputs[unit]): ListedUnit {
  return { unit, args: argsOf(unit % 2, Math.floor(unit / 2)), state: 'done', output: `unit-${String(unit).padStart(6, '0')}.out`, bytes };
}

function assemble(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [ASSEMBLE, ...args], { cwd: work }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
    });
  });
}

function rgbAt(pixels: Uint8Array, width: number, x: number, y: number): number[] {
  return [...pixels.subarray((y * width + x) * 3, (y * width + x) * 3 + 3)];
}

describe('assembling the Mandelbrot tiles into a PNG', { timeout: 120_000 }, () => {
  it('places each tile by its arguments, colours it with the palette, and leaves a failed tile grey and reported', async () => {
    // Listed out of order: placement must come from the arguments, not the order.
    const dir = await resultsDir('three-of-four', [doneUnit(2), { unit: 3, args: argsOf(1, 1), state: 'failed', output: null }, doneUnit(0), doneUnit(1)]);
    const png = join(work, 'three-of-four.png');
    const run = await assemble(dir, '-o', png);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^assemble: tile \(1, 1\) \(unit 3\): failed; left grey\n$/);
    assert.match(run.stdout, /32 × 32 pixels, 4 tiles, 1 of them missing \(grey\)/);
    const image = decodePng(new Uint8Array(await readFile(png)));
    assert.deepEqual([image.width, image.height, image.channels], [32, 32, 3]);
    let inside = 0;
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const [column, row] = [Math.floor(x / TILE_PIXELS), Math.floor(y / TILE_PIXELS)];
        const unit = row * 2 + column;
        const actual = rgbAt(image.pixels, 32, x, y);
        if (unit === 3) {
          assert.deepEqual(actual, [...MISSING_RGB], `(${x}, ${y}) in the failed tile`);
          continue;
        }
        const grey = tileOutputs[unit][(y % TILE_PIXELS) * TILE_PIXELS + (x % TILE_PIXELS)];
        assert.deepEqual(actual, [...PALETTE.subarray(grey * 3, grey * 3 + 3)], `(${x}, ${y}) of unit ${unit}`);
        if (grey === 0) {
          assert.deepEqual(actual, [0, 0, 0], 'inside the set is black');
          inside++;
        }
      }
    }
    assert.ok(inside > 0, 'some of the rendered points are inside the set');
  });

  it('writes the whole image with nothing on stderr when every tile is there', async () => {
    const dir = await resultsDir('all-four', [0, 1, 2, 3].map((unit) => doneUnit(unit)));
    const run = await assemble(dir, '--output', 'all-four.png');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^wrote all-four\.png: 32 × 32 pixels, 4 tiles\n$/);
    const image = decodePng(new Uint8Array(await readFile(join(work, 'all-four.png'))));
    assert.deepEqual(rgbAt(image.pixels, 32, 31, 31), [...PALETTE.subarray(tileOutputs[3][255] * 3, tileOutputs[3][255] * 3 + 3)]);
  });

  it('ends bad input with one line on stderr and exit code 1, writing no PNG', async () => {
    const wrongSize = await resultsDir('wrong-size', [doneUnit(0), doneUnit(1, new Uint8Array(100)), doneUnit(2), doneUnit(3)]);
    const fileMissing = await resultsDir('file-missing', [doneUnit(0), { ...doneUnit(1), bytes: undefined }]);
    const escaping = await resultsDir('escaping', [{ ...doneUnit(0), output: '../three-of-four.png' }]);
    const otherImage = await resultsDir('other-image', [doneUnit(0), { ...doneUnit(1), args: argsOf(1, 0).replace(' 100', ' 101') }]);
    const notJson = join(work, 'not-json');
    await mkdir(notJson);
    await writeFile(join(notJson, 'results.json'), '{"units": [');
    const cases: [string[], RegExp][] = [
      [[join(work, 'no-such-dir')], /cannot read .*no-such-dir\/results\.json: no such file/],
      [[wrongSize], /unit 1: its output is 100 bytes, a 16 × 16 tile is 256/],
      [[fileMissing], /unit 1: cannot read .*unit-000001\.out: no such file/],
      [[escaping], /units\[0\]\.output must be a file name in/],
      [[otherImage], /unit 1's arguments describe another image than unit 0's/],
      [[notJson], /results\.json is not JSON/],
      [[], /expected one results directory, got 0/],
    ];
    for (const [args, message] of cases) {
      const png = join(work, 'should-not-exist.png');
      const run = await assemble(...args, '-o', png);
      assert.equal(run.code, 1, `${args.join(' ')}: exit code`);
      assert.match(run.stderr, message);
      assert.match(run.stderr.split('\n')[0], /^assemble: /);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
      await assert.rejects(access(png), `${args.join(' ')}: no PNG written`);
    }
  });

  it('reads a results directory: units not done have no output, whatever results.json says', async () => {
    const dir = await resultsDir('states', [doneUnit(0), { unit: 1, args: argsOf(1, 0), state: 'open', output: null }, { ...doneUnit(2), state: 'failed' }]);
    const tiles = await readResultsDir(dir);
    assert.deepEqual(tiles.map((tile) => [tile.unit, tile.output?.length ?? null, tile.output === null ? tile.state : null]), [[0, 256, null], [1, null, 'open'], [2, null, 'failed']]);
  });
});

describe('assembleTiles', () => {
  const flat = (grey: number): Uint8Array => new Uint8Array(4).fill(grey);
  const tile = (unit: number, column: number, row: number, output: Uint8Array | null): TileResult => ({ unit, args: `${column} ${row} 2 1 0 0 1 1 2 2 10`, output, state: 'failed' });

  it('puts tile (column, row) at (column · width, row · height) and lists uncovered tiles as missing', () => {
    const image = assembleTiles([tile(7, 1, 0, flat(200))]);
    assert.deepEqual([image.width, image.height, image.tileCount], [4, 2, 2]);
    for (const [x, y] of [[2, 0], [3, 1]]) assert.deepEqual(rgbAt(image.pixels, 4, x, y), [...PALETTE.subarray(600, 603)]);
    for (const [x, y] of [[0, 0], [1, 1]]) assert.deepEqual(rgbAt(image.pixels, 4, x, y), [...MISSING_RGB]);
    assert.deepEqual(image.missing, [{ column: 0, row: 0, unit: null, reason: 'no unit computes it' }]);
  });

  it('refuses tiles of the wrong size, two units for one tile, mixed images, bad arguments and no units', () => {
    assert.throws(() => assembleTiles([tile(0, 0, 0, new Uint8Array(5))]), /unit 0: its output is 5 bytes, a 2 × 2 tile is 4/);
    assert.throws(() => assembleTiles([tile(0, 1, 0, flat(1)), tile(4, 1, 0, null)]), /units 0 and 4 are both tile \(1, 0\)/);
    assert.throws(() => assembleTiles([tile(0, 0, 0, flat(1)), { unit: 1, args: '1 0 2 1 0 0 1 1 2 3 10', output: new Uint8Array(6) }]), /unit 1's arguments describe another image/);
    assert.throws(() => assembleTiles([{ unit: 2, args: '0 0 2 1 0 0 1 1 2 2', output: flat(1) }]), /unit 2: expected 11 arguments/);
    assert.throws(() => assembleTiles([]), /no units/);
  });

  it('parses arguments as tile.ts does and refuses what it would refuse', () => {
    assert.deepEqual(parseTileArgs(' 3 5 8 6 -2.5 -1.25 1 1.25 128 128 500 '), { column: 3, row: 5, columns: 8, rows: 6, x0: -2.5, y0: -1.25, x1: 1, y1: 1.25, width: 128, height: 128, maxIterations: 500 });
    assert.throws(() => parseTileArgs('8 0 8 6 -2.5 -1.25 1 1.25 128 128 500'), /column must be an integer from 0 to 7, got "8"/);
    assert.throws(() => parseTileArgs('0 0 8 6 -2.5 -1.25 1 1.25 1.5 128 500'), /width must be an integer/);
    assert.throws(() => parseTileArgs('0 0 8 6 -2.5 -1.25 1 1.25 5000 128 500'), /width must be an integer from 1 to 4096/);
    assert.throws(() => parseTileArgs('0 0 8 6 x -1.25 1 1.25 128 128 500'), /x0 must be a finite number, got "x"/);
  });

  it('keeps black for the set and mid grey for missing tiles apart from every other colour', () => {
    assert.deepEqual([...PALETTE.subarray(0, 3)], [0, 0, 0]);
    for (let grey = 1; grey < 256; grey++) {
      const colour = [...PALETTE.subarray(grey * 3, grey * 3 + 3)];
      assert.notDeepEqual(colour, [0, 0, 0], `grey ${grey}`);
      assert.notDeepEqual(colour, [...MISSING_RGB], `grey ${grey}`);
    }
  });
});
