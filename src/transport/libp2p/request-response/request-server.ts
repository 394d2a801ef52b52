/**
 * The serving side of a request-response protocol over libp2p (one request per stream, the
 * response as a sequence of frames; serve-stream.ts has the exchange). Message formats are the
 * caller's: requests and responses are opaque bytes here.
 *
 * Bounded everywhere: streams at once from one peer (`inboundStreamsPerPeerMax`, beyond which a
 * stream is reset and an offence reported) and from everyone (`inboundStreamsTotalMax`, beyond
 * which a stream is reset: being busy is not the asker's fault); the request's size and the time
 * it may take to arrive; what a stalled reader may hold; and, optionally, the rate at which this
 * node sends responses (`serveBytesPerSecond`, shared by all streams).
 *
 * With `channelProtocol`, the same handler also answers on request channels (serve-channel.ts):
 * one long-lived stream per client carrying many requests, which spares a reader that pipelines
 * many small requests for large answers a stream per request. A channel counts as one stream
 * towards the caps, and its requests in flight are capped on their own.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface';
import { Offence, type OffenceKind } from '../../peer-guard.ts';
import { PeerSendOrder } from './peer-send-order.ts';
import { PACER_BURST_BYTES_DEFAULT, SendPacer } from './send-pacer.ts';
import { serveRequestChannel } from './serve-channel.ts';
import { serveRequestStream, type RequestContext, type RequestHandler, type ServeStreamEvents } from './serve-stream.ts';

export type { RequestContext, RequestHandler } from './serve-stream.ts';

export interface RequestServerOptions {
  /** The libp2p protocol id, e.g. /peergrid/block/1.0.0. */
  readonly protocol: string;
  readonly handler: RequestHandler;
  /** The largest request frame accepted; a larger one is an offence. */
  readonly requestBytesMax: number;
  /** How long a client may take to send its whole request (the frame and the end of its write side). */
  readonly requestTimeoutMs: number;
  /** Streams one peer may have open with us at once (over all its connections). */
  readonly inboundStreamsPerPeerMax: number;
  /** Streams all peers together may have open with us at once. */
  readonly inboundStreamsTotalMax: number;
  /** Caps the bytes per second this server sends in responses, over all streams; unlimited when absent. */
  readonly serveBytesPerSecond?: number;
  /** The pacer's burst, and the slice a paced frame is sent in (default 64 KiB). */
  readonly serveBurstBytes?: number;
  /**
   * Responses to one peer sent at once; the rest wait their turn (peer-send-order.ts). Absent: all
   * at once. Small responses (a few KiB) never wait.
   */
  readonly sendsPerPeerMax?: number;
  /** How long a client may read nothing of a response before the stream is cut (default 30 s). */
  readonly responseStallTimeoutMs?: number;
  /** Our own streams of this protocol per connection, when this node sends requests too (default 64). */
  readonly outboundStreamsPerConnectionMax?: number;
  /** Serve on relayed (limited) connections too; off by default, as relays cap a connection's bytes. */
  readonly runOnLimitedConnection?: boolean;
  /** Also serve request channels (channel-messages.ts) on this protocol id; none when absent. */
  readonly channelProtocol?: string;
  /** Requests one channel may have unanswered at once (default: inboundStreamsPerPeerMax); beyond it is an offence. */
  readonly channelRequestsInFlightMax?: number;
  /** A channel with nothing in flight is reset after this long without a request (default 60 s). */
  readonly channelIdleTimeoutMs?: number;
  /** A peer broke the protocol or our limits; pass it on to the peer guard (../../peer-guard.ts). */
  readonly onOffence: (remotePeerId: string, reason: string, kind: OffenceKind) => void;
  /** The handler threw or gave a bad payload; the stream was reset. */
  readonly onError?: (error: unknown, context: RequestContext) => void;
}

export interface RequestServerStats {
  readonly streamsActive: number;
  readonly streamsAccepted: number;
  /** Of those, request channels. */
  readonly channelsAccepted: number;
  /** Reset on arrival: over a cap, or after unregister. */
  readonly streamsRefused: number;
  readonly offences: number;
  readonly handlerErrors: number;
  readonly framesSent: number;
  readonly bytesSent: number;
}

