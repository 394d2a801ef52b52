/**
 * The HTTP API, declared once: every route's method, path, parameters, body and response, as
 * schemas. The server (server.ts) checks requests against them and the client (client.ts) checks
 * responses; both take their TypeScript types from here, so the two cannot drift apart. The model
 * is lodestar's `packages/api/src/beacon/routes`, much reduced.
 *
 * Conventions: JSON in and out, except where a route declares a byte stream (`byteStream`: a
 * file's bytes, a CAR) as its body or its response; paths under /api/v1; a key in a path is
 * percent-encoded text (see key.ts for how it becomes an id); ids are 64 lowercase hex digits;
 * durations and ages end in Ms. An error is `{ "error": { "code", "message" } }` with a 4xx or 5xx
 * status (errors.ts), whatever the route's kind.
 */
import { RANGE_TEXT_BYTES_MAX, type ByteRange } from './byte-range.ts';
import { Limits } from '../core/limits.ts';
import { keySchema } from './key.ts';
import { ApiLimits } from './limits.ts';
import {
  anyJson, array, boolean, integer, nullable, number, object, oneOf, optional, queryFlag, queryInteger, record, string, type Infer, type Schema,
} from './schema.ts';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * A body or response that is raw bytes (`application/octet-stream`), streamed: unbounded in size,
 * never buffered whole, and cut off when it stalls (ApiLimits.streamIdleTimeoutMs).
 */
export interface ByteStream {
  readonly kind: 'byteStream';
  readonly contentType: 'application/octet-stream';
  /** What the bytes are, for people (the status page, the docs). */
  readonly description: string;
}

/** Routes that take an HTTP Range header (as their `range` query parameter). */
export const RANGE_ROUTES: ReadonlySet<string> = new Set(['getContent']);

export function byteStream(description: string): ByteStream {
  return { kind: 'byteStream', contentType: 'application/octet-stream', description };
}

export function isByteStream(value: unknown): value is ByteStream {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'byteStream';
}

/** A streamed response as a handler gives it and a client receives it. */
export interface ByteStreamResponse {
  readonly body: AsyncIterable<Uint8Array>;
  /** The length when known (sent as Content-Length), else null (chunked). */
  readonly bytes: number | null;
  /** Set when the bytes are one range of a larger whole (sent as 206 Partial Content with Content-Range). */
  readonly range?: ByteRange;
}

/** What a client may send as a streamed body: bytes at once, or pieces (a file's read stream). */
export type ByteStreamBody = Uint8Array | AsyncIterable<Uint8Array>;

export interface Route<
  Params, QuerySchema extends Schema<unknown> | null, BodySpec extends Schema<unknown> | ByteStream | null, ResponseSpec extends Schema<unknown> | ByteStream,
> {
  readonly method: HttpMethod;
  /** Segments starting with ':' are parameters, e.g. /api/v1/lookup/:key. */
  readonly path: string;
  readonly summary: string;
  readonly params: Schema<Params>;
  /** The query string's schema (its values are text), or null when the route takes none. */
  readonly query: QuerySchema;
  /** A JSON body's schema, a byte stream, or null when the route takes none. */
  readonly body: BodySpec;
  /** A JSON body's bound when it is not ApiLimits.requestBodyBytesMax. */
  readonly bodyBytesMax?: number;
  readonly response: ResponseSpec;
  /** How long a client waits for the answer when longer than its default (a whole-store operation). */
  readonly answerTimeoutMs?: number;
}

/** Identity, for type inference of each route's types. */
function route<
  Params, QuerySchema extends Schema<unknown> | null, BodySpec extends Schema<unknown> | ByteStream | null, ResponseSpec extends Schema<unknown> | ByteStream,
>(definition: Route<Params, QuerySchema, BodySpec, ResponseSpec>): Route<Params, QuerySchema, BodySpec, ResponseSpec> {
  return definition;
}

const hexId = string({ pattern: /^[0-9a-f]{64}$/, description: '64 lowercase hex digits' });
const count = integer({ min: 0 });
/** Responses list fields a newer server may add to; a client ignores what it does not know. */
const response = { unknownFields: 'ignore' } as const;
const request = { unknownFields: 'reject' } as const;

/** A peer as the API shows it: its kernel id, libp2p peer id, and multiaddrs to dial it by (with /p2p/). */
export const peerSchema = object({
  id: hexId,
  /** Null when the address is not a libp2p one (it always is on a real node). */
  peerId: nullable(string()),
  multiaddrs: array(string()),
}, response);

const penaltySchema = object({ remote: string(), count, lastReason: string(), lastAgoMs: count }, response);

