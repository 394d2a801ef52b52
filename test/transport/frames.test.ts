import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame, FrameDecoder, varintBytes } from '../../src/transport/libp2p/frames.ts';

function bytes(length: number, fill = 7): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

describe('frames', () => {
  it('prefixes the payload with its length as an unsigned varint', () => {
    assert.deepEqual([...encodeFrame(bytes(3))], [3, 7, 7, 7]);
    assert.deepEqual([...encodeFrame(bytes(300)).subarray(0, 2)], [0xac, 0x02]);
    assert.equal(varintBytes(127), 1);
    assert.equal(varintBytes(128), 2);
    assert.equal(varintBytes(73_728), 3);
  });

  it('decodes frames whatever the chunking', () => {
    const payloads = [bytes(1, 1), bytes(200, 2), bytes(5000, 3), bytes(127, 4), bytes(128, 5)];
    const stream = Buffer.concat(payloads.map(encodeFrame));
    for (const chunkBytes of [1, 2, 3, 7, 64, 1000, stream.length]) {
      const decoder = new FrameDecoder(10_000);
      const frames: Uint8Array[] = [];
      for (let offset = 0; offset < stream.length; offset += chunkBytes) {
        const result = decoder.push(stream.subarray(offset, offset + chunkBytes));
        assert.ok(result.ok);
        frames.push(...result.frames);
      }
      assert.deepEqual(frames, payloads, `chunks of ${chunkBytes}`);
      assert.equal(decoder.bufferedBytes, 0);
    }
  });

  it('hands out large frames in buffers of their own, every byte from the stream', () => {
    const payload = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31 + 5) & 0xff);
    const stream = Buffer.concat([encodeFrame(payload), encodeFrame(payload)]);
    const decoder = new FrameDecoder(100_000);
    const frames: Uint8Array[] = [];
    for (let offset = 0; offset < stream.length; offset += 4099) {
      const result = decoder.push(stream.subarray(offset, offset + 4099));
      assert.ok(result.ok);
      frames.push(...result.frames);
    }
    assert.equal(frames.length, 2);
    for (const frame of frames) {
      assert.deepEqual(frame, payload);
      assert.equal(Object.getPrototypeOf(frame), Uint8Array.prototype, 'a plain Uint8Array, whose slice() copies');
      assert.equal(frame.byteOffset, 0);
      assert.equal(frame.buffer.byteLength, payload.length);
    }
    assert.notEqual(frames[0].buffer, frames[1].buffer);
  });

  it('refuses a frame over the cap from its prefix alone, before buffering it', () => {
    const decoder = new FrameDecoder(1000);
    const prefix = encodeFrame(bytes(1001)).subarray(0, 2);
    const result = decoder.push(prefix);
    assert.deepEqual(result, { ok: false, error: 'frame of 1001 bytes exceeds the cap of 1000' });
  });

  it('refuses empty frames, non-minimal and overlong prefixes, and stays failed', () => {
    assert.deepEqual(new FrameDecoder(1000).push(Uint8Array.of(0)), { ok: false, error: 'empty frame' });
    assert.deepEqual(new FrameDecoder(1000).push(Uint8Array.of(0x81, 0x00)), { ok: false, error: 'non-minimal frame length' });
    const decoder = new FrameDecoder(1000);
    assert.deepEqual(decoder.push(Uint8Array.of(0xff, 0xff, 0xff)), { ok: false, error: 'frame length prefix longer than 2 bytes' });
    assert.equal(decoder.push(encodeFrame(bytes(3))).ok, false);
  });

  it('never throws on random bytes', () => {
    let state = 12345;
    const next = (): number => (state = (state * 1103515245 + 12345) >>> 0) >>> 24;
    for (let run = 0; run < 2000; run++) {
      const decoder = new FrameDecoder(64);
      const chunk = Uint8Array.from({ length: next() % 40 }, next);
      const result = decoder.push(chunk);
      if (result.ok) for (const frame of result.frames) assert.ok(frame.length >= 1 && frame.length <= 64);
    }
  });
});
