/**
 * Content-defined chunking (src/services/storage/chunking/, FastCDC with normalised chunking): its
 * throughput on one core, with node:crypto's SHA-256 over the same 64 MiB as the same-run baseline
 * (every chunk is hashed into its CID anyway, so the ratio says what chunking adds), and what a small
 * edit costs in new chunks.
 *
 * Two 64 MiB data sets, both deterministic: pseudo-random bytes (incompressible; the paper's
 * worst case for nothing and the standard throughput input) and structured text — prose from a
 * Zipf-distributed vocabulary, log lines with rising timestamps, CSV rows — which gzip compresses
 * 2.3× and which has the repeated substrings real files have. For each average size (16 KiB … 1 MiB, minimum
 * a quarter of it, maximum four times it, NC 2) the sweep reports the chunk-size distribution, the
 * throughput, and, after 1-byte inserts, deletes and overwrites at random positions, the share of the
 * edited file's chunks already stored, the bytes of new chunks, and the dedup ratio of the two versions.
 *
 * The baselines, on the same data and the very same edits: fixed-size blocks (as IPFS cuts by default),
 * and a classic Rabin-fingerprint chunker as LBFS used it (rabin-chunker.ts: a 48-byte window, cut
 * where the fingerprint's low log2(average) bits equal a fixed value, with FastCDC's min and max), timed
 * the same way as FastCDC at every average size, so `fastcdcVsRabin` compares the two in one run.
 *
 * Timing: the machine may be shared, so each figure is the best of several repetitions, taken both
 * by the wall clock and by the process's CPU time (time-slicing by other processes inflates only the
 * first). Never asserts on time. Run alone: `node bench/storage/chunking.ts` prints the JSON object.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { type ChunkingConfig, chunkingConfig, DEFAULT_CHUNKING_CONFIG } from '../../src/services/storage/chunking/chunking-config.ts';
import { chunkEnds } from '../../src/services/storage/chunking/fastcdc.ts';
import { type GearRoller, rollToCut } from '../../src/services/storage/chunking/gear-roll.ts';
import { rollToCutWasm } from '../../src/services/storage/chunking/wasm-gear-roll.ts';
import { Prng } from '../../src/sim/prng.ts';
import { RABIN_DEGREE, RABIN_POLYNOMIAL, RABIN_WINDOW_BYTES, rabinChunkEnds } from './rabin-chunker.ts';

const MIB = 1 << 20;
const DATA_BYTES = 64 * MIB;
const REPETITIONS = 7;
const SWEEP_REPETITIONS = 3;
const AVERAGES_BYTES = [16 << 10, 64 << 10, 256 << 10, 1 << 20] as const;
/** Random positions tried for each kind of edit. */
const EDIT_TRIALS = 4;
/** The seed of the headline's edit positions: FastCDC and the fixed-size baseline get the same edits. */
const HEADLINE_SEED = 11;
/** Edits spread over the file in the "scattered" case: one per MiB on average. */
const SCATTERED_EDITS = 64;

type Say = (line: string) => void;

interface Timing {
  /** Best wall-clock throughput over the repetitions. */
  wallMiBps: number;
  /** Best throughput by the process's CPU time (user + system), which other processes do not inflate. */
  cpuMiBps: number;
}

/** Runs `body` `repetitions` times after one warm-up; the best wall and CPU throughputs over `bytes`. */
function timeBest(bytes: number, repetitions: number, body: () => void): Timing {
  body();
  let wallMs = Infinity;
  let cpuMs = Infinity;
  for (let r = 0; r < repetitions; r++) {
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    body();
    wallMs = Math.min(wallMs, performance.now() - started);
    const cpu = process.cpuUsage(cpuStart);
    cpuMs = Math.min(cpuMs, (cpu.user + cpu.system) / 1000);
  }
  const perSecond = (ms: number): number => Math.round(bytes / MIB / (ms / 1000));
  return { wallMiBps: perSecond(wallMs), cpuMiBps: perSecond(Math.max(cpuMs, 0.001)) };
}

