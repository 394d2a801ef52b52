/** The search protocol (`/peergrid/search/1.0.0`) as this node serves and asks it (message-protocol.ts). */
import type { Libp2p } from '@libp2p/interface';
import {
  SEARCH_PROTOCOL, SearchLimits, decodeSearchRequest, decodeSearchResponse, encodeSearchMessage, isUnknownSearchRequestKind, type SearchRequest, type SearchResponse,
} from '../../services/search/search-messages.ts';
import type { RequestServer } from '../../transport/libp2p/request-response/request-server.ts';
import { serveMessages, type MessageProtocol, type ServeOptions } from '../message-protocol.ts';

export const SEARCH_MESSAGES: MessageProtocol<SearchRequest, SearchResponse> = {
  protocol: SEARCH_PROTOCOL,
  name: 'search',
  messageBytesMax: SearchLimits.messageBytesMax,
  encode: encodeSearchMessage,
  decodeRequest: decodeSearchRequest,
  decodeResponse: decodeSearchResponse,
  refusal: (reason, message) => ({ kind: 'refused', reason, message }),
  isUnknownRequestKind: isUnknownSearchRequestKind,
};

export const SearchServerLimits = {
  inboundStreamsPerPeerMax: 32,
  inboundStreamsTotalMax: 256,
  requestTimeoutMs: 20_000,
} as const;

export function serveSearch(libp2p: Libp2p, answer: (peerId: string, request: SearchRequest) => Promise<SearchResponse>, options: ServeOptions): Promise<RequestServer> {
  return serveMessages(libp2p, SEARCH_MESSAGES, SearchServerLimits, answer, options);
}
