/**
 * How a job trusts results (issue 5, item 6): each unit runs on `replicas` distinct workers, and a
 * result is accepted when `quorum` of them agree on the output hash and the fuel burnt (units are
 * deterministic, so honest replicas agree byte for byte); while they disagree, more replicas are
 * asked for, up to `replicasMax`, and then the unit fails as inconclusive (BOINC's min_quorum,
 * target_nresults and max_total_results). Adaptive replication by worker credibility (Sarmenta,
 * FGCS 2002) is not built yet, and job.json does not accept it until it is.
 */
export interface ValidationPolicy {
  readonly replicas: number;
  readonly quorum: number;
  readonly replicasMax: number;
}

export const DEFAULT_VALIDATION: ValidationPolicy = { replicas: 2, quorum: 2, replicasMax: 5 };

const REPLICAS_MAX = 16;

export function parseValidation(value: unknown, path: string, problems: string[]): ValidationPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${path}: must be an object such as {"replicas": 2, "quorum": 2}`);
    return DEFAULT_VALIDATION;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) if (!['replicas', 'quorum', 'replicasMax'].includes(key)) problems.push(`${path}.${key}: unknown field (known: replicas, quorum, replicasMax)`);
  const count = (key: string, fallback: number): number => {
    const raw = record[key];
    if (raw === undefined) return fallback;
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > REPLICAS_MAX) {
      problems.push(`${path}.${key}: must be an integer from 1 to ${REPLICAS_MAX}`);
      return fallback;
    }
    return raw;
  };
  const replicas = count('replicas', DEFAULT_VALIDATION.replicas);
  const quorum = count('quorum', Math.min(replicas, DEFAULT_VALIDATION.quorum));
  const replicasMax = count('replicasMax', Math.min(REPLICAS_MAX, Math.max(replicas, 2 * replicas + 1)));
  if (quorum > replicas) problems.push(`${path}.quorum: ${quorum} agreeing results cannot come from ${replicas} replicas`);
  if (replicasMax < replicas) problems.push(`${path}.replicasMax: below replicas`);
  return { replicas, quorum, replicasMax };
}

/** One replica's result: who ran it, and what it produced. */
export interface ReplicaResult {
  readonly worker: string;
  /** sha2-256 of the output, hex. */
  readonly outputHash: string;
  readonly fuel: bigint;
}

export type UnitVerdict =
  | { readonly state: 'accepted'; readonly outputHash: string; readonly fuel: bigint; readonly agreeing: readonly string[]; readonly disagreeing: readonly string[] }
  | { readonly state: 'waiting'; readonly replicasToAdd: number }
  | { readonly state: 'inconclusive'; readonly distinctResults: number };

/**
 * The verdict on a unit from the results in so far. One result per worker counts (a worker that
 * answers twice is not two votes); results agree when hash and fuel are equal.
 */
export function judgeUnit(results: readonly ReplicaResult[], policy: ValidationPolicy, replicasStarted: number): UnitVerdict {
  const byWorker = new Map<string, ReplicaResult>();
  for (const result of results) if (!byWorker.has(result.worker)) byWorker.set(result.worker, result);
  const groups = new Map<string, ReplicaResult[]>();
  for (const result of byWorker.values()) {
    const key = `${result.outputHash}/${result.fuel}`;
    const group = groups.get(key) ?? [];
    group.push(result);
    groups.set(key, group);
  }
  const largest = [...groups.values()].sort((a, b) => b.length - a.length)[0];
  if (largest !== undefined && largest.length >= policy.quorum) {
    const agreeing = largest.map((result) => result.worker);
    const disagreeing = [...byWorker.values()].filter((result) => !agreeing.includes(result.worker)).map((result) => result.worker);
    return { state: 'accepted', outputHash: largest[0].outputHash, fuel: largest[0].fuel, agreeing, disagreeing };
  }
  // Replicas still running may yet make the quorum; ask for more only when they cannot.
  const stillRunning = Math.max(0, replicasStarted - byWorker.size);
  const needed = policy.quorum - (largest?.length ?? 0);
  const toAdd = Math.max(0, needed - stillRunning);
  if (replicasStarted + toAdd > policy.replicasMax) return { state: 'inconclusive', distinctResults: groups.size };
  return { state: 'waiting', replicasToAdd: toAdd };
}