/** 64 MiB of pseudo-random bytes (the simulator's xoshiro128**, seed 1). */
export function randomDataset(bytes: number = DATA_BYTES, seed = 1): Uint8Array {
  const random = Prng.fromSeed(seed);
  const data = new Uint8Array(bytes);
  const words = new Uint32Array(data.buffer, 0, bytes >>> 2);
  for (let i = 0; i < words.length; i++) words[i] = random.nextUint32();
  for (let i = words.length * 4; i < bytes; i++) data[i] = random.nextUint32();
  return data;
}

/**
 * Structured text: prose lines of words drawn from a 4,096-word vocabulary with Zipf-like
 * frequencies, log lines with a rising timestamp, a level, a worker and a request id, and CSV rows of
 * numbers — the kind of data a grid stores (documents, logs, results); gzip compresses it 2.3×.
 */
export function textDataset(bytes: number = DATA_BYTES, seed = 2): Uint8Array {
  const random = Prng.fromSeed(seed);
  const below = (bound: number): number => Math.floor(random.nextFloat() * bound);
  const letters = 'etaoinshrdlcumwfgypbvkjxqz';
  // Letters by English frequency rank, so that words look and compress like words.
  const vocabulary = Array.from({ length: 4096 }, () => Array.from({ length: 1 + below(4) + below(6) }, () => letters[Math.floor(26 * random.nextFloat() ** 2)]).join(''));
  const word = (): string => vocabulary[Math.floor(vocabulary.length * random.nextFloat() ** 3)];
  const levels = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];
  const data = new Uint8Array(bytes);
  const encoder = new TextEncoder();
  let timeMs = Date.UTC(2025, 0, 1);
  let offset = 0;
  while (offset < bytes) {
    const kind = random.nextFloat();
    let line: string;
    if (kind < 0.6) {
      const words = Array.from({ length: 6 + below(12) }, word);
      words[0] = words[0][0].toUpperCase() + words[0].slice(1);
      line = `${words.join(' ')}.\n`;
    } else if (kind < 0.9) {
      timeMs += below(2000);
      line = `${new Date(timeMs).toISOString()} ${levels[below(levels.length)]} [worker-${below(32)}] ${word()} ${word()} id=${(random.nextUint32() % 1_000_000).toString(16)} took ${below(500)} ms\n`;
    } else {
      line = `${Array.from({ length: 8 }, () => (random.nextFloat() * 1000).toFixed(below(4))).join(',')}\n`;
    }
    offset += encoder.encodeInto(line, data.subarray(offset)).written;
  }
  return data;
}

interface Distribution {
  chunks: number;
  meanBytes: number;
  stddevBytes: number;
  /** Chunks (the last excepted) cut at maxBytes, not by content. */
  atMaxFraction: number;
  /** Chunks (the last excepted) of exactly minBytes. */
  atMinFraction: number;
  p5Bytes: number;
  p50Bytes: number;
  p95Bytes: number;
}

function lengthsOf(ends: readonly number[]): number[] {
  return ends.map((end, k) => end - (k === 0 ? 0 : ends[k - 1]));
}

function distribution(ends: readonly number[], config: ChunkingConfig): Distribution {
  const lengths = lengthsOf(ends);
  const mean = lengths.reduce((sum, length) => sum + length, 0) / lengths.length;
  const variance = lengths.reduce((sum, length) => sum + (length - mean) ** 2, 0) / lengths.length;
  const inner = lengths.slice(0, -1);
  const sorted = [...lengths].sort((a, b) => a - b);
  const percentile = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const round = (value: number, digits: number): number => Math.round(value * 10 ** digits) / 10 ** digits;
  return {
    chunks: lengths.length,
    meanBytes: Math.round(mean),
    stddevBytes: Math.round(Math.sqrt(variance)),
    atMaxFraction: round(inner.filter((length) => length === config.maxBytes).length / Math.max(1, inner.length), 4),
    atMinFraction: round(inner.filter((length) => length === config.minBytes).length / Math.max(1, inner.length), 4),
    p5Bytes: percentile(0.05),
    p50Bytes: percentile(0.5),
    p95Bytes: percentile(0.95),
  };
}

/** The SHA-256 of each chunk, as a key. */
export function chunkHashes(data: Uint8Array, ends: readonly number[]): string[] {
  let start = 0;
  return ends.map((end) => {
    const hash = createHash('sha256').update(data.subarray(start, end)).digest('base64');
    start = end;
    return hash;
  });
}

type EditKind = 'insert' | 'delete' | 'overwrite';

