/**
 * The block-exchange codec: every kind round-trips, the wire format is pinned by golden bytes,
 * every limit is enforced on both sides, and the decoders never throw — on random bytes, on
 * mutated valid encodings, on truncations and extensions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import * as Digest from 'multiformats/hashes/digest';
import { BlockstoreLimits } from '../../../../src/runtime/storage/blockstore-limits.ts';
import { CID, Codec, SHA2_256 } from '../../../../src/services/storage/dag/cids.ts';
import { ExchangeLimits } from '../../../../src/services/storage/exchange/exchange-limits.ts';
import {
  BLOCKS_CHANNEL_PROTOCOL, BLOCKS_PROTOCOL, answersRequest, decodeOwnedResponse, decodeRequest, decodeResponse, encodeRequest, encodeResponse,
  encodeResponseParts, isUnknownRequestKind, encodedRequestSize, encodedResponseSize, RefusalReason, RequestCode, ResponseCode, type ExchangeRequest, type ExchangeResponse,
} from '../../../../src/services/storage/exchange/exchange-messages.ts';
import { fitUtf8 } from '../../../../src/services/storage/exchange/message-text.ts';

function digest(seed: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (seed + i) & 0xff);
}

const rawCid = CID.createV1(Codec.raw, Digest.create(SHA2_256, digest(0)));
const pbCid = CID.createV1(Codec.dagPb, Digest.create(SHA2_256, digest(0x20)));
const cborCid = CID.createV1(Codec.dagCbor, Digest.create(SHA2_256, digest(0x40)));

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function fromHex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

/** Messages compared by value: CIDs as strings, so two equal CIDs from different buffers match. */
function plain(message: ExchangeRequest | ExchangeResponse): unknown {
  return JSON.parse(JSON.stringify(message, (_key, value) => {
    if (value instanceof CID) return `cid:${value.toString()}`;
    if (value instanceof Uint8Array) return `bytes:${hex(value)}`;
    return value;
  }));
}

