/**
 * The bounds of the block-exchange protocol (`/peergrid/blocks/1.0.0`, exchange-messages.ts), each
 * with its reason. A decoder checks every length against these before it reads or allocates, so a
 * hostile peer can make us hold at most messageBytesMax bytes per frame (issue 4: "bound
 * everything"; the kernel's own codec does the same with core/limits.ts).
 */

/**
 * 4 MiB, the blockstore's bound (runtime/storage/blockstore-limits.ts, BlockstoreLimits.blockBytesMax,
 * which services/ may not import: a test checks the two agree). It is also bitswap's message cap,
 * so a block we store can be traded with IPFS peers.
 */
const BLOCK_BYTES_MAX = 4 * 1024 * 1024;

/**
 * Room for a fragment record's own fields beyond the fragment (the block's CID, the fragment's
 * index, K, M, lengths, a digest or signature): 4 KiB is ten times what those take today, and the
 * record format belongs to the erasure layer, which may grow it. A fragment is never larger than
 * its block (K ≥ 1), so a record fits in blockBytesMax plus this.
 */
const RECORD_OVERHEAD_BYTES_MAX = 4096;

/**
 * A CIDv1 with a sha2-256 multihash and one of our codecs (raw, dag-pb, dag-cbor) takes exactly 36
 * bytes; 64 leaves room for a codec with a longer multicodec varint without a format change, and
 * fits the u8 length prefix.
 */
const CID_BYTES_MAX = 64;

/** Blocks one `have` may ask about: a 1 GiB file has about 4,000 blocks, so four requests cover it. */
const HAVE_BLOCKS_MAX = 1024;

/**
 * The longest lease a `renew` may ask for: ten years, in seconds (fits the u32 field with room).
 * A holder grants at most its own `storage.leaseMs`; this bounds only what the wire carries.
 */
const LEASE_SECONDS_MAX = 10 * 365 * 24 * 3600;

/** Fragment indexes run 0 … 255: the erasure code's K + M is at most 256 (GF(2^8), docs/storage-erasure.md). */
const FRAGMENT_INDEX_MAX = 255;
const FRAGMENTS_PER_BLOCK_MAX = FRAGMENT_INDEX_MAX + 1;

/** A refusal's text is for logs and people, not for programs; the reason code is what callers act on. */
const MESSAGE_TEXT_BYTES_MAX = 256;

// The widths of the fields that carry the limits above (see exchange-messages.ts for the layout).
const HEADER_BYTES = 2;
const CID_LENGTH_BYTES = 1;
const COPIES_BYTES = 1;
const BYTES_LENGTH_BYTES = 4;
const COUNT_BYTES = 2;
const HAVES_ENTRY_FIXED_BYTES = 1 + 2;
const LEASE_BYTES = 4;

const RECORD_BYTES_MAX = BLOCK_BYTES_MAX + RECORD_OVERHEAD_BYTES_MAX;

/** The largest message of each kind that the limits allow; the largest of all bounds a frame. */
const LARGEST_ENCODINGS = [
  HEADER_BYTES + CID_LENGTH_BYTES + CID_BYTES_MAX + COPIES_BYTES + BYTES_LENGTH_BYTES + BLOCK_BYTES_MAX, // storeBlock
  HEADER_BYTES + BYTES_LENGTH_BYTES + RECORD_BYTES_MAX, // storeFragment, fragment
  HEADER_BYTES + COUNT_BYTES + HAVE_BLOCKS_MAX * (CID_LENGTH_BYTES + CID_BYTES_MAX), // have
  HEADER_BYTES + LEASE_BYTES + COUNT_BYTES + HAVE_BLOCKS_MAX * (CID_LENGTH_BYTES + CID_BYTES_MAX), // renew
  HEADER_BYTES + COUNT_BYTES + HAVE_BLOCKS_MAX * (HAVES_ENTRY_FIXED_BYTES + FRAGMENTS_PER_BLOCK_MAX), // haves
];

export const ExchangeLimits = {
  blockBytesMax: BLOCK_BYTES_MAX,
  recordOverheadBytesMax: RECORD_OVERHEAD_BYTES_MAX,
  /** An opaque fragment record (storeFragment, fragment): a fragment of a block plus its header. */
  recordBytesMax: RECORD_BYTES_MAX,
  cidBytesMax: CID_BYTES_MAX,
  /** Blocks one `have` or `renew` may name. */
  haveBlocksMax: HAVE_BLOCKS_MAX,
  leaseSecondsMax: LEASE_SECONDS_MAX,
  fragmentIndexMax: FRAGMENT_INDEX_MAX,
  fragmentsPerBlockMax: FRAGMENTS_PER_BLOCK_MAX,
  messageTextBytesMax: MESSAGE_TEXT_BYTES_MAX,
  /**
   * One encoded message: the largest encoding the limits allow (a storeFragment of a full record,
   * 4 MiB + 4 KiB + 6 bytes). The framing layer caps a frame's payload at this.
   */
  messageBytesMax: Math.max(...LARGEST_ENCODINGS),
} as const;
