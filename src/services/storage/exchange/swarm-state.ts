/**
 * What the swarm scheduler (swarm-scheduler.ts) remembers about each peer, block and request of one
 * download, and the shapes of what it reports. Issue 4's swarm retrieval needs, per peer, a
 * measured rate (the fastest holders preferred) and a record of failures and bad data (a sender of
 * bad data penalised and avoided); per block, its holders (rarest first, Cohen 2003) and its
 * requests in flight (at most a few in the endgame). Mutable records owned by the scheduler alone;
 * the outside only ever sees the plain copies below (SwarmRequest, SwarmPeerStats …).
 */
import { PeerRate } from './peer-rate.ts';
import type { RarityKeyed } from './rarity-queue.ts';

export interface SwarmPeer {
  readonly peer: string;
  inFlight: number;
  /** Its pipeline is being refilled: it takes requests up to its slots, not only once fewer than pipelinePerPeer are in flight (swarm-config.ts). */
  refilling: boolean;
  readonly rate: PeerRate;
  /** When it last delivered a block; -Infinity before its first. */
  lastDeliveryAtMs: number;
  bytesDelivered: number;
  blocksDelivered: number;
  /** Failures in all (errors, refusals, timeouts) and in a row since its last answer. */
  failures: number;
  failuresInARow: number;
  lastFailure: string | null;
  /** Not asked again in this download (penalised, or failed too often). */
  avoided: boolean;
  /** Sent bytes that did not match their CID: avoided for good and reported once. */
  penalised: boolean;
  /** Its round-trip time as the caller knows it (measured, or predicted by coordinates); Infinity when unknown. */
  rttHintMs: number;
}

export interface SwarmBlock extends RarityKeyed {
  readonly block: string;
  /** The size the caller expects, or null when unknown. */
  sizeHintBytes: number | null;
  /** Peers said to hold it that have not said otherwise (avoided ones included: avoidance is per peer). */
  holders: SwarmPeer[];
  /** Peers that answered notFound: never asked for it again, nor added back as holders. */
  lacking: SwarmPeer[];
  /** Requests in flight for it: none while queued or stuck; several only in the endgame. */
  readonly requests: InFlightRequest[];
  done: boolean;
  stuck: boolean;
}

export interface InFlightRequest {
  readonly requestId: number;
  readonly peer: SwarmPeer;
  readonly block: SwarmBlock;
  readonly sentAtMs: number;
  readonly deadlineMs: number;
  /** When the block should arrive at the peer's expected rate: the endgame duplicates the latest first. */
  readonly expectedDoneAtMs: number;
}

export function newPeer(peer: string): SwarmPeer {
  return {
    peer, inFlight: 0, refilling: true, rate: new PeerRate(), lastDeliveryAtMs: -Infinity, bytesDelivered: 0, blocksDelivered: 0,
    failures: 0, failuresInARow: 0, lastFailure: null, avoided: false, penalised: false, rttHintMs: Infinity,
  };
}

export function newBlock(block: string, order: number, sizeHintBytes: number | null): SwarmBlock {
  return { block, order, sizeHintBytes, holders: [], lacking: [], requests: [], done: false, stuck: false, rarity: 0, queued: false };
}

/** One request to make: ask `peer` for `block`, and report the outcome under `requestId`. */
export interface SwarmRequest {
  readonly requestId: number;
  readonly peer: string;
  readonly block: string;
}

/** A peer that sent bad data, reported once. */
export interface SwarmPenalty {
  readonly peer: string;
  readonly reason: string;
}

export interface SwarmProgress {
  /** Blocks wanted since the scheduler was made (delivered ones included). */
  readonly blocksWanted: number;
  readonly blocksDone: number;
  readonly bytesDone: number;
  /** Requests in flight. */
  readonly inFlight: number;
}

export interface SwarmPeerStats {
  readonly peer: string;
  readonly bytesDelivered: number;
  readonly blocksDelivered: number;
  /** The measured rate; 0 when the peer has delivered nothing yet. */
  readonly rateBytesPerMs: number;
  readonly inFlight: number;
  readonly failures: number;
  readonly lastFailure: string | null;
  readonly avoided: boolean;
  readonly penalised: boolean;
}
