/**
 * What the relay and mDNS choices rest on: the reach of an address, the order our address lists
 * its multiaddrs in, whether mDNS is worth running, whether a node needs a relay — and relayed
 * (/p2p-circuit) addresses in a PeerRef's address, which must parse back and dial as circuits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { dialMultiaddrs, formatPeerAddress, parsePeerAddress } from '../../src/transport/libp2p/peer-address.ts';
import { isCircuit, lanDiscoveryWanted, orderForAnnouncement, scopeOf } from '../../src/transport/libp2p/reachability.ts';
import { reservationDecision } from '../../src/transport/libp2p/relay-reservations-service.ts';

async function newPeerId() {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
}

describe('the reach of an address', () => {
  it('is public, private or loopback; a relayed address has its relay’s', async () => {
    const relay = await newPeerId();
    assert.equal(scopeOf(multiaddr('/ip4/8.8.8.8/tcp/4100')), 'public');
    assert.equal(scopeOf(multiaddr('/ip6/2606:4700::1111/tcp/4100')), 'public');
    assert.equal(scopeOf(multiaddr('/dns4/relay.example.org/tcp/4100/ws')), 'public');
    assert.equal(scopeOf(multiaddr('/ip4/192.168.1.5/tcp/4100')), 'private');
    assert.equal(scopeOf(multiaddr('/ip4/10.213.7.2/tcp/4100')), 'private');
    assert.equal(scopeOf(multiaddr('/ip4/127.0.0.1/tcp/4100')), 'loopback');
    assert.equal(scopeOf(multiaddr('/ip6/::1/tcp/4100')), 'loopback');
    assert.equal(scopeOf(multiaddr(`/ip4/8.8.8.8/tcp/4100/p2p/${relay}/p2p-circuit`)), 'public');
    assert.equal(scopeOf(multiaddr(`/ip4/127.0.0.1/tcp/4100/p2p/${relay}/p2p-circuit`)), 'loopback');
    assert.ok(isCircuit(multiaddr(`/ip4/8.8.8.8/tcp/4100/p2p/${relay}/p2p-circuit`)));
    assert.ok(!isCircuit(multiaddr('/ip4/8.8.8.8/tcp/4100/ws')));
  });

  it('orders our multiaddrs widest reach first, relayed through a public relay before LAN ones', async () => {
    const relay = await newPeerId();
    const loopback = multiaddr('/ip4/127.0.0.1/tcp/4100');
    const lan = multiaddr('/ip4/192.168.1.5/tcp/4100');
    const lanWs = multiaddr('/ip4/192.168.1.5/tcp/4101/ws');
    const viaPublicRelay = multiaddr(`/ip4/8.8.8.8/tcp/4100/p2p/${relay}/p2p-circuit`);
    const viaLoopbackRelay = multiaddr(`/ip4/127.0.0.1/tcp/4100/p2p/${relay}/p2p-circuit`);
    const publicDirect = multiaddr('/ip4/8.8.4.4/tcp/4100');
    const ordered = orderForAnnouncement([viaLoopbackRelay, loopback, lan, viaPublicRelay, lanWs, publicDirect]);
    assert.deepEqual(ordered.map(String), [publicDirect, viaPublicRelay, lan, lanWs, loopback, viaLoopbackRelay].map(String));
  });
});

describe('mDNS', () => {
  it('is wanted on a LAN machine, not on a server with a public address nor on loopback alone', () => {
    assert.equal(lanDiscoveryWanted([multiaddr('/ip4/127.0.0.1/tcp/4100'), multiaddr('/ip4/192.168.1.5/tcp/4100')]), true);
    assert.equal(lanDiscoveryWanted([multiaddr('/ip4/192.168.1.5/tcp/4100'), multiaddr('/ip4/8.8.8.8/tcp/4100')]), false);
    assert.equal(lanDiscoveryWanted([multiaddr('/ip4/127.0.0.1/tcp/4100'), multiaddr('/ip6/::1/tcp/4100')]), false);
    assert.equal(lanDiscoveryWanted([]), false);
  });
});

describe('the decision to use a relay', () => {
  const verified = (text: string) => ({ multiaddr: multiaddr(text), verified: true });
  const unverified = (text: string) => ({ multiaddr: multiaddr(text), verified: false });
  const graceMs = 60_000;

  it('reserves at once for a node that listens on nothing, or only on LAN addresses', () => {
    assert.equal(reservationDecision([], 0, graceMs), 'reserve');
    assert.equal(reservationDecision([verified('/ip4/192.168.1.5/tcp/4100'), verified('/ip4/127.0.0.1/tcp/4100')], 0, graceMs), 'reserve');
  });

  it('never reserves for a node on loopback alone', () => {
    assert.equal(reservationDecision([verified('/ip4/127.0.0.1/tcp/4100'), verified('/ip6/::1/tcp/4100')], 10 * graceMs, graceMs), 'machineLocal');
  });

  it('does not reserve for a node with a verified public address', () => {
    assert.equal(reservationDecision([verified('/ip4/8.8.8.8/tcp/4100'), verified('/ip4/10.0.0.2/tcp/4100')], 10 * graceMs, graceMs), 'reachable');
  });

  it('gives AutoNAT the grace period to verify a public address, then reserves', () => {
    const addresses = [unverified('/ip4/8.8.8.8/tcp/4100'), verified('/ip4/10.0.0.2/tcp/4100')];
    assert.equal(reservationDecision(addresses, graceMs - 1, graceMs), 'wait');
    assert.equal(reservationDecision(addresses, graceMs, graceMs), 'reserve');
  });
});

describe('relayed addresses in a PeerRef', () => {
  it('fit, parse back, and are dialled as circuits to the node through its relay', async () => {
    const node = await newPeerId();
    const relay = await newPeerId();
    const relayed = multiaddr(`/ip4/127.0.0.1/tcp/4100/p2p/${relay}/p2p-circuit/p2p/${node}`);
    const text = formatPeerAddress(node, [relayed, multiaddr(`/ip6/::1/tcp/4100/p2p/${relay}/p2p-circuit`)]);
    assert.equal(text, `${node} /ip4/127.0.0.1/tcp/4100/p2p/${relay}/p2p-circuit /ip6/::1/tcp/4100/p2p/${relay}/p2p-circuit`);
    const parsed = parsePeerAddress(text);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.deepEqual(dialMultiaddrs(parsed.value).map(String), [
      `/ip4/127.0.0.1/tcp/4100/p2p/${relay}/p2p-circuit/p2p/${node}`, `/ip6/::1/tcp/4100/p2p/${relay}/p2p-circuit/p2p/${node}`,
    ]);
  });

  it('four through public relays stay within the kernel’s address cap', async () => {
    const node = await newPeerId();
    const relays = await Promise.all([1, 2, 3, 4].map(() => newPeerId()));
    const text = formatPeerAddress(node, relays.map((relay, index) => multiaddr(`/ip6/2001:db8::${index + 1}/tcp/4100/ws/p2p/${relay}/p2p-circuit`)));
    assert.equal(text.split(' ').length, 5);
    assert.ok(parsePeerAddress(text).ok);
  });
});
