/**
 * A small PNG reader for tests (W3C PNG Third Edition): it parses the chunks, checks each one's
 * CRC-32, reads IHDR, inflates the IDAT stream and undoes the five scanline filters. Written apart
 * from src/runtime/compute/png-encoder.ts, from the specification, so the two check each other:
 * it handles only what that encoder writes (8-bit grey, RGB, RGBA, no interlace) and fails loudly
 * on anything else.
 */
import { crc32, inflateSync } from 'node:zlib';

export interface PngChunk {
  readonly type: string;
  readonly data: Uint8Array;
}

export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  readonly bitDepth: number;
  readonly colourType: number;
  readonly channels: number;
  readonly pixels: Uint8Array;
  readonly chunks: readonly PngChunk[];
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS_BY_COLOUR_TYPE: Readonly<Record<number, number>> = { 0: 1, 2: 3, 6: 4 };

/** The chunks in order; throws on a wrong signature, a truncated chunk or a CRC that does not match. */
export function readPngChunks(bytes: Uint8Array): PngChunk[] {
  if (bytes.length < 8 || SIGNATURE.some((byte, i) => bytes[i] !== byte)) throw new Error('not a PNG: bad signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: PngChunk[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    if (offset + 12 > bytes.length) throw new Error(`truncated chunk at byte ${offset}`);
    const length = view.getUint32(offset);
    if (offset + 12 + length > bytes.length) throw new Error(`chunk at byte ${offset} runs past the end`);
    const typeAndData = bytes.subarray(offset + 4, offset + 8 + length);
    const stored = view.getUint32(offset + 8 + length);
    const type = String.fromCharCode(...typeAndData.subarray(0, 4));
    if (crc32(typeAndData) !== stored) throw new Error(`${type} chunk at byte ${offset}: CRC mismatch`);
    chunks.push({ type, data: typeAndData.subarray(4) });
    offset += 12 + length;
  }
  return chunks;
}

/** Decodes a PNG of the kinds our encoder writes to its raw pixels. */
export function decodePng(bytes: Uint8Array): DecodedPng {
  const chunks = readPngChunks(bytes);
  if (chunks[0]?.type !== 'IHDR' || chunks[0].data.length !== 13) throw new Error('the first chunk is not a 13-byte IHDR');
  if (chunks.at(-1)?.type !== 'IEND') throw new Error('the last chunk is not IEND');
  const header = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
  const width = header.getUint32(0);
  const height = header.getUint32(4);
  const bitDepth = header.getUint8(8);
  const colourType = header.getUint8(9);
  const channels = CHANNELS_BY_COLOUR_TYPE[colourType];
  if (bitDepth !== 8 || channels === undefined) throw new Error(`unsupported depth ${bitDepth} / colour type ${colourType}`);
  if (header.getUint8(10) !== 0 || header.getUint8(11) !== 0 || header.getUint8(12) !== 0) throw new Error('unsupported method or interlace');
  const idat = chunks.filter((chunk) => chunk.type === 'IDAT').map((chunk) => chunk.data);
  const filtered = inflateSync(Buffer.concat(idat));
  const rowBytes = width * channels;
  if (filtered.length !== height * (rowBytes + 1)) throw new Error(`inflated ${filtered.length} bytes, expected ${height * (rowBytes + 1)}`);
  const pixels = new Uint8Array(height * rowBytes);
  for (let y = 0; y < height; y++) {
    const type = filtered[y * (rowBytes + 1)];
    const line = filtered.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    for (let i = 0; i < rowBytes; i++) {
      const a = i >= channels ? pixels[y * rowBytes + i - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * rowBytes + i] : 0;
      const c = i >= channels && y > 0 ? pixels[(y - 1) * rowBytes + i - channels] : 0;
      pixels[y * rowBytes + i] = (line[i] + predict(type, a, b, c)) & 0xff;
    }
  }
  return { width, height, bitDepth, colourType, channels, pixels, chunks };
}

function predict(type: number, a: number, b: number, c: number): number {
  switch (type) {
    case 0: return 0;
    case 1: return a;
    case 2: return b;
    case 3: return Math.floor((a + b) / 2);
    case 4: {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    default: throw new Error(`unknown filter type ${type}`);
  }
}
