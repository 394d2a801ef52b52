/**
 * The block-exchange protocol's messages and their binary form, version 1.
 *
 * Issue 4 needs blocks and erasure fragments to move between nodes: a reader fetches a file's
 * blocks from many holders (swarm-scheduler.ts decides whom to ask), a placer stores blocks and
 * fragments on the nodes closest to them, and a repairer asks who still holds what. The libp2p
 * protocol `/peergrid/blocks/1.0.0` is request/response: the client opens a stream, writes one
 * request frame and reads the response frame(s). Framing is the transport's job; this file encodes
 * and decodes one frame's payload, and does no IO.
 *
 *   request         answered by
 *   getBlock        block | notFound
 *   getFragment     fragment | notFound
 *   storeBlock      stored | refused
 *   storeFragment   stored | refused
 *   have            haves (one entry per block asked, in the same order)
 *   cacheBlock      stored | refused
 *   prove           proof | notFound
 *   renew           haves (as `have`, and the holder extends its leases on the kept pieces)
 *
 * and any request may be answered by `refused` with reason busy, unavailable or invalid (answersRequest).
 *
 * Every message starts with two bytes: the format version (1) and the kind code (RequestCode or
 * ResponseCode; a response's code has its top bit set, so a response read as a request, or the
 * reverse, is refused as an unknown kind). The fields follow; integers are unsigned big-endian:
 *
 *   getBlock       (0x01)  cid
 *   getFragment    (0x02)  cid, index u8
 *   storeBlock     (0x03)  cid, copies u8, length u32, bytes
 *   storeFragment  (0x04)  length u32, record
 *   have           (0x05)  count u16, count × cid
 *   cacheBlock     (0x06)  cid, length u32, bytes — a copy the receiver may drop when it likes
 *                          (a cache of a hot block near its key, seed §3.2.3; block-cache.ts),
 *                          unlike storeBlock's, which maintenance keeps
 *   prove          (0x07)  cid, piece u8 (0: the kept copy; 1: a fragment), index u8 (0 for a copy),
 *                          nonce (32 bytes) — a challenge: prove you hold the piece now
 *   renew          (0x08)  lease u32 (seconds, 1 … ExchangeLimits.leaseSecondsMax), count u16,
 *                          count × cid — `have`, and a request to keep every piece of those blocks
 *                          that the holder keeps for the grid for that long from now (a lease,
 *                          runtime/exchange/leases.ts; Tahoe-LAFS's add-lease)
 *   block          (0x81)  length u32, bytes
 *   fragment       (0x82)  length u32, record
 *   notFound       (0x83)  nothing
 *   stored         (0x84)  nothing
 *   refused        (0x85)  reason u8 (RefusalCode), text length u16, text (UTF-8)
 *   proof          (0x87)  digest (32 bytes): SHA-256 of the nonce followed by the piece — the whole
 *                          block, or the fragment's payload (not its record, whose other fields
 *                          are the holder's to lay out) — which only a holder of the piece can make
 *                          for a nonce it has not seen (runtime/exchange/piece-audit.ts)
 *   haves          (0x86)  count u16, then per entry: flags u8 (bit 0: the block is here; bit 1:
 *                          it is kept for the grid, a placed copy rather than a cache — only with
 *                          bit 0; the other bits 0), fragment count u16, that many fragment indexes u8 in
 *                          strictly increasing order
 *
 * where a cid is its length u8 and its binary form (cid-field.ts: CIDv1, sha2-256, raw, dag-pb or
 * dag-cbor, canonical). `copies` is the block's replication factor R (1 … RedundancyBounds.copiesMax):
 * a holder of a whole copy needs it to take part in repair, as a fragment record carries K and M
 * for a fragment's holder. A message ends exactly where its last field ends and has no optional parts,
 * so each has exactly one encoding. A fragment record is opaque here: the erasure layer defines it.
 *
 * The encoders throw a RangeError for a message that breaks ExchangeLimits (our own bug, never a
 * peer's), except that a refusal's text is cut to fit (message-text.ts). The decoders never throw:
 * input comes from peers and may be truncated, corrupted or hostile, so every length is checked
 * against the limits and against what remains before it is read, and every problem comes back as
 * `{ ok: false, error }`. Bytes and CIDs in a result are copies, so the caller may reuse the input
 * (decodeOwnedResponse, for a caller that hands its input over, leaves a block's bytes in place).
 */
