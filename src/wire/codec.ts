/**
 * The binary wire format of the kernel's messages (see core/messages.ts), version 1.
 *
 * Every message starts with two bytes:
 *
 *   byte 0   format version, currently 1
 *   byte 1   kind: the MessageCode of the message (1 ping … 9 leave) in the low 7 bits, and the
 *            coordinate flag (0x80, see below) in the high bit
 *
 * The fields of each kind follow in the order below. Integers are unsigned and big-endian; ids
 * and keys are their 32 raw bytes; addresses are UTF-8 and carry their length in bytes.
 *
 *   ping       (1)  requestId u32
 *   pong       (2)  requestId u32
 *   findNode   (3)  requestId u32, target 32 bytes
 *   nodes      (4)  requestId u32, contact count u8, then per contact:
 *                     id 32 bytes, address length u16, address (UTF-8, that many bytes)
 *   findValue  (5)  requestId u32, key 32 bytes
 *   value      (6)  requestId u32, ttlMs u32, value length u32, value bytes
 *   store      (7)  requestId u32, key 32 bytes, ttlMs u32, value length u32, value bytes
 *   stored     (8)  requestId u32, status u8 (a StoreStatus code)
 *   leave      (9)  nothing: the message is exactly the two header bytes
 *
 * Coordinates (proximity; core/vivaldi.ts). A coordinate takes 16 bytes: x, y, height and error,
 * each an IEEE-754 float32, big-endian. A message whose kind byte has the coordinate flag set
 * carries coordinates in two places:
 *
 *   - after all the fields above, a trailer: the sender's coordinate, 16 bytes;
 *   - in nodes only, after each contact's address: a presence byte, 0 when the sender does not
 *     know the contact's coordinate and 1 when it does, and in that case the 16-byte coordinate.
 *
 * Every kind but leave may have the flag; a leave with it is an error ("leave carries no
 * coordinate"). Without the flag a message has neither the trailer nor the presence bytes, so it is
 * byte for byte what it was before coordinates existed. In the types, the flag is set exactly when
 * the message has a `coordinate`; a decoded nodes message with the flag always has
 * `closerCoordinates` (null for an unknown one), and a decoded message without the flag has neither
 * property. The wire holds float32s: the encoder rounds each number to the nearest float32, so a
 * decoded coordinate has those rounded values, not the sender's doubles.
 *
 * The message must end exactly where its last field ends. There is no padding, the only optional
 * parts are the ones the flag and the presence bytes announce, a presence byte is 0 or 1, and every
 * coordinate read must pass isCoordinate (so NaN, whose bits are not unique, never gets through).
 * Every message therefore has exactly one encoding: decoding and re-encoding gives the input back.
 *
 * Limits (core/limits.ts) bound what a decoder accepts: at most messageBytesMax bytes in all,
 * contactsPerReplyMax contacts, addressBytesMax bytes per address, valueBytesMax bytes per value,
 * and a ttlMs of at most valueTtlMsMax. The encoder refuses to produce anything the decoder would
 * refuse, so two nodes running this code always understand each other: that includes a coordinate
 * that fails isCoordinate either as given or once rounded to float32 (an |x| just under the bound
 * can round up onto it).
 *
 * Decoding never throws. Input comes from other peers and may be truncated, corrupted or hostile,
 * so every length is checked against the limits and against the bytes that remain before anything
 * is read, and every problem comes back as `{ ok: false, error }` with a short reason such as
 * "truncated: contact 3 address" or "contact 3 bad coordinate". Contacts are numbered from 0 in
 * these reasons.
 */
import { ID_BYTES, idFromBytes, type Id } from '../core/id.ts';
import { Limits } from '../core/limits.ts';
import { MessageCode, StoreStatus, type Message, type MessageKind, type StoreStatusCode } from '../core/messages.ts';
import { peerFromBytes, type PeerRef } from '../core/peer.ts';
import { isCoordinate, type VivaldiCoordinate } from '../core/vivaldi.ts';
import { ByteReader } from './byte-reader.ts';
import { ByteWriter } from './byte-writer.ts';
import { decodeUtf8, utf8ByteLength } from './utf8.ts';

/** The version this code writes and the only one it reads. */
export const WIRE_VERSION = 1;

export type DecodeResult = { ok: true; message: Message } | { ok: false; error: string };

