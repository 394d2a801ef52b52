/**
 * `npm run bench -- storage [--add-mib N]`: issue 4's storage figures in one JSON object, each
 * part measured against its baseline in the same run (bench/storage/*.ts). The figures that need
 * parts not built yet (retrieval from other nodes, the swarm, Helia side by side, durability
 * until its simulation lands) are null and listed under `notMeasured`, so nothing pretends.
 */
import { addBenchmark } from './add.ts';
import { chunkingBenchmark } from './chunking.ts';
import { erasureBenchmark } from './erasure.ts';

type Say = (line: string) => void;

const MiB = 1 << 20;

function option(extra: readonly string[], name: string, fallback: number): number {
  const at = extra.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(extra[at + 1]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} takes a positive whole number`);
  return value;
}

export async function storageBenchmark(extra: readonly string[], say: Say): Promise<Record<string, unknown>> {
  const addMiB = option(extra, '--add-mib', 1024);
  say('chunking (FastCDC) against SHA-256');
  const chunking = await chunkingBenchmark(say, { sweep: false });
  say('Reed-Solomon 10+4 against SHA-256');
  const erasure = await erasureBenchmark(say);
  say(`local add of a ${addMiB} MiB file against SHA-256 and cp`);
  const add = await addBenchmark(say, addMiB * MiB);
  return {
    addPlainVsSha256: add.addPlainVsSha256,
    addEncryptedVsSha256: add.addEncryptedVsSha256,
    addVsCp: add.addVsCp,
    heliaAddSpeedup: null,
    getVsRawStream: null,
    swarm: null,
    slowSourceSlowdown: null,
    fastcdcMiBps: chunking.fastcdcMiBps,
    chunkReuseAfterInsert: chunking.chunkReuseAfterInsert,
    rsEncodeMiBps: erasure.rsEncodeMiBps,
    rsDecodeMiBps: erasure.rsDecodeMiBps,
    heliaSpeedup: null,
    durability: null,
    notMeasured: ['heliaAddSpeedup', 'getVsRawStream', 'swarm', 'slowSourceSlowdown', 'heliaSpeedup', 'durability'],
    parts: { add, chunking, erasure },
  };
}
