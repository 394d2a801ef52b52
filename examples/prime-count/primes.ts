// Prime counting as a peergrid work unit (AssemblyScript). Arguments: "<from> <to>". Output: how
// many primes lie in [from, to), as text. A job splits a large range into units and adds up their
// counts. Trial division by odd numbers up to the square root: simple, and heavy enough to be worth
// spreading over volunteers.

import { progress, readArgs, writeText } from "../peergrid";

function isPrime(n: u64): bool {
  if (n < 2) return false;
  if (n < 4) return true;
  if (n % 2 == 0) return false;
  for (let d: u64 = 3; d * d <= n; d += 2) {
    if (n % d == 0) return false;
  }
  return true;
}

export function run(): i32 {
  const parts = readArgs().trim().split(' ');
  if (parts.length != 2) return 2;
  const from = U64.parseInt(parts[0]);
  const to = U64.parseInt(parts[1]);
  if (to < from) return 2;
  let count: u64 = 0;
  const span = to - from;
  for (let n = from; n < to; n++) {
    if (isPrime(n)) count++;
    if ((n - from) % 10000 == 0 && span > 0) progress(<f64>(n - from) / <f64>span);
  }
  return writeText(count.toString()) == 0 ? 0 : 1;
}
