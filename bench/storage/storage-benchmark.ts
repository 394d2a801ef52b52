/**
 * `npm run bench -- storage [--add-mib N] [--durability-objects N] [--skip-durability]`: issue 4's
 * storage figures in one JSON object, each part measured against its baseline in the same run
 * (bench/storage/*.ts). The figures that need parts not built yet (retrieval from other nodes, the
 * swarm, Helia side by side) are null and listed under `notMeasured`, so nothing pretends. The
 * durability year at 10^6 objects takes several minutes per scheme.
 */
import { addBenchmark } from './add.ts';
import { chunkingBenchmark } from './chunking.ts';
import { durabilityBenchmark } from './durability.ts';
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
  const skipDurability = extra.includes('--skip-durability');
  const durability = skipDurability ? null : await durabilityBenchmark(say, { objects: option(extra, '--durability-objects', 1_000_000) });
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
    durability: durability === null ? null : { objects: durability.objects, lost: durability.lost, repairOverPermanentOnly: durability.repairOverPermanentOnly },
    notMeasured: ['heliaAddSpeedup', 'getVsRawStream', 'swarm', 'slowSourceSlowdown', 'heliaSpeedup', ...(durability === null ? ['durability'] : [])],
    parts: { add, chunking, erasure, durability },
  };
}
