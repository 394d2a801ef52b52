/**
 * The route handlers of a real node: each turns a checked request into a call on the NodeRuntime
 * (its kernel, or its content store) and its result into the route's response. Thin on purpose —
 * the runtime does the work, and its named errors become statuses in errors.ts.
 */
import { idToHex } from '../core/id.ts';
import type { LookupDone } from '../core/node-io.ts';
import type { ContentStore, LocalAddProgress, ReadOptions } from '../runtime/content-store.ts';
import type { FetchProgress } from '../runtime/exchange/content-fetcher.ts';
import type { CheckProgress } from '../runtime/exchange/content-checker.ts';
import type { PlacementProgress } from '../runtime/exchange/content-placer.ts';
import type { GridStorage } from '../runtime/exchange/grid-storage.ts';
import type { GridCompute } from '../runtime/compute/grid-compute.ts';
import type { GridSearch } from '../runtime/search/grid-search.ts';
import type { NodeRuntime } from '../runtime/node-runtime.ts';
import { badRequest, busy, errorAnswer, localPathRefused, payloadTooLarge, rangeNotSatisfiable } from './errors.ts';
import { firstBytes, resolveByteRange } from './byte-range.ts';
import { parseKey } from './key.ts';
import { ProgressLines } from './progress-lines.ts';
import { treeAnswer } from './tree-answer.ts';
import { ApiLimits } from './limits.ts';
import { localAddProofProblem } from './local-add-proof.ts';
import { LOCAL_ADD_SKIPPED_PATHS_MAX } from './routes.ts';
import { apiTokenPath, readApiTokenFile } from './token-file.ts';
import type { RouteHandlers } from './server.ts';

/** What the handlers need of the node's content store (runtime/content-store.ts). */
export type ContentApi = Pick<ContentStore, 'addFile' | 'startLocalAdd' | 'makeDirectory' | 'openFile' | 'fileSize' | 'list' | 'pin' | 'unpin' | 'pins' | 'gc' | 'fsck' | 'exportCar' | 'importCar'>;

/** What the handlers need of the node's grid storage (runtime/exchange/grid-storage.ts). */
export type GridApi = Pick<GridStorage, 'place' | 'check' | 'fetch' | 'fetchListing' | 'fetchRange' | 'runningFetch' | 'status'>;

/** What the handlers need of the node's computation (runtime/compute/grid-compute.ts). */
export type ComputeApi = Pick<GridCompute, 'submit' | 'status' | 'results' | 'cancel' | 'list' | 'computeStatus' | 'ledgerEntries'>;

/** What the handlers need of the node's search (runtime/search/grid-search.ts). */
export type SearchApi = Pick<GridSearch, 'publish' | 'withdraw' | 'withdrawIfPublished' | 'search' | 'published' | 'status'>;

/** What the handlers need of a node: the NodeRuntime's programmatic API. */
export type NodeApi = Pick<NodeRuntime, 'status' | 'contacts' | 'describePeer' | 'lookup' | 'get' | 'put'> & {
  readonly content: ContentApi; readonly grid: GridApi; readonly compute: ComputeApi; readonly search: SearchApi;
};