export const statusSchema = object({
  id: hexId,
  peerId: string(),
  state: oneOf('idle', 'joining', 'ready', 'left'),
  /** Where others reach the node: peer id and transport multiaddrs (docs/NODE.md, "The address in a PeerRef"). */
  address: string(),
  multiaddrs: array(string()),
  dataDir: string(),
  uptimeMs: count,
  contacts: count,
  values: count,
  connections: count,
  pendingRequests: count,
  operationsWaiting: count,
  kernel: record(number({ min: 0 })),
  transport: record(number({ min: 0 })),
  penalties: object({ total: count, recent: array(penaltySchema) }, response),
  /** The node's Vivaldi coordinate (ms; error 0 sure … 1 no idea), with proximity on; null with it off (docs/PROXIMITY.md). */
  coordinate: nullable(object({ x: number(), y: number(), height: number({ min: 0 }), error: number({ min: 0 }) }, response)),
}, response);

export const contactSchema = object({
  id: hexId,
  peerId: nullable(string()),
  multiaddrs: array(string()),
  /** Heard from directly, rather than only named by others. */
  verified: boolean(),
  /** Requests in a row it has not answered. */
  failures: count,
  lastSeenAgoMs: nullable(count),
  /** Smoothed round-trip time, once measured. */
  rttMs: nullable(number({ min: 0 })),
}, response);

/** The key as given, the id it names, and whether it was an id or hashed text (key.ts). */
const keyFields = {
  key: string(),
  id: hexId,
  keyKind: oneOf('id', 'sha256'),
} as const;

const keyParams = object({ key: keySchema }, request);
const noParams = object({}, request);

/** A CID (CIDv1, sha2-256) or a read capability (pgcap1:<cid>:<key>); the node parses it (400 if it is neither). */
const refSchema = string({ minLength: 1, maxBytes: ApiLimits.refBytesMax, description: 'a CID or a capability (pgcap1:…)' });
const refParams = object({ ref: refSchema }, request);
/**
 * `within`: content that contains the one read (a directory being fetched). A block not here yet
 * is waited for from that content's running fetch, not fetched again on its own.
 */
const withinQuery = object({ within: optional(refSchema) }, request);
const pinName = string({ minLength: 1, maxBytes: ApiLimits.pinNameBytesMax });

/** What adding content gives back: the root's CID and, for encrypted content, the capability to read it. */
export const addedSchema = object({
  cid: string(),
  /** Null for plain content; whoever holds it can read the content (docs/NODE.md, storage). */
  capability: nullable(string()),
  /** Plaintext bytes under the root. */
  bytes: count,
  /** Chunks cut for this request (0 for a directory node: its files were cut when they were added). */
  chunks: count,
}, response);

/** Bytes in a local add's path: Linux's PATH_MAX. */
const LOCAL_PATH_BYTES_MAX = 4096;
/** Skipped paths named in a local add's result; the rest are counted. */
export const LOCAL_ADD_SKIPPED_PATHS_MAX = 100;

/** The `done` record of a local add (POST /api/v1/local-adds). */
export const localAddedSchema = object({
  ...addedSchema.fields,
  /** Files read. */
  files: count,
  /** Paths left out: symbolic links, sockets, devices, FIFOs. */
  skipped: count,
  /** The first LOCAL_ADD_SKIPPED_PATHS_MAX of them. */
  skippedPaths: array(string(), { maxItems: LOCAL_ADD_SKIPPED_PATHS_MAX }),
}, response);

export const contentEntrySchema = object({
  name: string(),
  kind: oneOf('file', 'directory'),
  /** Plaintext bytes; null when not known without walking the tree (a plain directory). */
  bytes: nullable(count),
  /** The entry's CID (plain) or capability (encrypted: derived from the parent's). */
  ref: string(),
}, response);

export const pinSchema = object({ cid: string(), name: string(), recursive: boolean(), pinnedAtMs: count }, response);

const listOfCids = array(string(), { maxItems: ApiLimits.reportListMax });

export const fsckSchema = object({
  ok: boolean(),
  repaired: boolean(),
  blocksChecked: count,
  filesChecked: count,
  bytesVerified: count,
  missing: listOfCids,
  corrupt: listOfCids,
  unindexed: listOfCids,
  adopted: listOfCids,
  strays: listOfCids,
  tmpFound: count,
  tmpRemoved: count,
  unsettled: count,
  indexProblems: array(string(), { maxItems: ApiLimits.reportListMax }),
  pinnedMissing: object({ count, cids: listOfCids }, response),
  counts: object({ missing: count, corrupt: count, unindexed: count, strays: count }, response),
}, response);

