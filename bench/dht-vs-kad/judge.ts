/**
 * Was a lookup's first result the node closest to the key? Each DHT in its own key space: ours
 * compares kernel ids (SHA-256 of the public key) with the key as an id; kad-dht compares the
 * SHA-256 of peer ids' multihashes with the SHA-256 of the key bytes, as it does itself. The
 * requester is left out, as neither lookup returns its own node.
 */
import { peerIdFromString } from '@libp2p/peer-id';
import { createHash } from 'node:crypto';

export class ClosestJudge {
  private readonly points: readonly { name: string; point: Buffer }[];
  private readonly hashKey: boolean;

  private constructor(points: { name: string; point: Buffer }[], hashKey: boolean) {
    this.points = points;
    this.hashKey = hashKey;
  }

  /** Ours: names are kernel ids in hex, which are their own points; keys are ids as they are. */
  static forKernelIds(idsHex: readonly string[]): ClosestJudge {
    return new ClosestJudge(idsHex.map((name) => ({ name, point: Buffer.from(name, 'hex') })), false);
  }

  /** kad-dht: names are peer ids; points and keys are hashed as kad-dht's convertBuffer/convertPeerId do. */
  static forPeerIds(peerIds: readonly string[]): ClosestJudge {
    return new ClosestJudge(peerIds.map((name) => ({ name, point: sha256(peerIdFromString(name).toMultihash().bytes) })), true);
  }

  /** The name of the node closest to `keyHex`, other than `requester`. */
  closest(keyHex: string, requester: string): string {
    const key = this.hashKey ? sha256(Buffer.from(keyHex, 'hex')) : Buffer.from(keyHex, 'hex');
    let best: { name: string; distance: Buffer } | null = null;
    for (const { name, point } of this.points) {
      if (name === requester) continue;
      const distance = xor(point, key);
      if (best === null || Buffer.compare(distance, best.distance) < 0) best = { name, distance };
    }
    return best?.name ?? '';
  }
}

function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(Math.min(a.length, b.length));
  for (let index = 0; index < out.length; index++) out[index] = a[index] ^ b[index];
  return out;
}
