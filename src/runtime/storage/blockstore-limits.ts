/**
 * The local blockstore's bounds, each with its reason (docs/storage-blockstore.md).
 */
export const BlockstoreLimits = {
  /**
   * 4 MiB. The content layer's largest block is a 1 MiB chunk (four times the 256 KiB average,
   * services/storage/chunking) and its manifests are smaller. IPFS peers exchange blocks over
   * bitswap, whose specification caps a message at 4 MiB (and requires peers to accept blocks of
   * up to 2 MiB), so a larger block could not be traded with them anyway. It also bounds the
   * memory one get() or put() holds.
   */
  blockBytesMax: 4 * 1024 * 1024,
  /**
   * A block of blockBytesMax holds at most about 4 MiB / 36 B ≈ 116k CIDs (a sha2-256 CIDv1 is 36
   * bytes), so no honest manifest names more children than this.
   */
  linksPerBlockMax: 131_072,
  /**
   * Blocks written in one transaction, and one pack, by putMany (larger calls are split): 256
   * blocks of 256 KiB are 64 MiB per pack and per commit.
   */
  blocksPerBatchMax: 256,
  /** putAll flushes a batch once it holds this many bytes, so a stream never buffers more. */
  batchBytesMax: 64 * 1024 * 1024,
  /**
   * Blocks a fetch stored, kept in memory for a reader of that content until it reads them
   * (block-arrivals.ts). The reader is mostly a few MiB behind the fetch, at times (over HTTP on
   * a loaded machine) 0.3–0.5 s; when it falls further behind, the oldest go and it reads them
   * from the packs — from the disk, since large packs are written around the page cache.
   */
  arrivalsKeptBytesMax: 64 * 1024 * 1024,
  /** A pin's name (a file name, a contract id): bounded like any user string. */
  pinNameLengthMax: 256,
  /** An owner tag: 'local' or a peer id (a libp2p peer id is about 52 characters). */
  ownerLengthMax: 128,
  /** Reads record their access time in memory and write them in one transaction at most this often. */
  accessFlushIntervalMs: 1000,
  /** …or as soon as this many distinct blocks were read (bounds the memory of the pending set). */
  accessPendingMax: 4096,
  /** fsck reports at most this many CIDs per list (the counts are always exact). */
  reportListMax: 1000,
  /**
   * File operations a put, gc, recovery or fsck keeps in flight at once: libuv runs file IO on a
   * pool of 4 threads by default, so more would only queue (and hold more memory and descriptors).
   */
  ioParallelism: 4,
  /** Pack files kept open for reading (pack-readers.ts): far below the usual limit of 1024 descriptors. */
  openPacksMax: 64,
  /**
   * A pack whose live bytes are at most this fraction of its file is rewritten by compaction (gc,
   * or a deletion once enough is dead): the space a store wastes stays below about half, and a
   * block is copied on average at most once per halving of its pack.
   */
  compactionLiveFractionMax: 0.5,
  /** A deletion compacts only once the sparse packs hold this much dead space: rewriting is not worth it for less. */
  compactionDeadBytesMin: 64 * 1024 * 1024,
  /** Live bytes compaction gathers into one new pack. */
  compactionPackBytesMax: 64 * 1024 * 1024,
} as const;

/**
 * Default grace period of gc: a block put or read less than this long ago is not collected, so a
 * caller that puts blocks and pins their root a moment later does not race a gc. Callers whose
 * writes take longer (a large file over the network) use a session (blockstore-sessions.ts).
 */
export const GC_GRACE_MS_DEFAULT = 60_000;

/** Default lifetime of a session that is neither renewed nor closed (a caller that forgot it). */
export const SESSION_TTL_MS_DEFAULT = 60 * 60 * 1000;

/** The owner of blocks the node stores for itself; others are tagged with the peer's id. */
export const LOCAL_OWNER = 'local';

/**
 * The owner of blocks held only as a cache (runtime/exchange/block-cache.ts): charged to nobody's
 * quota, and taken over by the next put with any other owner (the block is then kept for them).
 */
export const CACHE_OWNER = 'cache';

/** The pin that keeps what this node holds for the grid (runtime/exchange/exchange-service.ts). */
export const GRID_PIN = 'grid';

/** The pin that keeps a cache copy of a hot block until it is evicted (runtime/exchange/block-cache.ts). */
export const CACHE_PIN = 'cache';