/** Applies one-byte edits at `positions` (ascending, in the original's coordinates). */
function edit(data: Uint8Array, positions: readonly number[], kinds: readonly EditKind[]): Uint8Array {
  const grown = kinds.filter((kind) => kind === 'insert').length - kinds.filter((kind) => kind === 'delete').length;
  const out = new Uint8Array(data.length + grown);
  let from = 0;
  let to = 0;
  positions.forEach((position, k) => {
    out.set(data.subarray(from, position), to);
    to += position - from;
    from = position;
    if (kinds[k] === 'insert') out[to++] = 0x2a;
    else if (kinds[k] === 'delete') from++;
    else out[to++] = data[from++] ^ 0xff;
  });
  out.set(data.subarray(from), to);
  return out;
}

interface EditOutcome {
  /** Share of the edited file's chunks already stored with the original (mean over trials). */
  chunkReuse: number;
  chunkReuseMin: number;
  /** Bytes in chunks of the edited file not stored with the original (mean over trials). */
  newBytes: number;
  /** (original + edited bytes) / bytes stored for both: 2 at best. */
  dedupRatio: number;
}

/** Where a chunker cuts `data`: the end offset of each chunk. */
type Cut = (data: Uint8Array) => readonly number[];

/**
 * The baseline content-defined chunking is measured against: blocks of one size at fixed offsets,
 * as IPFS cuts by default (256 KiB). An insert shifts every later block.
 */
export function fixedSizeEnds(data: Uint8Array, blockBytes: number): number[] {
  const ends: number[] = [];
  for (let end = blockBytes; end < data.length; end += blockBytes) ends.push(end);
  if (data.length > 0) ends.push(data.length);
  return ends;
}

function editOutcome(data: Uint8Array, known: ReadonlySet<string>, cut: Cut, trials: readonly Uint8Array[]): EditOutcome {
  const reuses: number[] = [];
  const newBytes: number[] = [];
  for (const edited of trials) {
    const ends = cut(edited);
    const hashes = chunkHashes(edited, ends);
    const lengths = lengthsOf(ends);
    let fresh = 0;
    let reused = 0;
    hashes.forEach((hash, k) => {
      if (known.has(hash)) reused++;
      else fresh += lengths[k];
    });
    reuses.push(reused / hashes.length);
    newBytes.push(fresh);
  }
  const mean = (values: readonly number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    chunkReuse: Math.round(mean(reuses) * 10_000) / 10_000,
    chunkReuseMin: Math.round(Math.min(...reuses) * 10_000) / 10_000,
    newBytes: Math.round(mean(newBytes)),
    dedupRatio: Math.round((2 * data.length / (data.length + mean(newBytes))) * 10_000) / 10_000,
  };
}

interface FastcdcAverageResult {
  averageBytes: number;
  config: ChunkingConfig;
  distribution: Distribution;
  fastcdc: Timing;
  /** The chunks of 1 GiB: blocks, CIDs and DHT provider records to keep. */
  chunksPerGiB: number;
  afterEdit: Record<EditKind | 'scattered64', EditOutcome>;
}

/** What the Rabin baseline does with the same data, configuration and edits. */
interface RabinResult {
  timing: Timing;
  distribution: Distribution;
  afterEdit: Record<EditKind | 'scattered64', EditOutcome>;
}

interface AverageResult extends FastcdcAverageResult {
  /** The Rabin chunker with the same min, average and max, on the same data, after the same edits. */
  rabin: RabinResult;
  /** FastCDC's throughput over Rabin's, by the wall clock and by CPU time (steadier on a shared machine). */
  fastcdcVsRabin: number;
  fastcdcVsRabinCpu: number;
}

/** A ratio of throughputs, to two decimals. */
function speedup(faster: number, slower: number): number {
  return Math.round((faster / slower) * 100) / 100;
}

/** The Rabin baseline at one configuration: throughput (as FastCDC's is timed), distribution, edits. */
function measureRabin(data: Uint8Array, config: ChunkingConfig, seed: number, repetitions: number): RabinResult {
  const timing = timeBest(data.length, repetitions, () => { rabinChunkEnds(data, config); });
  const cut: Cut = (bytes) => rabinChunkEnds(bytes, config);
  return { timing, distribution: distribution(cut(data), config), afterEdit: afterEdits(data, cut, seed) };
}

