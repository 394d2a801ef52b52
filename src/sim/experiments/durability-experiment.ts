/**
 * The durability experiment behind `peergrid sim durability`: N storage nodes under transient
 * downtime and permanent departures hold `objects` objects for a simulated year (or `days`), each
 * kept by a redundancy scheme (replication or erasure coding) and the repair policy of
 * services/storage/durability; it reports objects lost, unavailability, repairs and repair bytes
 * against an oracle that repairs only permanent failures. docs/storage-durability.md explains the
 * model and the figures.
 *
 * Every scheme runs over the same churn (each node identity draws its sessions, downtimes and
 * lifetime from its own stream of the seed), so schemes are compared on the same year.
 */
import { checkRepairPolicy, type RepairPolicy } from '../../services/storage/durability/repair-policy.ts';
import { formatRedundancy, piecesNeeded, piecesTarget, type Redundancy } from '../../services/storage/durability/redundancy.ts';
import { Prng } from '../prng.ts';
import { round } from '../stats.ts';
import { availabilityModel, DAY_MS, HOUR_MS } from './durability/availability-model.ts';
import { DurabilityRun, type PieceLedger } from './durability/durability-run.ts';
import { checkDurabilityInvariants } from './durability/invariants.ts';
import { ResourceMeter } from './resource-meter.ts';

export interface DurabilityScheme {
  readonly redundancy: Redundancy;
  readonly policy: RepairPolicy;
}

export interface DurabilityExperimentOptions {
  readonly seed: number;
  readonly objects: number;
  readonly nodes: number;
  readonly days: number;
  /** Every object has this size (bytes scale linearly, so ratios do not depend on it). */
  readonly objectBytes: number;
  readonly schemes: readonly DurabilityScheme[];
  /** Fraction of the population that leaves for good each month (and is replaced by empty nodes). */
  readonly permanentLossPerMonth: number;
  /** Long-run fraction of time a node is offline (transiently). */
  readonly offlineFraction: number;
  /** `exp:<mean hours>` or `weibull:<shape>:<mean hours>` (availability-model.ts). */
  readonly downtime: string;
  /** Objects sampled each simulated hour to estimate unavailability (default 200). */
  readonly availabilitySamplesPerHour?: number;
  /** Run the invariant checkers at the end of each scheme's run (costly at scale). */
  readonly checkInvariants?: boolean;
  readonly progress?: (line: string) => void;
}

export interface DurabilitySchemeResult {
  scheme: string;
  policy: {
    repairBelowPieces: number; extraPiecesMax: number; recordedPiecesMax: number;
    graceHours: number; forgetAfterDays: number; retryIntervalHours: number;
  };
  piecesTarget: number;
  piecesNeeded: number;
  objects: number;
  /** Objects with fewer than `needed` pieces left on nodes that have not left for good. */
  lost: number;
  /** Of those, lost when a long-silent holder was forgotten (the policy's own doing). */
  lostByForgetting: number;
  /** Entry s: objects (not lost) whose live pieces once fell to exactly needed + s; the last entry: s or more. */
  closestToLoss: number[];
  /** Share of object-time with fewer than `needed` pieces online (sampled), and its standard error. */
  unavailability: number;
  unavailabilityStdErr: number;
  availabilitySamples: number;
  /** Repairs carried out, and attempts blocked for want of enough reachable pieces. */
  repairs: number;
  blockedRepairs: number;
  placementShortfalls: number;
  piecesCreated: number;
  repairBytes: number;
  /** The oracle baseline: pieces lost to departures by a system keeping exactly the target, each re-created once. */
  permanentPiecesLost: number;
  permanentOnlyBytes: number;
  repairOverPermanentOnly: number;
  piecesCreatedOverPermanentPiecesLost: number;
  presumedGonePieces: number;
  reintegratedPieces: number;
  /** Pieces per surviving object at the end, on live nodes; stored bytes over object bytes. */
  piecesPerObjectEnd: number;
  storageOverheadEnd: number;
  ledger: PieceLedger;
  departures: number;
  events: number;
  wallMs: number;
  traceHash: string;
  invariantViolations?: string[];
}

export interface DurabilityExperimentResult {
  seed: number;
  objects: number;
  nodes: number;
  days: number;
  objectBytes: number;
  permanentLossPerMonth: number;
  offlineFraction: number;
  downtime: string;
  downtimeMeanHours: number;
  sessionMeanHours: number;
  schemes: DurabilitySchemeResult[];
  wallMs: number;
  rssBytesMax: number;
}

export const DURABILITY_SAMPLES_PER_HOUR = 200;

