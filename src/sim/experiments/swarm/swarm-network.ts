/**
 * A virtual-time network for the swarm scheduler (services/storage/exchange/swarm-scheduler.ts):
 * each holder has an upload link of a given rate that serves its requests one after another (first
 * in, first out), a one-way latency to the reader, and a behaviour; the reader may have a download
 * link of its own that every block crosses after the holder's. Cancelling a request drops it from
 * its holder's queue, or stops its transfer and lets the next one start. The loop drives the
 * scheduler exactly as the node's fetcher does (runtime/exchange/content-fetcher.ts): hand out
 * requests, deliver outcomes as their time comes, tick at nextWakeAtMs, abort what takeCancels names.
 *
 * The scheduler is the same code the real fetch runs; only the network is modelled, as the
 * simulator models it for the kernel (ordered by time, then by insertion; no wall clock).
 */
import { MinHeap } from '../../../core/min-heap.ts';
import { SwarmScheduler, type SwarmRequest } from '../../../services/storage/exchange/swarm-scheduler.ts';
import type { SwarmConfig } from '../../../services/storage/exchange/swarm-config.ts';

/** honest delivers good bytes; liar delivers bad ones; missing answers notFound; refusing fails; silent never answers. */
export type Behaviour = 'honest' | 'liar' | 'missing' | 'refusing' | 'silent';

export interface SwarmHolder {
  readonly id: string;
  readonly rateBytesPerMs: number;
  /** One way, holder to reader (and back). */
  readonly latencyMs: number;
  readonly behaviour: Behaviour;
}

export interface SwarmBlockSpec {
  readonly id: string;
  readonly bytes: number;
  readonly holders: readonly string[];
}

export interface SwarmRunOptions {
  readonly peers: readonly SwarmHolder[];
  readonly blocks: readonly SwarmBlockSpec[];
  readonly config?: Partial<SwarmConfig>;
  /** The reader's own download rate; unlimited when absent. */
  readonly downlinkBytesPerMs?: number;
  /** Steps after which the run is declared hung. */
  readonly stepsMax?: number;
  /** Called after every step, to check invariants. */
  readonly check?: (scheduler: SwarmScheduler, state: SwarmRunState) => void;
}

interface Transfer {
  readonly request: SwarmRequest;
  readonly bytes: number;
  cancelled: boolean;
}

interface PeerLink {
  readonly peer: SwarmHolder;
  readonly waiting: Transfer[];
  current: Transfer | null;
  /** Bumped whenever the current transfer changes, so a stale 'served' event is recognised. */
  token: number;
}

type SwarmEvent =
  | { readonly atMs: number; readonly sequence: number; readonly kind: 'arrive'; readonly transfer: Transfer }
  | { readonly atMs: number; readonly sequence: number; readonly kind: 'served'; readonly link: PeerLink; readonly token: number }
  | { readonly atMs: number; readonly sequence: number; readonly kind: 'deliver'; readonly transfer: Transfer };

/** An event before the queue numbers it (Omit applied to each member of the union). */
type WithoutSequence<E> = E extends unknown ? Omit<E, 'sequence'> : never;

export interface SwarmRunState {
  nowMs: number;
  readonly inFlight: Map<number, Transfer>;
  readonly sent: SwarmRequest[];
  readonly cancelled: number[];
}

export interface SwarmRunResult {
  readonly scheduler: SwarmScheduler;
  readonly completionMs: number;
  readonly done: boolean;
  readonly requestsSent: number;
  readonly cancelled: number;
  /** Blocks each holder delivered, by holder id. */
  readonly blocksByPeer: ReadonlyMap<string, number>;
  /** Every request and outcome in order: for determinism checks and the trace hash. */
  readonly trace: readonly string[];
}