function requestOk(bytes: Uint8Array): ExchangeRequest {
  const result = decodeRequest(bytes);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

function responseOk(bytes: Uint8Array): ExchangeResponse {
  const result = decodeResponse(bytes);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

function requestError(bytes: Uint8Array): string {
  const result = decodeRequest(bytes);
  assert.ok(!result.ok, 'expected the request to be refused');
  return result.error;
}

function responseError(bytes: Uint8Array): string {
  const result = decodeResponse(bytes);
  assert.ok(!result.ok, 'expected the response to be refused');
  return result.error;
}

// ---- arbitraries -----------------------------------------------------------------------------------

const cidArb = fc
  .record({ codec: fc.constantFrom(Codec.raw, Codec.dagPb, Codec.dagCbor), digest: fc.uint8Array({ minLength: 32, maxLength: 32 }) })
  .map(({ codec, digest: bytes }) => CID.createV1(codec, Digest.create(SHA2_256, bytes)));
const smallBytesArb = fc.uint8Array({ maxLength: 64 });
const fragmentsArb = fc.uniqueArray(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }).map((indexes) => indexes.sort((a, b) => a - b));

const requestArb: fc.Arbitrary<ExchangeRequest> = fc.oneof(
  cidArb.map((cid) => ({ kind: 'getBlock' as const, cid })),
  fc.record({ block: cidArb, index: fc.integer({ min: 0, max: 255 }) }).map(({ block, index }) => ({ kind: 'getFragment' as const, block, index })),
  fc.record({ cid: cidArb, copies: fc.integer({ min: 1, max: 16 }), bytes: smallBytesArb }).map(({ cid, copies, bytes }) => ({ kind: 'storeBlock' as const, cid, copies, bytes })),
  smallBytesArb.map((record) => ({ kind: 'storeFragment' as const, record })),
  fc.array(cidArb, { maxLength: 8 }).map((blocks) => ({ kind: 'have' as const, blocks })),
  fc.record({ cid: cidArb, bytes: smallBytesArb }).map(({ cid, bytes }) => ({ kind: 'cacheBlock' as const, cid, bytes })),
  fc.record({ block: cidArb, index: fc.option(fc.integer({ min: 0, max: 255 }), { nil: null }), nonce: fc.uint8Array({ minLength: 32, maxLength: 32 }) })
    .map(({ block, index, nonce }) => ({ kind: 'prove' as const, block, index, nonce })),
  fc.record({ leaseSeconds: fc.integer({ min: 1, max: 315_360_000 }), blocks: fc.array(cidArb, { maxLength: 8 }) })
    .map(({ leaseSeconds, blocks }) => ({ kind: 'renew' as const, leaseSeconds, blocks })),
);

const reasonArb = fc.constantFrom(...Object.values(RefusalReason));

const responseArb: fc.Arbitrary<ExchangeResponse> = fc.oneof(
  smallBytesArb.map((bytes) => ({ kind: 'block' as const, bytes })),
  smallBytesArb.map((record) => ({ kind: 'fragment' as const, record })),
  fc.constant({ kind: 'notFound' as const }),
  fc.constant({ kind: 'stored' as const }),
  fc.record({ reason: reasonArb, message: fc.string({ maxLength: 40 }) }).map(({ reason, message }) => ({ kind: 'refused' as const, reason, message: fitUtf8(message, 256) })),
  fc.array(fc.record({ block: fc.boolean(), fragments: fragmentsArb }), { maxLength: 8 }).map((entries) => ({ kind: 'haves' as const, entries })),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((digest) => ({ kind: 'proof' as const, digest })),
);

/** A valid encoding changed in one of the ways corruption or malice would: flips, cuts, insertions, appends. */
function mutate(bytes: Uint8Array, edits: readonly { kind: number; at: number; value: number }[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const { kind, at, value } of edits) {
    const position = out.length === 0 ? 0 : at % out.length;
    if (kind === 0 && out.length > 0) out[position] = value;
    else if (kind === 1 && out.length > 0) out[position] ^= 1 << (value & 7);
    else if (kind === 2) out = out.subarray(0, position);
    else if (kind === 3) out = Uint8Array.from([...out.subarray(0, position), value, ...out.subarray(position)]);
    else out = Uint8Array.from([...out, value]);
  }
  return out;
}

/** Any UTF-16 code units, lone surrogates included. */
const codeUnitsArb = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 300 }).map((units) => String.fromCharCode(...units));

