/**
 * Ed25519 signatures as nodes make and check them (search postings and records, compute reports
 * and receipts: src/runtime/peer-signatures.ts), against libp2p's own key objects in the same run:
 * those build a node:crypto key from a JWK on every call. Alternating rounds, so that a change in
 * the machine's speed falls on both sides; the mean time of one call in each.
 */
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { signerOf, verifySignature } from '../src/runtime/peer-signatures.ts';
import { round3 } from './support/figures.ts';

const ROUNDS = 6;
const CALLS_PER_ROUND = 2_000;
/** About a posting's signing bytes. */
const MESSAGE_BYTES = 200;

export async function signaturesBenchmark(): Promise<Record<string, unknown>> {
  const key = await generateKeyPair('Ed25519');
  const peerId = peerIdFromPrivateKey(key).toString();
  const message = new Uint8Array(MESSAGE_BYTES).map((_, index) => index * 31);
  const sign = signerOf(key);
  const signature = await sign(message);
  if (!(await verifySignature(peerId, message, signature)) || !(await key.publicKey.verify(message, signature))) throw new Error('a signature did not check');
  const micros = { ourSign: 0, libp2pSign: 0, ourVerify: 0, libp2pVerify: 0 };
  const time = async (call: () => unknown): Promise<number> => {
    const started = performance.now();
    for (let index = 0; index < CALLS_PER_ROUND; index++) await call();
    return ((performance.now() - started) * 1000) / CALLS_PER_ROUND;
  };
  for (let round = 0; round <= ROUNDS; round++) {
    // Round 0 warms both sides up and is not counted.
    const counted = round > 0 ? 1 / ROUNDS : 0;
    micros.ourSign += counted * (await time(() => sign(message)));
    micros.libp2pSign += counted * (await time(() => key.sign(message)));
    micros.ourVerify += counted * (await time(() => verifySignature(peerId, message, signature)));
    micros.libp2pVerify += counted * (await time(() => key.publicKey.verify(message, signature)));
  }
  return {
    messageBytes: MESSAGE_BYTES,
    signMicros: { ours: round3(micros.ourSign), libp2p: round3(micros.libp2pSign) },
    verifyMicros: { ours: round3(micros.ourVerify), libp2p: round3(micros.libp2pVerify) },
    signSpeedup: round3(micros.libp2pSign / micros.ourSign),
    verifySpeedup: round3(micros.libp2pVerify / micros.ourVerify),
  };
}

// Run alone: `node bench/signatures.ts` prints the JSON object.
if (import.meta.main) process.stdout.write(`${JSON.stringify(await signaturesBenchmark(), null, 2)}\n`);