// Field widths in bytes.
const VERSION_BYTES = 1;
const KIND_BYTES = 1;
const HEADER_BYTES = VERSION_BYTES + KIND_BYTES;
const REQUEST_ID_BYTES = 4;
const CONTACT_COUNT_BYTES = 1;
const ADDRESS_LENGTH_BYTES = 2;
const TTL_BYTES = 4;
const VALUE_LENGTH_BYTES = 4;
const STATUS_BYTES = 1;
const COORDINATE_BYTES = 4 * 4; // x, y, height, error: float32 each
const PRESENCE_BYTES = 1;

/** The kind byte's high bit: the message carries coordinates. The low bits are its MessageCode. */
const COORDINATE_FLAG = 0x80;
const KIND_CODE_MASK = 0x7f;

// A contact's presence byte, in a nodes message with the coordinate flag.
const PRESENCE_UNKNOWN = 0;
const PRESENCE_KNOWN = 1;

// The largest number each field width can hold.
const U8_MAX = 0xff;
const U16_MAX = 0xffff;
const U32_MAX = 0xffff_ffff;

const CONTACT_FIXED_BYTES = ID_BYTES + ADDRESS_LENGTH_BYTES;
const NODES_FIXED_BYTES = HEADER_BYTES + REQUEST_ID_BYTES + CONTACT_COUNT_BYTES;
const VALUE_FIXED_BYTES = HEADER_BYTES + REQUEST_ID_BYTES + TTL_BYTES + VALUE_LENGTH_BYTES;
const STORE_FIXED_BYTES = HEADER_BYTES + REQUEST_ID_BYTES + ID_BYTES + TTL_BYTES + VALUE_LENGTH_BYTES;

/**
 * The format only works if the limits fit its field widths and if the largest messages the limits
 * allow still fit in messageBytesMax; otherwise the encoder could emit something the decoder (ours
 * or a peer's) rejects. Checking once, when the module loads, turns a future edit of Limits that
 * breaks this into an immediate, obvious failure rather than a protocol that silently drops replies.
 */
function assertLimitsFitFormat(): void {
  const fits =
    Limits.contactsPerReplyMax <= U8_MAX &&
    Limits.addressBytesMax <= U16_MAX &&
    Limits.valueBytesMax <= U32_MAX &&
    Limits.valueTtlMsMax <= U32_MAX;
  if (!fits) throw new RangeError('Limits exceed the field widths of the wire format');
  // Every kind code must leave the kind byte's high bit to the coordinate flag.
  if (!Object.values(MessageCode).every((code) => code > 0 && code <= KIND_CODE_MASK)) {
    throw new RangeError('a MessageCode does not fit in the low 7 bits of the kind byte');
  }
  // The largest of each, with every coordinate the format allows.
  const largestContact = CONTACT_FIXED_BYTES + Limits.addressBytesMax + PRESENCE_BYTES + COORDINATE_BYTES;
  const largestNodes = NODES_FIXED_BYTES + Limits.contactsPerReplyMax * largestContact + COORDINATE_BYTES;
  const largestValue = Math.max(VALUE_FIXED_BYTES, STORE_FIXED_BYTES) + Limits.valueBytesMax + COORDINATE_BYTES;
  if (Math.max(largestNodes, largestValue) > Limits.messageBytesMax) {
    throw new RangeError('the largest message Limits allow does not fit in Limits.messageBytesMax');
  }
}
assertLimitsFitFormat();

const storeStatusCodes: ReadonlySet<number> = new Set<number>(Object.values(StoreStatus));

function isStoreStatusCode(code: number): code is StoreStatusCode {
  return storeStatusCodes.has(code);
}

/**
 * The exact number of bytes encodeMessage(message) returns, computed without allocating.
 *
 * Meant for valid messages (the simulator charges bandwidth with it); for a message that
 * encodeMessage would refuse, it still returns the size the fields would take.
 */