export interface RequestServer {
  readonly protocol: string;
  stats(): RequestServerStats;
  /** Stops serving: new streams are refused and those open are reset (their handlers' signals abort). */
  unregister(): Promise<void>;
}

/** Our stream cap per connection, not libp2p's; see `handle` below. */
const LIBP2P_STREAMS_SLACK = 4;
/** A client that reads nothing of a response for this long is stalled, not slow: a 4 MiB frame moves in far less on any working link. */
const RESPONSE_STALL_TIMEOUT_MS_DEFAULT = 30_000;
/** libp2p's own default for outbound streams of a protocol per connection. */
const OUTBOUND_STREAMS_PER_CONNECTION_MAX_DEFAULT = 64;
/** A client keeps one channel per peer, and closes it itself after a few idle seconds (channel-client.ts). */
const CHANNEL_IDLE_TIMEOUT_MS_DEFAULT = 60_000;
/** Channels per connection libp2p lets in: a client needs one, a few more cover reopening after a reset. */
const CHANNELS_PER_CONNECTION_MAX = 4;

/** Registers the protocol on a started libp2p node. */
export async function handleRequests(libp2p: Libp2p, options: RequestServerOptions): Promise<RequestServer> {
  checkServerOptions(options);
  const server = new RequestServerImpl(options);
  await libp2p.handle(options.protocol, (stream, connection) => server.onStream(stream, connection, 'stream'), {
    // libp2p resets streams beyond this per connection without telling us; a little above our own
    // per-peer cap, so ours (which reports the offence) is what normally refuses.
    maxInboundStreams: options.inboundStreamsPerPeerMax + LIBP2P_STREAMS_SLACK,
    maxOutboundStreams: options.outboundStreamsPerConnectionMax ?? OUTBOUND_STREAMS_PER_CONNECTION_MAX_DEFAULT,
    runOnLimitedConnection: options.runOnLimitedConnection ?? false,
  });
  const channelProtocol = options.channelProtocol;
  if (channelProtocol !== undefined) {
    try {
      await libp2p.handle(channelProtocol, (stream, connection) => server.onStream(stream, connection, 'channel'), {
        maxInboundStreams: CHANNELS_PER_CONNECTION_MAX,
        maxOutboundStreams: CHANNELS_PER_CONNECTION_MAX,
        runOnLimitedConnection: options.runOnLimitedConnection ?? false,
      });
    } catch (error) {
      await libp2p.unhandle(options.protocol).catch(() => {});
      throw error;
    }
  }
  return {
    protocol: options.protocol,
    stats: () => server.stats(),
    unregister: async () => {
      server.stop();
      await libp2p.unhandle(options.protocol).catch(() => {});
      if (channelProtocol !== undefined) await libp2p.unhandle(channelProtocol).catch(() => {});
    },
  };
}

class RequestServerImpl {
  private readonly options: RequestServerOptions;
  private readonly pacer: SendPacer | null;
  private readonly sendOrder: PeerSendOrder | null;
  private readonly active = new Set<Stream>();
  /** Open streams by remote peer id. */
  private readonly perPeer = new Map<string, number>();
  private stopped = false;
  private readonly counters = { streamsAccepted: 0, channelsAccepted: 0, streamsRefused: 0, offences: 0, handlerErrors: 0, framesSent: 0, bytesSent: 0 };

  constructor(options: RequestServerOptions) {
    this.options = options;
    this.pacer = options.serveBytesPerSecond === undefined ? null : new SendPacer(options.serveBytesPerSecond, options.serveBurstBytes ?? PACER_BURST_BYTES_DEFAULT);
    this.sendOrder = options.sendsPerPeerMax === undefined ? null : new PeerSendOrder(options.sendsPerPeerMax);
  }

  stats(): RequestServerStats {
    return { ...this.counters, streamsActive: this.active.size };
  }

  stop(): void {
    this.stopped = true;
    const streams = [...this.active];
    this.active.clear();
    for (const stream of streams) stream.abort(new Error('peergrid request: the server stopped'));
  }

