/**
 * What a joining node asks about after its self-lookup (Kademlia §2.3: "refreshes all k-buckets
 * further away than its closest neighbor").
 *
 * The paper refreshes with a full lookup per bucket. A join that does so costs about log2(n/k)
 * lookups of a dozen requests each, and with b bits per digit it still fills only one bucket of each
 * sibling subtree (the one its random target falls in) out of the 2^b − 1 a level has. Here the
 * joining node instead sends one FIND_NODE per bucket of the ideal table beyond its neighbourhood,
 * to the contact it knows closest to a random point of that bucket, and keeps the k contacts the
 * answer names. One request suffices: after the self-lookup the node knows peers deep in its own
 * subtree, and each of them holds, in its own table, a bucket covering every range the joining node
 * needs (they share its prefix down to that level); and a contact already inside the range knows
 * it better still. docs/BENCHMARKS.md ("Join refresh") measures both styles.
 */
import { ID_BITS, idFromBytes, randomIdInPrefix, withBitFlipped, type Id } from './id.ts';
import type { Random } from './random.ts';

/** A random point of one bucket, and the length of that bucket's prefix. */
export interface RefreshTarget {
  readonly target: Id;
  readonly bucketDepth: number;
}

/**
 * One random target per leaf bucket of an ideal b-bit table that lies in a sibling subtree above
 * `depths` (the number of leading bits our k-th closest neighbour shares with us). The sibling at
 * bit depth d splits, down to the next digit boundary, into 2^(boundary − d − 1) buckets; a whole
 * level holds 2^b − 1. Farthest buckets first.
 */
export function joinRefreshTargets(self: Id, depths: number, bitsPerDigit: number, random: Random): RefreshTarget[] {
  const targets: RefreshTarget[] = [];
  for (let depth = 0; depth < depths && depth < ID_BITS; depth++) {
    const boundary = Math.min(ID_BITS, (Math.floor(depth / bitsPerDigit) + 1) * bitsPerDigit);
    const extraBits = boundary - depth - 1;
    for (let suffix = 0; suffix < 1 << extraBits; suffix++) {
      // Our prefix with bit `depth` flipped, then `suffix` in bits depth+1 … boundary−1: one bucket.
      const bytes = withBitFlipped(self, depth).bytes;
      for (let bit = 0; bit < extraBits; bit++) {
        const index = depth + 1 + bit;
        const mask = 1 << (7 - (index & 7));
        if (((suffix >> (extraBits - 1 - bit)) & 1) === 1) bytes[index >> 3] |= mask;
        else bytes[index >> 3] &= ~mask & 0xff;
      }
      targets.push({ target: randomIdInPrefix(idFromBytes(bytes), boundary, random), bucketDepth: boundary });
    }
  }
  return targets;
}
