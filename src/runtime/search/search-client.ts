/**
 * The asking side of the search protocol (services/search/search-messages.ts; message-protocol.ts):
 * an answer that does not decode is a SearchProtocolError (the caller counts it against the peer);
 * transport failures stay RequestFailedErrors. A request to this node itself is answered without a
 * stream.
 */
import type { Libp2p } from '@libp2p/interface';
import type { SearchRequest, SearchResponse } from '../../services/search/search-messages.ts';
import type { RequestTarget } from '../../transport/libp2p/request-response/request-client.ts';
import { askOnce } from '../message-protocol.ts';
import { SEARCH_MESSAGES } from './search-server.ts';

export class SearchProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchProtocolError';
  }
}

export const SearchTimeouts = {
  requestTimeoutMs: 15_000,
  idleTimeoutMs: 10_000,
} as const;

export interface LocalSearchAnswerer {
  readonly peerId: string;
  readonly answer: (peerId: string, request: SearchRequest) => Promise<SearchResponse>;
}

export class SearchClient {
  private readonly libp2p: Libp2p;
  private readonly local: LocalSearchAnswerer;
  /** Requests sent over streams and their bytes both ways (a query's cost, docs/BENCHMARKS.md). */
  readonly traffic = { requests: 0, bytesSent: 0, bytesReceived: 0 };

  constructor(libp2p: Libp2p, local: LocalSearchAnswerer) {
    this.libp2p = libp2p;
    this.local = local;
  }

  async ask(target: RequestTarget, request: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
    if (target.peerId.toString() === this.local.peerId) return this.local.answer(this.local.peerId, request);
    this.traffic.requests++;
    const { answer, bytesSent, bytesReceived } = await askOnce(this.libp2p, target, SEARCH_MESSAGES, request, {
      timeoutMs: SearchTimeouts.requestTimeoutMs, idleTimeoutMs: SearchTimeouts.idleTimeoutMs, protocolError: (message) => new SearchProtocolError(message),
      ...(signal === undefined ? {} : { signal }),
    });
    this.traffic.bytesSent += bytesSent;
    this.traffic.bytesReceived += bytesReceived;
    return answer;
  }
}
