/**
 * Whether this node runs mDNS: config.json's `mdns`, with 'auto' decided from the addresses the
 * node listens on and announces (transport/libp2p/reachability.ts, lanDiscoveryWanted): on for a
 * LAN machine, off for a server with a public address and for a node on loopback alone. A wildcard
 * (0.0.0.0, ::) stands for every address of the machine's interfaces.
 */
import { networkInterfaces } from 'node:os';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { lanDiscoveryWanted } from '../transport/libp2p/reachability.ts';
import type { AutoSwitch } from './relay-config.ts';

export function lanDiscoveryEnabled(setting: AutoSwitch, listen: readonly string[], announce: readonly string[]): boolean {
  if (setting !== 'auto') return setting;
  const addresses = [...listen, ...announce].flatMap((text) => withWildcardsExpanded(multiaddr(text)));
  return lanDiscoveryWanted(addresses);
}

/** The address, or for a wildcard one address per interface address of its family (only the IP matters here). */
function withWildcardsExpanded(address: Multiaddr): Multiaddr[] {
  const first = address.getComponents()[0];
  const family = first?.name === 'ip4' && first.value === '0.0.0.0' ? 'IPv4' : first?.name === 'ip6' && first.value === '::' ? 'IPv6' : null;
  if (family === null) return [address];
  const expanded: Multiaddr[] = [];
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      if (entry.family !== family) continue;
      // A link-local IPv6 address carries its zone (%eth0), which a multiaddr cannot.
      const ip = entry.address.split('%')[0];
      expanded.push(multiaddr(family === 'IPv4' ? `/ip4/${ip}` : `/ip6/${ip}`));
    }
  }
  return expanded;
}
