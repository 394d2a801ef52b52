/**
 * From cut points to chunk bytes: splits a stream given as pieces into its chunks. A chunk that lies
 * within one piece is a view of it (no copy); a chunk spanning pieces is copied into one array. Pieces
 * are not copied when pushed, so a caller must not modify a piece after giving it.
 */
import type { ChunkingConfig } from './chunking-config.ts';
import type { GearRoller } from './gear-roll.ts';
import { StreamingChunker } from './streaming-chunker.ts';

export class ChunkAssembler {
  private readonly chunker: StreamingChunker;
  /** The current chunk's bytes from earlier pieces, as views. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;

  constructor(config: ChunkingConfig, roll?: GearRoller) {
    this.chunker = new StreamingChunker(config, roll);
  }

  /** Takes the next piece; returns the chunks it completes, in order. */
  push(piece: Uint8Array): Uint8Array[] {
    const pieceStart = this.chunker.bytesPushed;
    const chunks: Uint8Array[] = [];
    let from = 0;
    for (const end of this.chunker.push(piece)) {
      const to = end - pieceStart;
      chunks.push(this.complete(piece.subarray(from, to)));
      from = to;
    }
    if (from < piece.length) {
      this.pending.push(piece.subarray(from));
      this.pendingBytes += piece.length - from;
    }
    return chunks;
  }

  /** Ends the stream: returns the last chunk, if any bytes are left. */
  finish(): Uint8Array[] {
    return this.chunker.finish().length > 0 ? [this.complete(new Uint8Array(0))] : [];
  }

  private complete(tail: Uint8Array): Uint8Array {
    if (this.pending.length === 0) return tail;
    const chunk = new Uint8Array(this.pendingBytes + tail.length);
    let offset = 0;
    for (const part of this.pending) {
      chunk.set(part, offset);
      offset += part.length;
    }
    chunk.set(tail, offset);
    this.pending = [];
    this.pendingBytes = 0;
    return chunk;
  }
}

/** The chunks of a stream given as an iterable of pieces. */
export function* chunksOf(pieces: Iterable<Uint8Array>, config: ChunkingConfig): Generator<Uint8Array> {
  const assembler = new ChunkAssembler(config);
  for (const piece of pieces) yield* assembler.push(piece);
  yield* assembler.finish();
}

/** The chunks of a stream given as an async iterable of pieces (a Node readable stream is one). */
export async function* chunksOfStream(pieces: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, config: ChunkingConfig): AsyncGenerator<Uint8Array> {
  const assembler = new ChunkAssembler(config);
  for await (const piece of pieces) yield* assembler.push(piece);
  yield* assembler.finish();
}
