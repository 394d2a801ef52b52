/**
 * The binary wire format of the kernel's messages (see core/messages.ts), version 1.
 *
 * Every message starts with two bytes:
 *
 *   byte 0   format version, currently 1
 *   byte 1   kind, the MessageCode of the message (1 ping … 9 leave)
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
 * The message must end exactly where its last field ends. There are no optional fields and no
 * padding, so every message has exactly one encoding: decoding and re-encoding gives the input back.
 *
 * Limits (core/limits.ts) bound what a decoder accepts: at most messageBytesMax bytes in all,
 * contactsPerReplyMax contacts, addressBytesMax bytes per address, valueBytesMax bytes per value,
 * and a ttlMs of at most valueTtlMsMax. The encoder refuses to produce anything the decoder would
 * refuse, so two nodes running this code always understand each other.
 *
 * Decoding never throws. Input comes from other peers and may be truncated, corrupted or hostile,
 * so every length is checked against the limits and against the bytes that remain before anything
 * is read, and every problem comes back as `{ ok: false, error }` with a short reason such as
 * "truncated: contact 3 address". Contacts are numbered from 0 in these reasons.
 */
import { ID_BYTES, idFromBytes, type Id } from '../core/id.ts';
import { Limits } from '../core/limits.ts';
import { MessageCode, StoreStatus, type Message, type MessageKind, type StoreStatusCode } from '../core/messages.ts';
import { peerFromBytes, type PeerRef } from '../core/peer.ts';
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
  const largestNodes = NODES_FIXED_BYTES + Limits.contactsPerReplyMax * (CONTACT_FIXED_BYTES + Limits.addressBytesMax);
  const largestValue = Math.max(VALUE_FIXED_BYTES, STORE_FIXED_BYTES) + Limits.valueBytesMax;
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
  switch (message.kind) {
    case 'ping':
    case 'pong':
      return HEADER_BYTES + REQUEST_ID_BYTES;
    case 'findNode':
    case 'findValue':
      return HEADER_BYTES + REQUEST_ID_BYTES + ID_BYTES;
    case 'nodes': {
      // An indexed loop, not for-of, so that not even an iterator is allocated.
      const closer = message.closer;
      let size = NODES_FIXED_BYTES;
      for (let index = 0; index < closer.length; index++) size += CONTACT_FIXED_BYTES + utf8ByteLength(closer[index].address);
      return size;
    }
    case 'value':
      return VALUE_FIXED_BYTES + message.value.length;
    case 'store':
      return STORE_FIXED_BYTES + message.value.length;
    case 'stored':
      return HEADER_BYTES + REQUEST_ID_BYTES + STATUS_BYTES;
    case 'leave':
      return HEADER_BYTES;
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

function writeContacts(writer: ByteWriter, contacts: readonly PeerRef[]): void {
  if (contacts.length > Limits.contactsPerReplyMax) {
    throw new RangeError(`nodes has ${contacts.length} contacts, more than Limits.contactsPerReplyMax (${Limits.contactsPerReplyMax})`);
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
  const writer = new ByteWriter(size);
  writer.writeU8(WIRE_VERSION);
  writer.writeU8(MessageCode[message.kind]);
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
      writer.writeU32(message.requestId);
      writeContacts(writer, message.closer);
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

function readContacts(reader: ByteReader): PeerRef[] | DecodeFailure {
  const count = reader.readU8();
  if (count === undefined) return truncated('contact count');
  if (count > Limits.contactsPerReplyMax) return failure(`too many contacts: ${count} > ${Limits.contactsPerReplyMax}`);
  const contacts: PeerRef[] = [];
  for (let index = 0; index < count; index++) {
    const contact = readContact(reader, index);
    if (isFailure(contact)) return contact;
    contacts.push(contact);
  }
  return contacts;
}

/** Each kind by its MessageCode, so the decoder follows messages.ts if codes are added. */
const kindByCode: ReadonlyMap<number, MessageKind> = new Map(
  (Object.keys(MessageCode) as MessageKind[]).map((kind) => [MessageCode[kind], kind]),
);

/** Reads the fields after the header for the kind `kindCode`. */
function readBody(reader: ByteReader, kindCode: number): Message | DecodeFailure {
  const kind = kindByCode.get(kindCode);
  if (kind === undefined) return failure(`unknown kind code ${kindCode}`);
  if (kind === 'leave') return { kind };

  const requestId = reader.readU32();
  if (requestId === undefined) return truncated('requestId');

  switch (kind) {
    case 'ping':
    case 'pong':
      return { kind, requestId };
    case 'findNode': {
      const target = readId(reader, 'target');
      return isFailure(target) ? target : { kind, requestId, target };
    }
    case 'findValue': {
      const key = readId(reader, 'key');
      return isFailure(key) ? key : { kind, requestId, key };
    }
    case 'nodes': {
      const closer = readContacts(reader);
      return isFailure(closer) ? closer : { kind, requestId, closer };
    }
    case 'value': {
      const ttlMs = readTtl(reader);
      if (isFailure(ttlMs)) return ttlMs;
      const value = readValue(reader);
      return isFailure(value) ? value : { kind, requestId, value, ttlMs };
    }
    case 'store': {
      const key = readId(reader, 'key');
      if (isFailure(key)) return key;
      const ttlMs = readTtl(reader);
      if (isFailure(ttlMs)) return ttlMs;
      const value = readValue(reader);
      return isFailure(value) ? value : { kind, requestId, key, value, ttlMs };
    }
    case 'stored': {
      const status = reader.readU8();
      if (status === undefined) return truncated('status');
      if (!isStoreStatusCode(status)) return failure(`unknown store status ${status}`);
      return { kind, requestId, status };
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
  const kindCode = reader.readU8();
  if (kindCode === undefined) return truncated('kind');

  const message = readBody(reader, kindCode);
  if (isFailure(message)) return message;
  if (reader.remaining !== 0) return failure(`trailing bytes: ${reader.remaining} after ${message.kind}`);
  return { ok: true, message };
}