/** One data set at one average size, FastCDC and the Rabin baseline: distribution, throughput, edits. */
function measureAverage(data: Uint8Array, config: ChunkingConfig, seed: number, repetitions: number): AverageResult {
  const fastcdc = measureFastcdcAverage(data, config, seed, repetitions);
  const rabin = measureRabin(data, config, seed, repetitions);
  return {
    ...fastcdc,
    rabin,
    fastcdcVsRabin: speedup(fastcdc.fastcdc.wallMiBps, rabin.timing.wallMiBps),
    fastcdcVsRabinCpu: speedup(fastcdc.fastcdc.cpuMiBps, rabin.timing.cpuMiBps),
  };
}

/** FastCDC alone at one average size: distribution, throughput, and the cost of edits. */
function measureFastcdcAverage(data: Uint8Array, config: ChunkingConfig, seed: number, repetitions: number): FastcdcAverageResult {
  const ends = chunkEnds(data, config);
  const fastcdc = timeBest(data.length, repetitions, () => { chunkEnds(data, config); });
  const dist = distribution(ends, config);
  return {
    averageBytes: config.averageBytes,
    config: { ...config },
    distribution: dist,
    fastcdc,
    chunksPerGiB: Math.round((1 << 30) / dist.meanBytes),
    afterEdit: afterEdits(data, (bytes) => chunkEnds(bytes, config), seed),
  };
}

/** What a chunker keeps of `data` after single-byte edits and after 64 scattered ones; one seed gives the same edits to every chunker. */
function afterEdits(data: Uint8Array, cut: Cut, seed: number): Record<EditKind | 'scattered64', EditOutcome> {
  const known = new Set(chunkHashes(data, cut(data)));
  const random = Prng.fromSeed(seed);
  const position = (): number => Math.floor(random.nextFloat() * (data.length - 1));
  const single = (kind: EditKind): Uint8Array[] => Array.from({ length: EDIT_TRIALS }, () => edit(data, [position()], [kind]));
  const kinds: EditKind[] = ['insert', 'delete', 'overwrite'];
  const scatteredPositions = Array.from({ length: SCATTERED_EDITS }, position).sort((a, b) => a - b).filter((p, k, all) => k === 0 || p !== all[k - 1]);
  const scattered = edit(data, scatteredPositions, scatteredPositions.map((_, k) => kinds[k % 3]));
  return {
    insert: editOutcome(data, known, cut, single('insert')),
    delete: editOutcome(data, known, cut, single('delete')),
    overwrite: editOutcome(data, known, cut, single('overwrite')),
    scattered64: editOutcome(data, known, cut, [scattered]),
  };
}

export interface ChunkingBenchmarkResult {
  dataBytes: number;
  measure: string;
  /** The default configuration (chunking-config.ts) on the 64 MiB of random bytes. */
  config: ChunkingConfig;
  /** Which inner loop the chunker uses by default. */
  innerLoop: 'webassembly' | 'javascript';
  fastcdcMiBps: number;
  fastcdcCpuMiBps: number;
  /** The JavaScript loop alone (the fallback where WebAssembly is missing). */
  javascriptMiBps: number;
  javascriptCpuMiBps: number;
  sha256MiBps: number;
  sha256CpuMiBps: number;
  fastcdcVsSha256: number;
  /** The same ratio by CPU time, steadier on a shared machine. */
  fastcdcVsSha256Cpu: number;
  chunkReuseAfterInsert: number;
  chunkReuseAfterInsertMin: number;
  averageChunkBytes: number;
  /** What the default configuration keeps of the random bytes after each kind of edit. */
  afterEdit: Record<EditKind | 'scattered64', EditOutcome>;
  /** The baseline: blocks of the default average size at fixed offsets, after the same edits of the same data. */
  fixedSize: { blockBytes: number; afterEdit: Record<EditKind | 'scattered64', EditOutcome> };
  /** FastCDC's chunk sizes with the default configuration on the random bytes. */
  distribution: Distribution;
  /** The Rabin baseline (rabin-chunker.ts), default configuration, random bytes, timed as FastCDC is. */
  rabinMiBps: number;
  rabinCpuMiBps: number;
  /** FastCDC's throughput (default inner loop) over Rabin's, by the wall clock and by CPU time. */
  fastcdcVsRabin: number;
  fastcdcVsRabinCpu: number;
  /** FastCDC's JavaScript loop over Rabin (also JavaScript), by CPU time: the same language on both sides. */
  javascriptVsRabinCpu: number;
  /** Rabin's chunk reuse after the same 1-byte inserts as `chunkReuseAfterInsert` (mean, worst). */
  rabinChunkReuseAfterInsert: number;
  rabinChunkReuseAfterInsertMin: number;
  /** The Rabin baseline in full: its parameters, chunk sizes, and what it keeps after the same edits. */
  rabin: { windowBytes: number; polynomialDegree: number; polynomial: string; distribution: Distribution; afterEdit: Record<EditKind | 'scattered64', EditOutcome> };
  /** The text data set's gzip ratio (a 4 MiB sample), to show how structured it is. */
  textGzipRatio: number;
  /** Every average size on both data sets. */
  sweep: { random: AverageResult[]; text: AverageResult[] } | null;
  wallMs: number;
}