const editsArb = fc.array(fc.record({ kind: fc.integer({ min: 0, max: 4 }), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 });

// ---- tests -----------------------------------------------------------------------------------------

describe('golden encodings: the wire format cannot change silently', () => {
  const digestHex = (seed: number): string => hex(digest(seed));
  const requests: [ExchangeRequest, string][] = [
    [{ kind: 'getBlock', cid: rawCid }, `0101 24 01551220${digestHex(0)}`],
    [{ kind: 'getFragment', block: pbCid, index: 13 }, `0102 24 01701220${digestHex(0x20)} 0d`],
    [{ kind: 'storeBlock', cid: rawCid, copies: 3, bytes: Uint8Array.of(1, 2, 3) }, `0103 24 01551220${digestHex(0)} 03 00000003 010203`],
    [{ kind: 'storeFragment', record: Uint8Array.of(0xfe, 0xed) }, '0104 00000002 feed'],
    [{ kind: 'have', blocks: [rawCid, cborCid] }, `0105 0002 24 01551220${digestHex(0)} 24 01711220${digestHex(0x40)}`],
    [{ kind: 'cacheBlock', cid: rawCid, bytes: Uint8Array.of(4, 5) }, `0106 24 01551220${digestHex(0)} 00000002 0405`],
    [{ kind: 'prove', block: rawCid, index: null, nonce: new Uint8Array(32).fill(0xab) }, `0107 24 01551220${digestHex(0)} 00 00 ${'ab'.repeat(32)}`],
    [{ kind: 'prove', block: pbCid, index: 5, nonce: new Uint8Array(32).fill(1) }, `0107 24 01701220${digestHex(0x20)} 01 05 ${'01'.repeat(32)}`],
    [{ kind: 'renew', leaseSeconds: 7_776_000, blocks: [rawCid] }, `0108 0076a700 0001 24 01551220${digestHex(0)}`],
  ];
  const responses: [ExchangeResponse, string][] = [
    [{ kind: 'block', bytes: Uint8Array.of(0xca, 0xfe) }, '0181 00000002 cafe'],
    [{ kind: 'fragment', record: Uint8Array.of(7) }, '0182 00000001 07'],
    [{ kind: 'notFound' }, '0183'],
    [{ kind: 'stored' }, '0184'],
    [{ kind: 'refused', reason: 'quota', message: 'full' }, '0185 01 0004 66756c6c'],
    [{ kind: 'haves', entries: [{ block: true, fragments: [] }, { block: false, fragments: [0, 3, 255] }] }, '0186 0002 01 0000 00 0003 0003ff'],
    [{ kind: 'haves', entries: [{ block: true, kept: true, fragments: [] }] }, '0186 0001 03 0000'],
    [{ kind: 'proof', digest: new Uint8Array(32).fill(0xcd) }, `0187 ${'cd'.repeat(32)}`],
  ];

  it('pins one request of each kind', () => {
    assert.equal(new Set(requests.map(([request]) => request.kind)).size, Object.keys(RequestCode).length);
    for (const [request, expected] of requests) {
      const bytes = encodeRequest(request);
      assert.equal(hex(bytes), expected.replaceAll(' ', ''), request.kind);
      assert.deepEqual(plain(requestOk(fromHex(expected.replaceAll(' ', '')))), plain(request));
    }
  });

  it('pins one response of each kind', () => {
    assert.equal(new Set(responses.map(([response]) => response.kind)).size, Object.keys(ResponseCode).length);
    for (const [response, expected] of responses) {
      const bytes = encodeResponse(response);
      assert.equal(hex(bytes), expected.replaceAll(' ', ''), response.kind);
      assert.deepEqual(plain(responseOk(fromHex(expected.replaceAll(' ', '')))), plain(response));
    }
  });

  it('names the protocols', () => {
    assert.equal(BLOCKS_PROTOCOL, '/peergrid/blocks/1.0.0');
    assert.equal(BLOCKS_CHANNEL_PROTOCOL, '/peergrid/blocks-channel/1.0.0');
  });

  it('sends a block or a record as its fields and its bytes, which join into the pinned encoding', () => {
    for (const [response, expected] of responses) {
      const { head, body } = encodeResponseParts(response);
      assert.equal(hex(head) + hex(body), expected.replaceAll(' ', ''), response.kind);
      if (response.kind === 'block') assert.equal(body, response.bytes, 'the block itself, not a copy');
      else if (response.kind === 'fragment') assert.equal(body, response.record, 'the record itself, not a copy');
      else assert.equal(body.length, 0);
    }
  });
});

describe('a response decoded in place (decodeOwnedResponse)', () => {
  it('decodes what decodeResponse does, for random responses and their mutations', () => {
    fc.assert(
      fc.property(responseArb, editsArb, (response, edits) => {
        for (const bytes of [encodeResponse(response), mutate(encodeResponse(response), edits)]) {
          const copied = decodeResponse(bytes);
          const owned = decodeOwnedResponse(bytes);
          assert.equal(owned.ok, copied.ok);
          if (owned.ok && copied.ok) assert.deepEqual(plain(owned.value), plain(copied.value));
          else if (!owned.ok && !copied.ok) assert.equal(owned.error, copied.error);
        }
      }),
      { seed: 31, numRuns: 1000 },
    );
  });

  it('leaves a block in the input, a view rather than a copy', () => {
    const bytes = encodeResponse({ kind: 'block', bytes: Uint8Array.of(1, 2, 3) });
    const decoded = decodeOwnedResponse(bytes);
    assert.ok(decoded.ok && decoded.value.kind === 'block');
    assert.equal(decoded.value.bytes.buffer, bytes.buffer);
    assert.deepEqual([...decoded.value.bytes], [1, 2, 3]);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.uint8Array({ maxLength: 120 }), (kind, body) => {
        const result = decodeOwnedResponse(Uint8Array.from([1, 0x80 + kind, ...body]));
        if (!result.ok) assert.equal(typeof result.error, 'string');
      }),
      { seed: 32, numRuns: 3000 },
    );
  });
});

