/**
 * Hard limits on everything that untrusted input or load can grow. Each has its reason.
 * Configurable knobs (k, α, b, timeouts) live in config.ts; these are the ceilings they must fit in.
 */
export const Limits = {
  /** Largest k a node accepts: a reply lists at most this many contacts. Kademlia uses k = 20. */
  bucketSizeMax: 64,
  /** Contacts in one `nodes` reply. Equal to bucketSizeMax: a reply never needs more than k. */
  contactsPerReplyMax: 64,
  /** A peer's address (libp2p peer id plus a few multiaddrs fits comfortably). */
  addressBytesMax: 1024,
  /** A DHT value. The kernel stores small records (provider records, pointers), not file data. */
  valueBytesMax: 64 * 1024,
  /** One encoded message: the largest (a full `nodes` reply with coordinates, 68,823 bytes) plus headroom. */
  messageBytesMax: 72 * 1024,
  /** Values a node holds for others; beyond it STORE is refused with storeFull. */
  storedValuesMax: 65_536,
  /** Values cached from lookups (Kademlia §2.3 caching), kept apart so caching cannot evict stored values. */
  cachedValuesMax: 1024,
  /** Longest TTL a STORE may ask for: a publisher republishes every 24 hours (Kademlia §2.5). */
  valueTtlMsMax: 48 * 60 * 60 * 1000,
  /** Requests a node has in flight at once; beyond it, new requests wait or operations fail. */
  pendingRequestsMax: 4096,
  /** Lookups a node runs at once (user and maintenance together). */
  activeLookupsMax: 256,
  /** Candidates one lookup remembers: enough for k results even after many failures. */
  lookupCandidatesMax: 192,
  /** Replacement-cache entries per bucket (Kademlia §4.1). */
  replacementsPerBucketMax: 20,
} as const;
