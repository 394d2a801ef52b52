/**
 * Issue 4's side-by-side figures with Helia (IPFS in JavaScript): `heliaAddSpeedup`, Helia's local
 * add of a file ÷ ours (helia-add.ts), and `heliaSpeedup`, Helia's add on one process and fetch of
 * the whole file on another ÷ ours (helia-end-to-end.ts). Above 1, ours is faster.
 *
 * Helia is not one of the project's dependencies: bench/helia/ has its own package.json and lock,
 * installed by hand (HELIA_INSTALL_COMMAND). Without it nothing is measured or fetched, and
 * `heliaMissingReason()` says so.
 *
 *   node bench/storage/helia.ts [--add-mib N] [--get-mib N]     (defaults 1024 and 256; prints JSON)
 */
import { heliaAddBenchmark, type HeliaAddResult } from './helia-add.ts';
import { heliaEndToEndBenchmark, type HeliaEndToEndResult } from './helia-end-to-end.ts';
import { HELIA_INSTALL_COMMAND, heliaMissingReason } from './helia-process.ts';

type Say = (line: string) => void;

const MiB = 1 << 20;

/** How Helia is set up in bench/helia/helia-node.mjs, said with the figures. */
export const HELIA_CONFIG = {
  chunker: 'fixed size, 1 MiB',
  rawLeaves: true,
  cidVersion: 1,
  layout: 'balanced, up to 1024 links per node',
  encryption: 'none',
  blockstore: 'blockstore-fs (a file per block, written to a temporary file and renamed; never fsynced)',
  datastore: 'datastore-fs',
  libp2p: 'TCP, Noise, Yamux, identify; no DHT, no bootstrap list, no mDNS',
  blockBrokers: 'bitswap only (no HTTP gateways)',
  fetch: 'UnixFS cat on B, connected to A, reading every byte',
  install: HELIA_INSTALL_COMMAND,
} as const;

export { heliaMissingReason };

export interface HeliaBenchmarkResult {
  readonly heliaAddMiBps: number | null;
  readonly oursAddMiBps: number | null;
  readonly heliaAddSpeedup: number | null;
  /** Like for like (helia-add.ts): both adds without fsync, and both durable when they end. */
  readonly heliaAddSpeedupWithoutFsync: number | null;
  readonly heliaAddSpeedupBothDurable: number | null;
  readonly heliaFetchMiBps: number | null;
  readonly oursFetchMiBps: number | null;
  readonly heliaEndToEndMs: number | null;
  readonly oursEndToEndMs: number | null;
  readonly heliaSpeedup: number | null;
  readonly heliaConfig: typeof HELIA_CONFIG & { readonly versions: Readonly<Record<string, string | null>> | null };
  /** Each part's details (the versions are said once, in heliaConfig). */
  readonly add: Omit<HeliaAddResult, 'heliaVersions'> | null;
  readonly endToEnd: Omit<HeliaEndToEndResult, 'heliaVersions'> | null;
}

export interface HeliaBenchmarkOptions {
  /** The local add's file; null skips that part. */
  readonly addBytes: number | null;
  /** The end-to-end file; null skips that part. */
  readonly getBytes: number | null;
}

/** Both comparisons (or those asked for); throws if Helia is not installed — ask heliaMissingReason() first. */
export async function heliaBenchmark(say: Say, options: HeliaBenchmarkOptions): Promise<HeliaBenchmarkResult> {
  const missing = heliaMissingReason();
  if (missing !== null) throw new Error(missing);
  let add: HeliaAddResult | null = null;
  let endToEnd: HeliaEndToEndResult | null = null;
  if (options.addBytes !== null) {
    say(`Helia's local add of a ${options.addBytes / MiB} MiB file against ours`);
    add = await heliaAddBenchmark(say, options.addBytes);
  }
  if (options.getBytes !== null) {
    say(`Helia's add and fetch of a ${options.getBytes / MiB} MiB file between two processes against ours`);
    endToEnd = await heliaEndToEndBenchmark(say, options.getBytes);
  }
  return summary(add, endToEnd);
}

export function summary(add: HeliaAddResult | null, endToEnd: HeliaEndToEndResult | null): HeliaBenchmarkResult {
  return {
    heliaAddMiBps: add?.heliaAddMiBps ?? null,
    oursAddMiBps: add?.oursAddMiBps ?? null,
    heliaAddSpeedup: add?.heliaAddSpeedup ?? null,
    heliaAddSpeedupWithoutFsync: add?.heliaAddSpeedupWithoutFsync ?? null,
    heliaAddSpeedupBothDurable: add?.heliaAddSpeedupBothDurable ?? null,
    heliaFetchMiBps: endToEnd?.helia.fetchMiBps ?? null,
    oursFetchMiBps: endToEnd?.ours.fetchMiBps ?? null,
    heliaEndToEndMs: endToEnd?.helia.endToEndMs ?? null,
    oursEndToEndMs: endToEnd?.ours.endToEndMs ?? null,
    heliaSpeedup: endToEnd?.heliaSpeedup ?? null,
    heliaConfig: { ...HELIA_CONFIG, versions: add?.heliaVersions ?? endToEnd?.heliaVersions ?? null },
    add: add === null ? null : withoutVersions(add),
    endToEnd: endToEnd === null ? null : withoutVersions(endToEnd),
  };
}

function withoutVersions<T extends { readonly heliaVersions: unknown }>(part: T): Omit<T, 'heliaVersions'> {
  const { heliaVersions: _, ...rest } = part;
  return rest;
}

function option(argv: readonly string[], name: string, fallback: number): number {
  const at = argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(argv[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} takes a positive whole number`);
  return value;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const say: Say = (line) => process.stderr.write(`${line}\n`);
  const missing = heliaMissingReason();
  if (missing !== null) {
    process.stdout.write(`${JSON.stringify({ ...summary(null, null), notMeasured: [`heliaAddSpeedup, heliaSpeedup: ${missing}`] }, null, 2)}\n`);
  } else {
    const started = performance.now();
    const result = await heliaBenchmark(say, { addBytes: option(argv, '--add-mib', 1024) * MiB, getBytes: option(argv, '--get-mib', 256) * MiB });
    process.stdout.write(`${JSON.stringify({ args: argv, ...result, benchWallMs: Math.round(performance.now() - started) }, null, 2)}\n`);
  }
}
