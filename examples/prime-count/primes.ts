// Prime counting as a peergrid work unit (AssemblyScript). Arguments: "<from> <to>". Output: how
// many primes lie in [from, to), as text. A job splits a large range into units and adds up their
// counts. Trial division by odd numbers up to the square root: simple, and heavy enough to be worth
// spreading over volunteers.

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
  const text = String.UTF8.encode(count.toString());
  return output_write(changetype<usize>(text), text.byteLength) == 0 ? 0 : 1;
}
