/**
 * The address a PeerRef carries on a libp2p node: the libp2p peer id, then the transport multiaddrs
 * the peer listens on, separated by single spaces:
 *
 *   12D3KooW… /ip4/192.0.2.7/tcp/4100 /ip6/2001:db8::7/tcp/4100
 *
 * Why both parts. The kernel hands addresses on in `nodes` replies, so a node that learns a contact
 * from a third party must be able to reach it with nothing but this string: hence the multiaddrs.
 * The peer id makes the dial authenticated (Noise proves the remote holds the key behind it) and
 * lets anyone check a contact's claimed kernel id, which is SHA-256 of the key the peer id embeds
 * (kernel-id.ts). The peer id is written once, not as a /p2p/ suffix on every multiaddr, to stay
 * well inside the kernel's 1,024-byte address cap (Limits.addressBytesMax).
 *
 * An address with no multiaddrs is valid: the node is then dialled by peer id, through whatever
 * libp2p's peer store has learned (identify), and others cannot reach it from a referral.
 *
 * Parsing is strict (one space between parts, no /p2p/ suffix, Ed25519 peer ids only, at most
 * multiaddrsMax multiaddrs), so every address has one spelling, and never throws.
 */
import type { PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { CODE_P2P, multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { Limits } from '../../core/limits.ts';
import { peerRef, type PeerRef } from '../../core/peer.ts';
import { kernelIdOfPeerId } from './kernel-id.ts';

/** Multiaddrs an address lists: enough for IPv4, IPv6 and a relay or two; more only lengthens every referral. */
export const multiaddrsPerAddressMax = 4;

export interface PeerAddress {
  readonly peerId: PeerId;
  /** Transport multiaddrs, without the /p2p/ suffix. */
  readonly multiaddrs: readonly Multiaddr[];
}

export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const textEncoder = new TextEncoder();

/**
 * Our own address: the peer id and as many of `multiaddrs` (with or without a /p2p/ suffix) as fit
 * within multiaddrsPerAddressMax and the byte cap, in the order given.
 */
export function formatPeerAddress(peerId: PeerId, multiaddrs: readonly Multiaddr[]): string {
  let address = peerId.toString();
  let count = 0;
  for (const candidate of multiaddrs) {
    if (count === multiaddrsPerAddressMax) break;
    const text = withoutPeerSuffix(candidate).toString();
    if (text === '/' || address.includes(` ${text}`)) continue;
    const next = `${address} ${text}`;
    if (textEncoder.encode(next).length > Limits.addressBytesMax) continue;
    address = next;
    count++;
  }
  return address;
}

/** Parses an address from anywhere (our table, a referral, a hello). */
export function parsePeerAddress(text: string): ParseResult<PeerAddress> {
  if (textEncoder.encode(text).length > Limits.addressBytesMax) return { ok: false, error: 'address too long' };
  const parts = text.split(' ');
  if (parts.length - 1 > multiaddrsPerAddressMax) return { ok: false, error: `more than ${multiaddrsPerAddressMax} multiaddrs` };
  const peerId = parsePeerId(parts[0], true);
  if (!peerId.ok) return peerId;
  const multiaddrs: Multiaddr[] = [];
  for (let index = 1; index < parts.length; index++) {
    const parsed = parseMultiaddr(parts[index], true);
    if (!parsed.ok) return { ok: false, error: `multiaddr ${index}: ${parsed.error}` };
    if (endsWithPeerId(parsed.value)) return { ok: false, error: `multiaddr ${index} has a /p2p/ suffix` };
    multiaddrs.push(parsed.value);
  }
  return { ok: true, value: { peerId: peerId.value, multiaddrs } };
}

/** Where to dial a peer: each multiaddr with the peer id appended, so libp2p checks who answers. */
export function dialMultiaddrs(address: PeerAddress): Multiaddr[] {
  const suffix = `/p2p/${address.peerId.toString()}`;
  return address.multiaddrs.map((transportAddress) => transportAddress.encapsulate(suffix));
}

/**
 * The PeerRef of a bootstrap multiaddr such as /ip4/127.0.0.1/tcp/4100/p2p/12D3KooW…: the peer id
 * is required, because it is both the kernel id's source and the dial's authentication.
 */
export function peerRefFromMultiaddr(text: string): ParseResult<PeerRef> {
  const parsed = parseMultiaddr(text, false);
  if (!parsed.ok) return parsed;
  const last = parsed.value.getComponents().at(-1);
  if (last === undefined || last.code !== CODE_P2P || last.value === undefined) {
    return { ok: false, error: 'a bootstrap multiaddr must end with /p2p/<peer id>' };
  }
  const peerId = parsePeerId(last.value, false);
  if (!peerId.ok) return peerId;
  return peerRefFromAddress({ peerId: peerId.value, multiaddrs: [withoutPeerSuffix(parsed.value)] });
}

/** The PeerRef for a parsed address: its kernel id is derived from the peer id, never taken on trust. */
export function peerRefFromAddress(address: PeerAddress): ParseResult<PeerRef> {
  const id = kernelIdOfPeerId(address.peerId);
  if (id === null) return { ok: false, error: 'not an Ed25519 peer id' };
  return { ok: true, value: peerRef(id, formatPeerAddress(address.peerId, address.multiaddrs)) };
}

/** `canonical`: refuse other spellings (base32 CIDs for peer ids, uppercase IPv6), as in addresses. */
function parsePeerId(text: string, canonical: boolean): ParseResult<PeerId> {
  let peerId: PeerId;
  try {
    peerId = peerIdFromString(text);
  } catch {
    return { ok: false, error: 'bad peer id' };
  }
  if (peerId.type !== 'Ed25519') return { ok: false, error: 'not an Ed25519 peer id' };
  if (canonical && peerId.toString() !== text) return { ok: false, error: 'peer id not in canonical form' };
  return { ok: true, value: peerId };
}

function parseMultiaddr(text: string, canonical: boolean): ParseResult<Multiaddr> {
  if (text === '' || !text.startsWith('/')) return { ok: false, error: 'bad multiaddr' };
  let parsed: Multiaddr;
  try {
    parsed = multiaddr(text);
  } catch {
    return { ok: false, error: 'bad multiaddr' };
  }
  if (canonical && parsed.toString() !== text) return { ok: false, error: 'multiaddr not in canonical form' };
  return { ok: true, value: parsed };
}

function endsWithPeerId(address: Multiaddr): boolean {
  return address.getComponents().at(-1)?.code === CODE_P2P;
}

function withoutPeerSuffix(address: Multiaddr): Multiaddr {
  return endsWithPeerId(address) ? address.decapsulateCode(CODE_P2P) : address;
}