export function nodeHandlers(node: NodeApi): RouteHandlers {
  return {
    status: async () => {
      const status = node.status();
      return {
        id: status.id,
        peerId: status.peerId,
        state: status.state,
        address: status.address,
        multiaddrs: status.multiaddrs,
        dataDir: status.dataDir,
        uptimeMs: status.uptimeMs,
        contacts: status.contacts,
        values: status.values,
        connections: status.connections,
        pendingRequests: status.pendingRequests,
        operationsWaiting: status.operationsWaiting,
        kernel: { ...status.kernel },
        transport: { ...status.transport },
        penalties: {
          total: status.penalties.total,
          recent: status.penalties.recent.map((penalty) => ({
            remote: penalty.remote, count: penalty.count, lastReason: penalty.lastReason,
            lastAgoMs: Math.max(0, status.uptimeMs - penalty.lastAtMs),
          })),
        },
        coordinate: status.coordinate === null ? null : { ...status.coordinate },
      };
    },

    peers: async () => {
      const contacts = node.contacts().map((contact) => ({
        ...node.describePeer(contact.peer),
        verified: contact.verified,
        failures: contact.failures,
        lastSeenAgoMs: contact.lastSeenAgoMs,
        rttMs: contact.rttMs === null ? null : Math.round(contact.rttMs * 10) / 10,
      }));
      return { count: contacts.length, contacts };
    },

    lookup: async ({ params }) => {
      const key = parseKey(params.key);
      const result = succeeded(await node.lookup(key.id));
      return {
        key: params.key, id: idToHex(key.id), keyKind: key.kind,
        closest: result.closest.map((peer) => node.describePeer(peer)),
        hops: result.hops, queries: result.queries, answers: result.answers, failures: result.failures,
        durationMs: result.finishedAtMs - result.startedAtMs,
      };
    },

    dhtPut: async ({ params, body }) => {
      const key = parseKey(params.key);
      const value = decodeValue(body.value, body.encoding ?? 'utf8');
      const done = await node.put(key.id, value, body.ttlMs);
      return {
        key: params.key, id: idToHex(key.id), keyKind: key.kind, bytes: value.length,
        stored: done.stored, refused: done.refused, failed: done.failed, durationMs: done.finishedAtMs - done.startedAtMs,
      };
    },

    dhtGet: async ({ params }) => {
      const key = parseKey(params.key);
      const result = succeeded(await node.get(key.id));
      const value = result.value;
      return {
        key: params.key, id: idToHex(key.id), keyKind: key.kind,
        found: value !== null,
        value: value === null ? null : utf8OrNull(value),
        valueBase64: value === null ? null : Buffer.from(value).toString('base64'),
        bytes: value === null ? null : value.length,
        hops: result.hops, queries: result.queries, durationMs: result.finishedAtMs - result.startedAtMs,
      };
    },

    addFile: ({ query, body }) => node.content.addFile(body, { encrypt: query.encrypt ?? true, pinName: query.name }),

    // The node reads the path itself, for a client on its own machine (docs/NODE.md, "Adding a
    // local path"); a connection from elsewhere is refused as the node would refuse a path it sees
    // otherwise than the client, so that the client streams the bytes instead.
    addLocalPath: async ({ body, caller }) => {
      if (caller?.loopback !== true) throw localPathRefused('a local add is taken only over a connection from the node\'s own machine (loopback)');
      // The node reads with its own permissions: only its own user, who can read its token, may ask.
      const token = await readApiTokenFile(apiTokenPath(node.status().dataDir)).catch(() => null);
      const problem = token === null ? 'the node cannot read its own api-token' : localAddProofProblem(token, body, Date.now());
      if (problem !== null) throw localPathRefused(`a local add reads with the node's permissions and must prove the caller can read its api-token: ${problem}`);
      const lines = new ProgressLines<LocalAddProgress>();
      const started = await node.content.startLocalAdd(body.path, body.identity, { encrypt: body.encrypt ?? true, pinName: body.name, onProgress: lines.progress });
      return {
        body: lines.stream(started.added, (added) => ({
          ...added, skipped: added.skipped.length, skippedPaths: added.skipped.slice(0, LOCAL_ADD_SKIPPED_PATHS_MAX),
        })),
        bytes: null,
      };
    },

    makeDirectory: ({ body }) => node.content.makeDirectory(body.entries, {
      encrypt: body.encrypt, pinName: body.name, releaseEntryPins: body.releaseEntryPins,
    }),

    // Reading content brings what is missing of it from the grid (cheap when all is here), and
    // reads each block as soon as it is stored: a file streams while it is fetched. A fetch of the
    // same content already running (POST /fetches, for its progress) is joined, not repeated.
    getContent: async ({ params, query }) => {
      if (query.range === undefined) {
        const file = await node.content.openFile(params.ref, readWhileFetched(node, query.within, () => quietly(node.grid.fetch(params.ref))));
        return { body: file.body, bytes: file.bytes };
      }
      // One range: the root first, for the file's size (a listing's fetch brings it alone), then
      // only the blocks under the range (GridStorage.fetchRange), read from its start.
      const fileBytes = await node.content.fileSize(params.ref, readWhileFetched(node, query.within, () => quietly(node.grid.fetchListing(params.ref))));
      const range = resolveByteRange(query.range, fileBytes);
      if (range === null) throw badRequest(`query.range: ${JSON.stringify(query.range)} is not one byte range (bytes=START-END, bytes=START- or bytes=-LAST)`);
      if (range === 'unsatisfiable') throw rangeNotSatisfiable(fileBytes);
      const reading = readWhileFetched(node, query.within, () => quietly(node.grid.fetchRange(params.ref, range.start, range.end)));
      const from = await node.content.openFile(params.ref, reading, range.start);
      const bytes = range.end - range.start + 1;
      return { body: firstBytes(from.body, bytes), bytes, range };
    },

    // A whole tree in one answer, read while its fetch runs: what `peergrid get` reads instead of a
    // request per file (tree-answer.ts).
    getTree: ({ params, query }) => treeAnswer(node.content, params.ref, readWhileFetched(node, query.within, () => quietly(node.grid.fetch(params.ref)))),

    listContent: async ({ params, query }) => {
      // A listing reads the root and a directory's entries' roots only: it fetches those alone
      // (GridStorage.fetchListing), never the tree below.
      const listing = await node.content.list(params.ref, readWhileFetched(node, query.within, () => quietly(node.grid.fetchListing(params.ref))));
      return { ...listing, entries: [...listing.entries] };
    },

    // Both start at once (a bad ref or scheme is refused with its status) and answer NDJSON progress.
    placeContent: async ({ params, query }) => {
      const lines = new ProgressLines<PlacementProgress>();
      return { body: lines.stream(node.grid.place(params.ref, query.redundancy, lines.progress, query.avoid?.split(',') ?? [])), bytes: null };
    },

    checkContent: async ({ params, query }) => {
      const lines = new ProgressLines<CheckProgress>();
      const checking = node.grid.check(params.ref, query.redundancy, lines.progress, query.verify ?? false, query.renew ?? false);
      return { body: lines.stream(checking, (report) => ({ ...report, lostBlocks: [...report.lostBlocks], failedHolders: [...report.failedHolders] })), bytes: null };
    },

    fetchContent: async ({ params }) => {
      const lines = new ProgressLines<FetchProgress>();
      return { body: lines.stream(node.grid.fetch(params.ref, lines.progress), (report) => ({ ...report, penalised: [...report.penalised] })), bytes: null };
    },

    gridStatus: async () => {
      const status = node.grid.status();
      return { ...status, maintenance: { ...status.maintenance }, peers: status.peers.map((peer) => ({ ...peer })) };
    },

    pinList: async () => {
      const pins = node.content.pins();
      return { count: pins.length, pins };
    },

    pinAdd: async ({ params, body }) => {
      const pin = node.content.pin(params.ref, body);
      return { cid: pin.cid, name: pin.name, recursive: pin.recursive };
    },

    pinRemove: async ({ params, query }) => {
      const removed = node.content.unpin(params.ref, query.name);
      // Removing content withdraws it from search (issue 7): once its last pin is gone, gc may take it.
      const stillPinned = node.content.pins().some((pin) => pin.cid === removed.cid);
      return { ...removed, withdrawn: stillPinned ? false : await node.search.withdrawIfPublished(removed.cid) };
    },

    gc: ({ query }) => node.content.gc(query.graceMs),

    fsck: async ({ query }) => {
      const report = await node.content.fsck(query.repair ?? false);
      return {
        ...report,
        missing: [...report.missing], corrupt: [...report.corrupt], unindexed: [...report.unindexed], adopted: [...report.adopted],
        strays: [...report.strays], indexProblems: [...report.indexProblems],
        pinnedMissing: { count: report.pinnedMissing.count, cids: [...report.pinnedMissing.cids] },
        counts: { ...report.counts },
      };
    },

    exportCar: async ({ params }) => ({ body: node.content.exportCar(params.ref), bytes: null }),

    importCar: async ({ body }) => {
      const report = await node.content.importCar(body);
      return { ...report, roots: [...report.roots], refusedCids: [...report.refusedCids] };
    },

    jobSubmit: ({ body }) => node.compute.submit(body.job),

    jobList: async () => ({ jobs: node.compute.list().map((job) => ({ ...job })) }),

    jobStatus: async ({ params }) => {
      const { status, coordinator } = await node.compute.status(params.jobId);
      return {
        jobId: status.jobId, name: status.name, state: status.phase, units: { ...status.units }, submitter: status.submitter,
        submittedAtUnixMs: status.submittedAtUnixMs, unitStates: status.unitStates, coordinator, fromCopy: status.fromCopy,
      };
    },

    jobResults: async ({ params, query }) => {
      const page = await node.compute.results(params.jobId, query.from ?? 0, query.limit ?? 256);
      return {
        jobId: params.jobId,
        entries: page.entries.map((entry) => ({
          unit: entry.unit, args: entry.args, state: entry.state, outputHash: entry.outputHash, outputCid: entry.outputCid, fuel: entry.fuel,
          outputBase64: entry.output === null ? null : Buffer.from(entry.output).toString('base64'),
          workers: entry.workers.map((worker) => ({ ...worker })),
        })),
        nextUnit: page.nextUnit,
      };
    },

    jobCancel: async ({ params }) => {
      await node.compute.cancel(params.jobId);
      return { jobId: params.jobId, cancelled: true };
    },

    ledger: async () => ({ peers: node.compute.ledgerEntries().map((entry) => ({ peer: entry.peer, given: { ...entry.given }, received: { ...entry.received } })) }),

    searchPublish: ({ body }) => node.search.publish(body.cid, body.metadata, body.indexText ?? false),

    searchWithdraw: ({ params }) => node.search.withdraw(params.cid),

    searchDocuments: async () => ({ documents: node.search.published() }),

    search: async ({ body }) => {
      const report = await node.search.search(body.query, {
        ...(body.fields === undefined ? {} : { fields: body.fields }), ...(body.limit === undefined ? {} : { limit: body.limit }), stem: body.stem ?? false,
      });
      return {
        ...report,
        terms: report.terms.map((term) => ({ ...term })),
        hits: report.hits.map((hit) => ({ ...hit })),
        corpus: { ...report.corpus },
      };
    },

    searchStatus: async () => {
      const status = node.search.status();
      return { ...status, repair: { ...status.repair } };
    },

    computeStatus: async () => {
      const status = node.compute.computeStatus();
      return {
        volunteer: status.volunteer === null ? null : { ...status.volunteer, advert: { ...status.volunteer.advert } },
        coordinating: status.coordinating.map((job) => ({ jobId: job.jobId, state: job.phase, name: job.name })),
        copies: [...status.copies],
        workers: status.workers.map((worker) => ({ ...worker })),
      };
    },
  };
}

