/**
 * A job's coordination state as plain data (JobState.snapshot and JobState.restore): what a
 * coordinator sends the nodes that keep a copy of its jobs, so that one of them can go on with the
 * job if the coordinator goes (issue 5, item 4). A snapshot comes from another node, so restoring
 * one checks every field first; checkSnapshot never throws.
 *
 * Sparse, so that a sync costs what changed rather than the whole job: open units that nothing has
 * happened to yet are left out (a unit in neither list is such a unit), and settled units — final
 * once settled — are listed only as far as the caller asks (a coordinator sends each copy those
 * settled since its last sync; the copy keeps the rest, snapshot-merge.ts).
 */
import type { UnitPhase } from './job-state.ts';

export interface AcceptedSnapshot {
  readonly outputHash: string;
  /** Fuel as decimal text (a bigint). */
  readonly fuel: string;
  readonly agreeing: readonly string[];
  readonly disagreeing: readonly string[];
}

export interface ResultSnapshot {
  readonly worker: string;
  readonly outputHash: string;
  readonly fuel: string;
  readonly resumedFrom?: string;
}

/** A settled unit: its phase and verdict (null for a failed one). */
export interface SettledSnapshot {
  readonly phase: 'done' | 'failed';
  readonly verdict: AcceptedSnapshot | null;
}

/** An open unit something has happened to: what its replicas did. */
export interface OpenSnapshot {
  readonly started: number;
  readonly failures: number;
  readonly speculated: boolean;
  readonly workers: readonly string[];
  readonly results: readonly ResultSnapshot[];
}

export interface LeaseSnapshot {
  readonly id: number;
  readonly unit: number;
  readonly worker: string;
  readonly speculative: boolean;
}

export interface JobStateSnapshot {
  readonly version: 2;
  /** [unit, its state], units in increasing order. */
  readonly open: readonly (readonly [number, OpenSnapshot])[];
  /** [unit, its verdict], in the order the coordinator settled them. */
  readonly settled: readonly (readonly [number, SettledSnapshot])[];
  readonly leases: readonly LeaseSnapshot[];
  readonly nextLeaseId: number;
}

const NAME_LENGTH_MAX = 256;
const LIST_MAX = 64;

/** The snapshot, or what is wrong with it (a unit listed twice, as open and settled, or out of range included). */
export function checkSnapshot(value: unknown, units: number): JobStateSnapshot | string {
  if (!isRecord(value) || value.version !== 2) return 'not a version-2 job state';
  if (!Array.isArray(value.open) || value.open.length > units) return `open: not a list of at most ${units} units`;
  if (!Array.isArray(value.settled) || value.settled.length > units) return `settled: not a list of at most ${units} units`;
  if (!Array.isArray(value.leases) || value.leases.length > units * 16) return 'leases: not a list of at most 16 per unit';
  if (!isCount(value.nextLeaseId) || value.nextLeaseId < 1) return 'nextLeaseId: not a positive integer';
  const listed = new Set<number>();
  const entry = (item: unknown, name: string, index: number): string | null => {
    if (!Array.isArray(item) || item.length !== 2 || !isCount(item[0]) || item[0] >= units) return `${name}[${index}]: not [unit, state] of this job`;
    if (listed.has(item[0])) return `${name}[${index}]: unit ${item[0]} listed twice`;
    listed.add(item[0]);
    return null;
  };
  for (const [index, item] of value.open.entries()) {
    const problem = entry(item, 'open', index) ?? openProblem((item as unknown[])[1]);
    if (problem !== null) return problem.startsWith('open[') ? problem : `open[${index}]: ${problem}`;
  }
  for (const [index, item] of value.settled.entries()) {
    const problem = entry(item, 'settled', index) ?? settledProblem((item as unknown[])[1]);
    if (problem !== null) return problem.startsWith('settled[') ? problem : `settled[${index}]: ${problem}`;
  }
  for (const [index, lease] of value.leases.entries()) {
    if (!isRecord(lease) || !isCount(lease.id) || lease.id < 1 || lease.id >= (value.nextLeaseId as number) || !isCount(lease.unit) || lease.unit >= units
      || !isName(lease.worker) || typeof lease.speculative !== 'boolean') return `leases[${index}]: not a lease of this job`;
  }
  return value as unknown as JobStateSnapshot;
}

function settledProblem(unit: unknown): string | null {
  if (!isRecord(unit)) return 'not an object';
  if (unit.phase !== 'done' && unit.phase !== 'failed') return 'phase: not done or failed';
  if (unit.verdict !== null) {
    const verdict = unit.verdict;
    if (!isRecord(verdict) || !isHash(verdict.outputHash) || !isFuel(verdict.fuel) || !isNameList(verdict.agreeing) || !isNameList(verdict.disagreeing)) return 'verdict: not an accepted verdict';
  }
  if (unit.phase === 'done' && unit.verdict === null) return 'a done unit without its verdict';
  return null;
}

function openProblem(unit: unknown): string | null {
  if (!isRecord(unit)) return 'not an object';
  if (!isCount(unit.started) || !isCount(unit.failures) || typeof unit.speculated !== 'boolean' || !isNameList(unit.workers)) return 'an open unit without its replicas';
  if (!Array.isArray(unit.results) || unit.results.length > LIST_MAX) return 'results: not a list';
  for (const result of unit.results) {
    if (!isRecord(result) || !isName(result.worker) || !isHash(result.outputHash) || !isFuel(result.fuel) || (result.resumedFrom !== undefined && !isName(result.resumedFrom))) return 'results: not a replica result';
  }
  return null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= NAME_LENGTH_MAX;
}

function isNameList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length <= LIST_MAX && value.every(isName);
}

function isHash(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 128;
}

function isFuel(value: unknown): value is string {
  return typeof value === 'string' && /^\d{1,20}$/.test(value);
}
