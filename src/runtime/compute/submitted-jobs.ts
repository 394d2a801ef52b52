/**
 * The jobs submitted from this node (`peergrid job ls`), kept in <dataDir>/jobs.json so that a
 * submitter that went offline finds its jobs again when it returns (their state lives with their
 * coordinators). Written whole, atomically (temporary file, fsync, rename); at most
 * `submittedJobsMax`, the oldest dropped first.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../data-dir.ts';

export interface SubmittedJob {
  readonly jobId: string;
  readonly name: string;
  readonly submittedAtUnixMs: number;
}

const FILE_NAME = 'jobs.json';
const SUBMITTED_JOBS_MAX = 10_000;

export class SubmittedJobs {
  private readonly path: string;
  private jobs: SubmittedJob[];
  private writing: Promise<void> = Promise.resolve();

  private constructor(path: string, jobs: SubmittedJob[]) {
    this.path = path;
    this.jobs = jobs;
  }

  static async open(dataDir: string, log: (record: Record<string, unknown>) => void): Promise<SubmittedJobs> {
    const path = join(dataDir, FILE_NAME);
    let jobs: SubmittedJob[] = [];
    try {
      const value: unknown = JSON.parse(await readFile(path, 'utf8'));
      if (Array.isArray(value)) jobs = value.filter(isSubmittedJob);
    } catch (error) {
      // None yet, or unreadable: a list of jobs is not worth refusing to start for (an unreadable
      // one said in the log, since the next submit replaces it).
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        jobs = [];
        log({ level: 'warn', event: 'submittedJobsUnreadable', path, error: (error as Error).message, note: 'the list of jobs submitted here starts empty' });
      }
    }
    return new SubmittedJobs(path, jobs);
  }

  has(jobId: string): boolean {
    return this.jobs.some((job) => job.jobId === jobId);
  }

  /** Newest first. */
  list(): readonly SubmittedJob[] {
    return [...this.jobs].reverse();
  }

  add(job: SubmittedJob): Promise<void> {
    if (this.jobs.some((known) => known.jobId === job.jobId)) return Promise.resolve();
    this.jobs.push(job);
    if (this.jobs.length > SUBMITTED_JOBS_MAX) this.jobs = this.jobs.slice(-SUBMITTED_JOBS_MAX);
    const text = JSON.stringify(this.jobs);
    // After a write that failed (a full disk), the next one is still made: it writes the whole list,
    // the job the failed one missed with it. Chained on the failure itself, every later add would fail.
    this.writing = this.writing.catch(() => undefined).then(() => writeFileAtomically(this.path, text));
    return this.writing;
  }
}

function isSubmittedJob(value: unknown): value is SubmittedJob {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.jobId === 'string' && typeof record.name === 'string' && typeof record.submittedAtUnixMs === 'number';
}
