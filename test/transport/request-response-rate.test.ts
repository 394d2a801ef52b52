/**
 * The serve-side rate limit (`serveBytesPerSecond`) with real timers and real nodes. Only lower
 * bounds are asserted — a slow machine only makes transfers slower — and the measured rates are
 * printed, to see how close to the target they come.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Libp2p } from '@libp2p/interface';
import { requestFrames } from '../../src/transport/libp2p/request-response/request-client.ts';
import { SendPacer } from '../../src/transport/libp2p/request-response/send-pacer.ts';
import { clientOptions, MiB, Nodes, patternBytes, serve, targetOf } from './request-response-harness.ts';

describe('pacing what a server sends', () => {
  const nodes = new Nodes();
  let client: Libp2p;
  let server: Libp2p;

  before(async () => {
    client = await nodes.start();
    server = await nodes.start();
  });
  after(() => nodes.stopAll());

  it('a pacer shared by two senders keeps them together at its rate', async () => {
    const bytesPerSecond = 8 * MiB;
    const burstBytes = 64 * 1024;
    const pacer = new SendPacer(bytesPerSecond, burstBytes);
    const signal = new AbortController().signal;
    const bytesEach = 4 * MiB;
    const startedMs = performance.now();
    await Promise.all([0, 1].map(async () => {
      for (let sent = 0; sent < bytesEach; sent += pacer.sliceBytes) await pacer.take(pacer.sliceBytes, signal);
    }));
    const elapsedS = (performance.now() - startedMs) / 1000;
    const idealS = (2 * bytesEach - burstBytes) / bytesPerSecond;
    console.log(`pacer: ${((2 * bytesEach) / MiB).toFixed(0)} MiB at ${bytesPerSecond / MiB} MiB/s in ${elapsedS.toFixed(3)} s (ideal ${idealS.toFixed(3)} s, ${((100 * elapsedS) / idealS).toFixed(1)} %)`);
    assert.ok(elapsedS >= 0.95 * idealS, `${elapsedS} s is faster than the rate allows (${idealS} s)`);
  });

  it('a pacer gives back what a sender that gave up had taken', async () => {
    const pacer = new SendPacer(1024, 1024);
    const controller = new AbortController();
    await pacer.take(1024, controller.signal);
    const waiting = pacer.take(1024, controller.signal);
    controller.abort(new Error('gave up'));
    await assert.rejects(waiting, /gave up/);
  });

  it('a response of N bytes at R bytes per second takes about N / R', async () => {
    const bytesPerSecond = 2 * MiB;
    const frame = patternBytes(MiB, 1);
    const { server: registered, protocol } = await serve(server, async (_context, request) => (request[0] === 0 ? [Uint8Array.of(0)] : [frame, frame, frame]), { serveBytesPerSecond: bytesPerSecond });
    try {
      // Connected first, so what is timed is the transfer, not the dial.
      await requestFrames(client, targetOf(server), protocol, Uint8Array.of(0), clientOptions());
      const startedMs = performance.now();
      const frames = await requestFrames(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions());
      const elapsedS = (performance.now() - startedMs) / 1000;
      assert.equal(frames.length, 3);
      const bytes = 3 * MiB;
      console.log(`paced response: ${bytes / MiB} MiB at ${bytesPerSecond / MiB} MiB/s in ${elapsedS.toFixed(3)} s (${(bytes / MiB / elapsedS).toFixed(2)} MiB/s)`);
      assert.ok(elapsedS >= 0.7 * (bytes / bytesPerSecond), `${elapsedS} s is faster than the limit allows`);
    } finally {
      await registered.unregister();
    }
  });

  it('the limit is shared by all of a server’s streams', async () => {
    const bytesPerSecond = 2 * MiB;
    const frame = patternBytes(MiB, 2);
    const { server: registered, protocol } = await serve(server, async () => [frame], { serveBytesPerSecond: bytesPerSecond });
    try {
      const startedMs = performance.now();
      const responses = await Promise.all([1, 2, 3].map((value) => requestFrames(client, targetOf(server), protocol, Uint8Array.of(value), clientOptions())));
      const elapsedS = (performance.now() - startedMs) / 1000;
      assert.equal(responses.flat().length, 3);
      const bytes = 3 * MiB;
      console.log(`paced, 3 streams: ${bytes / MiB} MiB at ${bytesPerSecond / MiB} MiB/s in ${elapsedS.toFixed(3)} s (${(bytes / MiB / elapsedS).toFixed(2)} MiB/s)`);
      assert.ok(elapsedS >= 0.7 * (bytes / bytesPerSecond), `${elapsedS} s is faster than the limit allows`);
    } finally {
      await registered.unregister();
    }
  });
});
