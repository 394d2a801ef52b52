/**
 * The asking side of the block exchange: one typed call per request kind, the answer decoded and
 * checked to be a possible answer to what was asked. Every request travels on the peer's request
 * channel (one long-lived stream carrying many requests: request-response/channel-pool.ts), so a
 * reader's pipelined blocks, and a placement's stores, cost a frame each, not a stream each; until
 * the channel is open, and with a peer that does not speak its protocol, a request has a stream
 * of its own. Until 2026-11-28 only reads used the channel: a placement's stores, `have`s and
 * `renew`s each opened a stream, and a 256 MiB put with R = 3 on a 5-node devnet took 11.4–12.4 s,
 * 7.3 s on the channel (docs/storage-network.md).
 * A peer that answers with bytes that do not decode, or with the wrong kind of answer, broke the
 * protocol: that is an ExchangeProtocolError, which callers count against the peer. Transport
 * failures stay RequestFailedErrors (dial, timeout, reset, aborted, …).
 *
 * Whether a block's bytes match its CID is checked by the caller (the fetcher hashes, then
 * penalises), since that is where the block is stored.
 */
import type { Libp2p } from '@libp2p/interface';
import type { PeerRef } from '../../core/peer.ts';
import type { CID } from '../../services/storage/dag/cids.ts';
import {
  BLOCKS_CHANNEL_PROTOCOL, BLOCKS_PROTOCOL, answersRequest, decodeOwnedResponse, encodeRequest,
  type ExchangeRequest, type ExchangeResponse, type HaveEntry,
} from '../../services/storage/exchange/exchange-messages.ts';
import { ExchangeLimits } from '../../services/storage/exchange/exchange-limits.ts';
import { ExchangeServerLimits } from './exchange-server.ts';
import { parsePeerAddress } from '../../transport/libp2p/peer-address.ts';
import { RequestChannels } from '../../transport/libp2p/request-response/channel-pool.ts';
import { requestFrames, type RequestTarget } from '../../transport/libp2p/request-response/request-client.ts';
import { RequestFailedError } from '../../transport/libp2p/request-response/request-failed-error.ts';

/** How long one exchange may take; a 4 MiB block over a slow link still fits. */
export const ExchangeTimeouts = {
  requestTimeoutMs: 60_000,
  idleTimeoutMs: 15_000,
  /** Opening a peer's request channel: a dial and a protocol negotiation. */
  channelOpenTimeoutMs: 15_000,
  /** A channel unused this long is closed (the server resets one idle for a minute). */
  channelCloseWhenIdleMs: 10_000,
} as const;

/** Dial targets remembered; the map starts over beyond this (a grid's worth of holders). */
const TARGETS_REMEMBERED_MAX = 4096;

export class ExchangeProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExchangeProtocolError';
  }
}

export type BlockAnswer = { readonly kind: 'block'; readonly bytes: Uint8Array } | { readonly kind: 'notFound' } | Refusal;
export type FragmentAnswer = { readonly kind: 'fragment'; readonly record: Uint8Array } | { readonly kind: 'notFound' } | Refusal;
export type StoreAnswer = { readonly kind: 'stored' } | Refusal;
export type HaveAnswer = { readonly kind: 'haves'; readonly entries: readonly HaveEntry[] } | Refusal;
export type ProofAnswer = { readonly kind: 'proof'; readonly digest: Uint8Array } | { readonly kind: 'notFound' } | Refusal;
export interface Refusal {
  readonly kind: 'refused';
  readonly reason: string;
  readonly message: string;
}

export class ExchangeClient {
  private readonly libp2p: Libp2p;
  private readonly channels: RequestChannels;
  /** Dial targets by kernel address (parsing one costs more than a block's request). */
  private readonly targets = new Map<string, RequestTarget>();

  constructor(libp2p: Libp2p) {
    this.libp2p = libp2p;
    this.channels = new RequestChannels(libp2p, BLOCKS_CHANNEL_PROTOCOL, {
      responseFrameBytesMax: ExchangeLimits.messageBytesMax,
      // The server's cap: more would be an offence there.
      requestsInFlightMax: ExchangeServerLimits.channelRequestsInFlightMax,
      idleTimeoutMs: ExchangeTimeouts.idleTimeoutMs,
      closeWhenIdleMs: ExchangeTimeouts.channelCloseWhenIdleMs,
      openTimeoutMs: ExchangeTimeouts.channelOpenTimeoutMs,
    });
  }

  getBlock(peer: PeerRef, cid: CID, signal?: AbortSignal): Promise<BlockAnswer> {
    return this.send(peer, { kind: 'getBlock', cid }, signal) as Promise<BlockAnswer>;
  }

  getFragment(peer: PeerRef, block: CID, index: number, signal?: AbortSignal): Promise<FragmentAnswer> {
    return this.send(peer, { kind: 'getFragment', block, index }, signal) as Promise<FragmentAnswer>;
  }

  storeBlock(peer: PeerRef, cid: CID, bytes: Uint8Array, copies: number, signal?: AbortSignal): Promise<StoreAnswer> {
    return this.send(peer, { kind: 'storeBlock', cid, bytes, copies }, signal) as Promise<StoreAnswer>;
  }