import { ByteReader } from '../../../wire/byte-reader.ts';
import { ByteWriter } from '../../../wire/byte-writer.ts';
import { decodeUtf8, utf8ByteLength } from '../../../wire/utf8.ts';
import type { CID } from '../dag/cids.ts';
import { RedundancyBounds } from '../durability/redundancy.ts';
import { cidFromBytes, cidProblem } from './cid-field.ts';
import { ExchangeLimits } from './exchange-limits.ts';
import { fitUtf8 } from './message-text.ts';

export const BLOCKS_PROTOCOL = '/peergrid/blocks/1.0.0';

/**
 * The same requests and answers on a request channel: one long-lived stream per peer carrying many
 * requests, each tagged with an id (transport/libp2p/request-response/channel-messages.ts). A
 * reader's pipelined getBlock requests use it, so a block costs a frame rather than a stream.
 */
export const BLOCKS_CHANNEL_PROTOCOL = '/peergrid/blocks-channel/1.0.0';

/** The version this code writes and the only one it reads. */
export const EXCHANGE_WIRE_VERSION = 1;

/** Why a store (or any request) was refused; the text beside it is only for people. */
export const RefusalReason = {
  /** The node's storage quota for others is used up. */
  quota: 'quota',
  /** The bytes do not match the CID, or the record is malformed. */
  invalid: 'invalid',
  /** Larger than the node accepts (below the protocol's own limit). */
  tooLarge: 'tooLarge',
  /** Too many requests at once: try again later or elsewhere. */
  busy: 'busy',
  /** The node does not serve this now (shutting down, storage offline). */
  unavailable: 'unavailable',
} as const;

export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

export const RefusalCode = {
  quota: 1,
  invalid: 2,
  tooLarge: 3,
  busy: 4,
  unavailable: 5,
} as const satisfies Record<RefusalReason, number>;

export type ExchangeRequest =
  | { readonly kind: 'getBlock'; readonly cid: CID }
  | { readonly kind: 'getFragment'; readonly block: CID; readonly index: number }
  /** `copies`: the replication factor R the block is placed with (durability/redundancy.ts). */
  | { readonly kind: 'storeBlock'; readonly cid: CID; readonly copies: number; readonly bytes: Uint8Array }
  | { readonly kind: 'storeFragment'; readonly record: Uint8Array }
  | { readonly kind: 'have'; readonly blocks: readonly CID[] }
  | { readonly kind: 'cacheBlock'; readonly cid: CID; readonly bytes: Uint8Array }
  /** `index` null: the kept whole copy; else that fragment. */
  | { readonly kind: 'prove'; readonly block: CID; readonly index: number | null; readonly nonce: Uint8Array }
  /** `leaseSeconds`: how long from now the asker wants the pieces kept (the holder may grant less). */
  | { readonly kind: 'renew'; readonly leaseSeconds: number; readonly blocks: readonly CID[] };

/** What a node holds of one block asked about in `have`: the block itself, and which fragments (sorted). */
export interface HaveEntry {
  readonly block: boolean;
  /**
   * The block is a copy placed here and kept by maintenance, not a cache that gc may drop: only
   * kept copies count towards a key's R (runtime/exchange/maintenance.ts). Absent means false.
   */
  readonly kept?: boolean;
  readonly fragments: readonly number[];
}

export type ExchangeResponse =
  | { readonly kind: 'block'; readonly bytes: Uint8Array }
  | { readonly kind: 'fragment'; readonly record: Uint8Array }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'stored' }
  | { readonly kind: 'refused'; readonly reason: RefusalReason; readonly message: string }
  | { readonly kind: 'haves'; readonly entries: readonly HaveEntry[] }
  | { readonly kind: 'proof'; readonly digest: Uint8Array };

export type ExchangeRequestKind = ExchangeRequest['kind'];
export type ExchangeResponseKind = ExchangeResponse['kind'];

export const RequestCode = {
  getBlock: 0x01,
  getFragment: 0x02,
  storeBlock: 0x03,
  storeFragment: 0x04,
  have: 0x05,
  cacheBlock: 0x06,
  prove: 0x07,
  renew: 0x08,
} as const satisfies Record<ExchangeRequestKind, number>;

export const ResponseCode = {
  block: 0x81,
  fragment: 0x82,
  notFound: 0x83,
  stored: 0x84,
  refused: 0x85,
  haves: 0x86,
  proof: 0x87,
} as const satisfies Record<ExchangeResponseKind, number>;

export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

