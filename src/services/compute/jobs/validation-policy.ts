/**
 * How a job trusts results (issue 5, item 6): each unit runs on `replicas` distinct workers, and a
 * result is accepted when `quorum` of them agree on the output hash and the fuel burnt (units are
 * deterministic, so honest replicas agree byte for byte); while they disagree, more replicas are
 * asked for, up to `replicasMax`, and then the unit fails as inconclusive (BOINC's min_quorum,
 * target_nresults and max_total_results). Adaptive replication by worker credibility (Sarmenta,
 * FGCS 2002) is in ../validation/ (a UnitJudge for JobState), for job.json's `"mode": "adaptive"`.
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
  /**
   * The worker whose checkpoint this replica resumed from, when it did: its result rests on that
   * worker's word too, and its fuel counts only what was burnt after the checkpoint.
   */
  readonly resumedFrom?: string;
}

export type UnitVerdict =
  | { readonly state: 'accepted'; readonly outputHash: string; readonly fuel: bigint; readonly agreeing: readonly string[]; readonly disagreeing: readonly string[] }
  | { readonly state: 'waiting'; readonly replicasToAdd: number }
  | { readonly state: 'inconclusive'; readonly distinctResults: number };

/**
 * The verdict on a unit from the results in so far. One result per worker counts (a worker that
 * answers twice is not two votes). Results agree when their output hashes are equal and, between
 * replicas that ran from the start, their fuel too (units are deterministic). A replica resumed
 * from another worker's checkpoint is compared by its output alone, and its vote needs both
 * workers: two votes count only when no worker is behind both, so a checkpoint cannot smuggle one
 * worker's word into two votes.
 */
export function judgeUnit(results: readonly ReplicaResult[], policy: ValidationPolicy, replicasStarted: number): UnitVerdict {
  const byWorker = new Map<string, ReplicaResult>();
  for (const result of results) if (!byWorker.has(result.worker)) byWorker.set(result.worker, result);
  const groups = new Map<string, ReplicaResult[]>();
  const fresh = [...byWorker.values()].filter((result) => result.resumedFrom === undefined);
  const resumed = [...byWorker.values()].filter((result) => result.resumedFrom !== undefined);
  for (const result of fresh) addTo(groups, `${result.outputHash}/${result.fuel}`, result);
  for (const result of resumed) {
    // Joins the largest group of its output, whatever that group's fuel.
    const matching = [...groups.entries()].filter(([, group]) => group[0].outputHash === result.outputHash).sort((a, b) => b[1].length - a[1].length)[0];
    addTo(groups, matching?.[0] ?? `${result.outputHash}/resumed`, result);
  }
  const scored = [...groups.values()].map((group) => ({ group, votes: independentVotes(group) })).sort((a, b) => b.votes - a.votes);
  const best = scored[0];
  if (best !== undefined && best.votes >= policy.quorum) {
    const agreeing = best.group.map((result) => result.worker);
    const disagreeing = [...byWorker.values()].filter((result) => !agreeing.includes(result.worker)).map((result) => result.worker);
    const reference = best.group.find((result) => result.resumedFrom === undefined) ?? best.group[0];
    return { state: 'accepted', outputHash: reference.outputHash, fuel: reference.fuel, agreeing, disagreeing };
  }
  // Replicas still running may yet make the quorum; ask for more only when they cannot.
  const stillRunning = Math.max(0, replicasStarted - byWorker.size);
  const needed = policy.quorum - (best?.votes ?? 0);
  const toAdd = Math.max(0, needed - stillRunning);
  if (replicasStarted + toAdd > policy.replicasMax) return { state: 'inconclusive', distinctResults: groups.size };
  return { state: 'waiting', replicasToAdd: toAdd };
}

function addTo(groups: Map<string, ReplicaResult[]>, key: string, result: ReplicaResult): void {
  const group = groups.get(key);
  if (group === undefined) groups.set(key, [result]);
  else group.push(result);
}

/** Votes in a group of agreeing results whose workers do not overlap (fresh results first: each rests on one worker). */
function independentVotes(group: readonly ReplicaResult[]): number {
  const used = new Set<string>();
  let votes = 0;
  const ordered = [...group].sort((a, b) => Number(a.resumedFrom !== undefined) - Number(b.resumedFrom !== undefined));
  for (const result of ordered) {
    const behind = result.resumedFrom === undefined ? [result.worker] : [result.worker, result.resumedFrom];
    if (behind.some((worker) => used.has(worker))) continue;
    for (const worker of behind) used.add(worker);
    votes++;
  }
  return votes;
}
