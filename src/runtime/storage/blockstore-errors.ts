/**
 * The blockstore's failures, as named Error subclasses that the API and CLI layers map to HTTP
 * codes and exit codes in one place. Each carries the CID (as its canonical string) it concerns.
 */

/** Bytes given to put() do not hash to the CID they were given with. Nothing was written. */
export class BlockMismatchError extends Error {
  readonly cid: string;
  readonly actualDigestHex: string;
  constructor(cid: string, actualDigestHex: string) {
    super(`block does not match its CID ${cid}: its sha2-256 digest is ${actualDigestHex}`);
    this.name = 'BlockMismatchError';
    this.cid = cid;
    this.actualDigestHex = actualDigestHex;
  }
}

/**
 * A block's file on disk does not match its CID (bit rot, a torn write after power loss, a hand
 * edit). The file was moved to quarantine/ and dropped from the index: fetch the block again.
 */
export class BlockCorruptError extends Error {
  readonly cid: string;
  readonly quarantinedAs: string | undefined;
  constructor(cid: string, problem: string, quarantinedAs: string | undefined) {
    super(`block ${cid} is corrupt on disk (${problem}); it was quarantined and must be fetched again`);
    this.name = 'BlockCorruptError';
    this.cid = cid;
    this.quarantinedAs = quarantinedAs;
  }
}

/** The block is not in the store. */
export class BlockNotFoundError extends Error {
  readonly cid: string;
  constructor(cid: string, detail = '') {
    super(`block ${cid} is not in the store${detail ? ` (${detail})` : ''}`);
    this.name = 'BlockNotFoundError';
    this.cid = cid;
  }
}

/** The CID's multihash is not sha2-256, the only hash the store verifies. */
export class UnsupportedHashError extends Error {
  readonly cid: string;
  readonly hashCode: number;
  constructor(cid: string, hashCode: number) {
    super(`CID ${cid} uses multihash 0x${hashCode.toString(16)}; the blockstore accepts only sha2-256 (0x12) with a 32-byte digest`);
    this.name = 'UnsupportedHashError';
    this.cid = cid;
    this.hashCode = hashCode;
  }
}

/** A value that should be a CID is not one (a string that does not parse, some other object). */
export class InvalidCidError extends Error {
  constructor(detail: string) {
    super(`not a CID: ${detail}`);
    this.name = 'InvalidCidError';
  }
}

/** A block larger than BlockstoreLimits.blockBytesMax, or another bound exceeded by the input. */
export class BlockTooLargeError extends Error {
  readonly cid: string;
  constructor(cid: string, what: string, size: number, max: number) {
    super(`block ${cid}: ${what} ${size} exceeds the limit of ${max}`);
    this.name = 'BlockTooLargeError';
    this.cid = cid;
  }
}

/** A bad argument other than a CID: an owner tag, a pin name, a durability mode. */
export class BlockstoreArgumentError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'BlockstoreArgumentError';
  }
}

/** delete() of a block that a pin keeps (directly, or through a recursive pin's links). */
export class BlockPinnedError extends Error {
  readonly cid: string;
  constructor(cid: string, how: string) {
    super(`block ${cid} is pinned (${how}); unpin it first`);
    this.name = 'BlockPinnedError';
    this.cid = cid;
  }
}

/** Another process (or another open store in this process) has the directory. */
export class BlockstoreLockedError extends Error {
  readonly dir: string;
  constructor(dir: string, holder: string) {
    super(`the blockstore ${dir} is in use${holder ? ` by ${holder}` : ''}`);
    this.name = 'BlockstoreLockedError';
    this.dir = dir;
  }
}

/** The directory holds an index this code does not understand (a newer layout, a foreign file). */
export class BlockstoreFormatError extends Error {
  readonly dir: string;
  constructor(dir: string, detail: string) {
    super(`the blockstore ${dir} cannot be opened: ${detail}`);
    this.name = 'BlockstoreFormatError';
    this.dir = dir;
  }
}

/** An operation on a store that was closed. */
export class BlockstoreClosedError extends Error {
  constructor() {
    super('the blockstore is closed');
    this.name = 'BlockstoreClosedError';
  }
}
