/**
 * One request channel per peer (channel-client.ts), opened on the first request and kept while it is
 * used: a reader's pipelined requests to a holder all travel on it. `request` waits for the channel
 * to open; `requestIfOpen` does not, and leaves the requests made meanwhile to the caller. A peer
 * that does not speak the channel protocol (an older node) is remembered for a while: `request`
 * fails at once with ChannelUnsupportedError, `requestIfOpen` gives null, so the caller asks it one
 * stream per request instead.
 */
import type { Libp2p } from '@libp2p/interface';
import { RequestChannel, type ChannelLimits } from './channel-client.ts';
import { openRequestStream, type RequestTarget } from './open-request-stream.ts';
import { RequestFailedError, RequestFailure } from './request-failed-error.ts';

export interface ChannelPoolOptions extends ChannelLimits {
  /** How long opening a channel (dial and protocol negotiation) may take. */
  readonly openTimeoutMs: number;
  /** Allow relayed (limited) connections; off by default, as relays cap a connection's bytes. */
  readonly runOnLimitedConnection?: boolean;
}

/** The peer does not speak the channel protocol: ask it some other way. */
export class ChannelUnsupportedError extends RequestFailedError {
  constructor(peerId: string, options?: ErrorOptions) {
    super(RequestFailure.protocol, `${peerId} does not speak the request channel protocol`, options);
    this.name = 'ChannelUnsupportedError';
  }
}

/** How long a peer is known not to speak the protocol: it may be upgraded and restarted. */
const UNSUPPORTED_REMEMBERED_MS = 10 * 60_000;
/** After a channel failed to open, requestIfOpen leaves the peer's requests to the caller this long. */
const OPEN_RETRY_DELAY_MS = 5_000;
/** Peers remembered in each of the maps above; the oldest is forgotten beyond this. */
const PEERS_REMEMBERED_MAX = 1024;

export class RequestChannels {
  private readonly libp2p: Libp2p;
  private readonly protocol: string;
  private readonly options: ChannelPoolOptions;
  private readonly channels = new Map<string, RequestChannel>();
  private readonly opening = new Map<string, Promise<RequestChannel>>();
  /** Peer id → until when it is taken not to speak the protocol (performance.now() ms). */
  private readonly unsupported = new Map<string, number>();
  /** Peer id → when requestIfOpen may try to open its channel again, after a failure. */
  private readonly failedOpens = new Map<string, number>();

  constructor(libp2p: Libp2p, protocol: string, options: ChannelPoolOptions) {
    this.libp2p = libp2p;
    this.protocol = protocol;
    this.options = options;
  }

  /** Channels open now. */
  get size(): number {
    return this.channels.size;
  }

