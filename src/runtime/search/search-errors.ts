/** Errors of search that the API answers with a status of their own (api/errors.ts). */

/** A query or a document to publish that cannot be taken: the message says why (400). */
export class SearchRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchRequestError';
  }
}

/** Withdrawing a document this node has not published (404). */
export class NotPublishedError extends Error {
  constructor(cid: string) {
    super(`${cid} is not published from this node`);
    this.name = 'NotPublishedError';
  }
}
