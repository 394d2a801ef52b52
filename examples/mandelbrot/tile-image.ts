/**
 * Puts the Mandelbrot example's tiles together into one RGB image, without files (assemble.ts does
 * the reading and writing). Each tile is a unit's output from tile.ts: width × height bytes, row by
 * row, each a grey level 255 − ⌊255 · iterations / maxIterations⌋ for a point that escaped and 0 for
 * one inside the set. Where a tile goes comes from the unit's own arguments ("<column> <row>
 * <columns> <rows> <x0> <y0> <x1> <y1> <width> <height> <maxIterations>"), so units may arrive in
 * any order.
 *
 * Grid row 0 is the top of the image, as each tile's first row is the top of the tile: the image
 * shows the region with its imaginary axis pointing down, which for the whole set (symmetric about
 * the real axis) looks the same.
 */

export interface TileArgs {
  readonly column: number;
  readonly row: number;
  readonly columns: number;
  readonly rows: number;
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
  /** The tile's size in pixels. */
  readonly width: number;
  readonly height: number;
  readonly maxIterations: number;
}

/** One unit of the job: its arguments and its output, or null when it has none (failed, still open). */
export interface TileResult {
  readonly unit: number;
  readonly args: string;
  readonly output: Uint8Array | null;
  /** Why there is no output ("failed", "open" …), for the report; ignored when there is output. */
  readonly state?: string;
}

/** A tile left grey: where, which unit (null when no unit covers it) and why. */
export interface MissingTile {
  readonly column: number;
  readonly row: number;
  readonly unit: number | null;
  readonly reason: string;
}

export interface AssembledImage {
  readonly width: number;
  readonly height: number;
  /** RGB, row by row, three bytes a pixel. */
  readonly pixels: Uint8Array;
  /** Tiles in the grid (columns × rows), and those of them left grey. */
  readonly tileCount: number;
  readonly missing: readonly MissingTile[];
}

/** The colour of a tile with no output: mid grey, which the palette never yields. */
export const MISSING_RGB: readonly [number, number, number] = [128, 128, 128];

// tile.ts refuses tiles above 4096 pixels a side; a cap on the whole image keeps a lying
// results.json (a million columns) from asking for gigabytes before anything is read.
const TILE_SIDE_MAX = 4096;
export const IMAGE_PIXELS_MAX = 200_000_000;