describe('round trips', () => {
  it('decode(encode(m)) equals m, and encodedSize is exact, for random requests and responses', () => {
    fc.assert(
      fc.property(requestArb, (request) => {
        const bytes = encodeRequest(request);
        assert.equal(bytes.length, encodedRequestSize(request));
        assert.deepEqual(plain(requestOk(bytes)), plain(request));
      }),
      { seed: 11, numRuns: 500 },
    );
    fc.assert(
      fc.property(responseArb, (response) => {
        const bytes = encodeResponse(response);
        assert.equal(bytes.length, encodedResponseSize(response));
        assert.deepEqual(plain(responseOk(bytes)), plain(response));
      }),
      { seed: 12, numRuns: 500 },
    );
  });

  it('decoded bytes and CIDs are copies that survive reuse of the input', () => {
    const bytes = encodeRequest({ kind: 'storeBlock', cid: rawCid, copies: 2, bytes: Uint8Array.of(9, 8, 7) });
    const decoded = requestOk(bytes);
    bytes.fill(0);
    assert.ok(decoded.kind === 'storeBlock');
    assert.ok(decoded.cid.equals(rawCid));
    assert.deepEqual(decoded.bytes, Uint8Array.of(9, 8, 7));
    assert.equal(Object.getPrototypeOf(decoded.bytes), Uint8Array.prototype);
  });

  it('carries the largest messages the limits allow, within messageBytesMax', () => {
    const block = new Uint8Array(ExchangeLimits.blockBytesMax);
    const record = new Uint8Array(ExchangeLimits.recordBytesMax);
    const blocks = Array.from({ length: ExchangeLimits.haveBlocksMax }, () => rawCid);
    const allFragments = Array.from({ length: ExchangeLimits.fragmentsPerBlockMax }, (_, i) => i);
    const largest: Uint8Array[] = [
      encodeRequest({ kind: 'storeBlock', cid: rawCid, copies: 16, bytes: block }),
      encodeRequest({ kind: 'storeFragment', record }),
      encodeRequest({ kind: 'have', blocks }),
      encodeResponse({ kind: 'block', bytes: block }),
      encodeResponse({ kind: 'fragment', record }),
      encodeResponse({ kind: 'haves', entries: blocks.map(() => ({ block: true, fragments: allFragments })) }),
    ];
    for (const bytes of largest) assert.ok(bytes.length <= ExchangeLimits.messageBytesMax);
    assert.ok(decodeRequest(largest[1]).ok);
    assert.ok(decodeResponse(largest[5]).ok);
    assert.equal(Math.max(...largest.map((bytes) => bytes.length)), ExchangeLimits.messageBytesMax);
  });

  it('limits a block as the blockstore does', () => {
    assert.equal(ExchangeLimits.blockBytesMax, BlockstoreLimits.blockBytesMax);
    assert.ok(ExchangeLimits.recordBytesMax > ExchangeLimits.blockBytesMax);
  });
});

