/**
 * One Reed-Solomon codec per K+M scheme, made on first use and kept: making one builds its
 * matrices and WebAssembly kernel, which placement and repair would otherwise redo per block.
 */
import { formatRedundancy, type Redundancy } from '../../services/storage/durability/redundancy.ts';
import { createErasureCodec, type ErasureCodec } from '../../services/storage/erasure/erasure-codec.ts';

const codecs = new Map<string, ErasureCodec>();

export function erasureCodecFor(redundancy: Extract<Redundancy, { kind: 'erasure' }>): ErasureCodec {
  const name = formatRedundancy(redundancy);
  let codec = codecs.get(name);
  if (codec === undefined) {
    codec = createErasureCodec({ dataShards: redundancy.dataFragments, parityShards: redundancy.parityFragments });
    codecs.set(name, codec);
  }
  return codec;
}
