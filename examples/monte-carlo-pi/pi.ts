// Monte Carlo π as a peergrid work unit (AssemblyScript). Arguments: "<samples> [<tag>]" (a job
// gives each unit a different tag, so that its units draw different points). Output: the
// number of samples that fell inside the unit circle, as text: a job sums them over its units
// and divides by the total samples, times 4. Randomness comes from Math.random, which the host
// seeds per unit (env.seed), so every replica of a unit draws the same points.

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

function writeText(text: string): i32 {
  const bytes = String.UTF8.encode(text);
  return output_write(changetype<usize>(bytes), bytes.byteLength);
}

export function run(): i32 {
  const samples = I64.parseInt(readArgs().trim().split(' ')[0]);
  if (samples <= 0) return 2;
  let inside: i64 = 0;
  const step = samples / 100 > 0 ? samples / 100 : 1;
  for (let i: i64 = 0; i < samples; i++) {
    const x = Math.random();
    const y = Math.random();
    if (x * x + y * y <= 1.0) inside++;
    if (i % step == 0) progress(<f64>i / <f64>samples);
  }
  return writeText(inside.toString()) == 0 ? 0 : 1;
}
