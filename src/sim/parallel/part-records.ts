/**
 * The records a part writes into another's mailbox (part-exchange.ts): one message each, with when
 * it arrives, to and from which node, and its place in the order of events (world.ts).
 *
 * The messages of a lookup — FIND_NODE, NODES, PING, PONG — go in a compact form of their own:
 * every node of a simulation is known to every part, so a contact is written as its node's index
 * and read back as that node's own PeerRef, with no ids or addresses to encode or decode. Anything
 * else (values, a contact that is not a node's own PeerRef) goes through the wire codec. With
 * proximity on, a compact record carries the message's coordinates after its body
 * (record-coordinates.ts). The compact form costs a few hundred nanoseconds a message where the
 * codec costs a few microseconds, which in a split run is paid for half the messages.
 *
 * A record without a message (`message` and `bytes` both null) is a notice, not a delivery: node
 * `from`, in its generation `order` (its count of starts), finished its join and joins the pools
 * the experiment draws from at `atMs` (lookup-experiment.ts, ReadyQueue). It has a header and no body.
 */
import { ID_BYTES, idFromBytes } from '../../core/id.ts';
import type { Message } from '../../core/messages.ts';
import type { TrafficClass } from '../../core/node-io.ts';
import type { PeerRef } from '../../core/peer.ts';
import { encodeMessage } from '../../wire/codec.ts';
import type { CrossPartDelivery } from '../world.ts';
import { coordinateBlockBytes, coordinatesOf, readCoordinateBlock, writeCoordinateBlock } from './record-coordinates.ts';

/** How a part names nodes: the index of a node's own PeerRef (-1 for any other object), and back. */
export interface PeerDirectory {
  indexOf(peer: PeerRef): number;
  peerAt(index: number): PeerRef | undefined;
}

const Form = { wire: 0, ping: 1, pong: 2, findNode: 3, nodes: 4, notice: 5 } as const;
/** Set in the form byte when the record carries the message's coordinates (record-coordinates.ts). */
const WITH_COORDINATES = 0x80;
const TRAFFIC_CODES: readonly TrafficClass[] = ['user', 'maintenance', 'reply'];
/** length u32, arrival f64, to u32, from u32, order f64, traffic u8, form u8. */
const HEADER_BYTES = 4 + 8 + 4 + 4 + 8 + 1 + 1;

/** The most contacts a compact NODES record names (a count in one byte). */
const CONTACTS_MAX = 255;
/** The node indices of the contacts being written, found once per record. */
const contactIndices = new Int32Array(CONTACTS_MAX);

/** Fills contactIndices; false when a contact is not a node's own PeerRef. */
function indexContacts(closer: readonly PeerRef[], peers: PeerDirectory): boolean {
  for (let i = 0; i < closer.length; i++) {
    const index = peers.indexOf(closer[i]);
    if (index < 0) return false;
    contactIndices[i] = index;
  }
  return true;
}

/** A notice of a finished join (node `from` in generation `order`, ready at `atMs`) to every other part; no message. */
export function joinNotice(node: number, generation: number, readyAtMs: number): CrossPartDelivery {
  return { atMs: readyAtMs, to: node, from: node, order: generation, traffic: 'maintenance', message: null, bytes: null };
}

export function isNotice(delivery: CrossPartDelivery): boolean {
  return delivery.message === null && delivery.bytes === null;
}

