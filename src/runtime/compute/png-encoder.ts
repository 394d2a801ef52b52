/**
 * Encodes an 8-bit greyscale, RGB or RGBA image as PNG bytes, following the PNG specification
 * (W3C PNG Third Edition; RFC 2083): the signature, an IHDR chunk, the filtered and deflated
 * scanlines in IDAT chunks, and IEND. Written for results of grid computations (the Mandelbrot
 * example's assembled tiles), so it covers what those need and nothing more: no palette, no
 * interlacing, no ancillary chunks.
 *
 * Each scanline gets the filter (None, Sub, Up, Average or Paeth) whose output has the smallest sum
 * of absolute values, taken as signed bytes — the heuristic the specification recommends (§12.8)
 * for truecolour and greyscale images: small residues deflate better.
 */
import { crc32, deflateSync } from 'node:zlib';

export type PngChannels = 1 | 3 | 4;

export interface PngImage {
  readonly width: number;
  readonly height: number;
  /** 1 grey, 3 RGB, 4 RGBA. */
  readonly channels: PngChannels;
  /** Only 8 is supported; the field is there so a caller states it. */
  readonly bitDepth?: 8;
  /** Row by row, top to bottom; each pixel its channels in order, one byte each. */
  readonly pixels: Uint8Array;
}

/** The eight bytes every PNG starts with (specification §5.2). */
export const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

// The specification caps width, height and chunk lengths at 2^31 - 1 (§7.1).
const DIMENSION_MAX = 2 ** 31 - 1;
// Several IDAT chunks rather than one: a decoder may start inflating before the last byte, and no
// chunk ever nears the 2^31 - 1 limit however large the image.
const IDAT_CHUNK_BYTES_MAX = 1 << 20;

const COLOUR_TYPE_BY_CHANNELS: Readonly<Record<PngChannels, number>> = { 1: 0, 3: 2, 4: 6 };

/** PNG bytes of the image; throws RangeError for dimensions, channels, depth or pixels that do not fit. */
export function encodePng(image: PngImage): Uint8Array {
  checkImage(image);
  const { width, height, channels } = image;
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = COLOUR_TYPE_BY_CHANNELS[channels];
  // header[10..12]: compression method 0 (deflate), filter method 0 (adaptive), no interlace.
  const compressed = deflateSync(filterScanlines(image));
  const chunks: Uint8Array[] = [PNG_SIGNATURE, chunk('IHDR', header)];
  for (let offset = 0; offset < compressed.length || offset === 0; offset += IDAT_CHUNK_BYTES_MAX) {
    chunks.push(chunk('IDAT', compressed.subarray(offset, offset + IDAT_CHUNK_BYTES_MAX)));
  }
  chunks.push(chunk('IEND', new Uint8Array(0)));
  return concat(chunks);
}

function checkImage(image: PngImage): void {
  const { width, height, channels, bitDepth, pixels } = image;
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > DIMENSION_MAX) {
      throw new RangeError(`png: ${name} must be an integer from 1 to ${DIMENSION_MAX}, got ${value}`);
    }
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new RangeError(`png: channels must be 1 (grey), 3 (RGB) or 4 (RGBA), got ${channels}`);
  }
  if (bitDepth !== undefined && bitDepth !== 8) throw new RangeError(`png: only a bit depth of 8 is supported, got ${bitDepth}`);
  if (!(pixels instanceof Uint8Array)) throw new RangeError('png: pixels must be a Uint8Array');
  const expected = width * height * channels;
  if (pixels.length !== expected) {
    throw new RangeError(`png: ${width} × ${height} pixels of ${channels} channel(s) take ${expected} bytes, got ${pixels.length}`);
  }
}

/** The scanlines, each led by its filter type byte (§7.3, §9). */
function filterScanlines(image: PngImage): Uint8Array {
  const { width, height, channels, pixels } = image;
  const rowBytes = width * channels;
  const filtered = new Uint8Array(height * (rowBytes + 1));
  const candidates = Array.from({ length: 5 }, () => new Uint8Array(rowBytes));
  const zeroRow = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * rowBytes, (y + 1) * rowBytes);
    const above = y === 0 ? zeroRow : pixels.subarray((y - 1) * rowBytes, y * rowBytes);
    let best = 0;
    let bestCost = Infinity;
    for (let type = 0; type < 5; type++) {
      const cost = applyFilter(type, row, above, channels, candidates[type]);
      if (cost < bestCost) [best, bestCost] = [type, cost];
    }
    const start = y * (rowBytes + 1);
    filtered[start] = best;
    filtered.set(candidates[best], start + 1);
  }
  return filtered;
}

/** Writes row filtered by `type` into `out` and returns the sum of |residue| as signed bytes. */
function applyFilter(type: number, row: Uint8Array, above: Uint8Array, bytesPerPixel: number, out: Uint8Array): number {
  let cost = 0;
  for (let i = 0; i < row.length; i++) {
    // a: the byte of the pixel to the left, b: above, c: above and to the left (§9.2); 0 off the image.
    const a = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
    const b = above[i];
    const c = i >= bytesPerPixel ? above[i - bytesPerPixel] : 0;
    const predictor = type === 0 ? 0 : type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : paeth(a, b, c);
    const residue = (row[i] - predictor) & 0xff;
    out[i] = residue;
    cost += residue < 128 ? residue : 256 - residue;
  }
  return cost;
}

/** The Paeth predictor (§9.4): whichever of a, b, c is closest to a + b - c, ties to a then b. */
function paeth(a: number, b: number, c: number): number {
  const estimate = a + b - c;
  const da = Math.abs(estimate - a);
  const db = Math.abs(estimate - b);
  const dc = Math.abs(estimate - c);
  if (da <= db && da <= dc) return a;
  return db <= dc ? b : c;
}

/** A chunk (§5.3): length, type, data, and the CRC-32 of type and data. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const typeBytes = new TextEncoder().encode(type);
  const bytes = new Uint8Array(12 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, data.length);
  bytes.set(typeBytes, 4);
  bytes.set(data, 8);
  view.setUint32(8 + data.length, crc32(data, crc32(typeBytes)));
  return bytes;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}
