/**
 * Who can reach an address, judged from the address alone: the whole Internet (public), one LAN or
 * site (private), or this machine (loopback). A relayed address (…/p2p/<relay>/p2p-circuit) has the
 * reach of its relay's address.
 *
 * The relay and mDNS choices (relay-server-service.ts, relay-reservations-service.ts,
 * lanDiscoveryWanted) and the order in which our PeerRef lists its multiaddrs rest on this. We
 * classify as libp2p itself does (@libp2p/utils isPrivate: RFC 1918, CGNAT, link-local,
 * documentation ranges, ULA), so that "public" here means what libp2p's address manager and AutoNAT
 * mean by it: an address AutoNAT may verify.
 */
import { isLoopback, isPrivate } from '@libp2p/utils';
import { CODE_P2P_CIRCUIT, type Multiaddr } from '@multiformats/multiaddr';

export type AddressScope = 'public' | 'private' | 'loopback';

export function isCircuit(address: Multiaddr): boolean {
  return address.getComponents().some((component) => component.code === CODE_P2P_CIRCUIT);
}

/** The reach of a direct address, or of a relayed one's relay. DNS names count as public. */
export function scopeOf(address: Multiaddr): AddressScope {
  const direct = isCircuit(address) ? address.decapsulateCode(CODE_P2P_CIRCUIT) : address;
  if (isLoopback(direct)) return 'loopback';
  if (isPrivate(direct)) return 'private';
  return 'public';
}

/** A direct (not relayed) address that anyone on the Internet may dial. */
export function isPublicDirect(address: Multiaddr): boolean {
  return !isCircuit(address) && scopeOf(address) === 'public';
}

/**
 * The order in which our address lists where we can be reached, widest reach first: a PeerRef holds
 * at most four multiaddrs (peer-address.ts), and what falls off the end should be what helps the
 * fewest peers. A relayed address through a public relay reaches everyone, so it comes before a LAN
 * address; loopback addresses (useful only to nodes on this machine, as in a devnet) come last.
 * The sort is stable: within a rank, libp2p's order stays.
 */
export function orderForAnnouncement(addresses: readonly Multiaddr[]): Multiaddr[] {
  return addresses
    .map((address, index) => ({ address, index, rank: announcementRank(address) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ address }) => address);
}

function announcementRank(address: Multiaddr): number {
  const scopeRank = { public: 0, private: 2, loopback: 4 }[scopeOf(address)];
  if (scopeRank === 0) return isCircuit(address) ? 1 : 0;
  return scopeRank + (isCircuit(address) ? 1 : 0);
}

/**
 * Whether mDNS is worth running, given the IP addresses the node listens on (wildcards already
 * expanded to the machine's interface addresses): only on a LAN machine. A machine with a public
 * address is a server — mDNS has nobody to find in a datacenter, and hosting providers have flagged
 * its multicast as scanning — and a node on loopback alone (a devnet, a test) has no LAN.
 */
export function lanDiscoveryWanted(listening: readonly Multiaddr[]): boolean {
  const direct = listening.filter((address) => !isCircuit(address));
  if (direct.some((address) => scopeOf(address) === 'public')) return false;
  return direct.some((address) => scopeOf(address) === 'private');
}