// Field widths in bytes.
const HEADER_BYTES = 2;
const CID_LENGTH_BYTES = 1;
const INDEX_BYTES = 1;
const COPIES_BYTES = 1;
const LENGTH_BYTES = 4;
const COUNT_BYTES = 2;
const REASON_BYTES = 1;
const TEXT_LENGTH_BYTES = 2;
const FLAGS_BYTES = 1;
const FRAGMENT_COUNT_BYTES = 2;
const PIECE_BYTES = 1;
const LEASE_BYTES = 4;
/** A challenge's nonce, and a proof's digest (SHA-256). */
export const PROOF_NONCE_BYTES = 32;
export const PROOF_DIGEST_BYTES = 32;
const WHOLE_COPY_PIECE = 0;
const FRAGMENT_PIECE = 1;

const HELD_BLOCK_FLAG = 0x01;
const KEPT_BLOCK_FLAG = 0x02;
const U8_MAX = 0xff;
const U16_MAX = 0xffff;

/** The limits must fit the field widths, or the encoder could write what no decoder reads. */
function assertLimitsFitFormat(): void {
  const fits =
    ExchangeLimits.cidBytesMax <= U8_MAX &&
    ExchangeLimits.fragmentIndexMax <= U8_MAX &&
    ExchangeLimits.haveBlocksMax <= U16_MAX &&
    ExchangeLimits.fragmentsPerBlockMax <= U16_MAX &&
    ExchangeLimits.messageTextBytesMax <= U16_MAX &&
    ExchangeLimits.recordBytesMax <= 0xffff_ffff &&
    ExchangeLimits.leaseSecondsMax <= 0xffff_ffff &&
    RedundancyBounds.copiesMax <= U8_MAX;
  if (!fits) throw new RangeError('ExchangeLimits exceed the field widths of the block-exchange format');
}
assertLimitsFitFormat();

const reasonByCode: ReadonlyMap<number, RefusalReason> = new Map(
  (Object.keys(RefusalCode) as RefusalReason[]).map((reason) => [RefusalCode[reason], reason]),
);
const requestKindByCode: ReadonlyMap<number, ExchangeRequestKind> = new Map(
  (Object.keys(RequestCode) as ExchangeRequestKind[]).map((kind) => [RequestCode[kind], kind]),
);
const responseKindByCode: ReadonlyMap<number, ExchangeResponseKind> = new Map(
  (Object.keys(ResponseCode) as ExchangeResponseKind[]).map((kind) => [ResponseCode[kind], kind]),
);

// ---- sizes ---------------------------------------------------------------------------------------

function cidFieldBytes(cid: CID): number {
  return CID_LENGTH_BYTES + cid.bytes.length;
}

/** The exact size of encodeRequest(request), for a valid request. */
export function encodedRequestSize(request: ExchangeRequest): number {
  switch (request.kind) {
    case 'getBlock':
      return HEADER_BYTES + cidFieldBytes(request.cid);
    case 'getFragment':
      return HEADER_BYTES + cidFieldBytes(request.block) + INDEX_BYTES;
    case 'storeBlock':
      return HEADER_BYTES + cidFieldBytes(request.cid) + COPIES_BYTES + LENGTH_BYTES + request.bytes.length;
    case 'storeFragment':
      return HEADER_BYTES + LENGTH_BYTES + request.record.length;
    case 'have':
    case 'renew': {
      let size = HEADER_BYTES + (request.kind === 'renew' ? LEASE_BYTES : 0) + COUNT_BYTES;
      for (const cid of request.blocks) size += cidFieldBytes(cid);
      return size;
    }
    case 'cacheBlock':
      return HEADER_BYTES + cidFieldBytes(request.cid) + LENGTH_BYTES + request.bytes.length;
    case 'prove':
      return HEADER_BYTES + cidFieldBytes(request.block) + PIECE_BYTES + INDEX_BYTES + PROOF_NONCE_BYTES;
  }
}

/** The exact size of encodeResponse(response), for a valid response (a refusal's text as cut to fit). */
export function encodedResponseSize(response: ExchangeResponse): number {
  switch (response.kind) {
    case 'block':
      return HEADER_BYTES + LENGTH_BYTES + response.bytes.length;
    case 'fragment':
      return HEADER_BYTES + LENGTH_BYTES + response.record.length;
    case 'notFound':
    case 'stored':
      return HEADER_BYTES;
    case 'refused':
      return HEADER_BYTES + REASON_BYTES + TEXT_LENGTH_BYTES + utf8ByteLength(fitUtf8(response.message, ExchangeLimits.messageTextBytesMax));
    case 'haves': {
      let size = HEADER_BYTES + COUNT_BYTES;
      for (const entry of response.entries) size += FLAGS_BYTES + FRAGMENT_COUNT_BYTES + entry.fragments.length;
      return size;
    }
    case 'proof':
      return HEADER_BYTES + PROOF_DIGEST_BYTES;
  }
}

