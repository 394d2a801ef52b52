/**
 * What the invariant checkers found during a lookup experiment (`--check`), kept per part of a
 * split run and merged into the list one thread would have kept: every check runs at the same
 * simulated times in every part, each part finds the violations of its own nodes, and all find the
 * world's (invariants.ts, findViolations).
 */
import { WORLD_VIOLATION, type Violation } from '../invariants.ts';

/** The most violations a run reports: the first ones (one bug tends to repeat). */
export const VIOLATIONS_KEPT = 20;

/** A violation and when the check that found it ran. Plain data: a worker can post it. */
export interface TimedViolation extends Violation {
  readonly atMs: number;
}

/** Adds what a check at `atMs` found, up to VIOLATIONS_KEPT in all. */
export function keepViolations(kept: TimedViolation[], atMs: number, found: readonly Violation[]): void {
  for (const violation of found) {
    if (kept.length >= VIOLATIONS_KEPT) return;
    kept.push({ atMs, node: violation.node, problem: violation.problem });
  }
}

/**
 * The first VIOLATIONS_KEPT of all parts' violations, as one thread lists them: by the time of the
 * check, then by node, the world's last and once (each part finds those). Each part's list is a
 * prefix of its violations in that order, so the merged prefix is the one a single thread keeps.
 */
export function mergeViolations(parts: readonly (readonly TimedViolation[])[]): string[] {
  const rank = (violation: TimedViolation): number => (violation.node === WORLD_VIOLATION ? Number.MAX_SAFE_INTEGER : violation.node);
  const all = parts.flatMap((kept, part) => kept.map((violation, position) => ({ violation, part, position })));
  all.sort((a, b) => a.violation.atMs - b.violation.atMs || rank(a.violation) - rank(b.violation) || a.part - b.part || a.position - b.position);
  const merged: string[] = [];
  const worldSeen = new Set<string>();
  for (const { violation } of all) {
    const text = `t=${violation.atMs}ms ${violation.problem}`;
    if (violation.node === WORLD_VIOLATION) {
      if (worldSeen.has(text)) continue;
      worldSeen.add(text);
    }
    merged.push(text);
    if (merged.length === VIOLATIONS_KEPT) break;
  }
  return merged;
}
