/**
 * What a DhtNode hands back to the shell that drives it: messages to send, events to report,
 * and the durable state a restart resumes from. Plain data; the shell decides what to do with it.
 */
import type { Id } from './id.ts';
import type { Message } from './messages.ts';
import type { PeerRef } from './peer.ts';
import type { ValueOrigin } from './value-store.ts';

/**
 * Who a message is for: a user's operation, the overlay's own upkeep (join, refresh, liveness
 * checks, republish, hand-off), or a reply (which inherits the class of the request it answers).
 * Only the simulator's accounting reads it; it is not sent.
 */
export type TrafficClass = 'user' | 'maintenance' | 'reply';

export interface Outgoing {
  readonly to: PeerRef;
  readonly message: Message;
  readonly traffic: TrafficClass;
}

export interface LookupDone {
  readonly kind: 'lookupDone';
  readonly operationId: number;
  readonly target: Id;
  /**
   * Up to k closest peers found, closest first: not the ones that failed; some not asked (see
   * config.ts on finish rules); a silent one only when it is closer than the q-th answer (see
   * ClosestPeersLookup.result).
   */
  readonly closest: readonly PeerRef[];
  /** Referral-chain length that led to closest[0]: 1 when it was already our contact, 0 when nothing was found. */
  readonly hops: number;
  /** Requests sent, answers received, and requests that failed or stayed silent past their RTO. */
  readonly queries: number;
  readonly answers: number;
  readonly failures: number;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  /** For get: the value found, else null. */
  readonly value: Uint8Array | null;
  /** Set when the lookup could not run (too many lookups at once). */
  readonly error: string | null;
}

export interface PutDone {
  readonly kind: 'putDone';
  readonly operationId: number;
  readonly key: Id;
  /**
   * Nodes that confirmed the STORE, plus ourselves when we are closer than the k-th of them (the
   * publisher always keeps a copy to republish, so k + 1 holders is possible).
   */
  readonly stored: number;
  readonly refused: number;
  readonly failed: number;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
}

export interface Joined {
  readonly kind: 'joined';
  readonly operationId: number;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly contacts: number;
}

/** A peer broke the protocol; the shell may score it down or rate-limit it. */
export interface PeerPenalized {
  readonly kind: 'peerPenalized';
  readonly peer: PeerRef;
  readonly reason: string;
}

export type DhtEvent = LookupDone | PutDone | Joined | PeerPenalized;

export interface SnapshotValue {
  readonly key: Id;
  readonly value: Uint8Array;
  readonly expiresAtMs: number;
  readonly ttlMs: number;
  readonly origin: ValueOrigin;
}

/** What a node keeps across a restart: its identity, its contacts and the values it holds. */
export interface NodeSnapshot {
  readonly self: PeerRef;
  readonly contacts: readonly PeerRef[];
  readonly values: readonly SnapshotValue[];
}