/** Where `put` placed content on the grid (runtime/exchange/content-placer.ts): the `done` line of a placement. */
export const placementSchema = object({
  redundancy: string(),
  blocks: count,
  /** Blocks × R, or blocks × (K+M). */
  piecesWanted: count,
  piecesStored: count,
  /** Of those, pieces their node held already: nothing was sent. */
  piecesExisting: count,
  /** Of those, pieces sent to other nodes. */
  piecesSent: count,
  /** Pieces kept on this node, when it is among a block's closest nodes. */
  piecesHere: count,
  /** Blocks with fewer pieces than wanted: too few nodes, or too many refused. */
  blocksShort: count,
  nodes: count,
  refusals: count,
  failures: count,
  bytesSent: count,
}, response);

/** One `progress` line of a placement's stream (NDJSON). */
export const placementProgressSchema = object({
  blocks: count,
  blocksPlaced: count,
  /** The content's bytes, and those of the blocks placed so far. */
  bytes: count,
  bytesPlaced: count,
  bytesSent: count,
  nodes: count,
}, response);

/** How well content is kept on the grid (runtime/exchange/content-checker.ts): the `done` line of a check. */
export const checkSchema = object({
  redundancy: string(),
  blocks: count,
  /** Blocks with every piece the scheme wants; with fewer but enough to read; with too few to read. */
  healthy: count,
  degraded: count,
  lost: count,
  /** Blocks × R, or blocks × (K+M); pieces found, each block counted up to its target. */
  piecesWanted: count,
  piecesFound: count,
  /** The fewest pieces any block has. */
  piecesMin: count,
  nodes: count,
  /** The first lost blocks. */
  lostBlocks: listOfCids,
  /** Manifests missing on the checking node (gone since its structure was fetched): their subtrees were not checked. */
  blocksNotWalked: count,
  /** Whether every claim was audited by fetching its piece (verify=true): the counts are then of genuine pieces. */
  verified: boolean(),
  claimsAudited: count,
  claimsFailed: count,
  /** Of those audited, the ones checked by a storage challenge (the block was on the checking node) rather than a download. */
  claimsChallenged: count,
  fragmentsCheckedAgainstBlock: count,
  /** Holders whose pieces did not hold up (peer ids), at most 20. */
  failedHolders: array(string(), { maxItems: 20 }),
}, response);

/** One `progress` line of a check's stream (NDJSON). */
export const checkProgressSchema = object({
  blocks: count,
  blocksChecked: count,
  healthy: count,
  degraded: count,
  lost: count,
}, response);

/** One line of a fetch's progress stream (NDJSON), and of its end. */
export const fetchProgressSchema = object({
  blocksKnown: count,
  blocksDone: count,
  blocksLocal: count,
  bytesFetched: count,
  sources: count,
  inFlight: count,
}, response);

export const gridStatusSchema = object({
  redundancy: string(),
  piecesHeld: count,
  bytesHeld: count,
  bytesForOthers: count,
  bytesForOthersMax: count,
  bytesPerPeerMax: count,
  maintenance: object({ checks: count, piecesCreated: count, repairFailures: count, bytesSent: count, piecesExpired: count, repairsPassedOverForLease: count }, response),
  /** Leases (docs/storage-network.md, "Leases"): the longest this node grants, its pieces that run out within a week, and its renewals of what it pins. */
  leases: object({
    leaseMs: count,
    renewIntervalMs: count,
    piecesExpiringWithinWeek: count,
    nextExpiryAtMs: nullable(count),
    renewals: object({ rounds: count, contentRenewed: count, blocksRenewed: count, contentPlacedAgain: count, failures: count, lastRoundAtMs: nullable(count) }, response),
  }, response),
  /** Cache copies of hot blocks kept here, and the pushes of this node's hot blocks to others. */
  cache: object({
    blocks: count, bytes: count, bytesMax: count, admitted: count, evicted: count, refused: count,
    pushes: object({ pushed: count, nobodyToTake: count, failed: count, dropped: count }, response),
  }, response),
  peers: array(object({
    peer: string(), bytesStoredFor: count, bytesServedTo: count, blocksStoredFor: count, blocksServedTo: count, refusals: count, invalidBlocks: count,
  }, response)),
}, response);

const jobIdSchema = string({ minLength: 1, maxBytes: 128, description: "a job's id (the CID of its manifest)" });
const jobParams = object({ jobId: jobIdSchema }, request);
const unitCounts = object({ total: count, done: count, failed: count, running: count }, response);