/** Parses a unit's arguments as tile.ts does, and refuses what tile.ts would refuse. */
export function parseTileArgs(args: string): TileArgs {
  const parts = args.trim().split(/\s+/);
  if (parts.length !== 11) throw new Error(`expected 11 arguments (column row columns rows x0 y0 x1 y1 width height maxIterations), got ${parts.length}: "${args}"`);
  const integer = (index: number, name: string, min: number, max: number): number => {
    const value = Number(parts[index]);
    if (!/^-?\d+$/.test(parts[index]) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${parts[index]}" in "${args}"`);
    return value;
  };
  const real = (index: number, name: string): number => {
    const value = Number(parts[index]);
    if (parts[index] === '' || !Number.isFinite(value)) throw new Error(`${name} must be a finite number, got "${parts[index]}" in "${args}"`);
    return value;
  };
  const columns = integer(2, 'columns', 1, IMAGE_PIXELS_MAX);
  const rows = integer(3, 'rows', 1, IMAGE_PIXELS_MAX);
  return {
    column: integer(0, 'column', 0, columns - 1),
    row: integer(1, 'row', 0, rows - 1),
    columns,
    rows,
    x0: real(4, 'x0'),
    y0: real(5, 'y0'),
    x1: real(6, 'x1'),
    y1: real(7, 'y1'),
    width: integer(8, 'width', 1, TILE_SIDE_MAX),
    height: integer(9, 'height', 1, TILE_SIDE_MAX),
    maxIterations: integer(10, 'maxIterations', 1, 2 ** 31 - 1),
  };
}

/**
 * The palette, indexed by a tile's grey level: 0 (inside the set) is black; the others run from
 * deep blue (escaped at once) through white and orange to dark red (escaped at the last iteration).
 * Most points outside escape within a few iterations, so the position along the gradient is
 * logarithmic in the grey steps below 255: the fast escapes far from the set get the blues, and the
 * slow ones along its edge still get most of the gradient.
 */
export const PALETTE: Uint8Array = buildPalette();

function buildPalette(): Uint8Array {
  const stops: readonly (readonly [number, number, number, number])[] = [
    [0, 0, 10, 60],
    [0.3, 30, 100, 200],
    [0.55, 240, 248, 255],
    [0.8, 255, 165, 20],
    [1, 110, 15, 0],
  ];
  const palette = new Uint8Array(256 * 3); // grey 0 stays black
  for (let grey = 1; grey < 256; grey++) {
    const position = Math.log1p(255 - grey) / Math.log(255);
    const upper = stops.findIndex((stop) => stop[0] >= position);
    const [p0, ...from] = stops[Math.max(upper - 1, 0)];
    const [p1, ...to] = stops[upper];
    const share = p1 === p0 ? 0 : (position - p0) / (p1 - p0);
    for (let k = 0; k < 3; k++) palette[grey * 3 + k] = Math.round(from[k] + (to[k] - from[k]) * share);
  }
  return palette;
}

/**
 * The image the tiles make. All units must describe the same image (grid, region, tile size and
 * iterations) and each tile at most once, and every output must be exactly a tile's size; otherwise
 * this throws, naming the unit. Tiles without output, and tiles of the grid no unit covers, are
 * left grey and listed in `missing`.
 */
export function assembleTiles(tiles: readonly TileResult[]): AssembledImage {
  if (tiles.length === 0) throw new Error('no units: there is nothing to assemble');
  const placed = tiles.map((tile) => ({ tile, at: argsOfUnit(tile) }));
  const first = placed[0];
  const shape = imageShape(first.at);
  const width = first.at.columns * first.at.width;
  const height = first.at.rows * first.at.height;
  if (width * height > IMAGE_PIXELS_MAX) throw new Error(`unit ${first.tile.unit}: a ${width} × ${height} image is above ${IMAGE_PIXELS_MAX} pixels`);
  const pixels = new Uint8Array(width * height * 3);
  const owners = new Map<number, number>(); // tile index (row · columns + column) → unit
  const missing: MissingTile[] = [];
  for (const { tile, at } of placed) {
    if (imageShape(at) !== shape) throw new Error(`unit ${tile.unit}'s arguments describe another image than unit ${first.tile.unit}'s: "${tile.args}" against "${first.tile.args}"`);
    const index = at.row * at.columns + at.column;
    const owner = owners.get(index);
    if (owner !== undefined) throw new Error(`units ${owner} and ${tile.unit} are both tile (${at.column}, ${at.row})`);
    owners.set(index, tile.unit);
    if (tile.output === null) {
      missing.push({ column: at.column, row: at.row, unit: tile.unit, reason: tile.state ?? 'no output' });
      paintMissing(pixels, width, at);
      continue;
    }
    if (tile.output.length !== at.width * at.height) {
      throw new Error(`unit ${tile.unit}: its output is ${tile.output.length} bytes, a ${at.width} × ${at.height} tile is ${at.width * at.height}`);
    }
    paintTile(pixels, width, at, tile.output);
  }
  for (let row = 0; row < first.at.rows; row++) {
    for (let column = 0; column < first.at.columns; column++) {
      if (owners.has(row * first.at.columns + column)) continue;
      missing.push({ column, row, unit: null, reason: 'no unit computes it' });
      paintMissing(pixels, width, { ...first.at, column, row });
    }
  }
  missing.sort((a, b) => a.row - b.row || a.column - b.column);
  return { width, height, pixels, tileCount: first.at.columns * first.at.rows, missing };
}

function argsOfUnit(tile: TileResult): TileArgs {
  try {
    return parseTileArgs(tile.args);
  } catch (error) {
    throw new Error(`unit ${tile.unit}: ${(error as Error).message}`);
  }
}

/** What every tile of one image shares: everything but its column and row. */
function imageShape(at: TileArgs): string {
  return [at.columns, at.rows, at.x0, at.y0, at.x1, at.y1, at.width, at.height, at.maxIterations].join(' ');
}

function paintTile(pixels: Uint8Array, imageWidth: number, at: TileArgs, greys: Uint8Array): void {
  for (let y = 0; y < at.height; y++) {
    let target = ((at.row * at.height + y) * imageWidth + at.column * at.width) * 3;
    for (let x = 0; x < at.width; x++, target += 3) {
      const grey = greys[y * at.width + x];
      pixels[target] = PALETTE[grey * 3];
      pixels[target + 1] = PALETTE[grey * 3 + 1];
      pixels[target + 2] = PALETTE[grey * 3 + 2];
    }
  }
}

function paintMissing(pixels: Uint8Array, imageWidth: number, at: TileArgs): void {
  for (let y = 0; y < at.height; y++) {
    const start = ((at.row * at.height + y) * imageWidth + at.column * at.width) * 3;
    for (let offset = start; offset < start + at.width * 3; offset += 3) pixels.set(MISSING_RGB, offset);
  }
}