export function encodedSize(message: Message): number {
  if (message.kind === 'leave') return HEADER_BYTES;
  const trailer = message.coordinate === undefined ? 0 : COORDINATE_BYTES;
  switch (message.kind) {
    case 'ping':
    case 'pong':
      return HEADER_BYTES + REQUEST_ID_BYTES + trailer;
    case 'findNode':
    case 'findValue':
      return HEADER_BYTES + REQUEST_ID_BYTES + ID_BYTES + trailer;
    case 'nodes': {
      // Indexed loops, not for-of, so that not even an iterator is allocated.
      const closer = message.closer;
      let size = NODES_FIXED_BYTES + trailer;
      for (let index = 0; index < closer.length; index++) size += CONTACT_FIXED_BYTES + closer[index].addressBytes;
      if (trailer !== 0) {
        size += closer.length * PRESENCE_BYTES;
        const coordinates = message.closerCoordinates;
        if (coordinates !== undefined) {
          const known = Math.min(coordinates.length, closer.length);
          for (let index = 0; index < known; index++) if (coordinates[index] !== null) size += COORDINATE_BYTES;
        }
      }
      return size;
    }
    case 'value':
      return VALUE_FIXED_BYTES + message.value.length + trailer;
    case 'store':
      return STORE_FIXED_BYTES + message.value.length + trailer;
    case 'stored':
      return HEADER_BYTES + REQUEST_ID_BYTES + STATUS_BYTES + trailer;
  }
}

// Encoder checks. A message that breaks them was built wrongly by our own code, so they throw.

function assertRequestId(requestId: number): void {
  if (!Number.isInteger(requestId) || requestId < 0 || requestId > U32_MAX) {
    throw new RangeError(`requestId must be an integer in [0, ${U32_MAX}], got ${requestId}`);
  }
}

/** `field` names the id in the error; `index` (for contacts) is added only if it throws, so the check builds no string. */
function assertId(id: Id, field: string, index = -1): void {
  if (id.bytes.length !== ID_BYTES) {
    const name = index < 0 ? field : `${field} ${index} id`;
    throw new RangeError(`${name} must have ${ID_BYTES} bytes, got ${id.bytes.length}`);
  }
}

function assertValue(value: Uint8Array): void {
  if (value.length > Limits.valueBytesMax) {
    throw new RangeError(`value has ${value.length} bytes, more than Limits.valueBytesMax (${Limits.valueBytesMax})`);
  }
}

function assertTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 0 || ttlMs > Limits.valueTtlMsMax) {
    throw new RangeError(`ttlMs must be an integer in [0, ${Limits.valueTtlMsMax}], got ${ttlMs}`);
  }
}

/** Reused by assertCoordinate, so that checking a coordinate allocates nothing. */
const roundedScratch = { x: 0, y: 0, height: 0, error: 0 };

/**
 * A coordinate must pass isCoordinate both as given and rounded to the float32s the wire holds
 * (rounding can carry a value onto a bound: |x| = 9,999,999.9 becomes 10,000,000), since the
 * decoder checks what it reads. `index` (for contacts) is used only if it throws, as in assertId.
 */
function assertCoordinate(coordinate: VivaldiCoordinate, index = -1): void {
  const valid = isCoordinate(coordinate);
  if (valid) {
    roundedScratch.x = Math.fround(coordinate.x);
    roundedScratch.y = Math.fround(coordinate.y);
    roundedScratch.height = Math.fround(coordinate.height);
    roundedScratch.error = Math.fround(coordinate.error);
    if (isCoordinate(roundedScratch)) return;
  }
  const name = index < 0 ? 'coordinate' : `contact ${index} coordinate`;
  // Not JSON.stringify: it would show NaN and the infinities as null.
  const shown = typeof coordinate === 'object' && coordinate !== null
    ? `{ x: ${coordinate.x}, y: ${coordinate.y}, height: ${coordinate.height}, error: ${coordinate.error} }`
    : String(coordinate);
  throw new RangeError(`${name} is not a valid Vivaldi coordinate${valid ? ' once rounded to float32' : ''}: ${shown}`);
}

/** Writes a coordinate already checked by assertCoordinate. */
function writeCoordinate(writer: ByteWriter, coordinate: VivaldiCoordinate): void {
  writer.writeF32(coordinate.x);
  writer.writeF32(coordinate.y);
  writer.writeF32(coordinate.height);
  writer.writeF32(coordinate.error);
}

/**
 * Writes the contact count and the contacts. `flagged` is whether the message has the coordinate
 * flag, and so whether each contact gets a presence byte; `coordinates` (flagged only) are the
 * contacts' coordinates, or undefined for all unknown.
 */
