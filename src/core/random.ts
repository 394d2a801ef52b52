/**
 * The source of randomness protocol code is given. The simulator passes a seeded stream per node;
 * a real node passes one backed by node:crypto. Protocol code never calls Math.random.
 */
export interface Random {
  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number;
  /** A uniformly distributed number in [0, 1). */
  nextFloat(): number;
}

/** A uniformly distributed integer in [0, bound). */
export function randomBelow(random: Random, bound: number): number {
  return Math.floor(random.nextFloat() * bound);
}

/** Fisher–Yates, in place. */
export function shuffleInPlace<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBelow(random, i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}
