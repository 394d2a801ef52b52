// One tile of a Mandelbrot image as a peergrid work unit (AssemblyScript). Arguments:
// "<column> <row> <columns> <rows> <x0> <y0> <x1> <y1> <width> <height> <maxIterations>": which
// tile of a columns × rows grid over the region from (x0, y0) to (x1, y1) of the complex plane, and
// the tile's size in pixels. Output: width × height bytes, one grey level per pixel (0 inside the
// set), row by row; a job renders every tile and assembles them into one image.

import { output_write, progress, readArgs } from "../peergrid";

export function run(): i32 {
  const parts = readArgs().trim().split(' ');
  if (parts.length != 11) return 2;
  const column = I32.parseInt(parts[0]);
  const row0 = I32.parseInt(parts[1]);
  const columns = I32.parseInt(parts[2]);
  const rows = I32.parseInt(parts[3]);
  const regionX0 = F64.parseFloat(parts[4]);
  const regionY0 = F64.parseFloat(parts[5]);
  const regionX1 = F64.parseFloat(parts[6]);
  const regionY1 = F64.parseFloat(parts[7]);
  const width = I32.parseInt(parts[8]);
  const height = I32.parseInt(parts[9]);
  const maxIterations = I32.parseInt(parts[10]);
  if (columns <= 0 || rows <= 0 || column < 0 || column >= columns || row0 < 0 || row0 >= rows) return 2;
  if (width <= 0 || height <= 0 || width > 4096 || height > 4096 || maxIterations <= 0) return 2;
  const tileWidth = (regionX1 - regionX0) / <f64>columns;
  const tileHeight = (regionY1 - regionY0) / <f64>rows;
  const x0 = regionX0 + tileWidth * <f64>column;
  const y0 = regionY0 + tileHeight * <f64>row0;
  const x1 = x0 + tileWidth;
  const y1 = y0 + tileHeight;
  const pixels = new Uint8Array(width * height);
  for (let row = 0; row < height; row++) {
    const ci = y0 + (y1 - y0) * (<f64>row / <f64>height);
    for (let column = 0; column < width; column++) {
      const cr = x0 + (x1 - x0) * (<f64>column / <f64>width);
      let zr = 0.0;
      let zi = 0.0;
      let iteration = 0;
      while (iteration < maxIterations && zr * zr + zi * zi <= 4.0) {
        const next = zr * zr - zi * zi + cr;
        zi = 2.0 * zr * zi + ci;
        zr = next;
        iteration++;
      }
      pixels[row * width + column] = iteration == maxIterations ? 0 : <u8>(255 - (iteration * 255) / maxIterations);
    }
    progress(<f64>(row + 1) / <f64>height);
  }
  return output_write(pixels.dataStart, pixels.length) == 0 ? 0 : 1;
}
