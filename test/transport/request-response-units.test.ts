/**
 * The request-response pieces that need no network: the token bucket that paces a server (with a
 * clock we move by hand), the length prefix written apart from its payload, and the reading of
 * the frame decoder's errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeFrame, FrameDecoder } from '../../src/transport/libp2p/frames.ts';
import { lengthPrefix } from '../../src/transport/libp2p/request-response/frame-writer.ts';
import { isOversizeFrameError } from '../../src/transport/libp2p/request-response/stream-chunks.ts';
import { TokenBucket } from '../../src/transport/libp2p/request-response/token-bucket.ts';

describe('the token bucket', () => {
  it('lets the burst go at once, then makes each byte wait its share of a second', () => {
    const bucket = new TokenBucket(1000, 100, 0);
    assert.equal(bucket.reserve(100, 0), 0);
    assert.equal(bucket.reserve(50, 0), 50);
    // Reserved by a second sender at the same moment: it queues behind the first.
    assert.equal(bucket.reserve(50, 0), 100);
    // 100 ms later the debt is paid; the next 10 bytes wait 10 ms.
    assert.equal(bucket.reserve(10, 100), 10);
  });

  it('saves up no more than the burst while idle', () => {
    const bucket = new TokenBucket(1000, 100, 0);
    assert.equal(bucket.reserve(100, 10_000), 0);
    assert.equal(bucket.reserve(1, 10_000), 1);
  });

  it('credits a sender whose timer fired late with the time it lost', () => {
    const bucket = new TokenBucket(1000, 100, 0);
    bucket.reserve(100, 0);
    assert.equal(bucket.reserve(50, 0), 50);
    // Woken at 70 ms instead of 50: 20 ms of tokens have come in meanwhile.
    assert.equal(bucket.reserve(50, 70), 30);
  });

  it('takes back a reservation whose sender gave up', () => {
    const bucket = new TokenBucket(1000, 100, 0);
    bucket.reserve(100, 0);
    bucket.reserve(60, 0);
    bucket.refund(60, 0);
    assert.equal(bucket.reserve(10, 0), 10);
  });

  it('refuses a rate or burst that is not positive', () => {
    assert.throws(() => new TokenBucket(0, 100, 0), RangeError);
    assert.throws(() => new TokenBucket(100, 0, 0), RangeError);
    assert.throws(() => new TokenBucket(Number.POSITIVE_INFINITY, 100, 0), RangeError);
  });

  it('keeps a sender at the rate however its timers fire: never faster, and never behind by more than one lateness and one burst', () => {
    // A sender that would go faster than the rate if it could (each slice at least what the rate
    // allows in one lateness), woken up to latenessMaxMs after its turn each time, where the burst
    // covers that lateness (64 KiB covers 1 ms up to 64 MB/s). Lateness must not add up over many
    // slices: the bucket credits it back.
    fc.assert(fc.property(
      fc.integer({ min: 100_000, max: 100_000_000 }),
      fc.integer({ min: 16 * 1024, max: 256 * 1024 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 64 * 1024 }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 1, maxLength: 300 }),
      (bytesPerSecond, burstBytes, latenessShareOfBurst, draws) => {
        const latenessMaxMs = (latenessShareOfBurst * burstBytes * 1000) / bytesPerSecond;
        const sliceMinBytes = Math.ceil((latenessMaxMs * bytesPerSecond) / 1000);
        const bucket = new TokenBucket(bytesPerSecond, burstBytes, 0);
        let nowMs = 0;
        let sentAtMs = 0;
        let bytesSent = 0;
        for (const [extraBytes, latenessShare] of draws) {
          const bytes = Math.max(1, sliceMinBytes + extraBytes);
          sentAtMs = nowMs + bucket.reserve(bytes, nowMs);
          nowMs = sentAtMs + latenessShare * latenessMaxMs;
          bytesSent += bytes;
        }
        const idealMs = (Math.max(0, bytesSent - burstBytes) * 1000) / bytesPerSecond;
        assert.ok(sentAtMs >= idealMs - 1e-6, `the last slice went at ${sentAtMs} ms, before ${idealMs} ms`);
        const slackMs = latenessMaxMs + (burstBytes * 1000) / bytesPerSecond;
        assert.ok(sentAtMs <= idealMs + slackMs + 1e-6, `the last slice went at ${sentAtMs} ms, later than ${idealMs} + ${slackMs} ms`);
      },
    ), { numRuns: 500 });
  });
});

describe('the length prefix of a frame written apart from its payload', () => {
  it('is the prefix encodeFrame writes', () => {
    for (const length of [1, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 4 * 1024 * 1024]) {
      const frame = encodeFrame(new Uint8Array(length));
      assert.deepEqual(lengthPrefix(length), frame.subarray(0, frame.length - length), `length ${length}`);
    }
  });
});

describe('reading the frame decoder’s errors', () => {
  it('tells an oversized frame from bad framing', () => {
    const errorOf = (bytes: Uint8Array, cap: number): string => {
      const result = new FrameDecoder(cap).push(bytes);
      assert.ok(!result.ok);
      return result.error;
    };
    assert.ok(isOversizeFrameError(errorOf(encodeFrame(new Uint8Array(200)), 100)));
    assert.ok(isOversizeFrameError(errorOf(Uint8Array.of(0x81, 0x81, 0x01), 100)));
    assert.ok(!isOversizeFrameError(errorOf(Uint8Array.of(0), 100)));
    assert.ok(!isOversizeFrameError(errorOf(Uint8Array.of(0x81, 0x00), 1000)));
  });
});
