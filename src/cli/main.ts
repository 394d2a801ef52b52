/**
 * The peergrid command line: `peergrid <command> [subcommand] [options]`. This module dispatches to
 * the commands and is the one place that maps errors to exit statuses: a UsageError prints
 * `peergrid: <message>` and a pointer to --help, exit 2; a CommandFailedError (no node at that
 * address, nothing found) prints its message, exit 1; anything else prints its message, exit 1
 * (with the stack trace when PEERGRID_DEBUG=1).
 */
import { UsageError } from './args.ts';
import { CommandFailedError, type CliIo } from './command.ts';
import { COMMANDS, type CommandGroup, type TopEntry } from './commands.ts';

export type { CliIo } from './command.ts';

function isGroup(entry: TopEntry | null): entry is CommandGroup {
  return entry !== null && 'subcommands' in entry;
}

function nameOf(entry: TopEntry): string {
  return isGroup(entry) ? entry.name : entry.path[0];
}

export const ExitCode = Object.freeze({ ok: 0, error: 1, usage: 2 });

const HELP_FLAGS: readonly string[] = ['-h', '--help'];

function isHelpFlag(arg: string | undefined): boolean {
  return arg !== undefined && HELP_FLAGS.includes(arg);
}

export function topUsage(): string {
  const rows: [string, string][] = [];
  for (const entry of COMMANDS) {
    for (const command of isGroup(entry) ? entry.subcommands : [entry]) rows.push([command.path.join(' '), command.summary]);
  }
  rows.push(['help [command]', 'show help for a command']);
  const width = Math.max(...rows.map(([name]) => name.length)) + 2;
  return `Usage: peergrid <command> [subcommand] [options]

peergrid: a Kademlia overlay, run for real on libp2p or in a deterministic simulator.
The client commands (status, peers, lookup, dht, and the storage commands put, get, cat, ls, pin,
storage, check, gc, fsck, export, import; search, publish, unpublish; job, ledger) talk to a running
node's HTTP API. put places content on the grid (copies or erasure-coded fragments on the nodes
closest to each block); get and cat fetch it from the grid; check counts (and with --verify audits)
what the grid keeps of it; search finds content by its metadata (put --meta).

Commands:
${rows.map(([name, summary]) => `  ${name.padEnd(width)}${summary}`).join('\n')}

Run 'peergrid <command> [subcommand] --help' for a command's options.
Set PEERGRID_DEBUG=1 to print the stack trace of an unexpected error.
`;
}

function groupUsage(group: CommandGroup): string {
  const width = Math.max(...group.subcommands.map((command) => command.path.join(' ').length)) + 2;
  return `Usage: peergrid ${group.name} <subcommand> [options]

${group.summary[0].toUpperCase()}${group.summary.slice(1)}.

Subcommands:
${group.subcommands.map((command) => `  ${command.path.join(' ').padEnd(width)}${command.summary}`).join('\n')}

Run 'peergrid ${group.name} <subcommand> --help' for its options.
`;
}

/** What the words select: a command, a group, or the top level; and the arguments left over. */
interface Resolved {
  readonly target: TopEntry | null;
  readonly rest: readonly string[];
}

/**
 * Resolves command words from the front of `words`. Calls `reached` with each level found, so the
 * caller can point a UsageError's hint at the deepest command it got to.
 */
function resolve(words: readonly string[], reached: (path: string) => void): Resolved {
  const first = words[0];
  if (first === undefined || first.startsWith('-')) return { target: null, rest: words };
  const entry = COMMANDS.find((candidate) => nameOf(candidate) === first);
  if (entry === undefined) {
    throw new UsageError(`unknown command '${first}' (commands: ${[...COMMANDS.map(nameOf), 'help'].join(', ')})`);
  }
  reached(nameOf(entry));
  if (!isGroup(entry)) return { target: entry, rest: words.slice(1) };
  const second = words[1];
  if (second === undefined || second.startsWith('-')) return { target: entry, rest: words.slice(1) };
  const command = entry.subcommands.find((candidate) => candidate.path[1] === second);
  if (command === undefined) {
    throw new UsageError(
      `unknown subcommand '${entry.name} ${second}' (subcommands: ${entry.subcommands.map((c) => c.path[1]).join(', ')})`,
    );
  }
  reached(command.path.join(' '));
  return { target: command, rest: words.slice(2) };
}

/** The help for what the words selected; a command's comes from its module, loaded for it. */
async function usageOf(target: TopEntry | null): Promise<string> {
  if (target === null) return topUsage();
  return isGroup(target) ? groupUsage(target) : (await target.load()).usage();
}

/** Runs the command line `argv` (without node and the script) and returns the exit status. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let helpPath = '';
  const reached = (path: string): void => {
    helpPath = path;
  };
  try {
    if (argv[0] === 'help') {
      const { target, rest } = resolve(argv.slice(1), reached);
      if (rest.length > 0) throw new UsageError(`help takes command words only, got '${rest[0]}'`);
      io.out(await usageOf(target));
      return ExitCode.ok;
    }
    const { target, rest } = resolve(argv, reached);
    // --help anywhere before a `--` terminator wins over every other argument.
    const terminator = rest.indexOf('--');
    if ((terminator < 0 ? rest : rest.slice(0, terminator)).some(isHelpFlag)) {
      io.out(await usageOf(target));
      return ExitCode.ok;
    }
    if (target === null) {
      if (rest.length === 0) throw new UsageError('missing command');
      throw new UsageError(`unknown option '${rest[0]}'`);
    }
    if (isGroup(target)) {
      const choices = target.subcommands.map((command) => command.path[1]).join(', ');
      if (rest.length === 0) throw new UsageError(`missing subcommand for '${target.name}' (subcommands: ${choices})`);
      throw new UsageError(`unknown option '${rest[0]}' for '${target.name}' (subcommands: ${choices})`);
    }
    await (await target.load()).run(rest, io);
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      const helpCommand = helpPath === '' ? 'peergrid --help' : `peergrid ${helpPath} --help`;
      io.err(`peergrid: ${error.message}\nRun '${helpCommand}' for usage.\n`);
      return ExitCode.usage;
    }
    if (error instanceof CommandFailedError) {
      io.err(`peergrid: ${error.message}\n`);
      return ExitCode.error;
    }
    const debug = io.env.PEERGRID_DEBUG === '1';
    const message = error instanceof Error ? error.message : String(error);
    if (debug && error instanceof Error && error.stack) io.err(`peergrid: ${error.stack}\n`);
    else io.err(`peergrid: ${message}\n${debug ? '' : '(set PEERGRID_DEBUG=1 for the stack trace)\n'}`);
    return ExitCode.error;
  }
}

/** The real process's streams. A closed stdout (`peergrid ... | head`) ends output quietly. */
export function processIo(): CliIo {
  const stdout = process.stdout;
  let closed = false;
  stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    closed = true;
  });
  return {
    out: (text) => void stdout.write(text),
    outBytes: async (bytes) => {
      if (closed) return false;
      if (!stdout.write(bytes)) {
        // Full: wait until it drains, or until it fails or closes (a drain would then never come).
        await new Promise<void>((resolve) => {
          const done = (): void => {
            for (const event of ['drain', 'close', 'error'] as const) stdout.off(event, done);
            resolve();
          };
          for (const event of ['drain', 'close', 'error'] as const) stdout.on(event, done);
        });
      }
      return !closed;
    },
    err: (text) => void process.stderr.write(text),
    inBytes: process.stdin,
    env: process.env,
    errIsTty: process.stderr.isTTY === true,
  };
}
