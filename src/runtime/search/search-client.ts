/**
 * The asking side of the search protocol (services/search/search-messages.ts): one request per
 * stream, one answer frame, decoded. An answer that does not decode is a SearchProtocolError (the
 * caller counts it against the peer); transport failures stay RequestFailedErrors. A request to
 * this node itself is answered without a stream.
 */
import type { Libp2p } from '@libp2p/interface';
import { SEARCH_PROTOCOL, SearchLimits, decodeSearchResponse, encodeSearchMessage, type SearchRequest, type SearchResponse } from '../../services/search/search-messages.ts';
import { requestFrames, type RequestTarget } from '../../transport/libp2p/request-response/request-client.ts';

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
  /** Request and answer bytes sent and received over streams (a query's cost, docs/BENCHMARKS.md). */
  readonly traffic = { requests: 0, bytesSent: 0, bytesReceived: 0 };

  constructor(libp2p: Libp2p, local: LocalSearchAnswerer) {
    this.libp2p = libp2p;
    this.local = local;
  }

  async ask(target: RequestTarget, request: SearchRequest, signal?: AbortSignal): Promise<SearchResponse> {
    if (target.peerId.toString() === this.local.peerId) return this.local.answer(this.local.peerId, request);
    const bytes = encodeSearchMessage(request);
    this.traffic.requests++;
    this.traffic.bytesSent += bytes.length;
    const frames = await requestFrames(this.libp2p, target, SEARCH_PROTOCOL, bytes, {
      responseFrameBytesMax: SearchLimits.messageBytesMax,
      responseFramesMax: 1,
      timeoutMs: SearchTimeouts.requestTimeoutMs,
      idleTimeoutMs: SearchTimeouts.idleTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    if (frames.length !== 1) throw new SearchProtocolError(`${frames.length} answer frames to a ${request.kind} request`);
    this.traffic.bytesReceived += frames[0].length;
    const decoded = decodeSearchResponse(frames[0]);
    if (!decoded.ok) throw new SearchProtocolError(`an undecodable answer: ${decoded.error}`);
    return decoded.value;
  }
}
