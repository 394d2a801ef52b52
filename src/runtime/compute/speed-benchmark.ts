/**
 * The speed a volunteer advertises (resource-advert.ts): how many rounds of a fixed reference
 * kernel (SHA-256 of 4 KiB) this node's main thread does in a second, measured once at start over
 * about 30 ms. A rough figure, as BOINC's Whetstone is: it orders machines, it is not a promise.
 */
import { createHash } from 'node:crypto';

export async function measureSpeed(durationMs = 30): Promise<number> {
  const block = new Uint8Array(4096).fill(7);
  const startedMs = performance.now();
  let rounds = 0;
  while (performance.now() - startedMs < durationMs) {
    for (let index = 0; index < 16; index++) createHash('sha256').update(block).digest();
    rounds += 16;
  }
  return Math.round((rounds * 1000) / (performance.now() - startedMs));
}
