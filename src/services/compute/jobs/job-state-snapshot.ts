/**
 * A job's coordination state as plain data (JobState.snapshot and JobState.restore): what a
 * coordinator sends the nodes that keep a copy of its jobs, so that one of them can go on with the
 * job if the coordinator goes (issue 5, item 4). A snapshot comes from another node, so restoring
 * one checks every field first; checkSnapshot never throws.
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

/** A settled unit keeps its phase and verdict; an open one also what its replicas did. */
export interface UnitSnapshot {
  readonly phase: UnitPhase;
  readonly verdict: AcceptedSnapshot | null;
  readonly started?: number;
  readonly failures?: number;
  readonly speculated?: boolean;
  readonly workers?: readonly string[];
  readonly results?: readonly ResultSnapshot[];
}

export interface LeaseSnapshot {
  readonly id: number;
  readonly unit: number;
  readonly worker: string;
  readonly speculative: boolean;
}

export interface JobStateSnapshot {
  readonly version: 1;
  readonly units: readonly UnitSnapshot[];
  readonly leases: readonly LeaseSnapshot[];
  readonly nextLeaseId: number;
}

const NAME_LENGTH_MAX = 256;
const LIST_MAX = 64;

/** The snapshot, or what is wrong with it. */
export function checkSnapshot(value: unknown, units: number): JobStateSnapshot | string {
  if (!isRecord(value) || value.version !== 1) return 'not a version-1 job state';
  if (!Array.isArray(value.units) || value.units.length !== units) return `not ${units} units`;
  if (!Array.isArray(value.leases) || value.leases.length > units * 16) return 'leases: not a list of at most 16 per unit';
  if (!isCount(value.nextLeaseId) || value.nextLeaseId < 1) return 'nextLeaseId: not a positive integer';
  for (const [index, unit] of value.units.entries()) {
    const problem = unitProblem(unit);
    if (problem !== null) return `units[${index}]: ${problem}`;
  }
  for (const [index, lease] of value.leases.entries()) {
    if (!isRecord(lease) || !isCount(lease.id) || lease.id < 1 || lease.id >= (value.nextLeaseId as number) || !isCount(lease.unit) || lease.unit >= units
      || !isName(lease.worker) || typeof lease.speculative !== 'boolean') return `leases[${index}]: not a lease of this job`;
  }
  return value as unknown as JobStateSnapshot;
}

function unitProblem(unit: unknown): string | null {
  if (!isRecord(unit)) return 'not an object';
  if (unit.phase !== 'open' && unit.phase !== 'done' && unit.phase !== 'failed') return 'phase: not open, done or failed';
  if (unit.verdict !== null) {
    const verdict = unit.verdict;
    if (!isRecord(verdict) || !isHash(verdict.outputHash) || !isFuel(verdict.fuel) || !isNameList(verdict.agreeing) || !isNameList(verdict.disagreeing)) return 'verdict: not an accepted verdict';
  }
  if (unit.phase === 'done' && unit.verdict === null) return 'a done unit without its verdict';
  if (unit.phase !== 'open') return null;
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