export function runDurabilityExperiment(options: DurabilityExperimentOptions): DurabilityExperimentResult {
  const meter = new ResourceMeter();
  const model = availabilityModel(options.downtime, options.offlineFraction, options.permanentLossPerMonth);
  for (const scheme of options.schemes) {
    const problems = checkRepairPolicy(scheme.redundancy, scheme.policy);
    if (problems.length > 0) throw new RangeError(`${formatRedundancy(scheme.redundancy)}: ${problems.join('; ')}`);
  }
  const results: DurabilitySchemeResult[] = [];
  for (const scheme of options.schemes) {
    const started = meter.elapsedMs();
    const run = new DurabilityRun({
      objects: options.objects,
      nodes: options.nodes,
      durationMs: options.days * DAY_MS,
      objectBytes: options.objectBytes,
      redundancy: scheme.redundancy,
      policy: scheme.policy,
      model,
      availabilitySamplesPerHour: options.availabilitySamplesPerHour ?? DURABILITY_SAMPLES_PER_HOUR,
      prng: Prng.fromSeed(options.seed),
      progress: options.progress,
    });
    run.run();
    meter.sample();
    const result = schemeResult(run, scheme, meter.elapsedMs() - started);
    if (options.checkInvariants === true) result.invariantViolations = checkDurabilityInvariants(run);
    results.push(result);
    options.progress?.(`${result.scheme}: lost ${result.lost}, repair/permanent-only ${result.repairOverPermanentOnly}, ${(result.wallMs / 1000).toFixed(1)} s`);
  }
  meter.sample();
  return {
    seed: options.seed,
    objects: options.objects,
    nodes: options.nodes,
    days: options.days,
    objectBytes: options.objectBytes,
    permanentLossPerMonth: options.permanentLossPerMonth,
    offlineFraction: options.offlineFraction,
    downtime: options.downtime,
    downtimeMeanHours: round((model.downtime?.meanMs ?? 0) / HOUR_MS),
    sessionMeanHours: round((model.session?.meanMs ?? Infinity) / HOUR_MS),
    schemes: results,
    wallMs: Math.round(meter.elapsedMs()),
    rssBytesMax: meter.rssBytesMax,
  };
}

function schemeResult(run: DurabilityRun, scheme: DurabilityScheme, wallMs: number): DurabilitySchemeResult {
  const c = run.counters;
  const policy = scheme.policy;
  const objects = run.options.objects;
  const unavailability = c.availabilitySamples === 0 ? 0 : c.unavailableSamples / c.availabilitySamples;
  const survivors = objects - c.lost;
  const livePieces = run.livePiecesOfSurvivors();
  const permanentOnlyBytes = run.permanentOnlyBytes();
  return {
    scheme: formatRedundancy(scheme.redundancy),
    policy: {
      repairBelowPieces: policy.repairBelowPieces,
      extraPiecesMax: policy.extraPiecesMax,
      recordedPiecesMax: policy.recordedPiecesMax,
      graceHours: round(policy.graceMs / HOUR_MS),
      forgetAfterDays: round(policy.forgetAfterMs / DAY_MS),
      retryIntervalHours: round(policy.retryIntervalMs / HOUR_MS),
    },
    piecesTarget: piecesTarget(scheme.redundancy),
    piecesNeeded: piecesNeeded(scheme.redundancy),
    objects,
    lost: c.lost,
    lostByForgetting: c.lostByForgetting,
    closestToLoss: run.closestToLoss(),
    unavailability: round(unavailability, 6),
    unavailabilityStdErr: round(c.availabilitySamples === 0 ? 0 : Math.sqrt((unavailability * (1 - unavailability)) / c.availabilitySamples), 6),
    availabilitySamples: c.availabilitySamples,
    repairs: c.repairs,
    blockedRepairs: c.blockedRepairs,
    placementShortfalls: c.placementShortfalls,
    piecesCreated: run.ledger.createdByRepair,
    repairBytes: c.repairBytes,
    permanentPiecesLost: c.permanentPiecesLost,
    permanentOnlyBytes,
    repairOverPermanentOnly: permanentOnlyBytes === 0 ? (c.repairBytes === 0 ? 0 : Infinity) : round(c.repairBytes / permanentOnlyBytes),
    piecesCreatedOverPermanentPiecesLost: c.permanentPiecesLost === 0 ? 0 : round(run.ledger.createdByRepair / c.permanentPiecesLost),
    presumedGonePieces: c.presumedGonePieces,
    reintegratedPieces: c.reintegratedPieces,
    piecesPerObjectEnd: survivors === 0 ? 0 : round(livePieces / survivors),
    storageOverheadEnd: survivors === 0 ? 0 : round((livePieces * run.pieceBytes()) / (survivors * run.options.objectBytes)),
    ledger: { ...run.ledger },
    departures: c.departures,
    events: c.events,
    wallMs: Math.round(wallMs),
    traceHash: run.trace.hex(),
  };
}
