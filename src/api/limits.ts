/**
 * Bounds on what a client can make the API server hold or do, each with its reason. The kernel's
 * own limits (core/limits.ts) still apply behind these.
 */
import { Limits } from '../core/limits.ts';

export const ApiLimits = {
  /** A key's text: ample for names, and a URL path stays far below common 8 KiB header limits. */
  keyBytesMax: 1024,
  /** A value, as the kernel stores it. */
  valueBytesMax: Limits.valueBytesMax,
  /**
   * A request body: a 64 KiB value as JSON text can take up to six bytes per byte ("\u0001"), so
   * 512 KiB holds any acceptable value with room, and nothing much larger is read.
   */
  requestBodyBytesMax: 512 * 1024,
  /** Longest TTL a put may ask for: the kernel's ceiling. */
  valueTtlMsMax: Limits.valueTtlMsMax,
  /** Open HTTP connections at once; more are refused by the server rather than queued. */
  connectionsMax: 128,
  /**
   * How long a client may take to send its headers, and its whole request when the body is JSON
   * (the server enforces the second itself, per route: a byte-stream upload may take hours).
   */
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  /**
   * A byte stream in either direction (an upload, a download, a CAR) may take as long as it needs,
   * but not stall: a connection that moves no byte for this long is closed, so a client that stops
   * sending or reading cannot hold the node's resources (a store session, a file) forever.
   */
  streamIdleTimeoutMs: 60_000,
  /**
   * A request refused while its body is still arriving (a CAR that does not parse after its first
   * bytes) has this much of the rest read and discarded before the answer goes out, so a client
   * that is still sending reads the error instead of a reset connection. Beyond it the connection
   * is simply closed: nobody should upload 64 MiB after being told no.
   */
  refusedBodyDrainBytesMax: 64 * 1024 * 1024,
  /**
   * A directory's JSON body: up to directoryEntriesMax entries, each a name of at most 255 bytes and
   * a capability of about 130 characters, is some 4.2 MB; twice that leaves room for escaped names.
   */
  directoryBodyBytesMax: 8 * 1024 * 1024,
  /** Entries in one directory: the DAG layer's limit (services/storage/dag/limits.ts), mirrored here for the client. */
  directoryEntriesMax: 10_000,
  /** A CID or capability in a path: a CIDv1 of sha2-256 is 59 characters, a capability about 120. */
  refBytesMax: 512,
  /** A pin's name: the blockstore's limit (runtime/storage/blockstore-limits.ts), mirrored. */
  pinNameBytesMax: 256,
  /** The longest list an fsck report carries (the blockstore's reportListMax; counts stay exact). */
  reportListMax: 1000,
  /** The longest grace period a gc may be asked for: a week. */
  gcGraceMsMax: 7 * 24 * 3600 * 1000,
  /** How long a client waits for a whole-store operation (fsck hashes every block; gc sweeps). */
  storeOperationTimeoutMs: 2 * 3600 * 1000,
  /** Contacts a peers response may list: a routing table of 256 buckets of at most 64. */
  contactsMax: 256 * Limits.bucketSizeMax,
  /** Peers a lookup response lists (the kernel returns at most k). */
  closestMax: Limits.bucketSizeMax,
} as const;
