/**
 * `replication-vs-erasure` (issue 6, item 2; survey §4.7, after Weatherspoon and Kubiatowicz, IPTPS
 * 2002): erasure coding gives the availability and durability of replication at far less storage
 * — and pays for it in repair traffic, since rebuilding one fragment reads k of them (Rodrigues and
 * Liskov, IPTPS 2005). The durability experiment (durability-experiment.ts: nodes that go offline
 * for a while and leave for good, repair after a grace period) for replication and Reed–Solomon
 * with 10 data fragments at the same storage overheads, side by side.
 */
import { defaultRepairPolicy } from '../../../services/storage/durability/repair-policy.ts';
import type { Redundancy } from '../../../services/storage/durability/redundancy.ts';
import { runDurabilityExperiment, type DurabilityExperimentResult } from '../durability-experiment.ts';

export interface ReplicationVsErasureOptions {
  readonly seed: number;
  readonly objects: number;
  readonly nodes: number;
  readonly days: number;
  /** Storage overheads to compare: replication with that many copies, RS(10, 10 × (overhead − 1)). */
  readonly overheads: readonly number[];
  readonly permanentLossPerMonth: number;
  readonly offlineFraction: number;
  readonly downtime: string;
}

export interface SchemePoint {
  readonly scheme: string;
  readonly overhead: number;
  /** Objects lost ÷ objects. */
  readonly lostFraction: number;
  /** 1 − the share of object-time with too few pieces online. */
  readonly availability: number;
  /** Bytes moved by repair ÷ bytes stored (objects × size × overhead), over the run. */
  readonly repairBytesPerStoredByte: number;
}

export interface ReplicationVsErasureResult {
  readonly experiment: 'replication-vs-erasure';
  readonly claim: string;
  readonly seed: number;
  readonly options: Omit<ReplicationVsErasureOptions, 'seed'>;
  readonly series: { readonly label: string; readonly points: readonly SchemePoint[] }[];
}

export const REPLICATION_VS_ERASURE_DEFAULTS: Omit<ReplicationVsErasureOptions, 'seed'> = {
  objects: 20_000, nodes: 2_000, days: 180, overheads: [2, 3, 4],
  permanentLossPerMonth: 0.1, offlineFraction: 0.3, downtime: 'weibull:0.5:8',
};

const DATA_FRAGMENTS = 10;
const OBJECT_BYTES = 1 << 20;

export function runReplicationVsErasure(options: ReplicationVsErasureOptions): ReplicationVsErasureResult {
  const replication: Redundancy[] = options.overheads.map((overhead) => ({ kind: 'replicate', copies: overhead }));
  const erasure: Redundancy[] = options.overheads.map((overhead) => ({ kind: 'erasure', dataFragments: DATA_FRAGMENTS, parityFragments: DATA_FRAGMENTS * (overhead - 1) }));
  const result = runDurabilityExperiment({
    seed: options.seed, objects: options.objects, nodes: options.nodes, days: options.days, objectBytes: OBJECT_BYTES,
    schemes: [...replication, ...erasure].map((redundancy) => ({ redundancy, policy: defaultRepairPolicy(redundancy) })),
    permanentLossPerMonth: options.permanentLossPerMonth, offlineFraction: options.offlineFraction, downtime: options.downtime,
  });
  const points = (from: number): SchemePoint[] => options.overheads.map((overhead, index) => pointOf(result, from + index, overhead, options.objects));
  const { seed, ...rest } = options;
  return {
    experiment: 'replication-vs-erasure',
    claim: 'erasure coding gives the availability and durability of replication at far less storage (survey §4.7), and pays in repair traffic',
    seed, options: rest,
    series: [{ label: 'replication', points: points(0) }, { label: `Reed–Solomon, ${DATA_FRAGMENTS} data fragments`, points: points(options.overheads.length) }],
  };
}

function pointOf(result: DurabilityExperimentResult, index: number, overhead: number, objects: number): SchemePoint {
  const scheme = result.schemes[index];
  return {
    scheme: scheme.scheme, overhead,
    lostFraction: scheme.lost / objects,
    availability: Math.round((1 - scheme.unavailability) * 1e6) / 1e6,
    repairBytesPerStoredByte: Math.round((scheme.repairBytes / (objects * OBJECT_BYTES * overhead)) * 1000) / 1000,
  };
}
