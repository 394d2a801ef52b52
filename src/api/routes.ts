/**
 * The HTTP API, declared once: every route's method, path, parameters, body and response, as
 * schemas. The server (server.ts) checks requests against them and the client (client.ts) checks
 * responses; both take their TypeScript types from here, so the two cannot drift apart. The model
 * is lodestar's `packages/api/src/beacon/routes`, much reduced.
 *
 * Conventions: JSON in and out; paths under /api/v1; a key in a path is percent-encoded text (see
 * key.ts for how it becomes an id); ids are 64 lowercase hex digits; durations and ages end in Ms.
 * An error is `{ "error": { "code", "message" } }` with a 4xx or 5xx status (errors.ts).
 */
import { Limits } from '../core/limits.ts';
import { keySchema } from './key.ts';
import { ApiLimits } from './limits.ts';
import {
  array, boolean, integer, nullable, number, object, oneOf, optional, record, string, type Infer, type Schema,
} from './schema.ts';

export type HttpMethod = 'GET' | 'PUT';

export interface Route<Params, BodySchema extends Schema<unknown> | null, Response> {
  readonly method: HttpMethod;
  /** Segments starting with ':' are parameters, e.g. /api/v1/lookup/:key. */
  readonly path: string;
  readonly summary: string;
  readonly params: Schema<Params>;
  /** A JSON body's schema, or null when the route takes none. */
  readonly body: BodySchema;
  readonly response: Schema<Response>;
}

/** Identity, for type inference of each route's types. */
function route<Params, BodySchema extends Schema<unknown> | null, Response>(
  definition: Route<Params, BodySchema, Response>,
): Route<Params, BodySchema, Response> {
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

export const routes = {
  status: route({
    method: 'GET',
    path: '/api/v1/status',
    summary: "the node's id, state, addresses and counters",
    params: noParams,
    body: null,
    response: statusSchema,
  }),
  peers: route({
    method: 'GET',
    path: '/api/v1/peers',
    summary: 'the routing-table contacts, closest to the node first',
    params: noParams,
    body: null,
    response: object({ count, contacts: array(contactSchema, { maxItems: ApiLimits.contactsMax }) }, response),
  }),
  lookup: route({
    method: 'GET',
    path: '/api/v1/lookup/:key',
    summary: 'an iterative lookup: the closest live nodes to the key, closest first',
    params: keyParams,
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
} as const;

export type Routes = typeof routes;
export type RouteName = keyof Routes;
export const routeNames = Object.keys(routes) as RouteName[];

export type ParamsOf<Name extends RouteName> = Infer<Routes[Name]['params']>;
export type BodyOf<Name extends RouteName> = Routes[Name]['body'] extends Schema<infer Body> ? Body : undefined;
export type ResponseOf<Name extends RouteName> = Infer<Routes[Name]['response']>;

/** What a handler receives: the route's parameters and body, already checked. */
export interface CheckedRequest<Name extends RouteName> {
  readonly params: ParamsOf<Name>;
  readonly body: BodyOf<Name>;
}

export const errorResponseSchema = object({
  error: object({ code: string(), message: string() }, response),
}, response);

export type ErrorResponse = Infer<typeof errorResponseSchema>;
