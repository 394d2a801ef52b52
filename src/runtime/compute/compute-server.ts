/**
 * The compute protocol (`/peergrid/compute/1.0.0`) as this node serves and asks it
 * (message-protocol.ts): one request per stream, answered with one frame by `answer` (job-host.ts
 * and the node's compute service).
 */
import type { Libp2p } from '@libp2p/interface';
import {
  COMPUTE_PROTOCOL, ComputeLimits, decodeComputeRequest, decodeComputeResponse, encodeComputeMessage, type ComputeRequest, type ComputeResponse,
} from '../../services/compute/grid/compute-messages.ts';
import type { RequestServer } from '../../transport/libp2p/request-response/request-server.ts';
import { serveMessages, type MessageProtocol, type ServeOptions } from '../message-protocol.ts';

export type ComputeServerOptions = ServeOptions;

export const COMPUTE_MESSAGES: MessageProtocol<ComputeRequest, ComputeResponse> = {
  protocol: COMPUTE_PROTOCOL,
  name: 'compute',
  messageBytesMax: ComputeLimits.messageBytesMax,
  encode: encodeComputeMessage,
  decodeRequest: decodeComputeRequest,
  decodeResponse: decodeComputeResponse,
  refusal: (reason, message) => ({ kind: 'refused', reason, message }),
};

export const ComputeServerLimits = {
  inboundStreamsPerPeerMax: 16,
  inboundStreamsTotalMax: 256,
  requestTimeoutMs: 30_000,
} as const;

export type ComputeAnswerer = (peerId: string, request: ComputeRequest) => Promise<ComputeResponse>;

export function serveCompute(libp2p: Libp2p, answer: ComputeAnswerer, options: ComputeServerOptions): Promise<RequestServer> {
  return serveMessages(libp2p, COMPUTE_MESSAGES, ComputeServerLimits, answer, options);
}
