// One tile of a Mandelbrot image as a peergrid work unit (AssemblyScript). Arguments:
// "<x0> <y0> <x1> <y1> <width> <height> <maxIterations>": the tile's corner points in the complex
// plane and its size in pixels. Output: width × height bytes, one grey level per pixel (0 inside
// the set), row by row; a job renders many tiles and assembles them into one PNG.

@external("peergrid", "args_size") declare function args_size(): i32;
@external("peergrid", "args_read") declare function args_read(ptr: usize, offset: i32, length: i32): i32;
@external("peergrid", "output_write") declare function output_write(ptr: usize, length: i32): i32;
@external("peergrid", "progress") declare function progress(fraction: f64): void;

function readArgs(): string {
  const size = args_size();
  const buffer = new ArrayBuffer(size);
  args_read(changetype<usize>(buffer), 0, size);
  return String.UTF8.decode(buffer);
}

export function run(): i32 {
  const parts = readArgs().trim().split(' ');
  if (parts.length != 7) return 2;
  const x0 = F64.parseFloat(parts[0]);
  const y0 = F64.parseFloat(parts[1]);
  const x1 = F64.parseFloat(parts[2]);
  const y1 = F64.parseFloat(parts[3]);
  const width = I32.parseInt(parts[4]);
  const height = I32.parseInt(parts[5]);
  const maxIterations = I32.parseInt(parts[6]);
  if (width <= 0 || height <= 0 || width > 4096 || height > 4096 || maxIterations <= 0) return 2;
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