  /** A new inbound stream: one request ('stream'), or a request channel ('channel'). */
  onStream(stream: Stream, connection: Connection, kind: 'stream' | 'channel'): void {
    const remotePeer = connection.remotePeer;
    const remotePeerId = remotePeer.toString();
    if (this.stopped || this.active.size >= this.options.inboundStreamsTotalMax) {
      this.refuse(stream, this.stopped ? 'not serving' : 'busy');
      return;
    }
    const open = this.perPeer.get(remotePeerId) ?? 0;
    if (open >= this.options.inboundStreamsPerPeerMax) {
      this.refuse(stream, 'too many streams from this peer');
      this.offence(remotePeerId, `more than ${this.options.inboundStreamsPerPeerMax} streams at once`, Offence.overRate);
      return;
    }
    this.counters.streamsAccepted++;
    this.active.add(stream);
    this.perPeer.set(remotePeerId, open + 1);
    const context: RequestContext = { remotePeerId, remotePeer };
    const events: ServeStreamEvents = {
      onOffence: (reason, kind) => this.offence(remotePeerId, reason, kind),
      onHandlerError: (error) => {
        this.counters.handlerErrors++;
        try {
          this.options.onError?.(error, context);
        } catch {
          // A failing error reporter must not take the server down with it.
        }
      },
      onFrameSent: (bytes) => {
        this.counters.framesSent++;
        this.counters.bytesSent += bytes;
      },
      onDone: () => {
        this.active.delete(stream);
        const left = (this.perPeer.get(remotePeerId) ?? 1) - 1;
        if (left > 0) this.perPeer.set(remotePeerId, left);
        else this.perPeer.delete(remotePeerId);
      },
    };
    const common = {
      handler: this.options.handler,
      requestBytesMax: this.options.requestBytesMax,
      requestTimeoutMs: this.options.requestTimeoutMs,
      responseStallTimeoutMs: this.options.responseStallTimeoutMs ?? RESPONSE_STALL_TIMEOUT_MS_DEFAULT,
      pacer: this.pacer,
      sendOrder: this.sendOrder,
    };
    if (kind === 'stream') {
      serveRequestStream(stream, context, common, events);
      return;
    }
    this.counters.channelsAccepted++;
    serveRequestChannel(stream, context, {
      ...common,
      requestsInFlightMax: this.options.channelRequestsInFlightMax ?? this.options.inboundStreamsPerPeerMax,
      idleTimeoutMs: this.options.channelIdleTimeoutMs ?? CHANNEL_IDLE_TIMEOUT_MS_DEFAULT,
    }, events);
  }

  private refuse(stream: Stream, why: string): void {
    this.counters.streamsRefused++;
    stream.abort(new Error(`peergrid request: ${why}`));
  }

  private offence(remotePeerId: string, reason: string, kind: OffenceKind): void {
    this.counters.offences++;
    try {
      this.options.onOffence(remotePeerId, reason, kind);
    } catch {
      // As above: the reporter's failure is not the stream's.
    }
  }
}

function checkServerOptions(options: RequestServerOptions): void {
  const positiveIntegers = ['requestBytesMax', 'requestTimeoutMs', 'inboundStreamsPerPeerMax', 'inboundStreamsTotalMax'] as const;
  for (const name of positiveIntegers) {
    if (!Number.isSafeInteger(options[name]) || options[name] < 1) throw new RangeError(`${name} must be a positive integer`);
  }
  const optionalPositive = [
    'serveBytesPerSecond', 'serveBurstBytes', 'responseStallTimeoutMs', 'outboundStreamsPerConnectionMax', 'channelRequestsInFlightMax', 'channelIdleTimeoutMs',
  ] as const;
  for (const name of optionalPositive) {
    const value = options[name];
    if (value !== undefined && !(value > 0 && Number.isFinite(value))) throw new RangeError(`${name} must be a positive number`);
  }
  for (const protocol of [options.protocol, options.channelProtocol]) {
    if (protocol !== undefined && (protocol === '' || !protocol.startsWith('/'))) throw new RangeError('a protocol must be a libp2p protocol id such as /name/1.0.0');
  }
  if (options.channelProtocol === options.protocol) throw new RangeError('channelProtocol must differ from protocol');
}