/**
 * The chunking benchmark. `options.sweep` (default true) adds the four averages on both data sets,
 * which takes a minute or two; without it only the default configuration is measured.
 */
export async function chunkingBenchmark(say: Say, options: { sweep?: boolean } = {}): Promise<ChunkingBenchmarkResult> {
  const started = performance.now();
  say('generating 64 MiB of random bytes and 64 MiB of structured text');
  const random = randomDataset();
  const text = textDataset();
  const textGzipRatio = Math.round((4 * MIB / gzipSync(text.subarray(0, 4 * MIB)).length) * 100) / 100;

  const config = DEFAULT_CHUNKING_CONFIG;
  const roller: GearRoller = rollToCutWasm ?? rollToCut;
  say(`default configuration ${config.minBytes}/${config.averageBytes}/${config.maxBytes}, NC ${config.normalizationLevel}: throughput, best of ${REPETITIONS}`);
  const fastcdc = timeBest(random.length, REPETITIONS, () => { chunkEnds(random, config, roller); });
  const javascript = timeBest(random.length, REPETITIONS, () => { chunkEnds(random, config, rollToCut); });
  const rabin = measureRabin(random, config, HEADLINE_SEED, REPETITIONS);
  const sha256 = timeBest(random.length, REPETITIONS, () => { createHash('sha256').update(random).digest(); });
  say(`  fastcdc ${fastcdc.wallMiBps} MiB/s (CPU time: ${fastcdc.cpuMiBps}), JavaScript loop ${javascript.wallMiBps} (${javascript.cpuMiBps}), Rabin ${rabin.timing.wallMiBps} (${rabin.timing.cpuMiBps}), SHA-256 ${sha256.wallMiBps} (${sha256.cpuMiBps})`);
  const headline = measureFastcdcAverage(random, config, HEADLINE_SEED, 1);
  say(`  after a 1-byte insert: ${(headline.afterEdit.insert.chunkReuse * 100).toFixed(2)}% of chunks reused (worst of ${EDIT_TRIALS}: ${(headline.afterEdit.insert.chunkReuseMin * 100).toFixed(2)}%)`);
  const fixedSize = { blockBytes: config.averageBytes, afterEdit: afterEdits(random, (bytes) => fixedSizeEnds(bytes, config.averageBytes), HEADLINE_SEED) };
  say(`  Rabin, the same edits: ${(rabin.afterEdit.insert.chunkReuse * 100).toFixed(2)}% reused after a 1-byte insert (worst ${(rabin.afterEdit.insert.chunkReuseMin * 100).toFixed(2)}%), mean chunk ${rabin.distribution.meanBytes} ± ${rabin.distribution.stddevBytes}, at max ${(rabin.distribution.atMaxFraction * 100).toFixed(2)}%`);
  say(`  fixed-size ${config.averageBytes / 1024} KiB blocks, the same edits: ${(fixedSize.afterEdit.insert.chunkReuse * 100).toFixed(2)}% reused after a 1-byte insert (worst ${(fixedSize.afterEdit.insert.chunkReuseMin * 100).toFixed(2)}%), ${(fixedSize.afterEdit.overwrite.chunkReuse * 100).toFixed(2)}% after an overwrite`);

  let sweep: ChunkingBenchmarkResult['sweep'] = null;
  if (options.sweep ?? true) {
    sweep = { random: [], text: [] };
    for (const [name, data] of [['random', random], ['text', text]] as const) {
      for (const averageBytes of AVERAGES_BYTES) {
        const result = measureAverage(data, chunkingConfig({ averageBytes }), averageBytes, SWEEP_REPETITIONS);
        sweep[name].push(result);
        const d = result.distribution;
        say(`  ${name} avg ${averageBytes / 1024} KiB: ${d.chunks} chunks, mean ${d.meanBytes} ± ${d.stddevBytes}, at max ${(d.atMaxFraction * 100).toFixed(2)}%, ${result.fastcdc.wallMiBps} MiB/s (CPU ${result.fastcdc.cpuMiBps}), insert reuse ${(result.afterEdit.insert.chunkReuse * 100).toFixed(2)}%, new bytes ${result.afterEdit.insert.newBytes}`);
        const r = result.rabin;
        say(`    Rabin: ${r.distribution.chunks} chunks, mean ${r.distribution.meanBytes} ± ${r.distribution.stddevBytes}, at max ${(r.distribution.atMaxFraction * 100).toFixed(2)}%, ${r.timing.wallMiBps} MiB/s (CPU ${r.timing.cpuMiBps}; FastCDC ${result.fastcdcVsRabinCpu}× by CPU), insert reuse ${(r.afterEdit.insert.chunkReuse * 100).toFixed(2)}%, new bytes ${r.afterEdit.insert.newBytes}`);
      }
    }
  }

  return {
    dataBytes: DATA_BYTES,
    measure: `MiB/s over 64 MiB, best of ${REPETITIONS} (sweep: ${SWEEP_REPETITIONS}) by wall clock and by process CPU time; edits at ${EDIT_TRIALS} random positions each`,
    config: { ...config },
    innerLoop: rollToCutWasm === null ? 'javascript' : 'webassembly',
    fastcdcMiBps: fastcdc.wallMiBps,
    fastcdcCpuMiBps: fastcdc.cpuMiBps,
    javascriptMiBps: javascript.wallMiBps,
    javascriptCpuMiBps: javascript.cpuMiBps,
    sha256MiBps: sha256.wallMiBps,
    sha256CpuMiBps: sha256.cpuMiBps,
    fastcdcVsSha256: Math.round((fastcdc.wallMiBps / sha256.wallMiBps) * 100) / 100,
    fastcdcVsSha256Cpu: Math.round((fastcdc.cpuMiBps / sha256.cpuMiBps) * 100) / 100,
    chunkReuseAfterInsert: headline.afterEdit.insert.chunkReuse,
    chunkReuseAfterInsertMin: headline.afterEdit.insert.chunkReuseMin,
    averageChunkBytes: headline.distribution.meanBytes,
    afterEdit: headline.afterEdit,
    fixedSize,
    distribution: headline.distribution,
    rabinMiBps: rabin.timing.wallMiBps,
    rabinCpuMiBps: rabin.timing.cpuMiBps,
    fastcdcVsRabin: speedup(fastcdc.wallMiBps, rabin.timing.wallMiBps),
    fastcdcVsRabinCpu: speedup(fastcdc.cpuMiBps, rabin.timing.cpuMiBps),
    javascriptVsRabinCpu: speedup(javascript.cpuMiBps, rabin.timing.cpuMiBps),
    rabinChunkReuseAfterInsert: rabin.afterEdit.insert.chunkReuse,
    rabinChunkReuseAfterInsertMin: rabin.afterEdit.insert.chunkReuseMin,
    rabin: {
      windowBytes: RABIN_WINDOW_BYTES,
      polynomialDegree: RABIN_DEGREE,
      polynomial: `0x${(RABIN_POLYNOMIAL >>> 0).toString(16)}`,
      distribution: rabin.distribution,
      afterEdit: rabin.afterEdit,
    },
    textGzipRatio,
    sweep,
    wallMs: Math.round(performance.now() - started),
  };
}

if (import.meta.main) {
  const sweep = !process.argv.includes('--no-sweep');
  const result = await chunkingBenchmark((line) => process.stderr.write(`${line}\n`), { sweep });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