/** A lookup the kernel could not run (too many at once) is the node being busy, not a result. */
function succeeded(result: LookupDone): LookupDone {
  if (result.error !== null) throw busy(`the node cannot look up now: ${result.error}`);
  return result;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeValue(text: string, encoding: 'utf8' | 'base64'): Uint8Array {
  let bytes: Uint8Array;
  if (encoding === 'base64') {
    if (!BASE64.test(text)) throw badRequest('body.value: not valid base64 (standard alphabet, with padding)');
    bytes = new Uint8Array(Buffer.from(text, 'base64'));
  } else {
    bytes = new TextEncoder().encode(text);
  }
  if (bytes.length > ApiLimits.valueBytesMax) {
    throw payloadTooLarge(`body.value: a value may have at most ${ApiLimits.valueBytesMax.toLocaleString('en-US')} bytes, got ${bytes.length.toLocaleString('en-US')}`);
  }
  return bytes;
}

function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Where a reader waits for the blocks that are not here yet. With `within` (content that contains
 * what is read, a directory being fetched), on that content's running fetch, and on `fetchOwn`
 * only if a block is still missing once it has ended or failed: `peergrid get` writes a
 * directory's files while one fetch brings the whole tree. Without, or once that fetch is over, on
 * `fetchOwn` (the read's own fetch, started or joined). (The running fetch's own failure is handled
 * where it is shared.)
 */
function readWhileFetched(node: NodeApi, within: string | undefined, fetchOwn: () => Promise<unknown>): ReadOptions {
  const containing = within === undefined ? null : node.grid.runningFetch(within, 'within');
  if (containing === null) return { arriving: fetchOwn() };
  return { arriving: containing, fetchMissing: fetchOwn };
}

/**
 * A fetch a reader waits on. The reader sees the fetch's failure when it waits for a block
 * (BlockArrivals); one that read everything it needed before the fetch ended never waits again, so
 * the failure is handled here instead of left unhandled.
 */
function quietly(fetching: Promise<unknown>): Promise<unknown> {
  fetching.catch(() => undefined);
  return fetching;
}
