/**
 * Binds the search protocol (`/peergrid/search/1.0.0`) to libp2p: one request per stream, answered
 * with one frame by `answer` (grid-search.ts). A request that does not decode is the sender's
 * offence (the peer guard scores it), answered with a refusal that says why; a banned peer is
 * refused before its request is read.
 */
import type { Libp2p } from '@libp2p/interface';
import { SEARCH_PROTOCOL, SearchLimits, decodeSearchRequest, encodeSearchMessage, type SearchRequest, type SearchResponse } from '../../services/search/search-messages.ts';
import { Offence, type OffenceKind, type PeerGuard } from '../../transport/peer-guard.ts';
import { handleRequests, type RequestServer } from '../../transport/libp2p/request-response/request-server.ts';

export interface SearchServerOptions {
  readonly guard: PeerGuard;
  readonly nowMs: () => number;
  readonly log: (record: Record<string, unknown>) => void;
}

export const SearchServerLimits = {
  inboundStreamsPerPeerMax: 32,
  inboundStreamsTotalMax: 256,
  requestTimeoutMs: 20_000,
} as const;

export type SearchAnswerer = (peerId: string, request: SearchRequest) => Promise<SearchResponse>;

export function serveSearch(libp2p: Libp2p, answer: SearchAnswerer, options: SearchServerOptions): Promise<RequestServer> {
  const offence = (peerId: string, reason: string, kind: OffenceKind): void => {
    const banned = options.guard.penalize(peerId, kind, options.nowMs());
    options.log({ level: 'info', event: 'searchOffence', peerId, reason, kind, banned });
  };
  return handleRequests(libp2p, {
    protocol: SEARCH_PROTOCOL,
    requestBytesMax: SearchLimits.messageBytesMax,
    requestTimeoutMs: SearchServerLimits.requestTimeoutMs,
    inboundStreamsPerPeerMax: SearchServerLimits.inboundStreamsPerPeerMax,
    inboundStreamsTotalMax: SearchServerLimits.inboundStreamsTotalMax,
    onOffence: offence,
    onError: (error, context) => options.log({ level: 'warn', event: 'searchHandlerError', peerId: context.remotePeerId, error: String(error) }),
    handler: async (context, requestBytes) => {
      if (options.guard.isBanned(context.remotePeerId, options.nowMs())) {
        return [encodeSearchMessage({ kind: 'refused', reason: 'unavailable', message: 'you are banned for a while' })];
      }
      const decoded = decodeSearchRequest(requestBytes);
      if (!decoded.ok) {
        offence(context.remotePeerId, `an undecodable search request: ${decoded.error}`, Offence.malformed);
        return [encodeSearchMessage({ kind: 'refused', reason: 'invalid', message: `an undecodable request: ${decoded.error}` })];
      }
      return [encodeSearchMessage(await answer(context.remotePeerId, decoded.value))];
    },
  });
}
