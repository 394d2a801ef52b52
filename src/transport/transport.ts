/**
 * The transport contract: what a shell needs to move the kernel's messages between real nodes.
 *
 * A transport delivers whole kernel messages, not bytes, and tells the node who sent each one: the
 * sender is authenticated by the transport (messages carry no sender id to trust; see
 * core/messages.ts). Sending is best effort: a message that cannot be delivered is dropped, and
 * reported through `onUndeliverable` when the transport knows it never left; a message lost after
 * it left is not reported, because the kernel already treats silence as failure (request timeouts,
 * eviction).
 *
 * The libp2p implementation lives in libp2p/; a simulated one, and a compliance suite both pass,
 * are later work (issue 3).
 */
import type { Id } from '../core/id.ts';
import type { Message } from '../core/messages.ts';
import type { PeerRef } from '../core/peer.ts';

/** A remote broke the protocol at the transport level: its stream was reset and its bytes dropped. */
export interface TransportPenalty {
  /** The remote as the transport names it (a libp2p peer id), always known. */
  readonly remote: string;
  /** Its kernel id, when the transport could derive one from the remote's key. */
  readonly id: Id | null;
  readonly reason: string;
}

/** What a transport reports to the node that owns it. */
export interface TransportHandlers {
  /**
   * A message arrived; `from` is the authenticated sender, with the address it can be reached at.
   * `setupInRoundTrip`: a reply whose request had to open a link first (setup-round-trips.ts); a
   * transport that cannot tell leaves it out.
   */
  onMessage(from: PeerRef, message: Message, setupInRoundTrip?: boolean): void;
  /**
   * A message given to `send` never left (a bad address, a failed dial, a full queue, a closed
   * stream). Reported so the kernel can fail a request at once instead of waiting for its timeout;
   * a transport that cannot tell simply never calls it, and silence does the same job later.
   */
  onUndeliverable(to: PeerRef, message: Message): void;
  onPenalty(penalty: TransportPenalty): void;
}

/** Counters for status pages and tests; they only grow, except `linksOpen`. */
export interface TransportStats {
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Messages given to send that never left: bad address, failed dial, full queue, closed stream. */
  messagesDropped: number;
  dialFailures: number;
  penalties: number;
  /** Outbound links currently open or opening. */
  linksOpen: number;
  /** Inbound messages dropped unread: the sender was over its rate or banned (peer-guard.ts). */
  messagesRefused: number;
  /** Inbound streams refused for the same reasons. */
  streamsRefused: number;
  /** Bans imposed on peers so far. */
  peersBanned: number;
}

export interface Transport {
  /** Our own reference: kernel id and the address other nodes reach us by. */
  readonly self: PeerRef;
  /**
   * Starts delivering received messages to `handlers`. Messages that arrive before this are
   * dropped. Handlers are never called synchronously from `send`.
   */
  bind(handlers: TransportHandlers): void;
  /** Sends `message` to `to`, best effort. Never throws because of the peer or the network. */
  send(to: PeerRef, message: Message): void;
  /**
   * The node's own complaint about a peer (the kernel's `peerPenalized`): the transport scores it
   * with its own offences and may rate-limit or ban it. A transport without scoring ignores it.
   */
  penalize(peer: PeerRef): void;
  stats(): TransportStats;
  /** Flushes what is queued (waiting at most `flushTimeoutMs`), then closes every stream. */
  close(flushTimeoutMs: number): Promise<void>;
}