/** A job as its coordinator reports it (services/compute/grid/compute-messages.ts, JobStatusReport). */
export const jobStatusSchema = object({
  jobId: string(),
  name: string(),
  /** running, done (every unit settled), cancelled, or expired (past its deadline). */
  state: oneOf('running', 'done', 'cancelled', 'expired'),
  units: unitCounts,
  submitter: string(),
  submittedAtUnixMs: count,
  /** One letter per unit — o open, d done, f failed — for jobs of at most 4,096 units; else null. */
  unitStates: nullable(string()),
  /** The libp2p peer id of the node that answered: the job's coordinator, or a node keeping a copy (fromCopy). */
  coordinator: string(),
  /** The coordinator could not be reached: this is a copy's state as of its last sync. */
  fromCopy: boolean(),
}, response);

export const jobResultSchema = object({
  unit: count,
  args: string(),
  state: oneOf('open', 'done', 'failed'),
  /** The accepted output, base64; null until the unit is done. */
  outputBase64: nullable(string()),
  /** sha2-256 of the accepted output, hex; `cid:<cid>` for an output stored on the grid. */
  outputHash: nullable(string()),
  /** The CID of an accepted output too big for a report (over 1 MiB), stored on the grid by its worker: fetch it as content. */
  outputCid: nullable(string()),
  /** Fuel the accepted replicas burnt. */
  fuel: nullable(count),
  /** The workers whose results were accepted, with their receipts' fuel and wall time. */
  workers: array(object({ worker: string(), fuel: count, wallMs: count }, response)),
}, response);

export const computeStatusSchema = object({
  volunteer: nullable(object({
    workers: count, unitsRun: count, unitsReported: count, leasesLost: count, leasesHeld: count, jobsKnown: count,
    advert: object({ cores: count, memoryMiB: count, speed: number({ min: 0 }), domain: string(), uptimeMs: count }, response),
  }, response)),
  coordinating: array(object({ jobId: string(), state: string(), name: string() }, response)),
  /** Jobs this node keeps a copy of (it takes one over if its coordinator goes). */
  copies: array(string()),
  /** Workers of the jobs coordinated here, most recently seen first, with their standing. */
  workers: array(object({ worker: string(), resultsAgreed: count, resultsWrong: count, blacklisted: boolean() }, response)),
}, response);

const workTotals = object({ units: count, fuel: count, wallMs: count }, response);

/** Dublin Core metadata as JSON: each element (of the 15) a list of strings (docs/SEARCH.md). */
const dublinCore = anyJson('Dublin Core metadata: an object of elements (title, creator, subject, …), each a list of strings');
const cidText = string({ minLength: 1, maxBytes: 128, description: 'a CIDv1' });

/** What publishing a document did (runtime/search/search-publisher.ts). */
export const searchPublishedSchema = object({
  cid: string(),
  /** Posting lists the document is in: its terms and their stems' lists. */
  lists: count,
  /** Lists held by fewer than `replicas` nodes: too few nodes, or too many failed. */
  listsShort: count,
  postingsStored: count,
  replicas: count,
  nodes: count,
  failedNodes: count,
  publishedAtUnixMs: count,
}, response);

/** A query's answer (runtime/search/search-query.ts). */
export const searchResultSchema = object({
  /** Each posting list asked (a term, or ~ and a stem), the fields it had to be in, and n(t). */
  terms: array(object({ term: string(), fields: string(), documents: count }, response)),
  stem: boolean(),
  /** Documents holding every term, before the limit. */
  matches: count,
  hits: array(object({ cid: string(), score: number({ min: 0 }), publisher: string(), metadata: dublinCore }, response)),
  /** BM25's N and average document length, from the publishers' summaries. */
  corpus: object({ documents: count, averageDocumentTerms: number({ min: 0 }), publishers: count }, response),
  requests: count,
  bytesSent: count,
  bytesReceived: count,
  holderFailures: count,
  elapsedMs: number({ min: 0 }),
}, response);

export const searchStatusSchema = object({
  listsHeld: count, postingsHeld: count, documentsHeld: count, withdrawalsHeld: count, publishersSummarised: count, published: count, replicas: count,
  repair: object({ rounds: count, listsCompared: count, listsSent: count, listsTaken: count, postingsTaken: count, failures: count, digestRequests: count, countRequests: count, rechecks: count }, response),
}, response);

