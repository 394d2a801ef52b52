/**
 * fast-check generators of valid kernel messages, shared by the wire tests.
 *
 * Everything generated stays within Limits, so encodeMessage must accept it. Contact lists use a
 * 'medium' size so that long lists (up to the limit) come up often, not just a handful. Values are kept
 * smaller than Limits.valueBytesMax to keep the runs fast; the limits themselves are exercised by
 * explicit boundary tests in codec.test.ts.
 *
 * Every kind but leave carries a Vivaldi coordinate about half the time, and a nodes message with one
 * then also carries each contact's (known or not, at random). Coordinates are drawn from float32
 * values, which the wire holds exactly, so decoding gives back a deep-equal message.
 */
import fc from 'fast-check';
import { ID_BYTES, idFromBytes, type Id } from '../../src/core/id.ts';
import { Limits } from '../../src/core/limits.ts';
import { StoreStatus, type Message } from '../../src/core/messages.ts';
import { peerFromBytes, type PeerRef } from '../../src/core/peer.ts';
import type { VivaldiCoordinate } from '../../src/core/vivaldi.ts';

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

/** The bound isCoordinate puts on |x|, |y| and height (exclusive); a float32 exactly. */
const COORDINATE_MAGNITUDE_MAX = 1e7;

/**
 * Valid coordinates (isCoordinate holds) made of float32 values, so they survive the wire unchanged.
 * fc.float favours the extremes, so the bounds, zeros, -0 and subnormals all come up.
 */
export const coordinateArbitrary: fc.Arbitrary<VivaldiCoordinate> = fc.record({
  x: fc.float({ min: -COORDINATE_MAGNITUDE_MAX, max: COORDINATE_MAGNITUDE_MAX, minExcluded: true, maxExcluded: true, noNaN: true }),
  y: fc.float({ min: -COORDINATE_MAGNITUDE_MAX, max: COORDINATE_MAGNITUDE_MAX, minExcluded: true, maxExcluded: true, noNaN: true }),
  // The float32 nearest 0.1 is just above it, so it is the smallest valid height.
  height: fc.float({ min: Math.fround(0.1), max: COORDINATE_MAGNITUDE_MAX, maxExcluded: true, noNaN: true }),
  error: fc.float({ min: 0, max: 1, noNaN: true }),
}, { noNullPrototype: true }); // plain objects, as the decoder builds: deepStrictEqual compares prototypes

/** The sender's coordinate, present about half the time. */
const senderCoordinateArbitrary: fc.Arbitrary<VivaldiCoordinate | undefined> = fc.option(coordinateArbitrary, { nil: undefined, freq: 2 });

/** `message` with `coordinate` added, or unchanged (no `coordinate` key at all) when it is undefined. */
function withCoordinate<M extends Exclude<Message, { kind: 'leave' }>>(message: M, coordinate: VivaldiCoordinate | undefined): Message {
  return coordinate === undefined ? message : { ...message, coordinate };
}

/** A nodes message: with a sender coordinate, each contact's coordinate too (null where unknown). */
const nodesArbitrary: fc.Arbitrary<Message> = fc
  .tuple(
    requestIdArbitrary,
    fc.array(fc.tuple(peerArbitrary, fc.option(coordinateArbitrary, { nil: null })), { maxLength: Limits.contactsPerReplyMax, size: 'medium' }),
    senderCoordinateArbitrary,
  )
  .map(([requestId, contacts, coordinate]): Message => {
    const closer = contacts.map(([peer]) => peer);
    if (coordinate === undefined) return { kind: 'nodes', requestId, closer };
    return { kind: 'nodes', requestId, closer, coordinate, closerCoordinates: contacts.map(([, known]) => known) };
  });

/** One generator per kind, by name, so tests can target a kind or cover all of them. */
export const messageArbitraryByKind: { readonly [K in Message['kind']]: fc.Arbitrary<Message> } = {
  ping: fc
    .tuple(requestIdArbitrary, senderCoordinateArbitrary)
    .map(([requestId, coordinate]) => withCoordinate({ kind: 'ping', requestId }, coordinate)),
  pong: fc
    .tuple(requestIdArbitrary, senderCoordinateArbitrary)
    .map(([requestId, coordinate]) => withCoordinate({ kind: 'pong', requestId }, coordinate)),
  findNode: fc
    .tuple(requestIdArbitrary, idArbitrary, senderCoordinateArbitrary)
    .map(([requestId, target, coordinate]) => withCoordinate({ kind: 'findNode', requestId, target }, coordinate)),
  nodes: nodesArbitrary,
  findValue: fc
    .tuple(requestIdArbitrary, idArbitrary, senderCoordinateArbitrary)
    .map(([requestId, key, coordinate]) => withCoordinate({ kind: 'findValue', requestId, key }, coordinate)),
  value: fc
    .tuple(requestIdArbitrary, valueArbitrary, ttlMsArbitrary, senderCoordinateArbitrary)
    .map(([requestId, value, ttlMs, coordinate]) => withCoordinate({ kind: 'value', requestId, value, ttlMs }, coordinate)),
  store: fc
    .tuple(requestIdArbitrary, idArbitrary, valueArbitrary, ttlMsArbitrary, senderCoordinateArbitrary)
    .map(([requestId, key, value, ttlMs, coordinate]) => withCoordinate({ kind: 'store', requestId, key, value, ttlMs }, coordinate)),
  stored: fc
    .tuple(requestIdArbitrary, storeStatusArbitrary, senderCoordinateArbitrary)
    .map(([requestId, status, coordinate]) => withCoordinate({ kind: 'stored', requestId, status }, coordinate)),
  leave: fc.constant<Message>({ kind: 'leave' }),
};

export const messageArbitrary: fc.Arbitrary<Message> = fc.oneof(...Object.values(messageArbitraryByKind));
