/**
 * The standing of the workers this node has coordinated (issue 5, item 6; CredibilityBook), kept
 * in <dataDir>/standing.json so that a restarted node still knows who was caught lying and who has
 * earned trust. Written whole and atomically at most every `saveDelayMs` when it changed, and at
 * shutdown; a file that does not read starts an empty book (logged) rather than keep the node from
 * starting.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CredibilityBook, type CredibilityConfig, type CredibilitySnapshot } from '../../services/compute/validation/credibility-book.ts';
import { writeFileAtomically } from '../data-dir.ts';

const FILE_NAME = 'standing.json';

export const StandingFileLimits = {
  /** Written at most this often (and at shutdown): a crash loses at most this much of the standing. */
  saveDelayMs: 30_000,
} as const;

export class StandingFile {
  readonly book: CredibilityBook;
  private readonly path: string;
  private readonly log: (record: Record<string, unknown>) => void;
  private savedChanges: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private saving: Promise<void> = Promise.resolve();

  private constructor(path: string, book: CredibilityBook, log: (record: Record<string, unknown>) => void) {
    this.path = path;
    this.book = book;
    this.log = log;
    this.savedChanges = book.changes;
  }

  static async open(dataDir: string, config: CredibilityConfig, log: (record: Record<string, unknown>) => void): Promise<StandingFile> {
    const path = join(dataDir, FILE_NAME);
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      // None yet; or one that cannot be read at all (a directory in its place), said as a damaged one is.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        log({ level: 'warn', event: 'standingUnreadable', path, error: (error as Error).message, note: 'the standing of workers starts empty' });
      }
    }
    return new StandingFile(path, text === null ? new CredibilityBook(config) : parseBook(text, config, path, log), log);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), StandingFileLimits.saveDelayMs);
    this.timer.unref();
  }

  /**
   * Writes the book if it changed since it was last written. A write that fails (a full disk, the
   * path taken by a directory) is logged and tried again at the next flush: it never rejects, since
   * the timer's flush has nobody to catch it and an unhandled rejection would end the node.
   */
  async flush(): Promise<void> {
    this.saving = this.saving.then(async () => {
      const changes = this.book.changes;
      if (changes === this.savedChanges) return;
      try {
        await writeFileAtomically(this.path, `${JSON.stringify(this.book.snapshot())}\n`);
        this.savedChanges = changes;
      } catch (error) {
        this.log({ level: 'warn', event: 'standingNotSaved', path: this.path, error: (error as Error).message });
      }
    });
    return this.saving;
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}

/** The book in a file, with this node's configuration (the file's own is not trusted to be current); an empty one if it does not read. */
function parseBook(text: string, config: CredibilityConfig, path: string, log: (record: Record<string, unknown>) => void): CredibilityBook {
  try {
    const value = JSON.parse(text) as Partial<CredibilitySnapshot>;
    if (value.version !== 1 || !Array.isArray(value.workers)) throw new Error('not a version-1 standing book');
    const workers = value.workers.filter((entry): entry is CredibilitySnapshot['workers'][number] =>
      Array.isArray(entry) && entry.length === 6 && typeof entry[0] === 'string' && entry.slice(1).every((count) => typeof count === 'number' && Number.isSafeInteger(count) && count >= 0));
    return CredibilityBook.fromSnapshot({ version: 1, config, workers: workers.slice(-config.workersMax) });
  } catch (error) {
    log({ level: 'warn', event: 'standingUnreadable', path, error: (error as Error).message, note: 'the standing of workers starts empty' });
    return new CredibilityBook(config);
  }
}