describe('the encoders refuse what a decoder would', () => {
  it('throws on CIDs the exchange does not carry', () => {
    const v0 = CID.createV0(Digest.create(SHA2_256, digest(1)));
    const sha512 = CID.createV1(Codec.raw, Digest.create(0x13, new Uint8Array(64)));
    const json = CID.createV1(0x0200, Digest.create(SHA2_256, digest(1)));
    for (const cid of [v0, sha512, json] as CID[]) {
      assert.throws(() => encodeRequest({ kind: 'getBlock', cid }), RangeError);
      assert.throws(() => encodeRequest({ kind: 'have', blocks: [rawCid, cid] }), RangeError);
    }
  });

  it('throws on fields out of range', () => {
    assert.throws(() => encodeRequest({ kind: 'getFragment', block: rawCid, index: 256 }), RangeError);
    assert.throws(() => encodeRequest({ kind: 'getFragment', block: rawCid, index: -1 }), RangeError);
    assert.throws(() => encodeRequest({ kind: 'getFragment', block: rawCid, index: 1.5 }), RangeError);
    assert.throws(() => encodeRequest({ kind: 'storeBlock', cid: rawCid, copies: 3, bytes: new Uint8Array(ExchangeLimits.blockBytesMax + 1) }), RangeError);
    for (const copies of [0, 17, 2.5]) assert.throws(() => encodeRequest({ kind: 'storeBlock', cid: rawCid, copies, bytes: new Uint8Array(1) }), RangeError);
    assert.throws(() => encodeRequest({ kind: 'storeFragment', record: new Uint8Array(ExchangeLimits.recordBytesMax + 1) }), RangeError);
    assert.throws(() => encodeRequest({ kind: 'cacheBlock', cid: rawCid, bytes: new Uint8Array(ExchangeLimits.blockBytesMax + 1) }), RangeError);
    assert.throws(() => encodeRequest({ kind: 'have', blocks: Array.from({ length: ExchangeLimits.haveBlocksMax + 1 }, () => rawCid) }), RangeError);
    assert.throws(() => encodeResponse({ kind: 'haves', entries: [{ block: true, fragments: [3, 1] }] }), RangeError);
    assert.throws(() => encodeResponse({ kind: 'haves', entries: [{ block: true, fragments: [1, 1] }] }), RangeError);
    assert.throws(() => encodeResponse({ kind: 'haves', entries: [{ block: true, fragments: [256] }] }), RangeError);
    assert.throws(() => encodeResponse({ kind: 'refused', reason: 'angry' as RefusalReason, message: '' }), RangeError);
    assert.throws(() => encodeRequest({ kind: 'nonsense' } as unknown as ExchangeRequest), RangeError);
    for (const leaseSeconds of [0, ExchangeLimits.leaseSecondsMax + 1, 1.5, -1]) {
      assert.throws(() => encodeRequest({ kind: 'renew', leaseSeconds, blocks: [rawCid] }), RangeError, String(leaseSeconds));
    }
    assert.throws(() => encodeRequest({ kind: 'renew', leaseSeconds: 60, blocks: Array.from({ length: ExchangeLimits.haveBlocksMax + 1 }, () => rawCid) }), RangeError);
  });

  it('cuts a refusal text to 256 bytes, never inside a character, and replaces lone surrogates', () => {
    const long = 'é'.repeat(200); // 400 bytes
    const decoded = responseOk(encodeResponse({ kind: 'refused', reason: 'busy', message: long }));
    assert.ok(decoded.kind === 'refused');
    assert.equal(decoded.message, 'é'.repeat(128));
    const emoji = 'a' + '😀'.repeat(100); // 1 + 400 bytes: the cut falls inside the 64th emoji
    const cut = responseOk(encodeResponse({ kind: 'refused', reason: 'busy', message: emoji }));
    assert.ok(cut.kind === 'refused');
    assert.equal(cut.message, 'a' + '😀'.repeat(63));
    const lone = responseOk(encodeResponse({ kind: 'refused', reason: 'invalid', message: 'x\ud800y\udc00' }));
    assert.ok(lone.kind === 'refused');
    assert.equal(lone.message, 'x\ufffdy\ufffd');
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), codeUnitsArb), fc.integer({ min: 0, max: 300 }), (text, bytesMax) => {
        const fitted = fitUtf8(text, bytesMax);
        assert.ok(new TextEncoder().encode(fitted).length <= bytesMax);
        assert.equal(new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(fitted)), fitted);
      }),
      { seed: 13, numRuns: 300 },
    );
  });
});