function writeContacts(
  writer: ByteWriter,
  contacts: readonly PeerRef[],
  flagged: boolean,
  coordinates: readonly (VivaldiCoordinate | null)[] | undefined,
): void {
  if (contacts.length > Limits.contactsPerReplyMax) {
    throw new RangeError(`nodes has ${contacts.length} contacts, more than Limits.contactsPerReplyMax (${Limits.contactsPerReplyMax})`);
  }
  if (coordinates !== undefined && coordinates.length !== contacts.length) {
    throw new RangeError(`closerCoordinates has ${coordinates.length} entries for ${contacts.length} contacts`);
  }
  writer.writeU8(contacts.length);
  for (let index = 0; index < contacts.length; index++) {
    const contact = contacts[index];
    assertId(contact, 'contact', index);
    const addressByteLength = utf8ByteLength(contact.address);
    if (addressByteLength > Limits.addressBytesMax) {
      throw new RangeError(
        `contact ${index} address has ${addressByteLength} bytes, more than Limits.addressBytesMax (${Limits.addressBytesMax})`,
      );
    }
    writer.writeBytes(contact.bytes);
    writer.writeU16(addressByteLength);
    writer.writeUtf8(contact.address);
    if (!flagged) continue;
    const coordinate = coordinates === undefined ? null : coordinates[index];
    if (coordinate === null) {
      writer.writeU8(PRESENCE_UNKNOWN);
    } else {
      assertCoordinate(coordinate, index);
      writer.writeU8(PRESENCE_KNOWN);
      writeCoordinate(writer, coordinate);
    }
  }
}

/**
 * Encodes `message` in the wire format. Throws a RangeError if the message breaks Limits or a
 * field does not fit its width (a requestId that is not a u32, an address with a lone surrogate):
 * such a message can only come from a bug in our own code, never from a peer.
 */
export function encodeMessage(message: Message): Uint8Array {
  const size = encodedSize(message);
  if (size > Limits.messageBytesMax) {
    throw new RangeError(`${message.kind} would take ${size} bytes, more than Limits.messageBytesMax (${Limits.messageBytesMax})`);
  }
  // Read through a wider type so that a leave built with a coordinate (by a cast) is refused, not dropped.
  const coordinate = (message as { readonly coordinate?: VivaldiCoordinate }).coordinate;
  if (coordinate !== undefined) {
    if (message.kind === 'leave') throw new RangeError('leave carries no coordinate');
    assertCoordinate(coordinate);
  }
  const writer = new ByteWriter(size);
  writer.writeU8(WIRE_VERSION);
  writer.writeU8(coordinate === undefined ? MessageCode[message.kind] : MessageCode[message.kind] | COORDINATE_FLAG);
  switch (message.kind) {
    case 'ping':
    case 'pong':
      assertRequestId(message.requestId);
      writer.writeU32(message.requestId);
      break;
    case 'findNode':
      assertRequestId(message.requestId);
      assertId(message.target, 'target');
      writer.writeU32(message.requestId);
      writer.writeBytes(message.target.bytes);
      break;
    case 'findValue':
      assertRequestId(message.requestId);
      assertId(message.key, 'key');
      writer.writeU32(message.requestId);
      writer.writeBytes(message.key.bytes);
      break;
    case 'nodes':
      assertRequestId(message.requestId);
      // The decoder could not give them back: without the flag there is nowhere to put them.
      if (coordinate === undefined && message.closerCoordinates !== undefined) {
        throw new RangeError('closerCoordinates without a coordinate');
      }
      writer.writeU32(message.requestId);
      writeContacts(writer, message.closer, coordinate !== undefined, message.closerCoordinates);
      break;
    case 'value':
      assertRequestId(message.requestId);
      assertTtl(message.ttlMs);
      assertValue(message.value);
      writer.writeU32(message.requestId);
      writer.writeU32(message.ttlMs);
      writer.writeU32(message.value.length);
      writer.writeBytes(message.value);
      break;
    case 'store':
      assertRequestId(message.requestId);
      assertId(message.key, 'key');
      assertTtl(message.ttlMs);
      assertValue(message.value);
      writer.writeU32(message.requestId);
      writer.writeBytes(message.key.bytes);
      writer.writeU32(message.ttlMs);
      writer.writeU32(message.value.length);
      writer.writeBytes(message.value);
      break;
    case 'stored':
      assertRequestId(message.requestId);
      if (!isStoreStatusCode(message.status)) throw new RangeError(`unknown store status ${message.status}`);
      writer.writeU32(message.requestId);
      writer.writeU8(message.status);
      break;
    case 'leave':
      break;
  }
  if (coordinate !== undefined) writeCoordinate(writer, coordinate);
  return writer.finish();
}