export function runSwarm(options: SwarmRunOptions): SwarmRunResult {
  const scheduler = new SwarmScheduler(options.config ?? {});
  const links = new Map<string, PeerLink>(options.peers.map((peer) => [peer.id, { peer, waiting: [], current: null, token: 0 }]));
  const sizes = new Map(options.blocks.map((block) => [block.id, block.bytes]));
  const events = new MinHeap<SwarmEvent>();
  const state: SwarmRunState = { nowMs: 0, inFlight: new Map(), sent: [], cancelled: [] };
  const trace: string[] = [];
  let sequence = 0;
  let downlinkBusyUntilMs = 0;

  const schedule = (event: WithoutSequence<SwarmEvent>): void => events.push({ ...event, sequence: sequence++ } as SwarmEvent);

  const startNext = (link: PeerLink): void => {
    link.token++;
    link.current = null;
    while (link.waiting.length > 0) {
      const next = link.waiting.shift() as Transfer;
      if (next.cancelled) continue;
      link.current = next;
      schedule({ atMs: state.nowMs + next.bytes / link.peer.rateBytesPerMs, kind: 'served', link, token: link.token });
      return;
    }
  };

  const handOut = (): void => {
    for (const request of scheduler.nextRequests(state.nowMs)) {
      const link = links.get(request.peer);
      if (link === undefined) throw new Error(`the scheduler asked ${request.peer}, who holds nothing`);
      const transfer: Transfer = { request, bytes: sizes.get(request.block) as number, cancelled: false };
      state.inFlight.set(request.requestId, transfer);
      state.sent.push(request);
      trace.push(`${state.nowMs.toFixed(3)} ask ${request.requestId} ${request.peer} ${request.block}`);
      schedule({ atMs: state.nowMs + link.peer.latencyMs, kind: 'arrive', transfer });
    }
  };

  const applyCancels = (): void => {
    for (const requestId of scheduler.takeCancels()) {
      const transfer = state.inFlight.get(requestId);
      if (transfer === undefined) throw new Error(`cancel of request ${requestId}, which is not in flight`);
      transfer.cancelled = true;
      state.inFlight.delete(requestId);
      state.cancelled.push(requestId);
      trace.push(`${state.nowMs.toFixed(3)} cancel ${requestId}`);
      const link = links.get(transfer.request.peer) as PeerLink;
      if (link.current === transfer) startNext(link);
    }
  };

  /** The outcome the reader sees for a finished transfer, by the holder's behaviour. */
  const conclude = (transfer: Transfer): void => {
    if (transfer.cancelled) return;
    const { requestId, peer } = transfer.request;
    state.inFlight.delete(requestId);
    const behaviour = (links.get(peer) as PeerLink).peer.behaviour;
    trace.push(`${state.nowMs.toFixed(3)} ${behaviour} ${requestId}`);
    if (behaviour === 'honest') scheduler.delivered(requestId, state.nowMs, transfer.bytes);
    else if (behaviour === 'liar') scheduler.invalid(requestId, state.nowMs, 'bytes do not match the CID');
    else if (behaviour === 'missing') scheduler.notFound(requestId, state.nowMs);
    else if (behaviour === 'refusing') scheduler.failed(requestId, state.nowMs, 'refused: busy');
  };

  const served = (link: PeerLink): void => {
    const transfer = link.current as Transfer;
    let arriveAtMs = state.nowMs + link.peer.latencyMs;
    if (options.downlinkBytesPerMs !== undefined && link.peer.behaviour !== 'missing' && link.peer.behaviour !== 'refusing') {
      downlinkBusyUntilMs = Math.max(downlinkBusyUntilMs, arriveAtMs) + transfer.bytes / options.downlinkBytesPerMs;
      arriveAtMs = downlinkBusyUntilMs;
    }
    schedule({ atMs: arriveAtMs, kind: 'deliver', transfer });
    startNext(link);
  };

  for (const block of options.blocks) {
    if (!scheduler.want(block.id, block.holders, block.bytes)) throw new Error(`the scheduler refused block ${block.id}`);
  }
  handOut();
  const stepsMax = options.stepsMax ?? 1_000_000;
  let steps = 0;
  while (!scheduler.isDone() && steps++ < stepsMax) {
    const next = events.peek();
    const wakeAtMs = scheduler.nextWakeAtMs();
    if (next === undefined && wakeAtMs === Infinity) break;
    if (next === undefined || wakeAtMs < next.atMs) {
      state.nowMs = wakeAtMs;
      trace.push(`${state.nowMs.toFixed(3)} tick`);
      scheduler.tick(state.nowMs);
    } else {
      events.pop();
      state.nowMs = next.atMs;
      if (next.kind === 'arrive') {
        const link = links.get(next.transfer.request.peer) as PeerLink;
        if (!next.transfer.cancelled && link.peer.behaviour !== 'silent') {
          link.waiting.push(next.transfer);
          if (link.current === null) startNext(link);
        }
      } else if (next.kind === 'served') {
        if (next.token === next.link.token && next.link.current !== null) served(next.link);
      } else {
        conclude(next.transfer);
      }
    }
    applyCancels();
    handOut();
    options.check?.(scheduler, state);
  }
  const blocksByPeer = new Map(scheduler.peers().map((peer) => [peer.peer, peer.blocksDelivered]));
  return {
    scheduler, completionMs: state.nowMs, done: scheduler.isDone(), requestsSent: state.sent.length, cancelled: state.cancelled.length,
    blocksByPeer, trace,
  };
}
