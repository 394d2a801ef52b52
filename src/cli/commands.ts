/**
 * Every command of the command line: its words and its one-line summary, known at once, and its
 * module, loaded only when the command runs or shows its help. Loading every module up front took
 * `peergrid --help` 0.6–0.7 s, most of it libp2p's, which only `node start` needs; a client command
 * such as `get` loads in about 0.1 s on its own (Node 24 with the compile cache, the Intel VM).
 */
import type { CliCommand } from './command.ts';

/** A command as the dispatcher knows it before loading it. */
export interface CommandEntry {
  /** The words that select it, e.g. ['sim', 'lookup']. */
  readonly path: readonly string[];
  /** One line for the command list. */
  readonly summary: string;
  /** The command itself: its usage and what it runs. */
  load(): Promise<CliCommand>;
}

/** A command word with subcommands, such as `sim`. */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly subcommands: readonly CommandEntry[];
}

/** The first word selects a command (`status`) or a group of subcommands (`dht put`). */
export type TopEntry = CommandEntry | CommandGroup;

function command(path: readonly string[], summary: string, load: () => Promise<CliCommand>): CommandEntry {
  return { path, summary, load };
}

export const COMMANDS: readonly TopEntry[] = [
  command(['status'], "a running node's id, state and addresses (through its API)",
    async () => (await import('./status/command.ts')).statusCommand),
  command(['peers'], "a running node's routing-table contacts (through its API)",
    async () => (await import('./peers/command.ts')).peersCommand),
  command(['lookup'], 'the closest nodes to a key or node id (through a node\'s API)',
    async () => (await import('./lookup/command.ts')).lookupCommand),
  {
    name: 'dht',
    summary: 'store and find values in the DHT through a node\'s API',
    subcommands: [
      command(['dht', 'put'], 'store a value under a key (through a node\'s API)',
        async () => (await import('./dht-put/command.ts')).dhtPutCommand),
      command(['dht', 'get'], 'find the value stored under a key (through a node\'s API)',
        async () => (await import('./dht-get/command.ts')).dhtGetCommand),
    ],
  },
  command(['put'], 'store a file or directory on the grid (replicated or erasure-coded), encrypted unless --no-encrypt',
    async () => (await import('./put/command.ts')).putCommand),
  command(['get'], 'fetch content (a file or a directory tree) from the grid and write it to a new local path',
    async () => (await import('./get/command.ts')).getCommand),
  command(['cat'], "write a stored file's bytes to standard output (fetched from the grid as needed)",
    async () => (await import('./cat/command.ts')).catCommand),
  command(['ls'], 'list a stored directory (or describe a file) through a node',
    async () => (await import('./ls/command.ts')).lsCommand),
  {
    name: 'pin',
    summary: 'pin content on a node, so that gc keeps it',
    subcommands: [
      command(['pin', 'add'], 'pin stored content on a node, so gc keeps it',
        async () => (await import('./pin-add/command.ts')).pinAddCommand),
      command(['pin', 'rm'], 'remove a pin from content on a node',
        async () => (await import('./pin-rm/command.ts')).pinRmCommand),
      command(['pin', 'ls'], 'list the pins on a node',
        async () => (await import('./pin-ls/command.ts')).pinLsCommand),
    ],
  },
  command(['storage'], "what a running node keeps for the grid, its quota, cache and maintenance (through its API)",
    async () => (await import('./storage/command.ts')).storageCommand),
  command(['check'], 'count the pieces of content kept on the grid: healthy, degraded, lost (--verify audits, --repair tops up)',
    async () => (await import('./check/command.ts')).checkCommand),
  command(['gc'], 'remove the blocks on a node that nothing keeps',
    async () => (await import('./gc/command.ts')).gcCommand),
  command(['fsck'], "check a node's blockstore against the CIDs (--repair fixes)",
    async () => (await import('./fsck/command.ts')).fsckCommand),
  command(['export'], 'write stored content from a node to a CAR file',
    async () => (await import('./export/command.ts')).exportCommand),
  command(['import'], 'store the blocks of a CAR file on a node, checked against their CIDs',
    async () => (await import('./import/command.ts')).importCommand),
  command(['search'], 'search the grid for documents by their metadata and text',
    async () => (await import('./search/command.ts')).searchCommand),
  command(['publish'], 'publish stored content into the search index under its metadata',
    async () => (await import('./publish/command.ts')).publishCommand),
  command(['unpublish'], 'withdraw a document from the search index',
    async () => (await import('./unpublish/command.ts')).unpublishCommand),
  {
    name: 'job',
    summary: 'run jobs on the grid: WebAssembly units on volunteers',
    subcommands: [
      command(['job', 'submit'], 'submit a job (job.json) to the grid',
        async () => (await import('./job-submit/command.ts')).jobSubmitCommand),
      command(['job', 'status'], "a job's state and units",
        async () => (await import('./job-status/command.ts')).jobStatusCommand),
      command(['job', 'results'], "write a job's outputs to a folder",
        async () => (await import('./job-results/command.ts')).jobResultsCommand),
      command(['job', 'cancel'], 'cancel a job',
        async () => (await import('./job-cancel/command.ts')).jobCancelCommand),
      command(['job', 'ls'], 'list the jobs submitted from a node',
        async () => (await import('./job-ls/command.ts')).jobLsCommand),
    ],
  },
  command(['ledger'], 'work given to and received from each peer',
    async () => (await import('./ledger/command.ts')).ledgerCommand),
  {
    name: 'node',
    summary: 'run a real node on libp2p',
    subcommands: [
      command(['node', 'start'], 'run a real node on libp2p until SIGINT/SIGTERM',
        async () => (await import('./node/command.ts')).nodeStartCommand),
    ],
  },
  command(['devnet'], 'run N nodes on 127.0.0.1 as a local grid, until Ctrl-C',
    async () => (await import('./devnet/command.ts')).devnetCommand),
  {
    name: 'sim',
    summary: 'experiments in the deterministic simulator',
    subcommands: [
      command(['sim', 'lookup'], 'simulate an overlay and measure its lookups (correctness, hops, latency, traffic)',
        async () => (await import('./sim-lookup/command.ts')).simLookupCommand),
      command(['sim', 'durability'], 'simulate a year of storage under churn: objects lost and repair bytes, replication vs erasure',
        async () => (await import('./sim-durability/command.ts')).simDurabilityCommand),
      command(['sim', 'experiment'], "one of the survey's claims measured in the simulator (load-balance, hops-vs-n, flooding-vs-dht, partition, replication-vs-erasure, churn, proximity, search)",
        async () => (await import('./sim-experiment/command.ts')).simExperimentCommand),
      command(['sim', 'report'], "the survey experiments in one HTML page with plots",
        async () => (await import('./sim-report/command.ts')).simReportCommand),
    ],
  },
];
