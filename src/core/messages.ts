/**
 * The kernel's messages (Kademlia §2.3: PING, STORE, FIND_NODE, FIND_VALUE), as a discriminated union.
 *
 * Every request carries a `requestId` that its reply echoes, so a node can match a reply to the
 * request it sent and drop replies nobody asked for. The sender's identity is not a field: the
 * transport authenticates it (a libp2p peer id; the simulator's link) and hands it to the node.
 *
 * With proximity on (DhtConfig.proximity, issue 6), every message but LEAVE also carries the
 * sender's Vivaldi coordinate, and a NODES reply the coordinate of each contact it names where the
 * sender knows it (null where not): Vivaldi's samples ride on the RPCs a node makes anyway
 * (Dabek et al. 2004, §6), and the contacts' coordinates let a lookup pick near next hops.
 */
import type { Id } from './id.ts';
import type { PeerRef } from './peer.ts';
import type { VivaldiCoordinate } from './vivaldi.ts';

/** Numeric codes for the wire format; names for everything else. */
export const MessageCode = {
  ping: 1,
  pong: 2,
  findNode: 3,
  nodes: 4,
  findValue: 5,
  value: 6,
  store: 7,
  stored: 8,
  leave: 9,
} as const;

export type MessageKind = keyof typeof MessageCode;

/** Why a STORE was refused (0 means it was stored). */
export const StoreStatus = {
  ok: 0,
  storeFull: 1,
  valueTooLarge: 2,
  badTtl: 3,
} as const;

export type StoreStatusCode = (typeof StoreStatus)[keyof typeof StoreStatus];

export interface Ping {
  readonly kind: 'ping';
  readonly requestId: number;
  readonly coordinate?: VivaldiCoordinate;
}

export interface Pong {
  readonly kind: 'pong';
  readonly requestId: number;
  readonly coordinate?: VivaldiCoordinate;
}

export interface FindNode {
  readonly kind: 'findNode';
  readonly requestId: number;
  readonly coordinate?: VivaldiCoordinate;
  readonly target: Id;
}

/** The reply to FIND_NODE, and to FIND_VALUE when the responder does not hold the value. */
export interface Nodes {
  readonly kind: 'nodes';
  readonly requestId: number;
  readonly closer: readonly PeerRef[];
  readonly coordinate?: VivaldiCoordinate;
  /** With a coordinate only: each contact's coordinate, parallel to `closer`, null where unknown. */
  readonly closerCoordinates?: readonly (VivaldiCoordinate | null)[];
}

export interface FindValue {
  readonly kind: 'findValue';
  readonly requestId: number;
  readonly coordinate?: VivaldiCoordinate;
  readonly key: Id;
}

export interface Value {
  readonly kind: 'value';
  readonly requestId: number;
  readonly coordinate?: VivaldiCoordinate;
  readonly value: Uint8Array;
  /** How long the value has left to live at the responder. */
  readonly ttlMs: number;
}

export interface Store {
  readonly kind: 'store';
  readonly requestId: number;
  readonly coordinate?: VivaldiCoordinate;
  readonly key: Id;
  readonly value: Uint8Array;
  readonly ttlMs: number;
}

export interface Stored {
  readonly kind: 'stored';
  readonly requestId: number;
  readonly coordinate?: VivaldiCoordinate;
  readonly status: StoreStatusCode;
}

/** A one-way notice that the sender is leaving gracefully, so contacts can drop it at once. */
export interface Leave {
  readonly kind: 'leave';
}

export type Request = Ping | FindNode | FindValue | Store;
export type Reply = Pong | Nodes | Value | Stored;
export type Message = Request | Reply | Leave;

export function isRequest(message: Message): message is Request {
  return message.kind === 'ping' || message.kind === 'findNode' || message.kind === 'findValue' || message.kind === 'store';
}

export function isReply(message: Message): message is Reply {
  return message.kind === 'pong' || message.kind === 'nodes' || message.kind === 'value' || message.kind === 'stored';
}

/** Whether `reply` is a well-formed answer to a request of kind `requestKind`. */
export function repliesTo(requestKind: Request['kind'], reply: Reply): boolean {
  switch (requestKind) {
    case 'ping':
      return reply.kind === 'pong';
    case 'findNode':
      return reply.kind === 'nodes';
    case 'findValue':
      return reply.kind === 'nodes' || reply.kind === 'value';
    case 'store':
      return reply.kind === 'stored';
  }
}
