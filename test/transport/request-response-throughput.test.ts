/**
 * An informal measure, printed and never asserted (timings depend on the machine): 64 responses
 * of 1 MiB with 8 requests in flight, against one raw libp2p stream carrying as many bytes between
 * the same two nodes. The benchmark asks the first to reach 0.8 of the second.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Libp2p, Stream } from '@libp2p/interface';
import { sendRequest } from '../../src/transport/libp2p/request-response/request-client.ts';
import { waitForDrain } from '../../src/transport/libp2p/request-response/stream-drain.ts';
import { clientOptions, freshProtocol, MiB, Nodes, patternBytes, serve, targetOf } from './request-response-harness.ts';

const RESPONSES = 64;
const IN_FLIGHT = 8;

describe('request-response throughput on loopback (printed, not asserted)', () => {
  const nodes = new Nodes();
  let client: Libp2p;
  let server: Libp2p;
  const payload = patternBytes(MiB, 7);

  before(async () => {
    client = await nodes.start();
    server = await nodes.start();
  });
  after(() => nodes.stopAll());

  /** Seconds to move `chunks` × 1 MiB over one raw stream, written with backpressure. */
  async function rawStreamSeconds(protocol: string, chunks: number): Promise<number> {
    const startedMs = performance.now();
    const stream = await client.dialProtocol(server.getMultiaddrs(), protocol, { signal: AbortSignal.timeout(10_000) });
    let bytes = 0;
    stream.addEventListener('message', (event) => {
      bytes += event.data.byteLength;
    });
    await new Promise<void>((resolve, reject) => {
      stream.addEventListener('end', () => resolve(), { once: true });
      stream.addEventListener('close', (event) => (event.error === undefined ? resolve() : reject(event.error)), { once: true });
    });
    await stream.close();
    assert.equal(bytes, chunks * MiB);
    return (performance.now() - startedMs) / 1000;
  }

  /** Seconds to fetch `RESPONSES` responses of 1 MiB, `IN_FLIGHT` at a time. */
  async function requestResponseSeconds(protocol: string): Promise<number> {
    const startedMs = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < RESPONSES) {
        next++;
        let bytes = 0;
        for await (const frame of sendRequest(client, targetOf(server), protocol, Uint8Array.of(1), clientOptions())) {
          bytes += frame.length;
          assert.equal(frame[12345], payload[12345]);
        }
        assert.equal(bytes, MiB);
      }
    }));
    return (performance.now() - startedMs) / 1000;
  }

  it(`${RESPONSES} × 1 MiB responses, ${IN_FLIGHT} in flight, against one raw stream`, async () => {
    const rawProtocol = freshProtocol();
    await server.handle(rawProtocol, (stream: Stream) => {
      void (async () => {
        const signal = AbortSignal.timeout(60_000);
        for (let chunk = 0; chunk < RESPONSES; chunk++) {
          if (!stream.send(payload)) await waitForDrain(stream, signal);
        }
        await stream.close();
      })().catch((error: unknown) => stream.abort(error instanceof Error ? error : new Error(String(error))));
    });
    const { server: registered, protocol } = await serve(server, async () => [payload], { inboundStreamsPerPeerMax: IN_FLIGHT });
    try {
      // Once each to connect and warm up, then measured.
      await rawStreamSeconds(rawProtocol, RESPONSES);
      await requestResponseSeconds(protocol);
      const rawS = await rawStreamSeconds(rawProtocol, RESPONSES);
      const requestsS = await requestResponseSeconds(protocol);
      const rawMiBps = RESPONSES / rawS;
      const requestsMiBps = RESPONSES / requestsS;
      console.log(`raw stream: ${RESPONSES} MiB in ${rawS.toFixed(3)} s (${rawMiBps.toFixed(1)} MiB/s); ` +
        `request-response: ${RESPONSES} × 1 MiB, ${IN_FLIGHT} in flight, in ${requestsS.toFixed(3)} s (${requestsMiBps.toFixed(1)} MiB/s); ` +
        `ratio ${(requestsMiBps / rawMiBps).toFixed(2)}`);
    } finally {
      await registered.unregister();
      await server.unhandle(rawProtocol);
    }
  });
});
