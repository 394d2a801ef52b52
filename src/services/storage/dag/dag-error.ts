/**
 * A manifest or block that cannot be what it claims: a wrong type, sizes that do not add up, a tree
 * too deep, a name that would escape the output directory. The API maps it to 422 and the CLI to a
 * clear message; nothing is written for the part that failed.
 */
export class DagError extends Error {
  override readonly name = 'DagError';
  /** The block at fault, as a CID string, when there is one. */
  readonly cid: string | null;

  constructor(message: string, cid: string | null = null) {
    super(cid === null ? message : `${message} (block ${cid})`);
    this.cid = cid;
  }
}