  storeFragment(peer: PeerRef, record: Uint8Array, signal?: AbortSignal): Promise<StoreAnswer> {
    return this.send(peer, { kind: 'storeFragment', record }, signal) as Promise<StoreAnswer>;
  }

  /** Offers a cache copy of a hot block (block-cache.ts on the receiving side). */
  cacheBlock(peer: PeerRef, cid: CID, bytes: Uint8Array, signal?: AbortSignal): Promise<StoreAnswer> {
    return this.send(peer, { kind: 'cacheBlock', cid, bytes }, signal) as Promise<StoreAnswer>;
  }

  have(peer: PeerRef, blocks: readonly CID[], signal?: AbortSignal): Promise<HaveAnswer> {
    return this.send(peer, { kind: 'have', blocks }, signal) as Promise<HaveAnswer>;
  }

  /**
   * `have`, asking the peer to keep its pieces of these blocks `leaseSeconds` from now
   * (lease-policy.ts). A peer that refuses it — one of an earlier version, which does not know
   * `renew` — is asked `have`, so what it holds still counts though its lease is not renewed.
   */
  async renew(peer: PeerRef, leaseSeconds: number, blocks: readonly CID[], signal?: AbortSignal): Promise<HaveAnswer> {
    const answer = await (this.send(peer, { kind: 'renew', leaseSeconds, blocks }, signal) as Promise<HaveAnswer>);
    return answer.kind === 'refused' && answer.reason === 'invalid' ? this.have(peer, blocks, signal) : answer;
  }

  /** A storage challenge: the holder hashes the piece (the kept copy, or fragment `index`) behind `nonce`. */
  prove(peer: PeerRef, block: CID, index: number | null, nonce: Uint8Array, signal?: AbortSignal): Promise<ProofAnswer> {
    return this.send(peer, { kind: 'prove', block, index, nonce }, signal) as Promise<ProofAnswer>;
  }

  /**
   * Opens the peer's request channel ahead of its first reads (a reader that has just found it
   * holds blocks): a holder then answers its first blocks as fast as one already connected, rather
   * than on streams of their own while the channel opens.
   */
  prepare(peer: PeerRef): void {
    if (peerIdTextOf(peer) !== null) this.channels.prepare(this.targetOf(peer));
  }

  /** targetOf, remembered: a reader asks the same few holders for every block. */
  private targetOf(peer: PeerRef): RequestTarget {
    let target = this.targets.get(peer.address);
    if (target === undefined) {
      target = targetOf(peer);
      if (this.targets.size >= TARGETS_REMEMBERED_MAX) this.targets.clear();
      this.targets.set(peer.address, target);
    }
    return target;
  }

  /**
   * A request on the peer's channel when one is open; else one stream of its own, while the
   * channel opens for the next requests (or for ever, with a peer that has no channels).
   */
  private async send(peer: PeerRef, request: ExchangeRequest, signal: AbortSignal | undefined): Promise<ExchangeResponse> {
    const onChannel = this.channels.requestIfOpen(this.targetOf(peer), encodeRequest(request), {
      timeoutMs: ExchangeTimeouts.requestTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    if (onChannel === null) return this.ask(peer, request, signal);
    return checkedAnswer(request, await onChannel);
  }

  private async ask(peer: PeerRef, request: ExchangeRequest, signal: AbortSignal | undefined): Promise<ExchangeResponse> {
    const frames = await requestFrames(this.libp2p, targetOf(peer), BLOCKS_PROTOCOL, encodeRequest(request), {
      responseFrameBytesMax: ExchangeLimits.messageBytesMax,
      responseFramesMax: 1,
      timeoutMs: ExchangeTimeouts.requestTimeoutMs,
      idleTimeoutMs: ExchangeTimeouts.idleTimeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    if (frames.length !== 1) throw new ExchangeProtocolError(`expected one answer, got ${frames.length}`);
    return checkedAnswer(request, frames[0]);
  }
}

/**
 * The answer decoded, if it is one `request` may get; ExchangeProtocolError otherwise. `bytes` is a
 * frame the transport allocated for this answer alone, so a block is left in it, not copied.
 */
function checkedAnswer(request: ExchangeRequest, bytes: Uint8Array): ExchangeResponse {
  const decoded = decodeOwnedResponse(bytes);
  if (!decoded.ok) throw new ExchangeProtocolError(`an undecodable answer: ${decoded.error}`);
  if (!answersRequest(request, decoded.value)) throw new ExchangeProtocolError(`a ${decoded.value.kind} answer to a ${request.kind} request`);
  return decoded.value;
}

/** Where a kernel contact is dialled: its peer id and the multiaddrs its address names. */
export function targetOf(peer: PeerRef): RequestTarget {
  const parsed = parsePeerAddress(peer.address);
  if (!parsed.ok) throw new RequestFailedError('dial', `cannot dial ${peer.address}: ${parsed.error}`);
  return { peerId: parsed.value.peerId, multiaddrs: parsed.value.multiaddrs };
}

/** The libp2p peer id (text) a kernel contact is known by in the exchange, or null for an unusable address. */
export function peerIdTextOf(peer: PeerRef): string | null {
  const parsed = parsePeerAddress(peer.address);
  return parsed.ok ? parsed.value.peerId.toString() : null;
}
