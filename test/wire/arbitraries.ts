/**
 * fast-check generators of valid kernel messages, shared by the wire tests.
 *
 * Everything generated stays within Limits, so encodeMessage must accept it. Contact lists use a
 * 'medium' size so that long lists (up to the limit) come up often, not just a handful. Values are kept
 * smaller than Limits.valueBytesMax to keep the runs fast; the limits themselves are exercised by
 * explicit boundary tests in codec.test.ts.
 */
import fc from 'fast-check';
import { ID_BYTES, idFromBytes, type Id } from '../../src/core/id.ts';
import { Limits } from '../../src/core/limits.ts';
import { StoreStatus, type Message } from '../../src/core/messages.ts';
import { peerFromBytes, type PeerRef } from '../../src/core/peer.ts';

export const idArbitrary: fc.Arbitrary<Id> = fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES }).map(idFromBytes);

export const requestIdArbitrary: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffff_ffff });

export const ttlMsArbitrary: fc.Arbitrary<number> = fc.integer({ min: 0, max: Limits.valueTtlMsMax });

export const valueArbitrary: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 4096 });

/**
 * Addresses: any code points (up to four UTF-8 bytes each, so 256 of them stay within
 * addressBytesMax), or printable ASCII, which is what real addresses mostly look like.
 */
export const addressArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: Limits.addressBytesMax / 4 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
);

export const peerArbitrary: fc.Arbitrary<PeerRef> = fc
  .tuple(fc.uint8Array({ minLength: ID_BYTES, maxLength: ID_BYTES }), addressArbitrary)
  .map(([bytes, address]) => peerFromBytes(bytes, address));

export const storeStatusArbitrary = fc.constantFrom(...Object.values(StoreStatus));

/** One generator per kind, by name, so tests can target a kind or cover all of them. */
export const messageArbitraryByKind: { readonly [K in Message['kind']]: fc.Arbitrary<Message> } = {
  ping: requestIdArbitrary.map((requestId): Message => ({ kind: 'ping', requestId })),
  pong: requestIdArbitrary.map((requestId): Message => ({ kind: 'pong', requestId })),
  findNode: fc
    .tuple(requestIdArbitrary, idArbitrary)
    .map(([requestId, target]): Message => ({ kind: 'findNode', requestId, target })),
  nodes: fc
    .tuple(requestIdArbitrary, fc.array(peerArbitrary, { maxLength: Limits.contactsPerReplyMax, size: 'medium' }))
    .map(([requestId, closer]): Message => ({ kind: 'nodes', requestId, closer })),
  findValue: fc
    .tuple(requestIdArbitrary, idArbitrary)
    .map(([requestId, key]): Message => ({ kind: 'findValue', requestId, key })),
  value: fc
    .tuple(requestIdArbitrary, valueArbitrary, ttlMsArbitrary)
    .map(([requestId, value, ttlMs]): Message => ({ kind: 'value', requestId, value, ttlMs })),
  store: fc
    .tuple(requestIdArbitrary, idArbitrary, valueArbitrary, ttlMsArbitrary)
    .map(([requestId, key, value, ttlMs]): Message => ({ kind: 'store', requestId, key, value, ttlMs })),
  stored: fc
    .tuple(requestIdArbitrary, storeStatusArbitrary)
    .map(([requestId, status]): Message => ({ kind: 'stored', requestId, status })),
  leave: fc.constant<Message>({ kind: 'leave' }),
};

export const messageArbitrary: fc.Arbitrary<Message> = fc.oneof(...Object.values(messageArbitraryByKind));