/** Writes one record at `offset`, no further than `end`; returns its length, or -1 when it does not fit. */
export function writeRecord(view: DataView, offset: number, end: number, delivery: CrossPartDelivery, peers: PeerDirectory): number {
  const message = delivery.message;
  let form: number = Form.wire;
  let bodyBytes = 0;
  let encoded: Uint8Array | null = delivery.bytes;
  if (encoded === null && message === null) form = Form.notice;
  else if (encoded === null && message !== null) {
    switch (message.kind) {
      case 'ping':
      case 'pong':
        form = message.kind === 'ping' ? Form.ping : Form.pong;
        bodyBytes = 4;
        break;
      case 'findNode':
        form = Form.findNode;
        bodyBytes = 4 + ID_BYTES;
        break;
      case 'nodes':
        if (message.closer.length <= CONTACTS_MAX && indexContacts(message.closer, peers)) {
          form = Form.nodes;
          bodyBytes = 4 + 1 + 4 * message.closer.length;
        }
        break;
      default:
        break;
    }
  }
  // A compact form's coordinates follow its body; the codec carries an encoding's.
  const coordinates = form === Form.wire || form === Form.notice ? null : coordinatesOf(message as Message);
  const coordinateBytes = coordinates === null ? 0 : coordinateBlockBytes(coordinates);
  if (coordinateBytes < 0) form = Form.wire;
  if (form === Form.wire) {
    encoded ??= encodeMessage(message as Message);
    bodyBytes = encoded.length;
  }
  const withCoordinates = form !== Form.wire && coordinates !== null;
  const length = HEADER_BYTES + bodyBytes + (withCoordinates ? coordinateBytes : 0);
  if (offset + length > end) return -1;
  view.setUint32(offset, length);
  view.setFloat64(offset + 4, delivery.atMs);
  view.setUint32(offset + 12, delivery.to);
  view.setUint32(offset + 16, delivery.from);
  view.setFloat64(offset + 20, delivery.order);
  view.setUint8(offset + 28, TRAFFIC_CODES.indexOf(delivery.traffic));
  view.setUint8(offset + 29, withCoordinates ? form | WITH_COORDINATES : form);
  const body = offset + HEADER_BYTES;
  const m = message as Message;
  switch (form) {
    case Form.ping:
    case Form.pong:
      view.setUint32(body, (m as { requestId: number }).requestId);
      break;
    case Form.findNode: {
      const findNode = m as Extract<Message, { kind: 'findNode' }>;
      view.setUint32(body, findNode.requestId);
      new Uint8Array(view.buffer, view.byteOffset + body + 4, ID_BYTES).set(findNode.target.bytes);
      break;
    }
    case Form.nodes: {
      const nodes = m as Extract<Message, { kind: 'nodes' }>;
      view.setUint32(body, nodes.requestId);
      view.setUint8(body + 4, nodes.closer.length);
      for (let i = 0; i < nodes.closer.length; i++) view.setUint32(body + 5 + 4 * i, contactIndices[i]);
      break;
    }
    case Form.notice:
      break;
    default:
      new Uint8Array(view.buffer, view.byteOffset + body, bodyBytes).set(encoded as Uint8Array);
  }
  if (withCoordinates) writeCoordinateBlock(view, body + bodyBytes, coordinates);
  return length;
}

/** Reads the record at `offset`; returns it with its length. Nodes named by index become their PeerRefs. */
export function readRecord(view: DataView, offset: number, peers: PeerDirectory): { delivery: CrossPartDelivery; length: number } {
  const length = view.getUint32(offset);
  const formByte = view.getUint8(offset + 29);
  const form = formByte & ~WITH_COORDINATES;
  const body = offset + HEADER_BYTES;
  const end = offset + length;
  let message: Message | null = null;
  let bytes: Uint8Array | null = null;
  let bodyBytes = 0;
  switch (form) {
    case Form.ping:
      message = { kind: 'ping', requestId: view.getUint32(body) };
      bodyBytes = 4;
      break;
    case Form.pong:
      message = { kind: 'pong', requestId: view.getUint32(body) };
      bodyBytes = 4;
      break;
    case Form.findNode: {
      // Copied out of shared memory: an id must not change under its holder.
      const target = new Uint8Array(ID_BYTES);
      target.set(new Uint8Array(view.buffer, view.byteOffset + body + 4, ID_BYTES));
      message = { kind: 'findNode', requestId: view.getUint32(body), target: idFromBytes(target) };
      bodyBytes = 4 + ID_BYTES;
      break;
    }
    case Form.nodes: {
      const count = view.getUint8(body + 4);
      const closer: PeerRef[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const index = view.getUint32(body + 5 + 4 * i);
        const peer = peers.peerAt(index);
        if (peer === undefined) throw new RangeError(`a record names node ${index}, which does not exist`);
        closer[i] = peer;
      }
      message = { kind: 'nodes', requestId: view.getUint32(body), closer };
      bodyBytes = 4 + 1 + 4 * count;
      break;
    }
    case Form.notice:
      break;
    default:
      bytes = new Uint8Array(end - body);
      bytes.set(new Uint8Array(view.buffer, view.byteOffset + body, bytes.length));
  }
  if (message !== null && (formByte & WITH_COORDINATES) !== 0) {
    // Spread in the message's own order of fields: coordinate, then closerCoordinates.
    message = { ...message, ...readCoordinateBlock(view, body + bodyBytes) } as Message;
  }
  const delivery: CrossPartDelivery = {
    atMs: view.getFloat64(offset + 4),
    to: view.getUint32(offset + 12),
    from: view.getUint32(offset + 16),
    order: view.getFloat64(offset + 20),
    traffic: TRAFFIC_CODES[view.getUint8(offset + 28)],
    message,
    bytes,
  };
  return { delivery, length };
}
