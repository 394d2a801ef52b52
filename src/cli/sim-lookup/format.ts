/** The readable summary of a lookup experiment (the default output of `peergrid sim lookup`). */
import type { LookupExperimentResult } from '../../sim/experiments/lookup-experiment.ts';

/** A number for display, or n/a when there is none (NaN: no lookup completed). */
function num(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${num(fraction * 100, 2)} %` : 'n/a';
}

function mebibytes(bytes: number): string {
  return `${num(bytes / (1024 * 1024), 1)} MiB`;
}

export function formatSummary(r: LookupExperimentResult): string {
  const header =
    `${num(r.nodes)} nodes, ${num(r.lookups)} lookups, seed ${r.seed}; latency ${r.latency}, churn ${r.churn}, ` +
    `loss ${r.lossRate}; k ${r.k}, alpha ${r.alpha}, b ${r.bits}, finish ${r.finish}, join by ${r.join}${r.proximity ? ', proximity' : ''}${r.wire ? ', wire codec' : ''}`;
  const rows: [string, string][] = [
    ['correct', `${percent(r.correctRate)}  (${num(r.lookupsCompleted)} completed, ${num(r.lookupsAborted)} aborted)`],
    ['recall', percent(r.recallMean)],
    ['hops', `mean ${num(r.hops.mean, 2)}  p50 ${num(r.hops.p50)}  p95 ${num(r.hops.p95)}  max ${num(r.hops.max)}`],
    ['latency', `p50 ${num(r.latencyMs.p50)} ms  p95 ${num(r.latencyMs.p95)} ms  p99 ${num(r.latencyMs.p99)} ms  mean ${num(r.latencyMs.mean)} ms`],
    ['stretch', `p50 ${num(r.stretch.p50, 2)}  p95 ${num(r.stretch.p95, 2)}`],
    ...(r.proximity ? [['vivaldi', `median relative error ${num(r.vivaldiRelErrorP50 ?? Number.NaN, 3)}`] as [string, string]] : []),
    ['traffic', `${num(r.messagesPerLookup, 1)} messages/lookup, ${num(r.bytesPerNodePerSec, 1)} B/s per node ` +
      `(maintenance ${num(r.maintenanceBytesPerNodePerSec, 1)} B/s)`],
    ['simulated', `${num(r.simSeconds, 1)} s (joins ${num(r.joinSimSeconds, 1)} s, warm-up ${r.warmupMinutes} min, ` +
      `window ${r.windowMinutes} min); ${num(r.nodesOnlineMean, 1)} nodes online on average, ${num(r.identities)} identities`],
    ['speed', `${num(r.wallMs / 1000, 2)} s wall (joins ${num(r.joinWallMs / 1000, 2)} s), ${num(r.eventsPerSec)} events/s, ` +
      `${num(r.speedupVsRealTime, 1)}x real time (${num(r.windowSpeedupVsRealTime, 1)}x in the window, ` +
      `${num(r.windowSpeedupVsCpuTime, 1)}x per CPU second)`],
    ...(r.workers > 1 ? [['split', `on ${r.workers} worker threads, ${num(r.lookaheadMs ?? Number.NaN)} ms apart; ` +
      `${num(r.crossPartMessages)} messages between them`] as [string, string]] : []),
    ['memory', `${mebibytes(r.rssBytesMax)} peak RSS`],
    ['trace hash', r.traceHash],
  ];
  if (r.invariantChecks > 0) {
    const found = r.invariantViolations.length === 0 ? 'all held' : `${r.invariantViolations.length} violation(s): ${r.invariantViolations[0]}`;
    rows.push(['invariants', `checked ${num(r.invariantChecks)} times, ${found}`]);
  }
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return `${header}\n${rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`).join('\n')}\n`;
}
