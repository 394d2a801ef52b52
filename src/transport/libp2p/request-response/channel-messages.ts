/**
 * The messages of a request channel: one long-lived stream per peer that carries many requests and
 * their answers (channel-client.ts, serve-channel.ts), so that a reader's pipelined requests cost a
 * frame each rather than a stream each (a Yamux stream, a protocol negotiation, a peer-store update
 * and window updates per request, which made fetching from one source several times costlier in
 * CPU than a raw stream).
 *
 * Each message is one length-prefixed frame (../frames.ts) whose payload is:
 *
 *   kind u8, id varint (unsigned LEB128, minimal, 1 … 2^32 − 1), then for request and response
 *   the caller's payload (at least one byte, opaque here), for cancel and failed nothing.
 *
 *   request   (1)  client → server: answer `payload`; ids increase strictly on a channel
 *   cancel    (2)  client → server: the request `id` is no longer wanted (an answer may still come)
 *   response  (3)  server → client: the answer to request `id`
 *   failed    (4)  server → client: request `id` will get no answer (the handler failed)
 *
 * The decoder never throws and never copies: the payload is a view of the frame, which the frame
 * decoder allocated for this frame alone.
 */

export const ChannelKind = {
  request: 1,
  cancel: 2,
  response: 3,
  failed: 4,
} as const;

export type ChannelKindCode = (typeof ChannelKind)[keyof typeof ChannelKind];

export type ChannelMessage =
  | { readonly kind: typeof ChannelKind.request | typeof ChannelKind.response; readonly id: number; readonly payload: Uint8Array }
  | { readonly kind: typeof ChannelKind.cancel | typeof ChannelKind.failed; readonly id: number };

export type ChannelDecodeResult = { readonly ok: true; readonly message: ChannelMessage } | { readonly ok: false; readonly error: string };

/** Ids are u32 so that a varint of at most 5 bytes holds any; a client that runs out opens a new channel. */
export const CHANNEL_ID_MAX = 0xffff_ffff;
const ID_BYTES_MAX = 5;
/** What a message adds to its payload at most: the kind and the longest id. */
export const CHANNEL_HEADER_BYTES_MAX = 1 + ID_BYTES_MAX;

/** The kind and id of a message, to be written before its payload in one frame. */
export function encodeChannelHeader(kind: ChannelKindCode, id: number): Uint8Array {
  if (!Number.isSafeInteger(id) || id < 1 || id > CHANNEL_ID_MAX) throw new RangeError(`a channel id is an integer in [1, ${CHANNEL_ID_MAX}], got ${id}`);
  const header = new Uint8Array(1 + idBytes(id));
  header[0] = kind;
  let rest = id;
  let at = 1;
  while (rest >= 0x80) {
    header[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  header[at] = rest;
  return header;
}

/** A whole message (header and payload) in one array: for small messages and tests. */
export function encodeChannelMessage(message: ChannelMessage): Uint8Array {
  const header = encodeChannelHeader(message.kind, message.id);
  if (!hasPayload(message.kind)) return header;
  const payload = (message as { payload: Uint8Array }).payload;
  if (payload.length === 0) throw new RangeError('a channel request or response carries at least one byte');
  const bytes = new Uint8Array(header.length + payload.length);
  bytes.set(header);
  bytes.set(payload, header.length);
  return bytes;
}

export function decodeChannelMessage(frame: Uint8Array): ChannelDecodeResult {
  if (frame.length < 2) return { ok: false, error: 'a channel message shorter than its header' };
  const kind = frame[0];
  if (kind !== ChannelKind.request && kind !== ChannelKind.cancel && kind !== ChannelKind.response && kind !== ChannelKind.failed) {
    return { ok: false, error: `unknown channel message kind ${kind}` };
  }
  let id = 0;
  let at = 1;
  for (let shift = 1; ; shift *= 0x80) {
    if (at >= frame.length) return { ok: false, error: 'a channel id cut short' };
    if (at > ID_BYTES_MAX) return { ok: false, error: `a channel id longer than ${ID_BYTES_MAX} bytes` };
    const byte = frame[at++];
    if (at > 2 && byte === 0) return { ok: false, error: 'a non-minimal channel id' };
    id += (byte & 0x7f) * shift;
    if ((byte & 0x80) === 0) break;
  }
  if (id < 1 || id > CHANNEL_ID_MAX) return { ok: false, error: `a channel id out of range: ${id}` };
  if (!hasPayload(kind)) {
    if (at !== frame.length) return { ok: false, error: 'bytes after a cancel or failed message' };
    return { ok: true, message: { kind, id } };
  }
  if (at === frame.length) return { ok: false, error: 'a channel request or response without a payload' };
  return { ok: true, message: { kind, id, payload: frame.subarray(at) } };
}

function hasPayload(kind: ChannelKindCode): kind is typeof ChannelKind.request | typeof ChannelKind.response {
  return kind === ChannelKind.request || kind === ChannelKind.response;
}

function idBytes(id: number): number {
  let bytes = 1;
  for (let rest = id; rest >= 0x80; rest = Math.floor(rest / 0x80)) bytes++;
  return bytes;
}
