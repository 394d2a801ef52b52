/** The readable summary of a durability experiment (the default output of `peergrid sim durability`). */
import type { DurabilityExperimentResult, DurabilitySchemeResult } from '../../sim/experiments/durability-experiment.ts';

function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function percent(fraction: number, digits = 3): string {
  return Number.isFinite(fraction) ? `${num(fraction * 100, digits)} %` : 'n/a';
}

function gibibytes(bytes: number): string {
  return `${num(bytes / 2 ** 30, 1)} GiB`;
}

function schemeRows(s: DurabilitySchemeResult): [string, string][] {
  const p = s.policy;
  return [
    ['policy', `repair below ${p.repairBelowPieces} of ${s.piecesTarget} pieces (${s.piecesNeeded} needed), grace ${num(p.graceHours)} h, ` +
      `extras up to ${p.extraPiecesMax}, forget after ${num(p.forgetAfterDays)} days`],
    ['lost', `${num(s.lost)} of ${num(s.objects)} objects${s.lostByForgetting > 0 ? ` (${num(s.lostByForgetting)} by forgetting)` : ''}; ` +
      `closest calls (live pieces beyond those needed: count) ${s.closestToLoss.map((count, surplus) => `${surplus}: ${num(count)}`).join(', ')}`],
    ['unavailable', `${percent(s.unavailability)} of object-time (± ${percent(s.unavailabilityStdErr)}, ${num(s.availabilitySamples)} samples)`],
    ['repairs', `${num(s.repairs)} (${num(s.piecesCreated)} pieces), ${num(s.blockedRepairs)} blocked attempts; ` +
      `${num(s.presumedGonePieces)} pieces presumed gone, ${num(s.reintegratedPieces)} re-integrated`],
    ['repair bytes', `${gibibytes(s.repairBytes)} = ${num(s.repairOverPermanentOnly, 3)} × permanent-only (${gibibytes(s.permanentOnlyBytes)}); ` +
      `pieces created ${num(s.piecesCreatedOverPermanentPiecesLost, 3)} × pieces lost`],
    ['storage', `${num(s.piecesPerObjectEnd, 2)} pieces per object at the end, ${num(s.storageOverheadEnd, 2)} × the data`],
    ['run', `${num(s.events)} events, ${num(s.departures)} departures, ${num(s.wallMs / 1000, 1)} s wall; trace ${s.traceHash}`],
  ];
}

export function formatDurabilitySummary(r: DurabilityExperimentResult): string {
  const header =
    `${num(r.objects)} objects of ${num(r.objectBytes)} bytes on ${num(r.nodes)} nodes for ${num(r.days)} days, seed ${r.seed}; ` +
    `${percent(r.permanentLossPerMonth, 1)} of nodes leave each month, offline ${percent(r.offlineFraction, 1)} ` +
    `(downtime ${r.downtime}, mean ${num(r.downtimeMeanHours, 1)} h; sessions mean ${num(r.sessionMeanHours, 1)} h)`;
  const blocks = r.schemes.map((s) => {
    const rows = schemeRows(s);
    if (s.invariantViolations !== undefined) {
      rows.push(['invariants', s.invariantViolations.length === 0 ? 'all held' : `${s.invariantViolations.length} violation(s): ${s.invariantViolations[0]}`]);
    }
    const width = Math.max(...rows.map(([label]) => label.length)) + 2;
    return `${s.scheme}\n${rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`).join('\n')}`;
  });
  return `${header}\n${blocks.join('\n')}\nwall ${num(r.wallMs / 1000, 1)} s, peak RSS ${num(r.rssBytesMax / 2 ** 20)} MiB\n`;
}