export const routes = {
  status: route({
    method: 'GET',
    path: '/api/v1/status',
    summary: "the node's id, state, addresses and counters",
    params: noParams,
    query: null,
    body: null,
    response: statusSchema,
  }),
  peers: route({
    method: 'GET',
    path: '/api/v1/peers',
    summary: 'the routing-table contacts, closest to the node first',
    params: noParams,
    query: null,
    body: null,
    response: object({ count, contacts: array(contactSchema, { maxItems: ApiLimits.contactsMax }) }, response),
  }),
  lookup: route({
    method: 'GET',
    path: '/api/v1/lookup/:key',
    summary: 'an iterative lookup: the closest live nodes to the key, closest first',
    params: keyParams,
    query: null,
    body: null,
    response: object({
      ...keyFields,
      closest: array(peerSchema, { maxItems: ApiLimits.closestMax }),
      /** Referral-chain length that led to closest[0]; 0 when nothing was found. */
      hops: count,
      queries: count,
      answers: count,
      failures: count,
      durationMs: count,
    }, response),
  }),
  dhtPut: route({
    method: 'PUT',
    path: '/api/v1/dht/:key',
    summary: 'stores a value under the key on the k closest nodes',
    params: keyParams,
    query: null,
    body: object({
      /** The value: UTF-8 text, or base64 with encoding "base64"; at most valueBytesMax bytes either way. */
      value: string({ maxBytes: ApiLimits.requestBodyBytesMax }),
      encoding: optional(oneOf('utf8', 'base64')),
      /** How long the value lives; default the kernel's (24 hours). */
      ttlMs: optional(integer({ min: 1, max: Limits.valueTtlMsMax })),
    }, request),
    response: object({ ...keyFields, bytes: count, stored: count, refused: count, failed: count, durationMs: count }, response),
  }),
  dhtGet: route({
    method: 'GET',
    path: '/api/v1/dht/:key',
    summary: 'finds the value stored under the key',
    params: keyParams,
    query: null,
    body: null,
    response: object({
      ...keyFields,
      found: boolean(),
      /** The value as UTF-8 text, or null when it is not valid UTF-8 (or not found). */
      value: nullable(string()),
      valueBase64: nullable(string()),
      bytes: nullable(count),
      hops: count,
      queries: count,
      durationMs: count,
    }, response),
  }),

  // Content storage (issue 4): on this node, and on the grid (placements, fetches, storage).
  addFile: route({
    method: 'POST',
    path: '/api/v1/files',
    summary: 'adds a file streamed in the body: chunked, encrypted unless encrypt=false, stored and pinned here',
    params: noParams,
    query: object({
      /** Convergent encryption (default true); false stores plain UnixFS that IPFS tools can read. */
      encrypt: optional(queryFlag()),
      /** The pin's name (default "default"). */
      name: optional(pinName),
    }, request),
    body: byteStream("the file's bytes"),
    response: addedSchema,
  }),
  addLocalPath: route({
    method: 'POST',
    path: '/api/v1/local-adds',
    summary: "adds a file or directory tree from the node's own disk, read by the node itself — for a client on the same machine, which sends the path and what it sees there instead of the bytes: chunked, encrypted unless encrypt is false, stored and pinned here; 409 local_path_refused when the node does not see that path as the client does, or will not read it (docs/NODE.md); streams NDJSON progress lines, the last with \"done\" or \"error\"",
    params: noParams,
    query: null,
    body: object({
      /** Absolute and canonical (no symbolic link in it), as realpath gives it. */
      path: string({ minLength: 1, maxBytes: LOCAL_PATH_BYTES_MAX }),
      /** What the client sees at the path (local-path-guard.ts's localPathIdentity). */
      identity: string({ minLength: 1, maxBytes: 256 }),
      /** Convergent encryption (default true). */
      encrypt: optional(boolean()),
      /** The pin's name (default "default"). */
      name: optional(pinName),
      /** When the client made the proof (its clock, ms since the epoch): a proof is good for LOCAL_ADD_PROOF_WINDOW_MS either way. */
      atMs: integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      /** That the client can read the node's api-token, without sending it (local-add-proof.ts). */
      proof: string({ minLength: 64, maxBytes: 64, pattern: /^[0-9a-f]{64}$/, description: 'an HMAC-SHA256 in hex' }),
    }, request),
    response: byteStream('NDJSON: {"progress":{bytes, chunks, files}} lines, then {"done":{cid, capability, bytes, chunks, files, skipped, skippedPaths}} or {"error":{"code","message"}}'),
  }),
  makeDirectory: route({
    method: 'POST',
    path: '/api/v1/directories',
    summary: 'makes a directory node from entries already stored here (all plain CIDs or all capabilities) and pins it',
    params: noParams,
    query: null,
    body: object({
      entries: array(object({ name: string({ minLength: 1, maxBytes: 255 }), ref: refSchema }, request), { maxItems: ApiLimits.directoryEntriesMax }),
      /** Whether the directory is encrypted; default: as its entries are (true when there are none). */
      encrypt: optional(boolean()),
      /** The pin's name (default "default"). */
      name: optional(pinName),
      /** Removes the pins of this name from the entries once the directory (pinned recursively) holds them. */
      releaseEntryPins: optional(pinName),
    }, request),
    bodyBytesMax: ApiLimits.directoryBodyBytesMax,
    response: addedSchema,
  }),
  placeContent: route({
    method: 'POST',
    path: '/api/v1/placements/:ref',
    summary: "places stored content on the grid: each block's R copies, or K+M fragments, on the nodes closest to its key; streams NDJSON progress lines, the last with \"done\" (the placement report) or \"error\"",
    params: refParams,
    query: object({
      /** replicate:R or erasure:K+M; the node's configured scheme when absent. */
      redundancy: optional(string({ minLength: 1, maxBytes: 32 })),
      /** Peer ids, comma-separated, to pass over (holders an audit found out): at most 20. */
      avoid: optional(string({ minLength: 1, maxBytes: 20 * 64, pattern: /^[1-9A-HJ-NP-Za-km-z]{1,63}(,[1-9A-HJ-NP-Za-km-z]{1,63}){0,19}$/, description: 'peer ids, comma-separated' })),
    }, request),
    body: null,
    response: byteStream('NDJSON: {"progress":{blocks, blocksPlaced, bytes, bytesPlaced, bytesSent, nodes}} lines, then {"done":{…placement report}} or {"error":{"code","message"}}'),
  }),
  checkContent: route({
    method: 'POST',
    path: '/api/v1/checks/:ref',
    summary: "counts, for each block of stored content, the pieces its closest nodes keep (healthy, degraded or lost under the scheme) — with verify=true only those they send when asked and that are genuine; with renew=true every holder asked also renews its lease on its pieces; stores nothing; streams NDJSON progress lines, the last with \"done\" (the check report) or \"error\"",
    params: refParams,
    query: object({
      /** replicate:R or erasure:K+M; the node's configured scheme when absent. */
      redundancy: optional(string({ minLength: 1, maxBytes: 32 })),
      verify: optional(queryFlag()),
      renew: optional(queryFlag()),
    }, request),
    body: null,
    response: byteStream('NDJSON: {"progress":{blocks, blocksChecked, healthy, degraded, lost}} lines, then {"done":{…check report}} or {"error":{"code","message"}}'),
  }),
  fetchContent: route({
    method: 'POST',
    path: '/api/v1/fetches/:ref',
    summary: 'brings whatever is missing of the content into this node, from the grid; streams NDJSON progress lines, the last with "done" or "error"',
    params: refParams,
    query: null,
    body: null,
    response: byteStream('NDJSON: {"progress":{…}} lines, then {"done":{…}} or {"error":{"code","message"}}'),
  }),
  gridStatus: route({
    method: 'GET',
    path: '/api/v1/storage',
    summary: 'what this node holds for the grid, its quota, maintenance counts, and bytes stored and served per peer',
    params: noParams,
    query: null,
    body: null,
    response: gridStatusSchema,
  }),
  getContent: route({
    method: 'GET',
    path: '/api/v1/content/:ref',
    summary: "a file's bytes, streamed (422 for a directory: list it); one byte range with a Range header or range=bytes=START-END (206, or 416 past the end)",
    params: refParams,
    query: object({
      within: optional(refSchema),
      /** One HTTP byte range (byte-range.ts); a Range header of one range fills it in. */
      range: optional(string({ minLength: 1, maxBytes: RANGE_TEXT_BYTES_MAX })),
    }, request),
    body: null,
    response: byteStream("the file's bytes"),
  }),
  getTree: route({
    method: 'GET',
    path: '/api/v1/trees/:ref',
    summary: 'a directory and everything under it as one stream: a JSON header line per directory and file, each file\'s bytes after its header, an end record last (422 for a file)',
    params: refParams,
    query: withinQuery,
    body: null,
    response: byteStream('the tree stream (api/tree-stream.ts)'),
  }),
  listContent: route({
    method: 'GET',
    path: '/api/v1/entries/:ref',
    summary: "a directory's entries (name, kind, bytes, ref); a file lists none",
    params: refParams,
    query: withinQuery,
    body: null,
    response: object({
      ref: string(),
      cid: string(),
      kind: oneOf('file', 'directory'),
      bytes: nullable(count),
      entries: array(contentEntrySchema, { maxItems: ApiLimits.directoryEntriesMax }),
    }, response),
  }),
  pinList: route({
    method: 'GET',
    path: '/api/v1/pins',
    summary: 'the pins on this node',
    params: noParams,
    query: null,
    body: null,
    response: object({ count, pins: array(pinSchema) }, response),
  }),
  pinAdd: route({
    method: 'PUT',
    path: '/api/v1/pins/:ref',
    summary: 'pins stored content (recursively unless recursive is false) under a name',
    params: refParams,
    query: null,
    body: object({ name: optional(pinName), recursive: optional(boolean()) }, request),
    response: object({ cid: string(), name: string(), recursive: boolean() }, response),
  }),
  pinRemove: route({
    method: 'DELETE',
    path: '/api/v1/pins/:ref',
    summary: 'removes the pin of that name from the content, or all its pins without a name; once no pin is left, content this node published is withdrawn from search',
    params: refParams,
    query: object({ name: optional(pinName) }, request),
    body: null,
    /** withdrawn: the content had no pin left and was withdrawn from the search index. */
    response: object({ cid: string(), removed: count, withdrawn: boolean() }, response),
  }),
  gc: route({
    method: 'POST',
    path: '/api/v1/gc',
    summary: 'removes the blocks no pin keeps and nobody used within the grace period',
    params: noParams,
    query: object({ graceMs: optional(queryInteger({ min: 0, max: ApiLimits.gcGraceMsMax })) }, request),
    body: null,
    response: object({ blocksRemoved: count, bytesRemoved: count, blocksKept: count, packsCompacted: count, diskBytesFreed: count, stagingPinsRemoved: count }, response),
    answerTimeoutMs: ApiLimits.storeOperationTimeoutMs,
  }),
  fsck: route({
    method: 'POST',
    path: '/api/v1/fsck',
    summary: "checks every block against its CID and the index against the files (repair=true fixes what it can)",
    params: noParams,
    query: object({ repair: optional(queryFlag()) }, request),
    body: null,
    response: fsckSchema,
    answerTimeoutMs: ApiLimits.storeOperationTimeoutMs,
  }),
  exportCar: route({
    method: 'GET',
    path: '/api/v1/car/:ref',
    summary: 'the content as a CAR v1 file, streamed: the root and every block it links to',
    params: refParams,
    query: null,
    body: null,
    response: byteStream('a CAR v1 file'),
  }),
  importCar: route({
    method: 'POST',
    path: '/api/v1/car',
    summary: 'imports a CAR file streamed in the body: every block checked against its CID, the roots pinned ("import")',
    params: noParams,
    query: null,
    body: byteStream('a CAR v1 file'),
    response: object({
      roots: array(string()),
      blocks: count,
      bytes: count,
      /** Blocks that did not match their CID or were too large; not stored. */
      refused: count,
      refusedCids: array(string()),
    }, response),
  }),

  // Computation (issue 5): jobs on the grid, and this node's part in them.
  jobSubmit: route({
    method: 'POST',
    path: '/api/v1/jobs',
    summary: "submits a job: job.json's value with its program (and inputs) as CIDs of stored content; the node closest to the job's key coordinates it",
    params: noParams,
    query: null,
    body: object({ job: anyJson('a job.json object (docs/COMPUTE.md)') }, request),
    bodyBytesMax: 4 * 1024 * 1024,
    response: object({ jobId: string(), coordinator: string() }, response),
  }),
  jobList: route({
    method: 'GET',
    path: '/api/v1/jobs',
    summary: 'the jobs submitted from this node, newest first',
    params: noParams,
    query: null,
    body: null,
    response: object({ jobs: array(object({ jobId: string(), name: string(), submittedAtUnixMs: count }, response)) }, response),
  }),
  jobStatus: route({
    method: 'GET',
    path: '/api/v1/jobs/:jobId',
    summary: "a job's state and units, from its coordinator",
    params: jobParams,
    query: null,
    body: null,
    response: jobStatusSchema,
  }),
  jobResults: route({
    method: 'GET',
    path: '/api/v1/jobs/:jobId/results',
    summary: "a page of a job's units with their accepted outputs, from unit `from`; nextUnit is null on the last page",
    params: jobParams,
    query: object({ from: optional(queryInteger({ min: 0, max: 2 ** 32 })), limit: optional(queryInteger({ min: 1, max: 1024 })) }, request),
    body: null,
    response: object({ jobId: string(), entries: array(jobResultSchema, { maxItems: 1024 }), nextUnit: nullable(count) }, response),
  }),
  jobCancel: route({
    method: 'DELETE',
    path: '/api/v1/jobs/:jobId',
    summary: 'cancels a job submitted from this node',
    params: jobParams,
    query: null,
    body: null,
    response: object({ jobId: string(), cancelled: boolean() }, response),
  }),
  ledger: route({
    method: 'GET',
    path: '/api/v1/ledger',
    summary: 'work given to and received from each peer: units, fuel and wall time from countersigned receipts, most work first',
    params: noParams,
    query: null,
    body: null,
    response: object({ peers: array(object({ peer: string(), given: workTotals, received: workTotals }, response)) }, response),
  }),
  // Search (issue 7): publishing documents' metadata into the index on the DHT, and queries.
  searchPublish: route({
    method: 'POST',
    path: '/api/v1/search/documents',
    summary: 'publishes stored plain content into the search index under its Dublin Core metadata (and the top terms of its text with indexText)',
    params: noParams,
    query: null,
    body: object({ cid: cidText, metadata: dublinCore, indexText: optional(boolean()) }, request),
    bodyBytesMax: 64 * 1024,
    response: searchPublishedSchema,
    answerTimeoutMs: 120_000,
  }),
  searchWithdraw: route({
    method: 'DELETE',
    path: '/api/v1/search/documents/:cid',
    summary: "withdraws a document this node published: its postings leave the index",
    params: object({ cid: cidText }, request),
    query: null,
    body: null,
    response: object({ cid: string(), nodes: count, failedNodes: count }, response),
    answerTimeoutMs: 120_000,
  }),
  searchDocuments: route({
    method: 'GET',
    path: '/api/v1/search/documents',
    summary: 'the documents this node publishes, with their metadata',
    params: noParams,
    query: null,
    body: null,
    response: object({ documents: array(object({ cid: string(), metadata: dublinCore, publishedAtUnixMs: count }, response)) }, response),
  }),
  search: route({
    method: 'POST',
    path: '/api/v1/search',
    summary: 'searches the index: documents holding every word (and every field filter, element:words), ranked by BM25',
    params: noParams,
    query: null,
    body: object({
      query: string({ maxBytes: 4096 }),
      fields: optional(array(string({ maxBytes: 1024 }), { maxItems: 8 })),
      limit: optional(integer({ min: 1, max: 100 })),
      stem: optional(boolean()),
    }, request),
    response: searchResultSchema,
    answerTimeoutMs: 60_000,
  }),
  searchStatus: route({
    method: 'GET',
    path: '/api/v1/search/status',
    summary: "this node's share of the search index, its publications and repair",
    params: noParams,
    query: null,
    body: null,
    response: searchStatusSchema,
  }),
  computeStatus: route({
    method: 'GET',
    path: '/api/v1/compute',
    summary: "this node's part in computation: its volunteer's counts and advert, and the jobs it coordinates",
    params: noParams,
    query: null,
    body: null,
    response: computeStatusSchema,
  }),
} as const;