// ---- encoding: a message that breaks the rules was built wrongly by our own code, so it throws ------

function assertCid(cid: CID, field: string): void {
  const problem = cidProblem(cid);
  if (problem !== null) throw new RangeError(`${field}: ${problem}`);
}

function assertBytes(bytes: Uint8Array, field: string, bytesMax: number): void {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${field} must be a Uint8Array`);
  if (bytes.length > bytesMax) throw new RangeError(`${field} has ${bytes.length} bytes, more than ${bytesMax}`);
}

function assertFixedBytes(bytes: Uint8Array, field: string, length: number): void {
  if (!(bytes instanceof Uint8Array) || bytes.length !== length) throw new RangeError(`${field} must be ${length} bytes`);
}

function assertFragmentIndex(index: number, field: string): void {
  if (!Number.isInteger(index) || index < 0 || index > ExchangeLimits.fragmentIndexMax) {
    throw new RangeError(`${field} must be an integer in [0, ${ExchangeLimits.fragmentIndexMax}], got ${index}`);
  }
}

function assertBlockList(blocks: readonly CID[], kind: string): void {
  if (blocks.length > ExchangeLimits.haveBlocksMax) throw new RangeError(`${kind} asks about ${blocks.length} blocks, more than ${ExchangeLimits.haveBlocksMax}`);
  blocks.forEach((cid, index) => assertCid(cid, `${kind} block ${index}`));
}

function writeCid(writer: ByteWriter, cid: CID): void {
  writer.writeU8(cid.bytes.length);
  writer.writeBytes(cid.bytes);
}

function writeSizedBytes(writer: ByteWriter, bytes: Uint8Array): void {
  writer.writeU32(bytes.length);
  writer.writeBytes(bytes);
}

function checkRequest(request: ExchangeRequest): void {
  switch (request.kind) {
    case 'getBlock':
      assertCid(request.cid, 'getBlock cid');
      return;
    case 'getFragment':
      assertCid(request.block, 'getFragment block');
      assertFragmentIndex(request.index, 'getFragment index');
      return;
    case 'storeBlock':
      assertCid(request.cid, 'storeBlock cid');
      if (!Number.isInteger(request.copies) || request.copies < 1 || request.copies > RedundancyBounds.copiesMax) {
        throw new RangeError(`storeBlock copies must be an integer in [1, ${RedundancyBounds.copiesMax}], got ${request.copies}`);
      }
      assertBytes(request.bytes, 'storeBlock bytes', ExchangeLimits.blockBytesMax);
      return;
    case 'storeFragment':
      assertBytes(request.record, 'storeFragment record', ExchangeLimits.recordBytesMax);
      return;
    case 'renew':
      if (!Number.isInteger(request.leaseSeconds) || request.leaseSeconds < 1 || request.leaseSeconds > ExchangeLimits.leaseSecondsMax) {
        throw new RangeError(`renew leaseSeconds must be an integer in [1, ${ExchangeLimits.leaseSecondsMax}], got ${request.leaseSeconds}`);
      }
      assertBlockList(request.blocks, request.kind);
      return;
    case 'have':
      assertBlockList(request.blocks, request.kind);
      return;
    case 'cacheBlock':
      assertCid(request.cid, 'cacheBlock cid');
      assertBytes(request.bytes, 'cacheBlock bytes', ExchangeLimits.blockBytesMax);
      return;
    case 'prove':
      assertCid(request.block, 'prove block');
      if (request.index !== null) assertFragmentIndex(request.index, 'prove index');
      assertFixedBytes(request.nonce, 'prove nonce', PROOF_NONCE_BYTES);
      return;
    default:
      throw new RangeError(`unknown request kind ${String((request as { kind: unknown }).kind)}`);
  }
}

/** Encodes one request; throws a RangeError if it breaks ExchangeLimits or names an unacceptable CID. */
export function encodeRequest(request: ExchangeRequest): Uint8Array {
  checkRequest(request);
  const writer = new ByteWriter(encodedRequestSize(request));
  writer.writeU8(EXCHANGE_WIRE_VERSION);
  writer.writeU8(RequestCode[request.kind]);
  switch (request.kind) {
    case 'getBlock':
      writeCid(writer, request.cid);
      break;
    case 'getFragment':
      writeCid(writer, request.block);
      writer.writeU8(request.index);
      break;
    case 'storeBlock':
      writeCid(writer, request.cid);
      writer.writeU8(request.copies);
      writeSizedBytes(writer, request.bytes);
      break;
    case 'storeFragment':
      writeSizedBytes(writer, request.record);
      break;
    case 'have':
      writer.writeU16(request.blocks.length);
      for (const cid of request.blocks) writeCid(writer, cid);
      break;
    case 'cacheBlock':
      writeCid(writer, request.cid);
      writeSizedBytes(writer, request.bytes);
      break;
    case 'prove':
      writeCid(writer, request.block);
      writer.writeU8(request.index === null ? WHOLE_COPY_PIECE : FRAGMENT_PIECE);
      writer.writeU8(request.index ?? 0);
      writer.writeBytes(request.nonce);
      break;
    case 'renew':
      writer.writeU32(request.leaseSeconds);
      writer.writeU16(request.blocks.length);
      for (const cid of request.blocks) writeCid(writer, cid);
      break;
  }
  return writer.finish();
}

function checkHaveEntry(entry: HaveEntry, index: number): void {
  if (typeof entry.block !== 'boolean') throw new RangeError(`haves entry ${index}: block must be true or false`);
  if (entry.kept !== undefined && typeof entry.kept !== 'boolean') throw new RangeError(`haves entry ${index}: kept must be true or false`);
  if (entry.kept === true && !entry.block) throw new RangeError(`haves entry ${index}: a kept block must be held`);
  const fragments = entry.fragments;
  if (fragments.length > ExchangeLimits.fragmentsPerBlockMax) {
    throw new RangeError(`haves entry ${index} lists ${fragments.length} fragments, more than ${ExchangeLimits.fragmentsPerBlockMax}`);
  }
  for (let at = 0; at < fragments.length; at++) {
    assertFragmentIndex(fragments[at], `haves entry ${index} fragment`);
    if (at > 0 && fragments[at] <= fragments[at - 1]) throw new RangeError(`haves entry ${index}: fragments must be sorted and distinct`);
  }
}

function checkResponse(response: ExchangeResponse): void {
  switch (response.kind) {
    case 'block':
      assertBytes(response.bytes, 'block bytes', ExchangeLimits.blockBytesMax);
      return;
    case 'fragment':
      assertBytes(response.record, 'fragment record', ExchangeLimits.recordBytesMax);
      return;
    case 'notFound':
    case 'stored':
      return;
    case 'refused':
      if (!Object.hasOwn(RefusalCode, response.reason)) throw new RangeError(`unknown refusal reason ${String(response.reason)}`);
      if (typeof response.message !== 'string') throw new TypeError('refused message must be a string');
      return;
    case 'haves':
      if (response.entries.length > ExchangeLimits.haveBlocksMax) {
        throw new RangeError(`haves has ${response.entries.length} entries, more than ${ExchangeLimits.haveBlocksMax}`);
      }
      response.entries.forEach(checkHaveEntry);
      return;
    case 'proof':
      assertFixedBytes(response.digest, 'proof digest', PROOF_DIGEST_BYTES);
      return;
    default:
      throw new RangeError(`unknown response kind ${String((response as { kind: unknown }).kind)}`);
  }
}

/**
 * Encodes one response; throws a RangeError if it breaks ExchangeLimits. A refusal's text is cut
 * to ExchangeLimits.messageTextBytesMax bytes (never mid-character) rather than refused.
 */
export function encodeResponse(response: ExchangeResponse): Uint8Array {
  checkResponse(response);
  const writer = new ByteWriter(encodedResponseSize(response));
  writer.writeU8(EXCHANGE_WIRE_VERSION);
  writer.writeU8(ResponseCode[response.kind]);
  switch (response.kind) {
    case 'block':
      writeSizedBytes(writer, response.bytes);
      break;
    case 'fragment':
      writeSizedBytes(writer, response.record);
      break;
    case 'notFound':
    case 'stored':
      break;
    case 'refused': {
      const text = fitUtf8(response.message, ExchangeLimits.messageTextBytesMax);
      writer.writeU8(RefusalCode[response.reason]);
      writer.writeU16(utf8ByteLength(text));
      writer.writeUtf8(text);
      break;
    }
    case 'haves':
      writer.writeU16(response.entries.length);
      for (const entry of response.entries) {
        writer.writeU8((entry.block ? HELD_BLOCK_FLAG : 0) | (entry.kept === true ? KEPT_BLOCK_FLAG : 0));
        writer.writeU16(entry.fragments.length);
        for (const index of entry.fragments) writer.writeU8(index);
      }
      break;
    case 'proof':
      writer.writeBytes(response.digest);
      break;
  }
  return writer.finish();
}

/**
 * encodeResponse in two pieces whose concatenation is exactly its bytes: `head`, the fields, and
 * `body`, a block's or fragment record's bytes themselves (empty for other answers). A server
 * writes the two as one frame, so a block is not first copied into a message of its own: on the
 * serving side of a fetch that copy was a quarter of a gigabyte allocated per 256 MiB served.
 */
export function encodeResponseParts(response: ExchangeResponse): { readonly head: Uint8Array; readonly body: Uint8Array } {
  if (response.kind !== 'block' && response.kind !== 'fragment') return { head: encodeResponse(response), body: EMPTY_BYTES };
  checkResponse(response);
  const body = response.kind === 'block' ? response.bytes : response.record;
  const writer = new ByteWriter(BYTES_HEAD_LENGTH);
  writer.writeU8(EXCHANGE_WIRE_VERSION);
  writer.writeU8(ResponseCode[response.kind]);
  writer.writeU32(body.length);
  return { head: writer.finish(), body };
}

/** Version, kind and a u32 length: what precedes a block's or a record's bytes. */
const BYTES_HEAD_LENGTH = 1 + 1 + 4;
const EMPTY_BYTES = new Uint8Array(0);

// ---- decoding: each helper returns the decoded piece or a Failure; nothing throws ------------------

class Failure {
  readonly error: string;
  constructor(error: string) {
    this.error = error;
  }
}

function truncated(field: string): Failure {
  return new Failure(`truncated: ${field}`);
}

function readCid(reader: ByteReader, field: string): CID | Failure {
  const length = reader.readU8();
  if (length === undefined) return truncated(`${field} length`);
  if (length > ExchangeLimits.cidBytesMax) return new Failure(`${field} too long: ${length} bytes > ${ExchangeLimits.cidBytesMax}`);
  // A copy, so that the CID (which keeps the bytes it was decoded from) does not pin the input.
  const bytes = reader.readCopy(length);
  if (bytes === undefined) return truncated(field);
  const cid = cidFromBytes(bytes);
  return typeof cid === 'string' ? new Failure(`${field}: ${cid}`) : cid;
}

/** `copy` false gives a view of the input (decodeOwnedResponse): a block is the bulk of its message. */
function readSizedBytes(reader: ByteReader, field: string, bytesMax: number, copy = true): Uint8Array | Failure {
  const length = reader.readU32();
  if (length === undefined) return truncated(`${field} length`);
  if (length > bytesMax) return new Failure(`${field} too long: ${length} bytes > ${bytesMax}`);
  const bytes = copy ? reader.readCopy(length) : reader.readView(length);
  return bytes === undefined ? truncated(field) : bytes;
}

function readCids(reader: ByteReader): CID[] | Failure {
  const count = reader.readU16();
  if (count === undefined) return truncated('block count');
  if (count > ExchangeLimits.haveBlocksMax) return new Failure(`too many blocks: ${count} > ${ExchangeLimits.haveBlocksMax}`);
  const blocks: CID[] = [];
  for (let index = 0; index < count; index++) {
    const cid = readCid(reader, `block ${index}`);
    if (cid instanceof Failure) return cid;
    blocks.push(cid);
  }
  return blocks;
}

function readRequestBody(reader: ByteReader, kind: ExchangeRequestKind): ExchangeRequest | Failure {
  switch (kind) {
    case 'getBlock': {
      const cid = readCid(reader, 'cid');
      return cid instanceof Failure ? cid : { kind, cid };
    }
    case 'getFragment': {
      const block = readCid(reader, 'block');
      if (block instanceof Failure) return block;
      const index = reader.readU8();
      if (index === undefined) return truncated('index');
      return { kind, block, index };
    }
    case 'storeBlock': {
      const cid = readCid(reader, 'cid');
      if (cid instanceof Failure) return cid;
      const copies = reader.readU8();
      if (copies === undefined) return truncated('copies');
      if (copies < 1 || copies > RedundancyBounds.copiesMax) return new Failure(`copies out of range: ${copies} (1 … ${RedundancyBounds.copiesMax})`);
      const bytes = readSizedBytes(reader, 'block', ExchangeLimits.blockBytesMax);
      return bytes instanceof Failure ? bytes : { kind, cid, copies, bytes };
    }
    case 'storeFragment': {
      const record = readSizedBytes(reader, 'record', ExchangeLimits.recordBytesMax);
      return record instanceof Failure ? record : { kind, record };
    }
    case 'have': {
      const blocks = readCids(reader);
      return blocks instanceof Failure ? blocks : { kind, blocks };
    }
    case 'cacheBlock': {
      const cid = readCid(reader, 'cid');
      if (cid instanceof Failure) return cid;
      const bytes = readSizedBytes(reader, 'block', ExchangeLimits.blockBytesMax);
      return bytes instanceof Failure ? bytes : { kind, cid, bytes };
    }
    case 'prove': {
      const block = readCid(reader, 'block');
      if (block instanceof Failure) return block;
      const piece = reader.readU8();
      const index = reader.readU8();
      if (piece === undefined || index === undefined) return truncated('piece');
      if (piece !== WHOLE_COPY_PIECE && piece !== FRAGMENT_PIECE) return new Failure(`unknown piece kind ${piece}`);
      if (piece === WHOLE_COPY_PIECE && index !== 0) return new Failure('a whole copy has index 0');
      const nonce = reader.readCopy(PROOF_NONCE_BYTES);
      if (nonce === undefined) return truncated('nonce');
      return { kind, block, index: piece === FRAGMENT_PIECE ? index : null, nonce };
    }
    case 'renew': {
      const leaseSeconds = reader.readU32();
      if (leaseSeconds === undefined) return truncated('lease');
      if (leaseSeconds < 1 || leaseSeconds > ExchangeLimits.leaseSecondsMax) return new Failure(`lease out of range: ${leaseSeconds} s (1 … ${ExchangeLimits.leaseSecondsMax})`);
      const blocks = readCids(reader);
      return blocks instanceof Failure ? blocks : { kind, leaseSeconds, blocks };
    }
  }
}

function readHaveEntry(reader: ByteReader, index: number): HaveEntry | Failure {
  const flags = reader.readU8();
  if (flags === undefined) return truncated(`entry ${index} flags`);
  if ((flags & ~(HELD_BLOCK_FLAG | KEPT_BLOCK_FLAG)) !== 0) return new Failure(`entry ${index}: unknown flags 0x${flags.toString(16)}`);
  if ((flags & KEPT_BLOCK_FLAG) !== 0 && (flags & HELD_BLOCK_FLAG) === 0) return new Failure(`entry ${index}: a kept block that is not held`);
  const count = reader.readU16();
  if (count === undefined) return truncated(`entry ${index} fragment count`);
  if (count > ExchangeLimits.fragmentsPerBlockMax) {
    return new Failure(`entry ${index}: too many fragments: ${count} > ${ExchangeLimits.fragmentsPerBlockMax}`);
  }
  const indexes = reader.readView(count);
  if (indexes === undefined) return truncated(`entry ${index} fragments`);
  const fragments: number[] = new Array(count);
  for (let at = 0; at < count; at++) {
    if (at > 0 && indexes[at] <= indexes[at - 1]) return new Failure(`entry ${index}: fragments not sorted and distinct`);
    fragments[at] = indexes[at];
  }
  const block = (flags & HELD_BLOCK_FLAG) !== 0;
  return (flags & KEPT_BLOCK_FLAG) !== 0 ? { block, kept: true, fragments } : { block, fragments };
}

function readResponseBody(reader: ByteReader, kind: ExchangeResponseKind, copy = true): ExchangeResponse | Failure {
  switch (kind) {
    case 'block': {
      const bytes = readSizedBytes(reader, 'block', ExchangeLimits.blockBytesMax, copy);
      return bytes instanceof Failure ? bytes : { kind, bytes };
    }
    case 'fragment': {
      const record = readSizedBytes(reader, 'record', ExchangeLimits.recordBytesMax, copy);
      return record instanceof Failure ? record : { kind, record };
    }
    case 'notFound':
    case 'stored':
      return { kind };
    case 'refused': {
      const code = reader.readU8();
      if (code === undefined) return truncated('reason');
      const reason = reasonByCode.get(code);
      if (reason === undefined) return new Failure(`unknown refusal reason ${code}`);
      const length = reader.readU16();
      if (length === undefined) return truncated('text length');
      if (length > ExchangeLimits.messageTextBytesMax) return new Failure(`text too long: ${length} bytes > ${ExchangeLimits.messageTextBytesMax}`);
      const textBytes = reader.readView(length);
      if (textBytes === undefined) return truncated('text');
      const message = decodeUtf8(textBytes);
      return message === null ? new Failure('text is not valid UTF-8') : { kind, reason, message };
    }
    case 'haves': {
      const count = reader.readU16();
      if (count === undefined) return truncated('entry count');
      if (count > ExchangeLimits.haveBlocksMax) return new Failure(`too many entries: ${count} > ${ExchangeLimits.haveBlocksMax}`);
      const entries: HaveEntry[] = [];
      for (let index = 0; index < count; index++) {
        const entry = readHaveEntry(reader, index);
        if (entry instanceof Failure) return entry;
        entries.push(entry);
      }
      return { kind, entries };
    }
    case 'proof': {
      const digest = reader.readCopy(PROOF_DIGEST_BYTES);
      return digest === undefined ? truncated('digest') : { kind, digest };
    }
  }
}

/** Reads the header and the body, then insists that nothing follows. */
function decode<Kind extends string, T extends { kind: Kind }>(
  bytes: Uint8Array,
  kindByCode: ReadonlyMap<number, Kind>,
  readBody: (reader: ByteReader, kind: Kind) => T | Failure,
): DecodeResult<T> {
  if (!(bytes instanceof Uint8Array)) return { ok: false, error: 'not a byte array' };
  // Rejecting oversized input first bounds the work any single input can cause.
  if (bytes.length > ExchangeLimits.messageBytesMax) {
    return { ok: false, error: `message too large: ${bytes.length} bytes > ${ExchangeLimits.messageBytesMax}` };
  }
  const reader = new ByteReader(bytes);
  const version = reader.readU8();
  if (version === undefined) return { ok: false, error: 'truncated: version' };
  if (version !== EXCHANGE_WIRE_VERSION) return { ok: false, error: `unknown version ${version}` };
  const code = reader.readU8();
  if (code === undefined) return { ok: false, error: 'truncated: kind' };
  const kind = kindByCode.get(code);
  if (kind === undefined) return { ok: false, error: `unknown kind code ${code}` };
  const value = readBody(reader, kind);
  if (value instanceof Failure) return { ok: false, error: value.error };
  if (reader.remaining !== 0) return { ok: false, error: `trailing bytes: ${reader.remaining} after ${kind}` };
  return { ok: true, value };
}

/**
 * Whether `bytes` open with this version and a request code it does not define: most likely a
 * newer peer's request (as `prove` is to a node of an earlier version), which is refused without
 * blame rather than taken for malice. A response's code (top bit set) sent as a request is no such
 * thing, and neither is any other version.
 */
export function isUnknownRequestKind(bytes: Uint8Array): boolean {
  return bytes.length >= HEADER_BYTES && bytes[0] === EXCHANGE_WIRE_VERSION && (bytes[1] & 0x80) === 0 && !requestKindByCode.has(bytes[1]);
}

/** Decodes one request from untrusted bytes; never throws. */
export function decodeRequest(bytes: Uint8Array): DecodeResult<ExchangeRequest> {
  return decode(bytes, requestKindByCode, readRequestBody);
}

/** Decodes one response from untrusted bytes; never throws. */
export function decodeResponse(bytes: Uint8Array): DecodeResult<ExchangeResponse> {
  return decode(bytes, responseKindByCode, readResponseBody);
}

/**
 * decodeResponse for a caller that hands `bytes` over (a frame the transport allocated for this
 * message alone, and nobody else holds): a block's or fragment record's bytes are then a view of
 * them, not a copy. A fetch moves every byte through here, and the copy was a quarter of a
 * gigabyte of allocation (and its garbage collection) per 256 MiB fetched.
 */
export function decodeOwnedResponse(bytes: Uint8Array): DecodeResult<ExchangeResponse> {
  return decode(bytes, responseKindByCode, readResponseBodyView);
}

function readResponseBodyView(reader: ByteReader, kind: ExchangeResponseKind): ExchangeResponse | Failure {
  return readResponseBody(reader, kind, false);
}

/**
 * Whether `response` is a possible answer to `request`: the kinds the table at the top allows, a
 * refusal of any request for being busy, unavailable or invalid, and a `haves` with one entry per block asked.
 * Whether a block's bytes match its CID is for the caller to check (hashing is not done here).
 */
export function answersRequest(request: ExchangeRequest, response: ExchangeResponse): boolean {
  // Any request may be refused as busy or unavailable, or as invalid: what a node answers a request
  // it cannot decode, such as a newer peer's kind (isUnknownRequestKind).
  if (response.kind === 'refused' && (response.reason === RefusalReason.busy || response.reason === RefusalReason.unavailable || response.reason === RefusalReason.invalid)) return true;
  switch (request.kind) {
    case 'getBlock':
      return response.kind === 'block' || response.kind === 'notFound';
    case 'getFragment':
      return response.kind === 'fragment' || response.kind === 'notFound';
    case 'storeBlock':
    case 'storeFragment':
    case 'cacheBlock':
      return response.kind === 'stored' || response.kind === 'refused';
    case 'have':
    case 'renew':
      return response.kind === 'haves' && response.entries.length === request.blocks.length;
    case 'prove':
      return response.kind === 'proof' || response.kind === 'notFound';
  }
}
