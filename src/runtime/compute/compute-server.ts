/**
 * Binds the compute protocol (`/peergrid/compute/1.0.0`) to libp2p: one request per stream,
 * answered with one frame by `answer` (job-host.ts and the node's compute service). A request that
 * does not decode is the sender's offence (the peer guard scores it), answered with a refusal so an
 * honest but newer peer learns why; a banned peer is refused before its request is read.
 */
import type { Libp2p } from '@libp2p/interface';
import { COMPUTE_PROTOCOL, ComputeLimits, decodeComputeRequest, encodeComputeMessage, type ComputeRequest, type ComputeResponse } from '../../services/compute/grid/compute-messages.ts';
import { Offence, type OffenceKind, type PeerGuard } from '../../transport/peer-guard.ts';
import { handleRequests, type RequestServer } from '../../transport/libp2p/request-response/request-server.ts';

export interface ComputeServerOptions {
  readonly guard: PeerGuard;
  readonly nowMs: () => number;
  readonly log: (record: Record<string, unknown>) => void;
}

export const ComputeServerLimits = {
  inboundStreamsPerPeerMax: 16,
  inboundStreamsTotalMax: 256,
  requestTimeoutMs: 30_000,
} as const;

export type ComputeAnswerer = (peerId: string, request: ComputeRequest) => Promise<ComputeResponse>;

export function serveCompute(libp2p: Libp2p, answer: ComputeAnswerer, options: ComputeServerOptions): Promise<RequestServer> {
  const offence = (peerId: string, reason: string, kind: OffenceKind): void => {
    const banned = options.guard.penalize(peerId, kind, options.nowMs());
    options.log({ level: 'info', event: 'computeOffence', peerId, reason, kind, banned });
  };
  return handleRequests(libp2p, {
    protocol: COMPUTE_PROTOCOL,
    requestBytesMax: ComputeLimits.messageBytesMax,
    requestTimeoutMs: ComputeServerLimits.requestTimeoutMs,
    inboundStreamsPerPeerMax: ComputeServerLimits.inboundStreamsPerPeerMax,
    inboundStreamsTotalMax: ComputeServerLimits.inboundStreamsTotalMax,
    onOffence: offence,
    onError: (error, context) => options.log({ level: 'warn', event: 'computeHandlerError', peerId: context.remotePeerId, error: String(error) }),
    handler: async (context, requestBytes) => {
      if (options.guard.isBanned(context.remotePeerId, options.nowMs())) {
        return [encodeComputeMessage({ kind: 'refused', reason: 'unavailable', message: 'you are banned for a while' })];
      }
      const decoded = decodeComputeRequest(requestBytes);
      if (!decoded.ok) {
        offence(context.remotePeerId, `an undecodable compute request: ${decoded.error}`, Offence.malformed);
        return [encodeComputeMessage({ kind: 'refused', reason: 'invalid', message: `an undecodable request: ${decoded.error}` })];
      }
      return [encodeComputeMessage(await answer(context.remotePeerId, decoded.value))];
    },
  });
}