describe('the decoders refuse bad input with a reason', () => {
  const getBlock = encodeRequest({ kind: 'getBlock', cid: rawCid });

  it('refuses an unknown version or kind, a response read as a request and the reverse', () => {
    assert.match(requestError(new Uint8Array()), /truncated: version/);
    assert.match(requestError(Uint8Array.of(1)), /truncated: kind/);
    assert.match(requestError(Uint8Array.of(2, 1)), /unknown version 2/);
    assert.match(requestError(Uint8Array.of(1, 0x09)), /unknown kind code 9/);
    assert.match(requestError(encodeResponse({ kind: 'notFound' })), /unknown kind code 131/);
    assert.match(responseError(getBlock), /unknown kind code 1/);
  });

  it('refuses a renewal of no time, or of more than the longest lease the wire carries', () => {
    const renewal = (leaseSeconds: number): Uint8Array => {
      const bytes = encodeRequest({ kind: 'renew', leaseSeconds: 60, blocks: [rawCid] });
      new DataView(bytes.buffer, bytes.byteOffset).setUint32(2, leaseSeconds);
      return bytes;
    };
    assert.match(requestError(renewal(0)), /lease out of range: 0 s/);
    assert.match(requestError(renewal(0xffff_ffff)), /lease out of range/);
    const ok = requestOk(renewal(ExchangeLimits.leaseSecondsMax));
    assert.ok(ok.kind === 'renew' && ok.leaseSeconds === ExchangeLimits.leaseSecondsMax && ok.blocks.length === 1);
    assert.match(requestError(Uint8Array.of(1, 0x08, 0, 0)), /truncated: lease/);
  });

  it('refuses trailing bytes and truncation', () => {
    assert.match(requestError(Uint8Array.from([...getBlock, 0])), /trailing bytes: 1 after getBlock/);
    assert.match(responseError(Uint8Array.of(1, 0x83, 0)), /trailing bytes/);
    for (let length = 2; length < getBlock.length; length++) assert.match(requestError(getBlock.subarray(0, length)), /truncated/);
  });

  it('refuses CIDs that are not CIDv1 sha2-256 with a stored codec, or not canonical', () => {
    const cidMessage = (cidBytes: Uint8Array): Uint8Array => Uint8Array.from([1, 1, cidBytes.length, ...cidBytes]);
    const v0 = CID.createV0(Digest.create(SHA2_256, digest(1)));
    assert.match(requestError(cidMessage(v0.bytes)), /CID version 0/);
    const sha3 = CID.createV1(Codec.raw, Digest.create(0x16, digest(1)));
    assert.match(requestError(cidMessage(sha3.bytes)), /multihash 0x16/);
    const short = CID.createV1(Codec.raw, Digest.create(SHA2_256, digest(1).subarray(0, 20)));
    assert.match(requestError(cidMessage(short.bytes)), /multihash 0x12\/20/);
    const json = CID.createV1(0x0200, Digest.create(SHA2_256, digest(1)));
    assert.match(requestError(cidMessage(json.bytes)), /codec 0x200/);
    // Version 1 written as a padded two-byte varint: the same CID, but not its one binary form.
    assert.match(requestError(cidMessage(Uint8Array.from([0x81, 0x00, ...rawCid.bytes.subarray(1)]))), /cid/);
    assert.match(requestError(cidMessage(rawCid.bytes.subarray(0, 20))), /cid: not a CID/);
    assert.match(requestError(cidMessage(Uint8Array.from([...rawCid.bytes, 0]))), /cid/);
    assert.match(requestError(cidMessage(new Uint8Array(0))), /cid: not a CID/);
    assert.match(requestError(Uint8Array.of(1, 1, 65)), /cid too long: 65 bytes > 64/);
  });

  it('checks every length against its limit before reading', () => {
    const storeBlock = (length: number): Uint8Array => {
      const head = encodeRequest({ kind: 'storeBlock', cid: rawCid, copies: 3, bytes: new Uint8Array(0) });
      const out = Uint8Array.from(head);
      new DataView(out.buffer).setUint32(out.length - 4, length);
      return out;
    };
    assert.match(requestError(storeBlock(ExchangeLimits.blockBytesMax + 1)), /block too long/);
    assert.match(requestError(storeBlock(5)), /truncated: block$/);
    const copiesAt = 2 + 1 + rawCid.bytes.length;
    for (const copies of [0, 17, 255]) {
      const message = storeBlock(0);
      message[copiesAt] = copies;
      assert.match(requestError(message), /copies out of range/);
    }
    assert.match(requestError(storeBlock(0).subarray(0, copiesAt)), /truncated: copies/);
    assert.match(requestError(Uint8Array.of(1, 4, 0xff, 0xff, 0xff, 0xff)), /record too long/);
    assert.match(requestError(Uint8Array.of(1, 5, 0x04, 0x01)), /too many blocks: 1025 > 1024/);
    assert.match(responseError(Uint8Array.of(1, 0x81, 0x00, 0x40, 0x00, 0x01)), /block too long/);
    assert.match(responseError(Uint8Array.of(1, 0x86, 0x04, 0x01)), /too many entries/);
    assert.match(responseError(Uint8Array.of(1, 0x86, 0x00, 0x01, 0x01, 0x01, 0x01)), /too many fragments: 257 > 256/);
    assert.match(requestError(new Uint8Array(ExchangeLimits.messageBytesMax + 1)), /message too large/);
  });

  it('refuses malformed haves and refusals', () => {
    assert.match(responseError(Uint8Array.of(1, 0x86, 0, 1, 0x04, 0, 0)), /unknown flags 0x4/);
    assert.match(responseError(Uint8Array.of(1, 0x86, 0, 1, 0x02, 0, 0)), /a kept block that is not held/);
    assert.match(responseError(Uint8Array.of(1, 0x86, 0, 1, 0x00, 0, 2, 5, 5)), /not sorted and distinct/);
    assert.match(responseError(Uint8Array.of(1, 0x86, 0, 1, 0x00, 0, 2, 5, 4)), /not sorted and distinct/);
    assert.match(responseError(Uint8Array.of(1, 0x86, 0, 1, 0x00, 0, 2, 5)), /truncated: entry 0 fragments/);
    assert.match(responseError(Uint8Array.of(1, 0x85, 9, 0, 0)), /unknown refusal reason 9/);
    assert.match(responseError(Uint8Array.of(1, 0x85, 1, 0x01, 0x01)), /text too long: 257 bytes > 256/);
    assert.match(responseError(Uint8Array.of(1, 0x85, 1, 0, 2, 0xc3, 0x28)), /not valid UTF-8/);
    assert.match(responseError(Uint8Array.of(1, 0x85, 1, 0, 2, 0x41)), /truncated: text/);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const result of [decodeRequest(bytes), decodeResponse(bytes)]) {
          if (!result.ok) assert.equal(typeof result.error, 'string');
        }
      }),
      { seed: 21, numRuns: 3000 },
    );
    // Random bytes behind a valid header reach the field decoders, CID decoding included.
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.uint8Array({ maxLength: 120 }), (kind, body) => {
        decodeRequest(Uint8Array.from([1, kind, ...body]));
        decodeResponse(Uint8Array.from([1, 0x80 + kind, ...body]));
        decodeRequest(Uint8Array.from([1, 1, body.length, ...body]));
      }),
      { seed: 22, numRuns: 3000 },
    );
    for (const junk of [null, undefined, 'text', [1, 1], {}] as unknown as Uint8Array[]) {
      assert.equal(decodeRequest(junk).ok, false);
      assert.equal(decodeResponse(junk).ok, false);
    }
  });

  it('never throws on mutated valid encodings, and whatever it accepts re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(requestArb, editsArb, (request, edits) => {
        const bytes = mutate(encodeRequest(request), edits);
        const result = decodeRequest(bytes);
        if (result.ok) assert.deepEqual(encodeRequest(result.value), bytes);
      }),
      { seed: 23, numRuns: 2000 },
    );
    fc.assert(
      fc.property(responseArb, editsArb, (response, edits) => {
        const bytes = mutate(encodeResponse(response), edits);
        const result = decodeResponse(bytes);
        if (result.ok) assert.deepEqual(encodeResponse(result.value), bytes);
      }),
      { seed: 24, numRuns: 2000 },
    );
  });
});

