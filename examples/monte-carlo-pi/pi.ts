// Monte Carlo π as a peergrid work unit (AssemblyScript). Arguments: "<samples> [<tag>]" (a job
// gives each unit a different tag, so that its units draw different points). Output: the
// number of samples that fell inside the unit circle, as text: a job sums them over its units
// and divides by the total samples, times 4. Randomness comes from Math.random, which the host
// seeds per unit (env.seed), so every replica of a unit draws the same points.

import { progress, readArgs, writeText } from "../peergrid";

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
