/**
 * What the node's content store (content-store.ts) fails with, as named errors: the API maps each
 * to an HTTP status in one place (api/errors.ts), the CLI to an exit status. The blockstore's and
 * the DAG layer's own errors are re-exported here, so the API reaches storage through this one
 * door of the runtime (the dependency rule: api → runtime, never api → services).
 */
export { DagError } from '../services/storage/dag/dag-error.ts';
export {
  BlockCorruptError, BlockMismatchError, BlockNotFoundError, BlockstoreArgumentError, BlockstoreClosedError, BlockTooLargeError,
  InvalidCidError, UnsupportedHashError,
} from './storage/blockstore-errors.ts';

/** The request names content wrongly: not a CID or capability, a refused entry name, mixed plain and encrypted entries. */
export class ContentRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContentRequestError';
  }
}

/** The content is not stored on this node (what the grid holds is fetched first: runtime/exchange/). */
export class ContentNotFoundError extends Error {
  readonly cid: string;
  constructor(cid: string, detail = '') {
    super(`${cid} is not stored on this node${detail === '' ? '' : ` (${detail})`}`);
    this.name = 'ContentNotFoundError';
    this.cid = cid;
  }
}

/** Content that neither this node nor any node of the grid could supply (runtime/exchange/content-fetcher.ts). */
export class ContentUnavailableError extends ContentNotFoundError {
  readonly missing: readonly string[];
  constructor(missing: readonly string[]) {
    super(missing[0] ?? '');
    this.message = `${missing.length} block(s) could not be found here or on any node of the grid, such as ${missing[0]}`;
    this.name = 'ContentUnavailableError';
    this.missing = missing;
  }
}

/** A file's bytes were asked of a directory. */
export class NotAFileError extends Error {
  constructor(ref: string) {
    super(`${ref} is a directory, not a file: list its entries (peergrid ls) and get them, or get the directory with peergrid get`);
    this.name = 'NotAFileError';
  }
}

/** An uploaded body that cannot be what it should be (a CAR file that does not parse). */
export class ContentInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContentInputError';
  }
}

/** A path the node will not add from its own disk for a client, or does not see as the client does (content/local-path-guard.ts). */
export class LocalPathRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalPathRefusedError';
  }
}
