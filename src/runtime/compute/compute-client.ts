/**
 * The asking side of the compute protocol (services/compute/grid/compute-messages.ts): one
 * request per stream, one answer frame, decoded. An answer that does not decode is a
 * ComputeProtocolError (the caller counts it against the peer); transport failures stay
 * RequestFailedErrors.
 */
import type { Libp2p } from '@libp2p/interface';
import type { ComputeRequest, ComputeResponse } from '../../services/compute/grid/compute-messages.ts';
import type { RequestTarget } from '../../transport/libp2p/request-response/request-client.ts';
import { askOnce } from '../message-protocol.ts';
import { COMPUTE_MESSAGES } from './compute-server.ts';

export class ComputeProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ComputeProtocolError';
  }
}

export const ComputeTimeouts = {
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 15_000,
} as const;

/** This node's own answers: a node that coordinates a job and volunteers for it asks itself without a stream. */
export interface LocalAnswerer {
  readonly peerId: string;
  readonly answer: (peerId: string, request: ComputeRequest) => Promise<ComputeResponse>;
}

export class ComputeClient {
  private readonly libp2p: Libp2p;
  private readonly local: LocalAnswerer | undefined;

  constructor(libp2p: Libp2p, local?: LocalAnswerer) {
    this.libp2p = libp2p;
    this.local = local;
  }

  async ask(target: RequestTarget, request: ComputeRequest, signal?: AbortSignal): Promise<ComputeResponse> {
    if (this.local !== undefined && target.peerId.toString() === this.local.peerId) return this.local.answer(this.local.peerId, request);
    const { answer } = await askOnce(this.libp2p, target, COMPUTE_MESSAGES, request, {
      timeoutMs: ComputeTimeouts.requestTimeoutMs, idleTimeoutMs: ComputeTimeouts.idleTimeoutMs, protocolError: (message) => new ComputeProtocolError(message),
      ...(signal === undefined ? {} : { signal }),
    });
    return answer;
  }
}