export type Routes = typeof routes;
export type RouteName = keyof Routes;
export const routeNames = Object.keys(routes) as RouteName[];

export type ParamsOf<Name extends RouteName> = Infer<Routes[Name]['params']>;
/** The checked query, or undefined for a route that takes none. */
export type QueryOf<Name extends RouteName> = Routes[Name]['query'] extends Schema<infer Query> ? Query : undefined;
/** The body as a handler receives it: checked JSON, or the request's bytes as they arrive. */
export type BodyOf<Name extends RouteName> = Routes[Name]['body'] extends ByteStream ? AsyncIterable<Uint8Array>
  : Routes[Name]['body'] extends Schema<infer Body> ? Body : undefined;
/** The body as a client gives it. */
export type ClientBodyOf<Name extends RouteName> = Routes[Name]['body'] extends ByteStream ? ByteStreamBody : BodyOf<Name>;
export type ResponseOf<Name extends RouteName> = Routes[Name]['response'] extends ByteStream ? ByteStreamResponse
  : Infer<Routes[Name]['response']>;

/** Where a request came from, as the server saw its connection. */
export interface RequestCaller {
  /** The connection comes from a loopback address: a client on the node's own machine (or a tunnel ending on it). */
  readonly loopback: boolean;
}

/** What a handler receives: the route's parameters, query and body, already checked; and, from the server, its caller. */
export type CheckedRequest<Name extends RouteName> = {
  readonly params: ParamsOf<Name>;
  readonly body: BodyOf<Name>;
  readonly caller?: RequestCaller;
} & (QueryOf<Name> extends undefined ? { readonly query?: undefined } : { readonly query: QueryOf<Name> });

export const errorResponseSchema = object({
  error: object({ code: string(), message: string() }, response),
}, response);

export type ErrorResponse = Infer<typeof errorResponseSchema>;
