/** What every command gets and provides; main.ts owns the dispatch and the mapping of errors to exit codes. */

/** Where a command writes, and the environment it may consult. Tests can pass their own. */
export interface CliIo {
  /** Standard output: results only (one JSON object with --json). */
  out(text: string): void;
  /** Standard error: the seed line, progress, diagnostics. */
  err(text: string): void;
  /**
   * Standard output for bytes (`peergrid cat`): resolves when the bytes may be followed by more
   * (backpressure), false once the reader has gone (`peergrid cat … | head`). Absent where a
   * command's output is text only.
   */
  outBytes?(bytes: Uint8Array): Promise<boolean>;
  /** Standard input as bytes (`peergrid put -`); absent where there is none to read. */
  readonly inBytes?: AsyncIterable<Uint8Array>;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Whether standard error is a terminal: progress lines are drawn only there (never in tests or pipes). */
  readonly errIsTty?: boolean;
}

/** A runnable command, such as `sim lookup`. */
export interface CliCommand {
  /** The words that select it, e.g. ['sim', 'lookup']; commands.ts lists it under the same words, with its summary. */
  readonly path: readonly string[];
  /** The full text printed by --help. */
  usage(): string;
  /** Runs with the arguments after the command words. Throws UsageError for bad arguments. */
  run(args: readonly string[], io: CliIo): Promise<void> | void;
}

/**
 * The command could not do its work for a reason the user can act on (no node at that address, a
 * value not found). Exit status 1, with the message alone: no stack trace, no hint to debug.
 */
export class CommandFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandFailedError';
  }
}
