/**
 * Bounds on what a manifest may claim, so that a hostile or corrupt DAG cannot make a reader
 * allocate, recurse or loop without end (issue 4, bad input: "a manifest with absurd sizes or a
 * cycle"). Each is far above what our own writer produces.
 */
export const DagLimits = {
  /** A block is at most 1 MiB: kubo's default chunk size and well under bitswap's 2 MiB cap. */
  blockBytesMax: 1 << 20,
  /** Children per internal file node: kubo's balanced layout uses 174, which keeps a node under 8 KiB. */
  fileLinksPerNodeMax: 174,
  /** A reader refuses deeper trees: 174^8 leaves of 1 byte is far beyond any real file. */
  depthMax: 8,
  /** A single file is at most 16 TiB. */
  fileBytesMax: 2 ** 44,
  /** Entries in one directory node (HAMT sharding is not implemented: docs/STORAGE.md). */
  directoryEntriesMax: 10_000,
  /** Bytes in one entry name, as most file systems allow. */
  nameBytesMax: 255,
} as const;
