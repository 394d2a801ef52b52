import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { idFromBytes, idToHex } from '../../src/core/id.ts';
import { Limits } from '../../src/core/limits.ts';
import { peerRef } from '../../src/core/peer.ts';
import { kernelIdOfPeerId } from '../../src/transport/libp2p/kernel-id.ts';
import {
  dialMultiaddrs, formatPeerAddress, multiaddrsPerAddressMax, parsePeerAddress, peerRefFromMultiaddr,
} from '../../src/transport/libp2p/peer-address.ts';
import { VerifiedAddresses } from '../../src/transport/libp2p/verified-addresses.ts';

async function newPeerId() {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'));
}

describe('kernel ids of libp2p peers', () => {
  it('is SHA-256 of the raw Ed25519 public key', async () => {
    const key = await generateKeyPair('Ed25519');
    const expected = createHash('sha256').update(key.publicKey.raw).digest();
    assert.equal(idToHex(kernelIdOfPeerId(peerIdFromPrivateKey(key)) ?? assert.fail()), expected.toString('hex'));
  });

  it('refuses other key types', async () => {
    assert.equal(kernelIdOfPeerId(peerIdFromPrivateKey(await generateKeyPair('secp256k1'))), null);
  });
});

describe('peer addresses', () => {
  it('are the peer id then the transport multiaddrs, and parse back', async () => {
    const peerId = await newPeerId();
    const text = formatPeerAddress(peerId, [multiaddr(`/ip4/127.0.0.1/tcp/4100/p2p/${peerId}`), multiaddr('/ip6/::1/tcp/4100')]);
    assert.equal(text, `${peerId} /ip4/127.0.0.1/tcp/4100 /ip6/::1/tcp/4100`);
    const parsed = parsePeerAddress(text);
    assert.ok(parsed.ok);
    assert.ok(parsed.value.peerId.equals(peerId));
    assert.deepEqual(dialMultiaddrs(parsed.value).map(String), [
      `/ip4/127.0.0.1/tcp/4100/p2p/${peerId}`, `/ip6/::1/tcp/4100/p2p/${peerId}`,
    ]);
  });

  it('list at most a few multiaddrs and stay within the kernel address cap', async () => {
    const peerId = await newPeerId();
    const many = Array.from({ length: 10 }, (_, index) => multiaddr(`/ip4/10.0.0.${index}/tcp/4100`));
    const text = formatPeerAddress(peerId, many);
    assert.equal(text.split(' ').length, 1 + multiaddrsPerAddressMax);
    const long = Array.from({ length: 4 }, (_, index) => multiaddr(`/dns4/${String(index).repeat(250)}.example/tcp/1`));
    assert.ok(new TextEncoder().encode(formatPeerAddress(peerId, long)).length <= Limits.addressBytesMax);
    assert.equal(formatPeerAddress(peerId, []), peerId.toString());
  });

  it('refuse anything but the one spelling', async () => {
    const peerId = await newPeerId();
    const refused = [
      '', 'garbage', `${peerId}  /ip4/127.0.0.1/tcp/1`, `${peerId} /ip4/127.0.0.1/tcp/1/p2p/${peerId}`, `${peerId} ip4/1.2.3.4`,
      `${peerId} /ip4/999.0.0.1/tcp/1`, `${peerId} /ip6/::1/tcp/1 /ip6/::1/tcp/2 /ip6/::1/tcp/3 /ip6/::1/tcp/4 /ip6/::1/tcp/5`,
      `${peerId.toCID().toString()} /ip4/127.0.0.1/tcp/1`, `${'x'.repeat(2000)}`,
    ];
    for (const text of refused) assert.equal(parsePeerAddress(text).ok, false, JSON.stringify(text));
    const secp = peerIdFromPrivateKey(await generateKeyPair('secp256k1'));
    assert.deepEqual(parsePeerAddress(secp.toString()), { ok: false, error: 'not an Ed25519 peer id' });
  });

  it('turn a bootstrap multiaddr into a PeerRef whose id comes from the key', async () => {
    const peerId = await newPeerId();
    const parsed = peerRefFromMultiaddr(`/ip4/127.0.0.1/tcp/4100/p2p/${peerId}`);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.address, `${peerId} /ip4/127.0.0.1/tcp/4100`);
    assert.equal(idToHex(parsed.value), idToHex(kernelIdOfPeerId(peerId) ?? assert.fail()));
    assert.equal(peerRefFromMultiaddr('/ip4/127.0.0.1/tcp/4100').ok, false);
    assert.equal(peerRefFromMultiaddr('not a multiaddr').ok, false);
  });
});

describe('verified addresses', () => {
  it('accept a contact whose id matches its key and refuse a forged one', async () => {
    const peerId = await newPeerId();
    const address = `${peerId} /ip4/127.0.0.1/tcp/4100`;
    const genuine = peerRef(kernelIdOfPeerId(peerId) ?? assert.fail(), address);
    const forged = peerRef(idFromBytes(new Uint8Array(32).fill(9)), address);
    const verified = new VerifiedAddresses(2);
    for (let round = 0; round < 2; round++) {
      assert.equal(verified.verify(genuine).ok, true);
      assert.deepEqual(verified.verify(forged), { ok: false, error: 'kernel id does not match the peer id key' });
    }
    assert.equal(verified.verify(peerRef(genuine, 'nonsense')).ok, false);
  });
});
