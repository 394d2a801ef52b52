import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { signerOf, verifySignature, verifySignatureCached } from '../../src/runtime/peer-signatures.ts';

const bytes = new TextEncoder().encode('a posting of the term "grid"');

describe('peer signatures', () => {
  it('signs Ed25519 as libp2p does, byte for byte, and checks what libp2p signed', async () => {
    const key = await generateKeyPair('Ed25519');
    const peerId = peerIdFromPrivateKey(key).toString();
    const ours = await signerOf(key)(bytes);
    assert.deepEqual(ours, new Uint8Array(await key.sign(bytes)));
    assert.equal(await key.publicKey.verify(bytes, ours), true);
    assert.equal(await verifySignature(peerId, bytes, ours), true);
    assert.equal(await verifySignature(peerId, bytes, await key.sign(bytes)), true);
  });

  it('refuses a signature of other bytes, a changed one, a short one, another signer\'s, and a peer id it cannot read', async () => {
    const key = await generateKeyPair('Ed25519');
    const other = await generateKeyPair('Ed25519');
    const peerId = peerIdFromPrivateKey(key).toString();
    const signature = await signerOf(key)(bytes);
    assert.equal(await verifySignature(peerId, new TextEncoder().encode('another posting'), signature), false);
    const changed = signature.slice();
    changed[10] ^= 1;
    assert.equal(await verifySignature(peerId, bytes, changed), false);
    assert.equal(await verifySignature(peerId, bytes, signature.subarray(0, 63)), false);
    assert.equal(await verifySignature(peerId, bytes, new Uint8Array(0)), false);
    assert.equal(await verifySignature(peerId, bytes, await signerOf(other)(bytes)), false);
    assert.equal(await verifySignature('not a peer id', bytes, signature), false);
    // The key was cached by the checks above: a good signature still passes after bad ones.
    assert.equal(await verifySignature(peerId, bytes, signature), true);
  });

  it('signs and checks with libp2p\'s own code for a key that is not Ed25519', async () => {
    const key = await generateKeyPair('secp256k1');
    const peerId = peerIdFromPrivateKey(key).toString();
    const signature = await signerOf(key)(bytes);
    assert.equal(await key.publicKey.verify(bytes, signature), true);
    assert.equal(await verifySignature(peerId, bytes, signature), true);
    const changed = signature.slice();
    changed[5] ^= 1;
    assert.equal(await verifySignature(peerId, bytes, changed), false);
  });

  it('remembers only good signatures, over the very bytes they were checked over', async () => {
    const key = await generateKeyPair('Ed25519');
    const peerId = peerIdFromPrivateKey(key).toString();
    const signature = await signerOf(key)(bytes);
    assert.equal(await verifySignatureCached(peerId, bytes, signature), true);
    assert.equal(await verifySignatureCached(peerId, bytes, signature), true);
    assert.equal(await verifySignatureCached(peerId, new TextEncoder().encode('a posting of the term "grit"'), signature), false);
    const changed = signature.slice();
    changed[0] ^= 1;
    assert.equal(await verifySignatureCached(peerId, bytes, changed), false);
    assert.equal(await verifySignatureCached(peerId, bytes, changed), false);
  });
});
