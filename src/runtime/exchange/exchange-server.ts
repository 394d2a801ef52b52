/**
 * Binds the exchange service (exchange-service.ts) to libp2p: `/peergrid/blocks/1.0.0`, one request
 * per stream, answered with one frame; and `/peergrid/blocks-channel/1.0.0`, the same requests on
 * one long-lived stream per peer (a request channel), which readers use for their getBlock
 * requests. A request that does not decode is the sender's offence (reported to the peer guard,
 * which may ban it), answered with a refusal so an honest but newer client learns why. A banned
 * peer's requests are refused before they are read.
 */
import type { Libp2p } from '@libp2p/interface';
import { BLOCKS_CHANNEL_PROTOCOL, BLOCKS_PROTOCOL, decodeRequest, encodeResponse, encodeResponseParts, isUnknownRequestKind } from '../../services/storage/exchange/exchange-messages.ts';
import { ExchangeLimits } from '../../services/storage/exchange/exchange-limits.ts';
import { Offence, type OffenceKind, type PeerGuard } from '../../transport/peer-guard.ts';
import { handleRequests, type RequestServer } from '../../transport/libp2p/request-response/request-server.ts';
import type { ExchangeService } from './exchange-service.ts';

export interface ExchangeServerOptions {
  readonly guard: PeerGuard;
  readonly nowMs: () => number;
  /** Caps what this node sends in answers (bytes per second, all peers together); unlimited when absent. */
  readonly serveBytesPerSecond?: number;
  readonly log: (record: Record<string, unknown>) => void;
}

export const ExchangeServerLimits = {
  /** A peer's requests at once: a swarm pipelines 8 to 15 per holder (swarm-config.ts); a repair or a placement a few more. */
  inboundStreamsPerPeerMax: 32,
  inboundStreamsTotalMax: 512,
  /**
   * Block answers to one peer sent at once (the rest in turn: peer-send-order.ts), so a reader's
   * pipelined blocks arrive one after another rather than all together at the end.
   */
  sendsPerPeerMax: 2,
  requestTimeoutMs: 30_000,
  /**
   * Requests one channel may have unanswered: as many as a peer's streams (a swarm pipelines 8 to 15 per
   * holder). The client keeps to it (exchange-client.ts); beyond it is an offence.
   */
  channelRequestsInFlightMax: 32,
} as const;

export function serveExchange(libp2p: Libp2p, service: ExchangeService, options: ExchangeServerOptions): Promise<RequestServer> {
  const offence = (peerId: string, reason: string, kind: OffenceKind): void => {
    const banned = options.guard.penalize(peerId, kind, options.nowMs());
    options.log({ level: 'info', event: 'exchangeOffence', peerId, reason, kind, banned });
  };
  return handleRequests(libp2p, {
    protocol: BLOCKS_PROTOCOL,
    channelProtocol: BLOCKS_CHANNEL_PROTOCOL,
    channelRequestsInFlightMax: ExchangeServerLimits.channelRequestsInFlightMax,
    requestBytesMax: ExchangeLimits.messageBytesMax,
    requestTimeoutMs: ExchangeServerLimits.requestTimeoutMs,
    inboundStreamsPerPeerMax: ExchangeServerLimits.inboundStreamsPerPeerMax,
    inboundStreamsTotalMax: ExchangeServerLimits.inboundStreamsTotalMax,
    sendsPerPeerMax: ExchangeServerLimits.sendsPerPeerMax,
    ...(options.serveBytesPerSecond === undefined ? {} : { serveBytesPerSecond: options.serveBytesPerSecond }),
    onOffence: offence,
    onError: (error, context) => options.log({ level: 'warn', event: 'exchangeHandlerError', peerId: context.remotePeerId, error: String(error) }),
    handler: async (context, requestBytes) => {
      if (options.guard.isBanned(context.remotePeerId, options.nowMs())) {
        return [encodeResponse({ kind: 'refused', reason: 'unavailable', message: 'you are banned for a while' })];
      }
      const decoded = decodeRequest(requestBytes);
      if (!decoded.ok && isUnknownRequestKind(requestBytes)) {
        // A newer peer's request: refused, and not counted against it.
        return [encodeResponse({ kind: 'refused', reason: 'invalid', message: `a request kind this node does not know (0x${requestBytes[1].toString(16)}): it runs an earlier version` })];
      }
      if (!decoded.ok) {
        offence(context.remotePeerId, `an undecodable request: ${decoded.error}`, Offence.malformed);
        return [encodeResponse({ kind: 'refused', reason: 'invalid', message: `an undecodable request: ${decoded.error}` })];
      }
      const response = await service.answer(context.remotePeerId, decoded.value);
      // A block goes out as it is, behind its answer's fields, not copied into a message first.
      return [encodeResponseParts(response)];
    },
  });
}
