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
  /** How long a client may take to send its headers, and its whole request. */
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  /** Contacts a peers response may list: a routing table of 256 buckets of at most 64. */
  contactsMax: 256 * Limits.bucketSizeMax,
  /** Peers a lookup response lists (the kernel returns at most k). */
  closestMax: Limits.bucketSizeMax,
} as const;