// Decoding. Each helper returns either the decoded piece or a DecodeFailure; nothing throws.

type DecodeFailure = { ok: false; error: string };

function failure(error: string): DecodeFailure {
  return { ok: false, error };
}

/** Whether a helper's result is a failure rather than a decoded piece (ids, arrays and messages have no `ok`). */
function isFailure(piece: object | number): piece is DecodeFailure {
  return typeof piece === 'object' && 'ok' in piece;
}

function truncated(field: string): DecodeFailure {
  return failure(`truncated: ${field}`);
}

function readId(reader: ByteReader, field: string): Id | DecodeFailure {
  const bytes = reader.readCopy(ID_BYTES);
  return bytes === undefined ? truncated(field) : idFromBytes(bytes);
}

function readTtl(reader: ByteReader): number | DecodeFailure {
  const ttlMs = reader.readU32();
  if (ttlMs === undefined) return truncated('ttlMs');
  if (ttlMs > Limits.valueTtlMsMax) return failure(`ttlMs too large: ${ttlMs} > ${Limits.valueTtlMsMax}`);
  return ttlMs;
}

/** Reads a value's length and bytes, checking the length against the limit before the bytes remaining. */
function readValue(reader: ByteReader): Uint8Array | DecodeFailure {
  const length = reader.readU32();
  if (length === undefined) return truncated('value length');
  if (length > Limits.valueBytesMax) return failure(`value too long: ${length} bytes > ${Limits.valueBytesMax}`);
  const value = reader.readCopy(length);
  return value === undefined ? truncated('value') : value;
}

/** Reads a coordinate: the sender's when `index` is -1, else contact `index`'s (which names it in errors). */
function readCoordinate(reader: ByteReader, index: number): VivaldiCoordinate | DecodeFailure {
  const x = reader.readF32();
  const y = reader.readF32();
  const height = reader.readF32();
  const error = reader.readF32();
  // A failed read leaves the cursor where it was, so once one is short all the later ones are too.
  if (x === undefined || y === undefined || height === undefined || error === undefined) {
    return truncated(index < 0 ? 'coordinate' : `contact ${index} coordinate`);
  }
  const coordinate: VivaldiCoordinate = { x, y, height, error };
  if (isCoordinate(coordinate)) return coordinate;
  return failure(index < 0 ? 'bad coordinate' : `contact ${index} bad coordinate`);
}

function readContact(reader: ByteReader, index: number): PeerRef | DecodeFailure {
  const idBytes = reader.readCopy(ID_BYTES);
  if (idBytes === undefined) return truncated(`contact ${index} id`);
  const addressByteLength = reader.readU16();
  if (addressByteLength === undefined) return truncated(`contact ${index} address length`);
  if (addressByteLength > Limits.addressBytesMax) {
    return failure(`contact ${index} address too long: ${addressByteLength} bytes > ${Limits.addressBytesMax}`);
  }
  const addressBytes = reader.readView(addressByteLength);
  if (addressBytes === undefined) return truncated(`contact ${index} address`);
  const address = decodeUtf8(addressBytes);
  if (address === null) return failure(`contact ${index} address is not valid UTF-8`);
  return peerFromBytes(idBytes, address);
}

/** Reads the presence byte after a contact and, when it says so, the contact's coordinate (null when unknown). */
function readContactCoordinate(reader: ByteReader, index: number): VivaldiCoordinate | null | DecodeFailure {
  const presence = reader.readU8();
  if (presence === undefined) return truncated(`contact ${index} coordinate presence`);
  if (presence === PRESENCE_UNKNOWN) return null;
  if (presence !== PRESENCE_KNOWN) return failure(`contact ${index} bad coordinate presence ${presence}`);
  return readCoordinate(reader, index);
}

/**
 * Reads the contact count and the contacts. `coordinates` is null without the coordinate flag;
 * with it, an empty array that receives each contact's coordinate (null when unknown).
 */
function readContacts(reader: ByteReader, coordinates: (VivaldiCoordinate | null)[] | null): PeerRef[] | DecodeFailure {
  const count = reader.readU8();
  if (count === undefined) return truncated('contact count');
  if (count > Limits.contactsPerReplyMax) return failure(`too many contacts: ${count} > ${Limits.contactsPerReplyMax}`);
  const contacts: PeerRef[] = [];
  for (let index = 0; index < count; index++) {
    const contact = readContact(reader, index);
    if (isFailure(contact)) return contact;
    contacts.push(contact);
    if (coordinates === null) continue;
    const coordinate = readContactCoordinate(reader, index);
    if (coordinate !== null && isFailure(coordinate)) return coordinate;
    coordinates.push(coordinate);
  }
  return contacts;
}

