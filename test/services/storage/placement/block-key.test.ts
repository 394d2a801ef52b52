/** The key a block is placed under: its SHA-256 digest, whatever the CID's codec; other hashes refused. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as Digest from 'multiformats/hashes/digest';
import { idToHex } from '../../../../src/core/id.ts';
import { CID, cidOf, Codec } from '../../../../src/services/storage/dag/cids.ts';
import { blockKeyOf } from '../../../../src/services/storage/placement/block-key.ts';
import { bytesOf } from '../helpers.ts';
import { sha256 } from './support.ts';

describe('blockKeyOf', () => {
  it('is the 32-byte SHA-256 digest of the block', () => {
    const bytes = bytesOf(1000, 7);
    const key = blockKeyOf(cidOf(Codec.raw, bytes, sha256));
    assert.ok(key !== null);
    assert.equal(idToHex(key), Buffer.from(sha256(bytes)).toString('hex'));
  });

  it('the same bytes under two codecs share a key', () => {
    const bytes = bytesOf(64, 3);
    const raw = blockKeyOf(cidOf(Codec.raw, bytes, sha256));
    const dagPb = blockKeyOf(cidOf(Codec.dagPb, bytes, sha256));
    assert.ok(raw !== null && dagPb !== null);
    assert.equal(idToHex(raw), idToHex(dagPb));
  });

  it('does not share memory with the CID', () => {
    const cid = cidOf(Codec.raw, bytesOf(10, 1), sha256);
    const key = blockKeyOf(cid);
    assert.ok(key !== null);
    key.bytes[0] ^= 0xff;
    assert.notEqual(cid.multihash.digest[0], key.bytes[0]);
  });

  it('refuses a CID whose multihash is not SHA-256', () => {
    const identity = CID.createV1(Codec.raw, Digest.create(0x00, new Uint8Array(32)));
    const sha512 = CID.createV1(Codec.raw, Digest.create(0x13, new Uint8Array(64)));
    const shortSha256 = CID.createV1(Codec.raw, Digest.create(0x12, new Uint8Array(20)));
    assert.equal(blockKeyOf(identity), null);
    assert.equal(blockKeyOf(sha512), null);
    assert.equal(blockKeyOf(shortSha256), null);
  });
});
