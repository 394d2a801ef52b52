/**
 * The PNG encoder, read back by a reader written from the specification (test/support/png-reader.ts):
 * signature, chunk order and CRCs, IHDR fields, pixels that round-trip through every filter, large
 * images split over several IDAT chunks, and clear RangeErrors for what cannot be encoded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inflateSync } from 'node:zlib';
import { encodePng, PNG_SIGNATURE, type PngChannels, type PngImage } from '../../../src/runtime/compute/png-encoder.ts';
import { decodePng, readPngChunks } from '../../support/png-reader.ts';

/** Deterministic bytes (a linear congruential generator), so a failure can be replayed. */
function noise(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

/**
 * An image in five bands of rows, each suited to one filter (§9.2): rows of zeros under rows that
 * halve from left to right (None; Average, which predicts half the left neighbour over a zero),
 * a horizontal ramp (Sub), a vertical ramp (Up), a smooth surface (Paeth), and noise.
 */
function mixedImage(width: number, height: number, channels: PngChannels): PngImage {
  const pixels = new Uint8Array(width * height * channels);
  const random = noise(pixels.length, 7);
  for (let y = 0; y < height; y++) {
    const band = Math.floor((y * 5) / height);
    for (let x = 0; x < width; x++) {
      for (let k = 0; k < channels; k++) {
        const i = (y * width + x) * channels + k;
        const surface = Math.round(127 + 60 * Math.sin(x / 5 + k) + 60 * Math.cos(y / 7 - k));
        pixels[i] = [y % 2 === 0 ? 0 : 128 >> x % 8, x * 3 + k, y * 7 + k, surface, random[i]][band] & 0xff;
      }
    }
  }
  return { width, height, channels, bitDepth: 8, pixels };
}

function filterTypes(png: Uint8Array, width: number, height: number, channels: number): Set<number> {
  const chunks = readPngChunks(png).filter((chunk) => chunk.type === 'IDAT').map((chunk) => chunk.data);
  const filtered = inflateSync(Buffer.concat(chunks));
  const types = new Set<number>();
  for (let y = 0; y < height; y++) types.add(filtered[y * (width * channels + 1)]);
  return types;
}

describe('encodePng', () => {
  it('writes the signature, IHDR, IDAT and IEND with valid CRCs and the image\'s header fields', () => {
    for (const [channels, colourType] of [[1, 0], [3, 2], [4, 6]] as const) {
      const image = mixedImage(37, 23, channels);
      const png = encodePng(image);
      assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
      const chunks = readPngChunks(png); // throws on a CRC mismatch
      assert.equal(chunks[0].type, 'IHDR');
      assert.equal(chunks.at(-1)?.type, 'IEND');
      assert.equal(chunks.at(-1)?.data.length, 0);
      assert.ok(chunks.slice(1, -1).every((chunk) => chunk.type === 'IDAT'));
      const decoded = decodePng(png);
      assert.deepEqual([decoded.width, decoded.height, decoded.bitDepth, decoded.colourType], [37, 23, 8, colourType]);
      assert.deepEqual(decoded.pixels, image.pixels, `${channels} channel(s) round-trip`);
    }
  });

  it('chooses a filter per scanline, and each of the five decodes back to the same pixels', () => {
    for (const channels of [1, 3, 4] as const) {
      const image = mixedImage(64, 60, channels);
      const png = encodePng(image);
      assert.deepEqual([...filterTypes(png, 64, 60, channels)].sort(), [0, 1, 2, 3, 4], `${channels} channel(s): every filter chosen somewhere`);
      assert.deepEqual(decodePng(png).pixels, image.pixels);
    }
  });

  it('splits a large image\'s compressed data over several IDAT chunks that decode as one stream', () => {
    const width = 800;
    const height = 600;
    const image: PngImage = { width, height, channels: 4, pixels: noise(width * height * 4, 11) };
    const png = encodePng(image);
    const idat = readPngChunks(png).filter((chunk) => chunk.type === 'IDAT');
    assert.ok(idat.length >= 2, `${idat.length} IDAT chunk(s) for ${png.length} bytes`);
    assert.deepEqual(decodePng(png).pixels, image.pixels);
  });

  it('encodes a single pixel', () => {
    const png = encodePng({ width: 1, height: 1, channels: 3, pixels: Uint8Array.of(10, 20, 30) });
    assert.deepEqual(decodePng(png).pixels, Uint8Array.of(10, 20, 30));
  });

  it('the reader used here notices a corrupted byte (so the CRC checks above can fail)', () => {
    const png = encodePng(mixedImage(8, 8, 1));
    const corrupted = png.slice();
    corrupted[20] ^= 1; // inside IHDR's data
    assert.throws(() => readPngChunks(corrupted), /IHDR chunk at byte 8: CRC mismatch/);
  });

  it('refuses images it cannot encode with a RangeError that says why', () => {
    const good = { width: 2, height: 2, channels: 3 as const, pixels: new Uint8Array(12) };
    const cases: [Partial<Record<keyof PngImage, unknown>>, RegExp][] = [
      [{ width: 0 }, /width must be an integer from 1/],
      [{ width: -3 }, /width must be an integer/],
      [{ height: 1.5 }, /height must be an integer/],
      [{ height: 2 ** 31 }, /height must be an integer from 1 to 2147483647/],
      [{ channels: 2 }, /channels must be 1 \(grey\), 3 \(RGB\) or 4 \(RGBA\), got 2/],
      [{ bitDepth: 16 }, /only a bit depth of 8/],
      [{ pixels: new Uint8Array(11) }, /2 × 2 pixels of 3 channel\(s\) take 12 bytes, got 11/],
      [{ pixels: [0, 0, 0] }, /pixels must be a Uint8Array/],
    ];
    for (const [change, message] of cases) {
      assert.throws(() => encodePng({ ...good, ...change } as PngImage), (error: unknown) => error instanceof RangeError && message.test(error.message), JSON.stringify(change));
    }
    assert.doesNotThrow(() => encodePng(good));
  });
});
