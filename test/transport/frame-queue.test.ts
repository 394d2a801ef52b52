/**
 * The frame queue of a shared stream (frame-queue.ts), against a stream we drive by hand: frames
 * queued together leave in one send, whole and in order; urgent ones go before the others queued;
 * one given up on before its turn is never sent; a failed stream fails everything queued.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Stream } from '@libp2p/interface';
import { FrameDecoder } from '../../src/transport/libp2p/frames.ts';
import { FrameQueue } from '../../src/transport/libp2p/request-response/frame-queue.ts';

/** The few members of a libp2p stream a writer uses; `send` refuses more once `full` is set. */
class HandStream extends EventTarget {
  readonly sends: Uint8Array[] = [];
  writableNeedsDrain = false;
  full = false;

  send(bytes: Uint8Array): boolean {
    this.sends.push(Uint8Array.from(bytes));
    if (this.full) this.writableNeedsDrain = true;
    return !this.full;
  }

  drain(): void {
    this.full = false;
    this.writableNeedsDrain = false;
    this.dispatchEvent(new Event('drain'));
  }

  fail(): void {
    const event = Object.assign(new Event('close'), { error: new Error('reset by the test') });
    this.dispatchEvent(event);
  }

  /** The frames of every send so far, as text (header then body). */
  frames(): string[] {
    const decoder = new FrameDecoder(4 * 1024 * 1024);
    const out: string[] = [];
    for (const bytes of this.sends) {
      const result = decoder.push(bytes);
      assert.ok(result.ok);
      out.push(...result.frames.map((frame) => new TextDecoder().decode(frame)));
    }
    return out;
  }
}

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

function queueOn(stream: HandStream): FrameQueue {
  return new FrameQueue(stream as unknown as Stream, { signal: new AbortController().signal });
}

describe('the frame queue of a shared stream', () => {
  it('sends the frames queued in one turn together, in one send, each whole', async () => {
    const stream = new HandStream();
    const queue = queueOn(stream);
    const written = await Promise.all([queue.write(text('a:'), text('one'), false), queue.write(text('b:'), text('two'), false), queue.write(text('c:'), new Uint8Array(0), false)]);
    assert.equal(stream.sends.length, 1);
    assert.deepEqual(stream.frames(), ['a:one', 'b:two', 'c:']);
    assert.deepEqual(written, [6, 6, 3], 'each frame counted with its prefix');
  });

  it('sends the frames queued in one phase of the event loop together, not only those of one microtask', async () => {
    const stream = new HandStream();
    const queue = queueOn(stream);
    const first = queue.write(text('a:'), text('one'), false);
    // Queued a few microtasks later, as an answer whose read completed in the same poll of the
    // loop is: still before the loop moves on.
    await Promise.resolve();
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    const second = queue.write(text('b:'), text('two'), false);
    await Promise.all([first, second]);
    assert.equal(stream.sends.length, 1);
    assert.deepEqual(stream.frames(), ['a:one', 'b:two']);
  });

  it('queues frames while the stream is full; urgent ones then go before the others', async () => {
    const stream = new HandStream();
    const queue = queueOn(stream);
    stream.full = true;
    const first = queue.write(text('1'), text('-large'), false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stream.sends.length, 1, 'the first frame is handed over, and the stream is now full');
    const later = [queue.write(text('2'), text('-large'), false), queue.write(text('3'), text('-small'), true)];
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(stream.sends.length, 1, 'nothing more until the stream drains');
    stream.drain();
    await Promise.all([first, ...later]);
    assert.equal(stream.sends.length, 2);
    assert.deepEqual(stream.frames(), ['1-large', '3-small', '2-large']);
  });

  it('drops a frame given up on before its turn, unsent', async () => {
    const stream = new HandStream();
    const queue = queueOn(stream);
    stream.full = true;
    const first = queue.write(text('1'), text(''), false);
    await new Promise((resolve) => setImmediate(resolve));
    const giveUp = new AbortController();
    const dropped = queue.write(text('2'), text(''), false, giveUp.signal);
    const kept = queue.write(text('3'), text(''), false);
    giveUp.abort(new Error('no longer wanted'));
    stream.drain();
    await assert.rejects(dropped, /no longer wanted/);
    await Promise.all([first, kept]);
    assert.deepEqual(stream.frames(), ['1', '3']);
  });

  it('fails the frame being sent, those queued and any later, when the stream fails', async () => {
    const stream = new HandStream();
    const queue = queueOn(stream);
    stream.full = true;
    const first = queue.write(text('1'), text(''), false);
    await new Promise((resolve) => setImmediate(resolve));
    const queued = queue.write(text('2'), text(''), false);
    stream.fail();
    await assert.rejects(first, /reset by the test/);
    await assert.rejects(queued, /reset by the test/);
    await assert.rejects(queue.write(text('3'), text(''), true), /reset by the test/);
    assert.deepEqual(stream.frames(), ['1']);
  });

  it('joins no more than about a mebibyte into one send', async () => {
    const stream = new HandStream();
    const queue = queueOn(stream);
    const large = new Uint8Array(768 * 1024);
    await Promise.all([queue.write(text('a'), large, false), queue.write(text('b'), large, false), queue.write(text('c'), text('!'), false)]);
    assert.equal(stream.sends.length, 2);
    assert.deepEqual(stream.frames().map((frame) => frame[0]), ['a', 'b', 'c']);
  });
});
