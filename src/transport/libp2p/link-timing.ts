/**
 * Where a request's time goes on the libp2p transport: opening an outbound link (a dial with TCP,
 * Noise, Yamux and multistream-select, or only a new stream when a connection to the peer is
 * already open) against request → reply. Issue 3 asks for this split to keep useful links warm
 * and to calibrate the simulator's connection-setup cost (docs/BENCHMARKS.md, `dht-vs-kad`).
 *
 * Cheap by design: a timestamp per link opened, and per request one map entry, removed when its
 * reply comes. Requests that are never answered leave by age or by the bound, oldest first.
 */
import { isReply, isRequest, type Message } from '../../core/messages.ts';

/** Whether opening a link needed a new connection, or only a stream on a connection already open. */
export type LinkConnection = 'new' | 'existing';
/** Whether our link to a request's addressee was open when it was sent, or still had to open. */
export type RequestLink = 'open' | 'new';

/** Receives the measurements, e.g. Prometheus histograms (runtime/transport-timing-metrics.ts). */
export interface LinkTimingObserver {
  linkOpened(ms: number, connection: LinkConnection): void;
  requestSent(link: RequestLink): void;
  /** `ms` from the request leaving our code to its reply arriving, with where it was sent. */
  requestAnswered(ms: number, link: RequestLink): void;
}

/** Requests awaiting their reply: far more than a node has in flight (kernel limits: 100 per lookup, 64 lookups). */
const PENDING_REQUESTS_MAX = 8192;
/** A reply later than the kernel's longest request timeout (3 × the 5 s RTO cap) is not a measurement worth keeping. */
const PENDING_AGE_MS_MAX = 15_000;

interface Pending {
  readonly sentAtMs: number;
  readonly link: RequestLink;
}

export class LinkTiming {
  private readonly observer: LinkTimingObserver;
  private readonly nowMs: () => number;
  /** By `<peer> <requestId>`, oldest first (insertion order). */
  private readonly pending = new Map<string, Pending>();

  /** `nowMs` should have sub-millisecond resolution: on loopback a request takes a fraction of one. */
  constructor(observer: LinkTimingObserver, nowMs: () => number = () => performance.now()) {
    this.observer = observer;
    this.nowMs = nowMs;
  }

  /** Call when a link starts opening; call what it returns once it is open. */
  linkOpening(connection: LinkConnection): () => void {
    const startedAtMs = this.nowMs();
    return () => this.observer.linkOpened(this.nowMs() - startedAtMs, connection);
  }

  /** A message to `peer` (a libp2p peer id string) is being sent, over a link open or not yet. */
  sent(peer: string, message: Message, link: RequestLink): void {
    if (!isRequest(message)) return;
    const nowMs = this.nowMs();
    this.forgetStale(nowMs);
    const key = `${peer} ${message.requestId}`;
    this.pending.delete(key);
    this.pending.set(key, { sentAtMs: nowMs, link });
    this.observer.requestSent(link);
  }

  /** A message from `peer` arrived; a reply to a request we timed is measured. */
  received(peer: string, message: Message): void {
    if (!isReply(message)) return;
    const key = `${peer} ${message.requestId}`;
    const pending = this.pending.get(key);
    if (pending === undefined) return;
    this.pending.delete(key);
    this.observer.requestAnswered(this.nowMs() - pending.sentAtMs, pending.link);
  }

  /** Requests awaiting a reply (for tests). */
  get pendingCount(): number {
    return this.pending.size;
  }

  private forgetStale(nowMs: number): void {
    for (const [key, pending] of this.pending) {
      if (this.pending.size < PENDING_REQUESTS_MAX && nowMs - pending.sentAtMs <= PENDING_AGE_MS_MAX) return;
      this.pending.delete(key);
    }
  }
}
