/**
 * A request-response protocol of decoded messages over libp2p, as compute (`/peergrid/compute/
 * 1.0.0`) and search (`/peergrid/search/1.0.0`) use it: one request per stream, one answer frame.
 *
 * Serving: a banned peer is refused before its request is read; a request that does not decode is
 * the sender's offence (the peer guard scores it as malformed) and is answered with a refusal that
 * says why — unless the protocol recognises it as a well-formed request of a kind it does not
 * define (`isUnknownRequestKind`: a newer peer's, as search does), which is refused without blame,
 * as the storage exchange does too. Asking: an answer that does not decode, or more
 * or fewer than one frame, is the protocol's error (the caller counts it against the peer);
 * transport failures stay RequestFailedErrors.
 */
import type { Libp2p } from '@libp2p/interface';
import { Offence, type OffenceKind, type PeerGuard } from '../transport/peer-guard.ts';
import { requestFrames, type RequestTarget } from '../transport/libp2p/request-response/request-client.ts';
import { handleRequests, type RequestServer } from '../transport/libp2p/request-response/request-server.ts';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export interface MessageProtocol<Request, Response> {
  readonly protocol: string;
  /** Log events are `<name>Offence` and `<name>HandlerError`. */
  readonly name: string;
  readonly messageBytesMax: number;
  readonly encode: (message: Request | Response) => Uint8Array;
  readonly decodeRequest: (bytes: Uint8Array) => Decoded<Request>;
  readonly decodeResponse: (bytes: Uint8Array) => Decoded<Response>;
  /** The refusal a server answers with: a banned peer's ('unavailable'), an undecodable request's ('invalid'). */
  readonly refusal: (reason: 'invalid' | 'unavailable', message: string) => Response;
  /**
   * Whether bytes that do not decode are a well-formed message of a kind this version does not
   * define: most likely a newer peer's request, refused without blame rather than taken for malice.
   * Without it, every request that does not decode is an offence.
   */
  readonly isUnknownRequestKind?: (bytes: Uint8Array) => boolean;
}

export interface ServeLimits {
  readonly inboundStreamsPerPeerMax: number;
  readonly inboundStreamsTotalMax: number;
  readonly requestTimeoutMs: number;
}

export interface ServeOptions {
  readonly guard: PeerGuard;
  readonly nowMs: () => number;
  readonly log: (record: Record<string, unknown>) => void;
}

export function serveMessages<Request, Response>(
  libp2p: Libp2p, spec: MessageProtocol<Request, Response>, limits: ServeLimits,
  answer: (peerId: string, request: Request) => Promise<Response>, options: ServeOptions,
): Promise<RequestServer> {
  const offence = (peerId: string, reason: string, kind: OffenceKind): void => {
    const banned = options.guard.penalize(peerId, kind, options.nowMs());
    options.log({ level: 'info', event: `${spec.name}Offence`, peerId, reason, kind, banned });
  };
  return handleRequests(libp2p, {
    protocol: spec.protocol,
    requestBytesMax: spec.messageBytesMax,
    requestTimeoutMs: limits.requestTimeoutMs,
    inboundStreamsPerPeerMax: limits.inboundStreamsPerPeerMax,
    inboundStreamsTotalMax: limits.inboundStreamsTotalMax,
    onOffence: offence,
    onError: (error, context) => options.log({ level: 'warn', event: `${spec.name}HandlerError`, peerId: context.remotePeerId, error: String(error) }),
    handler: async (context, requestBytes) => {
      if (options.guard.isBanned(context.remotePeerId, options.nowMs())) return [spec.encode(spec.refusal('unavailable', 'you are banned for a while'))];
      const decoded = spec.decodeRequest(requestBytes);
      if (!decoded.ok && spec.isUnknownRequestKind?.(requestBytes) === true) {
        return [spec.encode(spec.refusal('invalid', `a request kind this node does not know (${decoded.error}): it runs an earlier version`))];
      }
      if (!decoded.ok) {
        offence(context.remotePeerId, `an undecodable ${spec.name} request: ${decoded.error}`, Offence.malformed);
        return [spec.encode(spec.refusal('invalid', `an undecodable request: ${decoded.error}`))];
      }
      return [spec.encode(await answer(context.remotePeerId, decoded.value))];
    },
  });
}

export interface AskOptions {
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly signal?: AbortSignal;
  /** Made for an answer that breaks the protocol. */
  readonly protocolError: (message: string) => Error;
}

/** Sends one request and decodes its one answer. */
export async function askOnce<Request extends { readonly kind: string }, Response>(
  libp2p: Libp2p, target: RequestTarget, spec: MessageProtocol<Request, Response>, request: Request, options: AskOptions,
): Promise<{ readonly answer: Response; readonly bytesSent: number; readonly bytesReceived: number }> {
  const bytes = spec.encode(request);
  const frames = await requestFrames(libp2p, target, spec.protocol, bytes, {
    responseFrameBytesMax: spec.messageBytesMax,
    responseFramesMax: 1,
    timeoutMs: options.timeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (frames.length !== 1) throw options.protocolError(`${frames.length} answer frames to a ${request.kind} request`);
  const decoded = spec.decodeResponse(frames[0]);
  if (!decoded.ok) throw options.protocolError(`an undecodable answer: ${decoded.error}`);
  return { answer: decoded.value, bytesSent: bytes.length, bytesReceived: frames[0].length };
}
