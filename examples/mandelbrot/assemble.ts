/**
 * Assembles the Mandelbrot job's tiles into a PNG:
 *
 *   node examples/mandelbrot/assemble.ts <results dir> [-o mandelbrot.png]
 *
 * The directory is what `peergrid job results <id> -o DIR` writes: results.json, listing every unit
 * with its arguments, state and output file, and one unit-NNNNNN.out per unit with output. Tiles
 * that failed or are still open are left grey and listed on stderr; the PNG is written all the
 * same. Input that cannot make an image (a missing or malformed results.json, a missing output
 * file, an output of the wrong size, units of different images) is an error: one line on stderr
 * and exit code 1.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { encodePng } from '../../src/runtime/compute/png-encoder.ts';
import { assembleTiles, type TileResult } from './tile-image.ts';

const USAGE = 'usage: node assemble.ts <results dir> [-o mandelbrot.png]';

/** The units listed in dir/results.json with their output bytes (null for units not done). */
export async function readResultsDir(dir: string): Promise<TileResult[]> {
  const listing = join(dir, 'results.json');
  const text = await readFile(listing, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${listing}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${listing} is not JSON: ${(error as Error).message}`);
  }
  const units = (parsed as { units?: unknown } | null)?.units;
  if (!Array.isArray(units)) throw new Error(`${listing}: expected an object with a "units" array`);
  const tiles: TileResult[] = [];
  for (const [position, entry] of units.entries()) {
    const { unit, args, state, output } = (entry ?? {}) as Record<string, unknown>;
    const where = `${listing}: units[${position}]`;
    if (!Number.isSafeInteger(unit) || (unit as number) < 0) throw new Error(`${where}.unit must be a unit index, got ${JSON.stringify(unit)}`);
    if (typeof args !== 'string') throw new Error(`${where}.args must be a string`);
    if (typeof state !== 'string') throw new Error(`${where}.state must be a string`);
    if (output !== null && output !== undefined && typeof output !== 'string') throw new Error(`${where}.output must be a file name or null`);
    if (state !== 'done' || output === null || output === undefined) {
      tiles.push({ unit: unit as number, args, output: null, state: state === 'done' ? 'done without an output file' : state });
      continue;
    }
    // Only a plain name inside the directory: a results.json must not make us read elsewhere.
    if (output === '' || output === '.' || output === '..' || basename(output) !== output || output.includes('\\')) {
      throw new Error(`${where}.output must be a file name in ${dir}, got ${JSON.stringify(output)}`);
    }
    const bytes = await readFile(join(dir, output)).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`unit ${unit as number}: cannot read ${join(dir, output)}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
    });
    tiles.push({ unit: unit as number, args, output: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
  }
  return tiles;
}

/** The command: returns its exit code; reports on stdout and stderr. */
export async function main(argv: readonly string[]): Promise<number> {
  let dir: string;
  let outputPath: string;
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: { output: { type: 'string', short: 'o', default: 'mandelbrot.png' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new Error(`expected one results directory, got ${positionals.length}`);
    [dir, outputPath] = [positionals[0], values.output];
  } catch (error) {
    process.stderr.write(`assemble: ${(error as Error).message}\n${USAGE}\n`);
    return 1;
  }
  try {
    const image = assembleTiles(await readResultsDir(dir));
    const png = encodePng({ width: image.width, height: image.height, channels: 3, bitDepth: 8, pixels: image.pixels });
    await writeFile(outputPath, png).catch((error: NodeJS.ErrnoException) => {
      throw new Error(`cannot write ${outputPath}: ${error.code === 'ENOENT' ? 'no such directory' : error.message}`);
    });
    for (const tile of image.missing) {
      const unit = tile.unit === null ? '' : ` (unit ${tile.unit})`;
      process.stderr.write(`assemble: tile (${tile.column}, ${tile.row})${unit}: ${tile.reason}; left grey\n`);
    }
    const missing = image.missing.length > 0 ? `, ${image.missing.length} of them missing (grey)` : '';
    process.stdout.write(`wrote ${outputPath}: ${image.width} × ${image.height} pixels, ${image.tileCount} tiles${missing}\n`);
    return 0;
  } catch (error) {
    // Whatever went wrong, one line that says what, never a stack trace.
    process.stderr.write(`assemble: ${(error as Error).message}\n`);
    return 1;
  }
}

/** True when Node was started on this file, false when it is imported (the test imports readResultsDir). */
function runAsCommand(): boolean {
  try {
    return process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
  } catch {
    return false;
  }
}

if (runAsCommand()) process.exitCode = await main(process.argv.slice(2));