describe('answersRequest', () => {
  it('pairs each request with the responses the protocol allows', () => {
    const busy: ExchangeResponse = { kind: 'refused', reason: 'busy', message: '' };
    const quota: ExchangeResponse = { kind: 'refused', reason: 'quota', message: '' };
    // What a node of an earlier version answers a request kind it does not know, such as renew.
    const invalid: ExchangeResponse = { kind: 'refused', reason: 'invalid', message: 'a request kind this node does not know' };
    assert.ok(answersRequest({ kind: 'renew', leaseSeconds: 60, blocks: [rawCid] }, invalid));
    assert.ok(answersRequest({ kind: 'getBlock', cid: rawCid }, invalid));
    assert.ok(answersRequest({ kind: 'renew', leaseSeconds: 60, blocks: [rawCid] }, { kind: 'haves', entries: [{ block: false, fragments: [] }] }));
    assert.ok(!answersRequest({ kind: 'renew', leaseSeconds: 60, blocks: [rawCid] }, { kind: 'haves', entries: [] }));
    const get: ExchangeRequest = { kind: 'getBlock', cid: rawCid };
    assert.ok(answersRequest(get, { kind: 'block', bytes: new Uint8Array() }));
    assert.ok(answersRequest(get, { kind: 'notFound' }));
    assert.ok(answersRequest(get, busy));
    assert.ok(!answersRequest(get, quota));
    assert.ok(!answersRequest(get, { kind: 'stored' }));
    assert.ok(answersRequest({ kind: 'getFragment', block: rawCid, index: 0 }, { kind: 'fragment', record: new Uint8Array() }));
    assert.ok(answersRequest({ kind: 'storeFragment', record: new Uint8Array() }, quota));
    assert.ok(!answersRequest({ kind: 'storeBlock', cid: rawCid, copies: 3, bytes: new Uint8Array() }, { kind: 'notFound' }));
    const cache: ExchangeRequest = { kind: 'cacheBlock', cid: rawCid, bytes: new Uint8Array() };
    assert.ok(answersRequest(cache, { kind: 'stored' }) && answersRequest(cache, quota));
    assert.ok(!answersRequest(cache, { kind: 'block', bytes: new Uint8Array() }));
    const have: ExchangeRequest = { kind: 'have', blocks: [rawCid, pbCid] };
    assert.ok(answersRequest(have, { kind: 'haves', entries: [{ block: true, fragments: [] }, { block: false, fragments: [1] }] }));
    assert.ok(!answersRequest(have, { kind: 'haves', entries: [{ block: true, fragments: [] }] }));
  });
});

describe('a request kind this version does not know', () => {
  it('is told apart from garbage: this version, a request code (top bit clear) it does not define', () => {
    assert.equal(isUnknownRequestKind(Uint8Array.of(1, 0x7e)), true);
    assert.equal(isUnknownRequestKind(Uint8Array.of(1, 0x09, 1, 2, 3)), true);
    for (const known of Object.values(RequestCode)) assert.equal(isUnknownRequestKind(Uint8Array.of(1, known)), false);
    assert.equal(isUnknownRequestKind(Uint8Array.of(1, 0x81)), false, 'a response code');
    assert.equal(isUnknownRequestKind(Uint8Array.of(2, 0x7e)), false, 'another version');
    assert.equal(isUnknownRequestKind(Uint8Array.of(1)), false, 'truncated');
  });
});
