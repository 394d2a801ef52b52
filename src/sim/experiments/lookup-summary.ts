/**
 * The result of a lookup experiment, summed up from what its parts measured (one part when the run
 * was not split across threads; parallel/parallel-lookup.ts otherwise).
 */
import { mean, quantileSorted, round, summarize } from '../stats.ts';
import { foldTraceLanes } from '../trace-hash.ts';
import { experimentStream } from '../world.ts';
import type { LookupExperimentOptions, LookupExperimentResult, LookupPart } from './lookup-experiment.ts';
import { mergeViolations } from './violations.ts';
import { VIVALDI_PAIRS_STREAM, vivaldiRelErrorP50 } from './vivaldi-error.ts';

/**
 * Sums up the parts of a run (one, when it was not split) into its result. Judgements are taken in
 * the order their lookups finished, whichever part judged them, so a split run reports the same
 * figures as a whole one; the trace hash takes each node's lanes from the part that ran it.
 */
export function summarizeLookupParts(options: LookupExperimentOptions, parts: readonly LookupPart[]): LookupExperimentResult {
  const first = parts[0];
  const judgements = parts.flatMap((part) => part.judgements)
    .sort((a, b) => a.finishedAtMs - b.finishedAtMs || a.origin - b.origin || a.operationId - b.operationId);
  const completed = judgements.length;
  const aborted = options.lookups - completed;
  const windowBytes = parts.reduce((sum, part) => sum + part.windowBytes, 0);
  const windowMaintenanceBytes = parts.reduce((sum, part) => sum + part.windowMaintenanceBytes, 0);
  const onlineNodeSeconds = first.onlineNodeSeconds;
  const wallMs = Math.max(...parts.map((part) => part.wallMs));
  const windowWallMs = Math.max(...parts.map((part) => part.windowWallMs));
  const windowCpuMs = Math.max(...parts.map((part) => part.windowCpuMs));
  const events = parts.reduce((sum, part) => sum + part.nodeEvents, 0) + first.callEvents;
  const simSeconds = first.simSeconds;

  const hopsSorted = judgements.map((j) => j.hops).sort((a, b) => a - b);
  const latencySorted = judgements.map((j) => j.latencyMs).sort((a, b) => a - b);
  const stretchSorted = judgements.map((j) => j.stretch).filter(Number.isFinite).sort((a, b) => a - b);
  const hops = summarize(hopsSorted);
  return {
    seed: options.seed,
    nodes: options.nodes,
    lookups: options.lookups,
    lookupsCompleted: completed,
    lookupsAborted: aborted,
    correctRate: round(mean(judgements.map((j) => (j.correct ? 1 : 0))), 5),
    recallMean: round(mean(judgements.map((j) => j.recall)), 5),
    hops: { mean: round(hops.mean), p50: hops.p50, p95: hops.p95, max: hops.max },
    latencyMs: {
      p50: round(quantileSorted(latencySorted, 0.5), 1),
      p95: round(quantileSorted(latencySorted, 0.95), 1),
      p99: round(quantileSorted(latencySorted, 0.99), 1),
      mean: round(mean(latencySorted), 1),
    },
    stretch: { p50: round(quantileSorted(stretchSorted, 0.5)), p95: round(quantileSorted(stretchSorted, 0.95)) },
    proximity: options.dht.proximity,
    vivaldiRelErrorP50: mergedVivaldiRelErrorP50(options, parts),
    messagesPerLookup: round(mean(judgements.map((j) => j.messages)), 2),
    failuresPerLookup: round(mean(judgements.map((j) => j.failures)), 3),
    bytesPerNodePerSec: round(windowBytes / onlineNodeSeconds, 1),
    maintenanceBytesPerNodePerSec: round(windowMaintenanceBytes / onlineNodeSeconds, 1),
    nodesOnlineMean: round(onlineNodeSeconds / (options.windowMs / 1000), 1),
    identities: first.identities,
    latency: options.latency.name,
    churn: options.churn ? options.churn.name : 'none',
    lossRate: options.network.lossRate,
    k: options.dht.k,
    alpha: options.dht.alpha,
    bits: options.dht.bitsPerDigit,
    finish: String(options.dht.lookupFinish),
    join: options.dht.joinRefresh,
    wire: options.wire,
    warmupMinutes: round(options.warmupMs / 60_000, 2),
    windowMinutes: round(options.windowMs / 60_000, 2),
    joinSimSeconds: round(first.joinSimSeconds, 1),
    joinWallMs: Math.round(first.joinWallMs),
    joinMessagesPerNode: round(first.joinMessagesPerNode, 1),
    wallMs: Math.round(wallMs),
    simSeconds: round(simSeconds, 1),
    eventsPerSec: Math.round(events / (wallMs / 1000)),
    speedupVsRealTime: round(simSeconds / (wallMs / 1000), 1),
    windowSpeedupVsRealTime: round(options.windowMs / windowWallMs, 1),
    windowCpuMs: Math.round(windowCpuMs),
    windowSpeedupVsCpuTime: round(options.windowMs / windowCpuMs, 1),
    rssBytesMax: Math.max(...parts.map((part) => part.rssBytesMax)),
    traceHash: mergedTraceHash(parts),
    invariantChecks: first.invariantChecks,
    invariantViolations: mergeViolations(parts.map((part) => part.invariantViolations)),
    workers: parts.length,
    lookaheadMs: first.lookaheadMs,
    crossPartMessages: parts.reduce((sum, part) => sum + part.crossPartMessages, 0),
  };
}

/** The run's trace hash: the world's lanes (alike in every part, or the parts diverged), each node's from its part. */
function mergedTraceHash(parts: readonly LookupPart[]): string {
  const lanes = Int32Array.from(parts[0].traceLanes);
  for (const part of parts) {
    if (part.traceLanes[0] !== lanes[0] || part.traceLanes[1] !== lanes[1] || part.traceLanes.length !== lanes.length) {
      throw new Error('the parts of a split run disagree on the world\'s own events: they diverged');
    }
    const partOf = part.partOf;
    if (partOf === null) continue;
    const self = parts.indexOf(part);
    for (let node = 0; node < partOf.length; node++) {
      if (partOf[node] !== self) continue;
      lanes[2 * (node + 1)] = part.traceLanes[2 * (node + 1)];
      lanes[2 * (node + 1) + 1] = part.traceLanes[2 * (node + 1) + 1];
    }
  }
  return foldTraceLanes(lanes);
}

/** vivaldiRelErrorP50 over every part's coordinates, in node order (null without proximity). */
function mergedVivaldiRelErrorP50(options: LookupExperimentOptions, parts: readonly LookupPart[]): number | null {
  if (!options.dht.proximity) return null;
  const samples = parts.flatMap((part) => part.coordinateSamples ?? []).sort((a, b) => a.index - b.index);
  return vivaldiRelErrorP50(samples, options.latency, experimentStream(options.seed, VIVALDI_PAIRS_STREAM));
}
