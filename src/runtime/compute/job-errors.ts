/** What asking for a job on the grid can fail with; the API answers them as 404, 403 and 503 (api/errors.ts). */

/** No node near the job's key knows it (a wrong id, or its coordinator is gone). */
export class JobNotFoundError extends Error {
  constructor(jobId: string, detail: string) {
    super(`job ${jobId} not found: ${detail}`);
    this.name = 'JobNotFoundError';
  }
}

/** The job's coordinator would not do it ('forbidden': only the submitter may cancel), or no node would take a job. */
export class JobRefusedError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = 'JobRefusedError';
    this.reason = reason;
  }
}
