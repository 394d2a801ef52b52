/**
 * 256-bit identifiers for nodes and keys, and the XOR metric over them (Kademlia §2.1).
 *
 * An `Id` carries its 32 bytes and, cached, their first 32 bits as an unsigned integer (`head`).
 * Almost every distance comparison is decided by the first 32 bits, so comparing `head`s first
 * avoids touching the byte arrays in the hot paths (routing-table scans, lookup candidate lists).
 */
import type { Random } from './random.ts';

export const ID_BYTES = 32;
export const ID_BITS = ID_BYTES * 8;

export interface Id {
  readonly bytes: Uint8Array;
  /** The first four bytes as an unsigned 32-bit integer, big-endian. */
  readonly head: number;
}

function headOf(bytes: Uint8Array): number {
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

/** Wraps 32 bytes as an Id. The array is not copied: callers must not mutate it afterwards. */
export function idFromBytes(bytes: Uint8Array): Id {
  if (bytes.length !== ID_BYTES) throw new RangeError(`an id has ${ID_BYTES} bytes, got ${bytes.length}`);
  return { bytes, head: headOf(bytes) };
}

const HEX_PATTERN = /^[0-9a-f]{64}$/i;

export function isIdHex(text: string): boolean {
  return HEX_PATTERN.test(text);
}

export function idFromHex(text: string): Id {
  if (!isIdHex(text)) throw new RangeError(`an id is 64 hex digits, got ${JSON.stringify(text.slice(0, 80))}`);
  const bytes = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BYTES; i++) bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return idFromBytes(bytes);
}

const HEX_DIGITS = '0123456789abcdef';

export function idToHex(id: Id): string {
  let out = '';
  for (let i = 0; i < ID_BYTES; i++) out += HEX_DIGITS[id.bytes[i] >> 4] + HEX_DIGITS[id.bytes[i] & 15];
  return out;
}

/** A short form for logs and traces: the first 8 hex digits. */
export function idShort(id: Id): string {
  return id.head.toString(16).padStart(8, '0');
}

export function idEquals(a: Id, b: Id): boolean {
  // The same object is the common case (the simulator shares PeerRefs), and needs no byte reads.
  if (a === b || a.bytes === b.bytes) return true;
  if (a.head !== b.head) return false;
  const x = a.bytes;
  const y = b.bytes;
  for (let i = 4; i < ID_BYTES; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** Orders ids as unsigned big-endian integers. */
export function compareIds(a: Id, b: Id): number {
  if (a.head !== b.head) return a.head < b.head ? -1 : 1;
  for (let i = 4; i < ID_BYTES; i++) {
    const d = a.bytes[i] - b.bytes[i];
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * Compares the XOR distances d(a, target) and d(b, target): negative when a is closer,
 * positive when b is closer, zero only when a and b are the same id (XOR is a bijection).
 */
export function compareDistance(target: Id, a: Id, b: Id): number {
  const da = (a.head ^ target.head) >>> 0;
  const db = (b.head ^ target.head) >>> 0;
  if (da !== db) return da < db ? -1 : 1;
  const t = target.bytes;
  const x = a.bytes;
  const y = b.bytes;
  // Equal heads almost always mean the same peer, often the very same object (the simulator shares
  // them): that needs no byte reads.
  if (x === y) return 0;
  for (let i = 4; i < ID_BYTES; i++) {
    const ea = x[i] ^ t[i];
    const eb = y[i] ^ t[i];
    if (ea !== eb) return ea < eb ? -1 : 1;
  }
  return 0;
}

/** The XOR distance as bytes (for display and tests; the hot paths use compareDistance). */
export function distance(a: Id, b: Id): Uint8Array {
  const out = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BYTES; i++) out[i] = a.bytes[i] ^ b.bytes[i];
  return out;
}

/** The number of leading bits a and b share (256 when equal). */
export function commonPrefixLength(a: Id, b: Id): number {
  const h = (a.head ^ b.head) >>> 0;
  if (h !== 0) return Math.clz32(h);
  for (let i = 4; i < ID_BYTES; i++) {
    const x = a.bytes[i] ^ b.bytes[i];
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
}

/** Bit `index` of the id, counting from the most significant bit of byte 0. */
export function bitAt(id: Id, index: number): number {
  // The first 32 bits come from the cached head, which spares a read of the byte array.
  if (index < 32) return (id.head >>> (31 - index)) & 1;
  return (id.bytes[index >> 3] >> (7 - (index & 7))) & 1;
}

export function randomId(random: Random): Id {
  const bytes = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BYTES; i += 4) {
    const word = random.nextUint32();
    bytes[i] = word >>> 24;
    bytes[i + 1] = (word >>> 16) & 255;
    bytes[i + 2] = (word >>> 8) & 255;
    bytes[i + 3] = word & 255;
  }
  return idFromBytes(bytes);
}

/**
 * A random id that shares its first `prefixBits` bits with `prefix` and is random after them:
 * a uniformly random point of the subtree a routing-table bucket covers (Kademlia §2.3, refresh).
 */
export function randomIdInPrefix(prefix: Id, prefixBits: number, random: Random): Id {
  const bytes = randomId(random).bytes;
  const fullBytes = prefixBits >> 3;
  for (let i = 0; i < fullBytes; i++) bytes[i] = prefix.bytes[i];
  const rest = prefixBits & 7;
  if (rest !== 0) {
    const mask = (0xff << (8 - rest)) & 0xff;
    bytes[fullBytes] = (prefix.bytes[fullBytes] & mask) | (bytes[fullBytes] & ~mask & 0xff);
  }
  return idFromBytes(bytes);
}

/** The id with bit `index` flipped: the sibling subtree's side of a split. */
export function withBitFlipped(id: Id, index: number): Id {
  const bytes = id.bytes.slice();
  bytes[index >> 3] ^= 1 << (7 - (index & 7));
  return idFromBytes(bytes);
}