/**
 * Adds the sender's coordinate, read from the trailer, to a decoded `body` when the message has the
 * coordinate flag; returns `body` itself without it, so an unflagged message has no `coordinate` key.
 */
function withCoordinate<T extends Exclude<Message, { kind: 'leave' }>>(reader: ByteReader, flagged: boolean, body: T): T | DecodeFailure {
  if (!flagged) return body;
  const coordinate = readCoordinate(reader, -1);
  return isFailure(coordinate) ? coordinate : { ...body, coordinate };
}

/** Each kind by its MessageCode, so the decoder follows messages.ts if codes are added. */
const kindByCode: ReadonlyMap<number, MessageKind> = new Map(
  (Object.keys(MessageCode) as MessageKind[]).map((kind) => [MessageCode[kind], kind]),
);

/**
 * Reads the fields after the header for the kind `kindCode` and, when `flagged` (the kind byte's
 * coordinate flag), the coordinates too.
 */
function readBody(reader: ByteReader, kindCode: number, flagged: boolean): Message | DecodeFailure {
  const kind = kindByCode.get(kindCode);
  if (kind === undefined) return failure(`unknown kind code ${kindCode}`);
  if (kind === 'leave') return flagged ? failure('leave carries no coordinate') : { kind };

  const requestId = reader.readU32();
  if (requestId === undefined) return truncated('requestId');

  switch (kind) {
    case 'ping':
    case 'pong':
      return withCoordinate(reader, flagged, { kind, requestId });
    case 'findNode': {
      const target = readId(reader, 'target');
      return isFailure(target) ? target : withCoordinate(reader, flagged, { kind, requestId, target });
    }
    case 'findValue': {
      const key = readId(reader, 'key');
      return isFailure(key) ? key : withCoordinate(reader, flagged, { kind, requestId, key });
    }
    case 'nodes': {
      const closerCoordinates: (VivaldiCoordinate | null)[] | null = flagged ? [] : null;
      const closer = readContacts(reader, closerCoordinates);
      if (isFailure(closer)) return closer;
      return closerCoordinates === null ? { kind, requestId, closer } : withCoordinate(reader, true, { kind, requestId, closer, closerCoordinates });
    }
    case 'value': {
      const ttlMs = readTtl(reader);
      if (isFailure(ttlMs)) return ttlMs;
      const value = readValue(reader);
      return isFailure(value) ? value : withCoordinate(reader, flagged, { kind, requestId, value, ttlMs });
    }
    case 'store': {
      const key = readId(reader, 'key');
      if (isFailure(key)) return key;
      const ttlMs = readTtl(reader);
      if (isFailure(ttlMs)) return ttlMs;
      const value = readValue(reader);
      return isFailure(value) ? value : withCoordinate(reader, flagged, { kind, requestId, key, value, ttlMs });
    }
    case 'stored': {
      const status = reader.readU8();
      if (status === undefined) return truncated('status');
      if (!isStoreStatusCode(status)) return failure(`unknown store status ${status}`);
      return withCoordinate(reader, flagged, { kind, requestId, status });
    }
  }
}

/**
 * Decodes one message from untrusted bytes. Never throws: every malformed, truncated, oversized or
 * over-limit input yields `{ ok: false, error }`. Ids and values in the result are copies, so the
 * caller may reuse `bytes` as soon as this returns.
 */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  // Rejecting oversized input first bounds the work any single input can cause.
  if (bytes.length > Limits.messageBytesMax) {
    return failure(`message too large: ${bytes.length} bytes > ${Limits.messageBytesMax}`);
  }
  const reader = new ByteReader(bytes);
  const version = reader.readU8();
  if (version === undefined) return truncated('version');
  if (version !== WIRE_VERSION) return failure(`unknown version ${version}`);
  const kindByte = reader.readU8();
  if (kindByte === undefined) return truncated('kind');

  const message = readBody(reader, kindByte & KIND_CODE_MASK, (kindByte & COORDINATE_FLAG) !== 0);
  if (isFailure(message)) return message;
  if (reader.remaining !== 0) return failure(`trailing bytes: ${reader.remaining} after ${message.kind}`);
  return { ok: true, message };
}
