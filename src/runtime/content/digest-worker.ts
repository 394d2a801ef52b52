/**
 * A worker thread of chunk-digests.ts: the SHA-256 of each chunk it is given, or for an encrypted
 * add each chunk's convergent seal (content-cipher-node.ts: the same key and ciphertext) and the
 * SHA-256 of the ciphertext. node:crypto works on the chunks where they lie, where WebCrypto's
 * jobs copied every input first.
 */
import { parentPort } from 'node:worker_threads';
import { createNodeContentCipher, type NodeContentCipher } from '../content-cipher-node.ts';
import { sha256 } from '../storage/sha256.ts';
import { transferableBuffers, type DigestReply, type DigestRequest } from './import-worker-protocol.ts';

const port = parentPort;
if (port === null) throw new Error('digest-worker.ts runs as a worker thread');

/** The cipher of the last secret seen: an add uses one secret for all its chunks. */
let cipher: { readonly secret: Uint8Array; readonly cipher: NodeContentCipher } | null = null;

port.on('message', (request: DigestRequest) => {
  let reply: DigestReply;
  try {
    reply = answer(request);
  } catch (error) {
    port.postMessage({ id: request.id, error: String((error as Error).message ?? error) } satisfies DigestReply);
    return;
  }
  if ('error' in reply) port.postMessage(reply);
  else port.postMessage(reply, transferableBuffers(reply.chunks, reply.ciphertexts));
});

function answer({ id, chunks, convergenceSecret }: DigestRequest): DigestReply {
  if (convergenceSecret === null) return { id, chunks, digests: chunks.map((chunk) => sha256(chunk)), keys: null, ciphertexts: null };
  const sealer = cipherFor(convergenceSecret);
  const keys = chunks.map((chunk) => sealer.keyFor(chunk));
  const ciphertexts = chunks.map((chunk, index) => sealer.encrypt(keys[index], chunk));
  return { id, chunks, digests: ciphertexts.map((ciphertext) => sha256(ciphertext)), keys, ciphertexts };
}

function cipherFor(secret: Uint8Array): NodeContentCipher {
  if (cipher === null || Buffer.compare(cipher.secret, secret) !== 0) cipher = { secret, cipher: createNodeContentCipher(secret) };
  return cipher.cipher;
}
