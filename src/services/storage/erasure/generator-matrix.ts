/**
 * The generator matrix of the code: (K+M)×K, the identity on top (a systematic code: fragment i < K
 * is data piece i itself) and an M×K Cauchy matrix below (the parity fragments).
 *
 * Fragment r of a block is row r of the generator times the column of the K data bytes at each byte
 * position. The code is MDS — any K fragments rebuild the block — exactly when every K×K submatrix
 * made of K rows of the generator is invertible. With the Cauchy construction that holds:
 *
 *   C[i][j] = 1 / (x_i + y_j),  x_i = K + i (0 ≤ i < M),  y_j = j (0 ≤ j < K),
 *
 * where the K+M numbers x_i, y_j are distinct elements of GF(256), so no denominator is zero (hence
 * K + M ≤ 256). Every square submatrix of a Cauchy matrix is again a Cauchy matrix, and a Cauchy
 * matrix is invertible (its determinant is a product of non-zero differences over a product of
 * non-zero sums). Take any K rows of the generator: d identity rows (data pieces j ∈ D) and K − d
 * Cauchy rows. Expanding the determinant along the identity rows leaves, up to sign, the determinant
 * of the (K − d)×(K − d) Cauchy submatrix on the columns not in D — non-zero. So every choice of K
 * rows is invertible. (J. Blömer, M. Kalfane, R. Karp, M. Karpinski, M. Luby, D. Zuckerman, "An
 * XOR-based erasure-resilient coding scheme", 1995, §3; Intel ISA-L builds the same matrix in its
 * gf_gen_cauchy1_matrix.)
 *
 * Why not Vandermonde: the tempting construction — identity on top of the rows of a Vandermonde
 * matrix — is not MDS in general (J. S. Plank and Y. Ding, "Note: Correction to the 1997 tutorial
 * on Reed-Solomon coding", 2003). The correct Vandermonde route takes a full (K+M)×K Vandermonde
 * matrix V (any K rows invertible, since the evaluation points are distinct) and multiplies it on
 * the right by the inverse of its top K×K block: V · V_top⁻¹ has the identity on top and keeps the
 * property, because multiplying by an invertible matrix preserves the invertibility of every K-row
 * submatrix. Backblaze's JavaReedSolomon does that. Cauchy gives the same guarantee with no
 * inversion and a one-line proof, so we use it; the tests check the property exhaustively for small
 * K+M and at random for K+M up to 30.
 */
import { gfInverse } from './galois-field.ts';
import { identityMatrix, zeroMatrix, type Matrix } from './matrix.ts';

/** The largest K + M: the Cauchy construction needs K + M distinct field elements. */
export const TOTAL_SHARDS_MAX = 256;

/** The M×K Cauchy block: the coefficients of the parity fragments. */
export function cauchyParityMatrix(dataShards: number, parityShards: number): Matrix {
  if (dataShards + parityShards > TOTAL_SHARDS_MAX) throw new RangeError(`cauchyParityMatrix: K + M = ${dataShards + parityShards} > ${TOTAL_SHARDS_MAX}`);
  const matrix = zeroMatrix(parityShards, dataShards);
  for (let i = 0; i < parityShards; i++) {
    for (let j = 0; j < dataShards; j++) matrix.entries[i * dataShards + j] = gfInverse((dataShards + i) ^ j);
  }
  return matrix;
}

/** The full (K+M)×K generator: identity, then the Cauchy block. */
export function generatorMatrix(dataShards: number, parityShards: number): Matrix {
  const parity = cauchyParityMatrix(dataShards, parityShards);
  const matrix = zeroMatrix(dataShards + parityShards, dataShards);
  matrix.entries.set(identityMatrix(dataShards).entries, 0);
  matrix.entries.set(parity.entries, dataShards * dataShards);
  return matrix;
}
