/**
 * A stand-in for NodeRuntime behind the API: answers from fixed data and records the calls, so
 * the server's checks can be tested without libp2p. `failNext` makes the next operation fail the
 * way a real node can (busy, stopping, a bug).
 */
import { idFromHex, idToHex, type Id } from '../../src/core/id.ts';
import type { LookupDone, PutDone } from '../../src/core/node-io.ts';
import { peerRef, type PeerRef } from '../../src/core/peer.ts';
import type { ComputeApi, SearchApi, ContentApi, GridApi, NodeApi } from '../../src/api/handlers.ts';
import type { ContactReport } from '../../src/runtime/node-driver.ts';
import { NodeStoppedError } from '../../src/runtime/node-driver.ts';
import type { RuntimeStatus } from '../../src/runtime/node-runtime.ts';
import type { FetchReport } from '../../src/runtime/exchange/content-fetcher.ts';

export const SELF_ID = 'aa'.repeat(32);
export const OTHER_ID = 'bb'.repeat(32);
const PEER_ID = '12D3KooWNEYrkz3mqvGdZaVj9ouJayYUQfnYyguc7mxJHH6CdRS1';

export type Failure = 'busy' | 'stopped' | 'bug';

function nothingFetched(): FetchReport {
  return { blocksKnown: 0, blocksDone: 0, blocksLocal: 0, bytesFetched: 0, sources: 0, inFlight: 0, blocksRebuilt: 0, penalised: [], durationMs: 0 };
}

export class FakeNode implements NodeApi {
  readonly calls: { operation: string; key: string; value?: Uint8Array; ttlMs?: number }[] = [];
  readonly values = new Map<string, Uint8Array>();
  failNext: Failure | null = null;
  /** No content store by default (every call fails as a bug would); storage-routes.test.ts puts a real one here. */
  content: ContentApi = new Proxy({} as ContentApi, {
    get: () => () => {
      throw new TypeError('this FakeNode has no content store');
    },
  });
  /** A grid where everything is already here: fetches find nothing to do; placement, check and status are not faked. */
  grid: GridApi = {
    fetch: async () => nothingFetched(),
    fetchListing: async () => nothingFetched(),
    fetchRange: async () => nothingFetched(),
    runningFetch: () => null,
    place: () => {
      throw new TypeError('this FakeNode has no grid');
    },
    check: () => {
      throw new TypeError('this FakeNode has no grid');
    },
    status: () => {
      throw new TypeError('this FakeNode has no grid');
    },
  };
  /** No computation by default (every call fails as a bug would); job-routes tests put a stand-in here. */
  compute: ComputeApi = new Proxy({} as ComputeApi, {
    get: () => () => {
      throw new TypeError('this FakeNode has no compute');
    },
  });
  /** No search but the answer to "is this published?" (no), which removing a pin asks. */
  search: SearchApi = new Proxy({} as SearchApi, {
    get: (_target, name) => (name === 'withdrawIfPublished' ? async () => false : () => {
      throw new TypeError('this FakeNode has no search');
    }),
  });
  private readonly other: PeerRef = peerRef(idFromHex(OTHER_ID), `${PEER_ID} /ip4/127.0.0.1/tcp/4100`);

  status(): RuntimeStatus {
    return {
      id: SELF_ID, address: `${PEER_ID} /ip4/127.0.0.1/tcp/4101`, state: 'ready', contacts: 1, values: this.values.size,
      pendingRequests: 0, operationsWaiting: 0, uptimeMs: 1234,
      kernel: { requestsSent: 1 } as unknown as RuntimeStatus['kernel'],
      transport: { messagesSent: 2 } as unknown as RuntimeStatus['transport'],
      penalties: { total: 1, recent: [{ remote: OTHER_ID, count: 1, lastReason: 'bad frame', lastAtMs: 1000 }] },
      peerId: PEER_ID, multiaddrs: [`/ip4/127.0.0.1/tcp/4101/p2p/${PEER_ID}`], dataDir: '/tmp/fake', connections: 1,
      coordinate: { x: 12.5, y: -3, height: 4, error: 0.25 },
    };
  }

  contacts(): ContactReport[] {
    return [{ peer: this.other, verified: true, failures: 0, lastSeenAgoMs: 50, rttMs: 1.234 }];
  }

  describePeer(peer: PeerRef): { id: string; peerId: string | null; multiaddrs: readonly string[] } {
    return { id: idToHex(peer), peerId: PEER_ID, multiaddrs: [`/ip4/127.0.0.1/tcp/4100/p2p/${PEER_ID}`] };
  }

  async lookup(target: Id): Promise<LookupDone> {
    this.calls.push({ operation: 'lookup', key: idToHex(target) });
    return this.lookupResult(target, null);
  }

  async get(key: Id): Promise<LookupDone> {
    this.calls.push({ operation: 'get', key: idToHex(key) });
    return this.lookupResult(key, this.values.get(idToHex(key)) ?? null);
  }

  async put(key: Id, value: Uint8Array, ttlMs?: number): Promise<PutDone> {
    this.calls.push({ operation: 'put', key: idToHex(key), value, ttlMs });
    this.fail();
    this.values.set(idToHex(key), value);
    return { kind: 'putDone', operationId: 1, key, stored: 2, refused: 0, failed: 0, startedAtMs: 10, finishedAtMs: 15 };
  }

  private lookupResult(target: Id, value: Uint8Array | null): LookupDone {
    const error = this.failNext === 'busy' ? 'too many lookups at once' : null;
    if (error !== null) this.failNext = null;
    this.fail();
    return {
      kind: 'lookupDone', operationId: 1, target, closest: [this.other], hops: 1, queries: 1, answers: 1, failures: 0,
      startedAtMs: 100, finishedAtMs: 103, value, error,
    };
  }

  private fail(): void {
    const failure = this.failNext;
    this.failNext = null;
    if (failure === 'stopped') throw new NodeStoppedError();
    if (failure === 'bug') throw new TypeError('a bug');
  }
}
