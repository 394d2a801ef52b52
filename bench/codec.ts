/**
 * Throughput of the binary wire codec on a full `nodes` reply (k = 20 contacts), with JSON — what
 * a quick implementation would send — measured in the same run as the baseline.
 */
import { idToHex, randomId } from '../src/core/id.ts';
import type { Message } from '../src/core/messages.ts';
import { peerRef } from '../src/core/peer.ts';
import { Prng } from '../src/sim/prng.ts';
import { decodeMessage, encodeMessage } from '../src/wire/codec.ts';

const ROUNDS = 200_000;

function timeIt(rounds: number, body: () => void): number {
  for (let i = 0; i < 1000; i++) body();
  const started = performance.now();
  for (let i = 0; i < rounds; i++) body();
  return (performance.now() - started) / rounds;
}

export function codecBenchmark(): Record<string, unknown> {
  const random = Prng.fromSeed(1);
  // Addresses as a decoder produces them: flat strings (a concatenated string is a rope, slow to read char by char).
  const addresses = JSON.parse(JSON.stringify(Array.from({ length: 20 }, (_, i) => `12D3KooW${'x'.repeat(44)}${i}`))) as string[];
  const closer = addresses.map((address) => peerRef(randomId(random), address));
  const reply: Message = { kind: 'nodes', requestId: 123456, closer };
  const asJson = { kind: 'nodes', requestId: 123456, closer: closer.map((peer) => ({ id: idToHex(peer), address: peer.address })) };
  const bytes = encodeMessage(reply);
  const text = JSON.stringify(asJson);
  let sink = 0;
  const encodeMs = timeIt(ROUNDS, () => { sink += encodeMessage(reply).length; });
  const decodeMs = timeIt(ROUNDS, () => { const r = decodeMessage(bytes); if (r.ok) sink++; });
  const jsonEncodeMs = timeIt(ROUNDS, () => { sink += JSON.stringify(asJson).length; });
  const jsonDecodeMs = timeIt(ROUNDS, () => { sink += (JSON.parse(text) as { requestId: number }).requestId; });
  const perSecond = (ms: number): number => Math.round(1000 / ms);
  return {
    message: 'nodes reply, 20 contacts with 53-character peer-id addresses',
    wireBytes: bytes.length,
    jsonBytes: Buffer.byteLength(text),
    encodePerSec: perSecond(encodeMs),
    decodePerSec: perSecond(decodeMs),
    jsonEncodePerSec: perSecond(jsonEncodeMs),
    jsonDecodePerSec: perSecond(jsonDecodeMs),
    ratioToJson: {
      bytes: Math.round((bytes.length / Buffer.byteLength(text)) * 1000) / 1000,
      encodeTime: Math.round((encodeMs / jsonEncodeMs) * 1000) / 1000,
      decodeTime: Math.round((decodeMs / jsonDecodeMs) * 1000) / 1000,
    },
    sink: sink > 0,
  };
}