  /**
   * Sends `payload` on the peer's channel (opened first if need be) and resolves with the answer.
   * Throws RequestFailedError: ChannelUnsupportedError for a peer without the protocol, 'dial' when
   * no channel can be opened, and what RequestChannel.request throws.
   */
  async request(target: RequestTarget, payload: Uint8Array, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<Uint8Array> {
    const peerId = target.peerId.toString();
    const startedAtMs = performance.now();
    let channel = this.channels.get(peerId);
    if (channel === undefined || !channel.open) channel = await this.channelTo(peerId, target, options.signal);
    const timeoutMs = Math.max(1, options.timeoutMs - (performance.now() - startedAtMs));
    return channel.request(payload, { timeoutMs, ...(options.signal === undefined ? {} : { signal: options.signal }) });
  }

  /**
   * Sends `payload` on the peer's channel if one is open, as `request` does. Otherwise returns
   * null, having started to open one for the requests that follow: the caller asks this one some
   * other way (a stream of its own). So a channel's set-up — a full protocol negotiation, and with
   * a peer that lacks the protocol, finding that out — never delays a request: the first ones to a
   * holder take the path and the time they took before channels.
   */
  requestIfOpen(target: RequestTarget, payload: Uint8Array, options: { readonly timeoutMs: number; readonly signal?: AbortSignal }): Promise<Uint8Array> | null {
    const peerId = target.peerId.toString();
    const channel = this.channels.get(peerId);
    if (channel !== undefined && channel.open) return channel.request(payload, options);
    this.prepare(target);
    return null;
  }

  /**
   * Starts opening the peer's channel, unless one is open or opening, the peer lacks the protocol,
   * or an opening failed a moment ago: a caller about to ask a peer much (a reader that has just
   * found a holder) then finds its channel ready.
   */
  prepare(target: RequestTarget): void {
    const peerId = target.peerId.toString();
    if (this.channels.get(peerId)?.open === true || this.opening.has(peerId) || this.knownUnsupported(peerId)) return;
    if ((this.failedOpens.get(peerId) ?? 0) > performance.now()) return;
    this.failedOpens.delete(peerId);
    this.channelTo(peerId, target, undefined).catch(() => {
      // Not tried again for a while: a peer whose channels keep failing would cost a stream
      // negotiation on every request otherwise.
      remember(this.failedOpens, peerId, performance.now() + OPEN_RETRY_DELAY_MS);
    });
  }

  /** Closes every channel; their pending requests fail ('aborted'). */
  closeAll(): void {
    for (const channel of [...this.channels.values()]) channel.close();
    this.channels.clear();
  }

  /** Whether the peer was found not to speak the protocol a short while ago. */
  private knownUnsupported(peerId: string): boolean {
    const until = this.unsupported.get(peerId);
    if (until === undefined) return false;
    if (performance.now() < until) return true;
    this.unsupported.delete(peerId);
    return false;
  }

  private async channelTo(peerId: string, target: RequestTarget, signal: AbortSignal | undefined): Promise<RequestChannel> {
    if (this.knownUnsupported(peerId)) throw new ChannelUnsupportedError(peerId);
    let opening = this.opening.get(peerId);
    if (opening === undefined) {
      opening = this.open(peerId, target);
      this.opening.set(peerId, opening);
      const forget = (): void => {
        if (this.opening.get(peerId) === opening) this.opening.delete(peerId);
      };
      opening.then(forget, forget);
    }
    // Our caller may give up on the opening; the opening itself goes on for the others.
    return signal === undefined ? opening : unlessAborted(opening, signal);
  }

  private async open(peerId: string, target: RequestTarget): Promise<RequestChannel> {
    let stream;
    try {
      // Negotiated fully: a peer without the protocol says so here, not by failing a request later.
      stream = await openRequestStream(this.libp2p, target, this.protocol, {
        runOnLimitedConnection: this.options.runOnLimitedConnection ?? false, negotiateFully: true,
      }, AbortSignal.timeout(this.options.openTimeoutMs));
    } catch (error) {
      if (error instanceof Error && error.name === 'UnsupportedProtocolError') {
        this.rememberUnsupported(peerId);
        throw new ChannelUnsupportedError(peerId, { cause: error });
      }
      throw new RequestFailedError(RequestFailure.dial, `cannot open a request channel: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    const channel = new RequestChannel(stream, this.options, (closed) => {
      if (this.channels.get(peerId) === closed) this.channels.delete(peerId);
    });
    if (channel.open) this.channels.set(peerId, channel);
    return channel;
  }

  private rememberUnsupported(peerId: string): void {
    remember(this.unsupported, peerId, performance.now() + UNSUPPORTED_REMEMBERED_MS);
  }
}

/** Sets `peerId`'s time in a map bounded to PEERS_REMEMBERED_MAX, the oldest entry dropped beyond it. */
function remember(map: Map<string, number>, peerId: string, untilMs: number): void {
  map.delete(peerId);
  map.set(peerId, untilMs);
  if (map.size > PEERS_REMEMBERED_MAX) map.delete(map.keys().next().value as string);
}

/** `promise`, or RequestFailedError('aborted') as soon as `signal` aborts. */
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const aborted = (): RequestFailedError => new RequestFailedError(RequestFailure.aborted, 'aborted while the channel opened', { cause: signal.reason });
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
