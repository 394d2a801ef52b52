/**
 * The lookup experiment behind `peergrid sim lookup`: build an overlay through the real join
 * protocol, optionally under churn, then run lookups for random keys from random nodes and judge
 * each against the oracle (correctness, recall, hops, latency, stretch, traffic).
 */
import type { DhtConfig } from '../../core/config.ts';
import { idEquals, randomId } from '../../core/id.ts';
import type { LookupDone } from '../../core/node-io.ts';
import type { PeerRef } from '../../core/peer.ts';
import type { ChurnModel } from '../churn/models.ts';
import type { LatencyModel, Placement } from '../latency/model.ts';
import type { NetworkConfig } from '../network.ts';
import type { Prng } from '../prng.ts';
import { findViolations } from '../invariants.ts';
import { partitionNodes, type NodePartition } from '../parallel/node-partition.ts';
import type { PartExchange } from '../parallel/part-exchange.ts';
import { World, type SimNode } from '../world.ts';
import { summarizeLookupParts } from './lookup-summary.ts';
import { ReadyQueue, ReadySet } from './ready-nodes.ts';
import { ResourceMeter } from './resource-meter.ts';
import { keepViolations, type TimedViolation } from './violations.ts';
import { coordinateSamples, VIVALDI_PAIRS_STREAM, type CoordinateSample } from './vivaldi-error.ts';

export interface LookupExperimentOptions {
  readonly seed: number;
  /** Nodes online (on average, under churn). */
  readonly nodes: number;
  readonly lookups: number;
  readonly dht: DhtConfig;
  readonly latency: LatencyModel;
  readonly network: NetworkConfig;
  readonly churn: ChurnModel | null;
  readonly wire: boolean;
  /** Time between two initial nodes starting to join. */
  readonly joinSpacingMs: number;
  /** Under churn: time to reach steady state before measuring. Without churn: quiet time after the last join. */
  readonly warmupMs: number;
  /** The lookups are spread evenly at random over this window. */
  readonly windowMs: number;
  /** Of the nodes that go offline, the fraction that leave gracefully (the rest crash). */
  readonly gracefulLeaveFraction: number;
  /** Run the invariant checkers (invariants.ts) this often, in simulated time; 0 or absent: never. */
  readonly invariantCheckIntervalMs?: number;
  /** Called with progress lines (to stderr) on long runs; not part of the result. */
  readonly progress?: (line: string) => void;
  /**
   * Run one part of a run split across worker threads (parallel/parallel-lookup.ts): every part
   * knows every node, and runs only its own, from the first join on.
   */
  readonly split?: SplitRole;
}

/** This part's place in a split run. */
export interface SplitRole {
  readonly parts: number;
  readonly exchange: PartExchange;
}

export interface LookupExperimentResult {
  seed: number;
  nodes: number;
  lookups: number;
  lookupsCompleted: number;
  lookupsAborted: number;
  correctRate: number;
  recallMean: number;
  hops: { mean: number; p50: number; p95: number; max: number };
  latencyMs: { p50: number; p95: number; p99: number; mean: number };
  stretch: { p50: number; p95: number };
  /** Whether proximity was on (Vivaldi, proximity neighbour and route selection). */
  proximity: boolean;
  /**
   * With proximity: the median relative error of the RTTs the nodes' Vivaldi coordinates predict,
   * over random pairs of online nodes at the end of the run, against the latency model; null without.
   */
  vivaldiRelErrorP50: number | null;
  messagesPerLookup: number;
  /** Requests per lookup that failed or went silent: dead or departed contacts met on the way. */
  failuresPerLookup: number;
  bytesPerNodePerSec: number;
  maintenanceBytesPerNodePerSec: number;
  nodesOnlineMean: number;
  identities: number;
  latency: string;
  churn: string;
  lossRate: number;
  k: number;
  alpha: number;
  bits: number;
  finish: string;
  /** How joining nodes refresh their far buckets (DhtConfig.joinRefresh). */
  join: string;
  wire: boolean;
  warmupMinutes: number;
  windowMinutes: number;
  joinSimSeconds: number;
  joinWallMs: number;
  /** Messages sent while the initial nodes joined, per node (static runs; under churn, 0). */
  joinMessagesPerNode: number;
  wallMs: number;
  simSeconds: number;
  eventsPerSec: number;
  speedupVsRealTime: number;
  /** Simulated time over wall time during the measured window alone (steady state, no joins). */
  windowSpeedupVsRealTime: number;
  /** CPU time of the thread that ran the window (split: of the busiest part's), in ms. */
  windowCpuMs: number;
  /**
   * Simulated time over that CPU time: the window's speed had the thread had its core to itself.
   * Above windowSpeedupVsRealTime when the thread waited: for other processes, or in a split run
   * for the other parts. It does not remove a virtual machine's own changes of speed (BENCHMARKS.md).
   */
  windowSpeedupVsCpuTime: number;
  rssBytesMax: number;
  traceHash: string;
  /** How many times the invariant checkers ran, and what they found (the first few). */
  invariantChecks: number;
  invariantViolations: string[];
  /** Worker threads that ran the experiment (1: the run was not split). */
  workers: number;
  /** How far, in simulated ms, a part may run ahead of the other parts' clocks; null when not split. */
  lookaheadMs: number | null;
  /** Messages of the window that went from one worker's nodes to another's. */
  crossPartMessages: number;
}

/**
 * What one part of a run (the whole run, when it is not split) measured, before it is summed up
 * with the other parts' (summarizeLookupParts). Plain data, so that a worker can post it.
 */
export interface LookupPart {
  readonly judgements: Judgement[];
  readonly windowBytes: number;
  readonly windowMaintenanceBytes: number;
  readonly onlineNodeSeconds: number;
  readonly joinSimSeconds: number;
  readonly joinWallMs: number;
  readonly joinMessagesPerNode: number;
  readonly wallMs: number;
  readonly windowWallMs: number;
  readonly windowCpuMs: number;
  readonly simSeconds: number;
  /** Events at nodes this part ran, and the world's own calls (which every part runs). */
  readonly nodeEvents: number;
  readonly callEvents: number;
  readonly rssBytesMax: number;
  /** The world's trace lanes (trace-hash.ts), and which part ran each node (null: this one ran all). */
  readonly traceLanes: Int32Array;
  readonly partOf: Uint8Array | null;
  readonly lookaheadMs: number | null;
  readonly crossPartMessages: number;
  readonly identities: number;
  /** With proximity: the coordinates of the online nodes this part ran (vivaldi-error.ts). */
  readonly coordinateSamples: CoordinateSample[] | null;
  readonly invariantChecks: number;
  /** The first violations this part found (violations.ts merges the parts'). */
  readonly invariantViolations: TimedViolation[];
}

export interface Judgement {
  /** When the lookup finished, at which node, and its id there: the order judgements are summed in. */
  finishedAtMs: number;
  origin: number;
  operationId: number;
  correct: boolean;
  recall: number;
  hops: number;
  latencyMs: number;
  stretch: number;
  messages: number;
  failures: number;
}

/** Stream indices for the experiment's own random choices (World.stream). */
const ExperimentStreams = { workload: 1, churn: 2, bootstrap: 3, vivaldiPairs: VIVALDI_PAIRS_STREAM } as const;
/** How often memory is sampled, in simulated time. */
const RSS_SAMPLE_INTERVAL_MS = 10_000;
/** How long after the window the last lookups may take to finish. */
const DRAIN_MS = 60_000;
/** After the window, how often the run looks whether every lookup has finished. */
const DRAIN_CHECK_MS = 1_000;
/** After the last initial node started, how often the run looks whether every join has finished, and for how long at most. */
const JOIN_CHECK_MS = 1_000;
const JOIN_WAIT_MAX_MS = 10 * 60_000;
/**
 * A node that finished its join becomes a bootstrap and a lookup origin this much later. Nodes
 * do not learn of one another at once (a real bootstrap list is not live either), and in a split
 * run it is the time a notice of the join has to reach the other parts (part-exchange.ts).
 */
const READY_DELAY_MS = 1_000;
/** Under churn, identities made ahead of use (IdentityPool): at least this many, or a tenth of the nodes. */
const IDENTITIES_AHEAD_MIN = 1_024;

export function runLookupExperiment(options: LookupExperimentOptions): LookupExperimentResult {
  return summarizeLookupParts(options, [runLookupPart(options)]);
}

/** Why a split run cannot have these options, or null when it can. */
export function splitRunProblem(options: LookupExperimentOptions): string | null {
  if (options.churn !== null && options.latency.hosts === undefined) {
    return 'under churn a split run divides the nodes by host: it needs a latency model with hosts (planetlab or a matrix file)';
  }
  return null;
}

/** Runs the experiment, or one part of a split run, and returns what it measured. */
export function runLookupPart(options: LookupExperimentOptions): LookupPart {
  const split = options.split ?? null;
  if (split !== null) {
    const problem = splitRunProblem(options);
    if (problem !== null) throw new RangeError(problem);
  }
  const meter = new ResourceMeter();
  const world = new World({ seed: options.seed, dht: options.dht, latency: options.latency, network: options.network, wire: options.wire });
  const workload = world.stream(ExperimentStreams.workload);
  const bootstrapChoice = world.stream(ExperimentStreams.bootstrap);
  const say = options.progress ?? (() => {});

  // Nodes online and joined, for choosing bootstraps and lookup origins in O(1): a node enters
  // READY_DELAY_MS after its join finished (ReadyQueue), in every part of a split run alike.
  const ready = new ReadySet();
  const readyQueue = new ReadyQueue();
  const readyNow = (): ReadySet => {
    readyQueue.moveDue(world.nowMs, ready, world.nodes);
    return ready;
  };
  // The workload's lookups still running, by origin node and operation id.
  const pending = new Map<SimNode, Set<number>>();
  let outstanding = 0;
  let joinsFinished = 0;
  const judgements: Judgement[] = [];
  // The node whose workload lookup world.lookup is starting right now. A lookup can finish inside
  // that call (a node with an empty table has nobody to ask), before its id is in `pending`: it is
  // judged then, or it would pass for aborted and its failure would go uncounted.
  let startingAt: SimNode | null = null;
  let finishedAtStart = false;
  world.onNodeEvent = (node, event) => {
    if (event.kind === 'joined') {
      joinsFinished++;
      const readyAtMs = world.nowMs + READY_DELAY_MS;
      readyQueue.add(readyAtMs, node.index, node.generation);
      split?.exchange.announceJoin(node.index, node.generation, readyAtMs, world);
    } else if (event.kind === 'lookupDone' && pending.get(node)?.delete(event.operationId)) {
      outstanding--;
      judgements.push(judge(world, node, event, options.dht.k));
    } else if (event.kind === 'lookupDone' && node === startingAt) {
      finishedAtStart = true;
      judgements.push(judge(world, node, event, options.dht.k));
    }
  };
  if (split !== null) split.exchange.onJoinNotice = (index, generation, readyAtMs) => readyQueue.add(readyAtMs, index, generation);
  let lookaheadMs: number | null = null;
  /**
   * Runs to `targetMs` and returns `count()` summed over the parts there: in a split run the parts
   * meet at that time and add up their counts; a run that is not split has one part, this one.
   */
  const advance = (targetMs: number, count: () => number): number => {
    if (split === null) {
      world.runUntil(targetMs);
      return count();
    }
    split.exchange.runTo(targetMs, world);
    return split.exchange.sumAtCheckpoint(count(), world);
  };
  // Until some node is ready, new nodes join through the first one started, as a new overlay's
  // members would through its seed node.
  let firstStarted: SimNode | null = null;
  const bootstrapFor = (newcomer: SimNode): PeerRef[] => {
    const node = readyNow().pick(bootstrapChoice) ?? firstStarted;
    firstStarted ??= newcomer;
    return node !== null && node !== newcomer && node.online ? [node.peer] : [];
  };
  const stopNode = (node: SimNode, random: Prng): void => {
    ready.remove(node);
    // Its running lookups die with it: they count as aborted.
    outstanding -= pending.get(node)?.size ?? 0;
    pending.delete(node);
    if (random.nextFloat() < options.gracefulLeaveFraction) world.leave(node);
    else world.crash(node);
  };
  const sampleMemory = (): void => {
    meter.sample();
    world.at(world.nowMs + RSS_SAMPLE_INTERVAL_MS, sampleMemory);
  };
  world.at(0, sampleMemory);
  let invariantChecks = 0;
  const invariantViolations: TimedViolation[] = [];
  const checkIntervalMs = options.invariantCheckIntervalMs ?? 0;
  if (checkIntervalMs > 0) {
    // A call of the world's own: every part of a split run checks at the same times.
    const check = (): void => {
      invariantChecks++;
      keepViolations(invariantViolations, world.nowMs, findViolations(world));
      world.at(world.nowMs + checkIntervalMs, check);
    };
    world.at(checkIntervalMs, check);
  }

  /** A split run divides its nodes here, before the first starts; `partOfHost` places nodes created later. */
  const beginSplit = (role: SplitRole, partition: NodePartition, partOf: Uint8Array, partOfHost: ((host: number) => number) | null): void => {
    // A notice of a join must reach the other parts before the node is ready: no later than the lookahead.
    lookaheadMs = Math.min(partition.lookaheadMs, READY_DELAY_MS);
    world.runOnly({ partOf, partOfHost, self: role.exchange.self, send: (delivery, toPart) => role.exchange.send(delivery, toPart, world) });
    role.exchange.start(world.nowMs, lookaheadMs);
    const unit = partOfHost === null ? 'nodes' : 'hosts';
    say(`part ${role.exchange.self} of ${role.parts}: ${partition.partSizes[role.exchange.self]} ${unit}, lookahead ${lookaheadMs} ms`);
  };

  // Under churn, the identities newcomers take (a static run draws its own, below).
  let identities: IdentityPool | null = null;

  // Phase 1: the initial nodes join one after another, each through a random node already in.
  if (options.churn === null) {
    // Every identity and place is drawn first (the same draws as one at a time), so that a split
    // run can divide the nodes among its parts before any of them starts.
    const initial = Array.from({ length: options.nodes }, () => world.createNode());
    if (split !== null) {
      const partition = partitionNodes(initial.map((node) => node.placement), options.latency, split.parts);
      beginSplit(split, partition, partition.partOf, null);
    }
    const progressEvery = Math.max(1, Math.floor(options.nodes / 10));
    for (let i = 0; i < options.nodes; i++) {
      world.at(i * options.joinSpacingMs, () => {
        world.start(initial[i], bootstrapFor(initial[i]));
        if ((i + 1) % progressEvery === 0) {
          say(`started ${i + 1} of ${options.nodes} nodes (${(meter.elapsedMs() / 1000).toFixed(1)} s wall, ${Math.round(meter.rssBytesMax / 2 ** 20)} MiB, ${world.eventsProcessed} events, ${world.traffic.messages} messages)`);
        }
      });
    }
  } else {
    if (split !== null) {
      // Under churn nodes are created as they first arrive: each goes to the part of its host. The
      // model's hosts are equally likely, so parts of even numbers of hosts get even shares of nodes.
      const hosts = Array.from({ length: options.latency.hosts ?? 0 }, (_, host): Placement => ({ host, accessMs: 0, latitude: Number.NaN, longitude: Number.NaN }));
      const partition = partitionNodes(hosts, options.latency, split.parts);
      beginSplit(split, partition, new Uint8Array(0), (host) => partition.partOf[host]);
    }
    identities = new IdentityPool(world, Math.max(IDENTITIES_AHEAD_MIN, Math.ceil(options.nodes / 10)));
    startChurn(world, options, options.churn, world.stream(ExperimentStreams.churn), identities, bootstrapFor, stopNode);
  }
  const bootEndMs = options.nodes * options.joinSpacingMs;
  let joined = advance(bootEndMs, () => joinsFinished);
  // Wait for the stragglers' joins to finish, looking every JOIN_CHECK_MS (bounded: a join that
  // cannot finish is a finding, not a hang).
  const joinLimitMs = bootEndMs + JOIN_WAIT_MAX_MS;
  while (options.churn === null && joined < options.nodes && world.nowMs < joinLimitMs) {
    joined = advance(Math.min(world.nowMs + JOIN_CHECK_MS, joinLimitMs), () => joinsFinished);
  }
  const joinSimSeconds = world.nowMs / 1000;
  const joinWallMs = meter.elapsedMs();
  // Every part takes the same branch, so all meet at the checkpoint or none does.
  const joinMessagesPerNode = options.churn === null && options.nodes > 0
    ? advance(world.nowMs, () => world.traffic.messages) / options.nodes : 0;
  say(`joined ${options.churn === null ? joined : ready.size} nodes in ${joinSimSeconds.toFixed(1)} simulated s, ${(joinWallMs / 1000).toFixed(1)} s wall`);

  // Phase 2: settle (static) or reach steady state (churn).
  advance(world.nowMs + options.warmupMs, () => 0);

  // Phase 3: the measured window.
  const windowStartMs = world.nowMs;
  const windowStartWallMs = meter.elapsedMs();
  const windowStartCpuMs = meter.cpuMs();
  const windowEndMs = windowStartMs + options.windowMs;
  const trafficAtStart = { ...world.traffic };
  const onlineNodeMsAtStart = world.onlineNodeMs();
  // Lookup times are uniform over the window; each lookup schedules the next, so the event queue
  // holds one workload event at a time rather than all of them.
  const lookupTimes: number[] = [];
  for (let i = 0; i < options.lookups; i++) lookupTimes.push(windowStartMs + workload.nextFloat() * options.windowMs);
  lookupTimes.sort((a, b) => a - b);
  let nextLookup = 0;
  const startLookup = (): void => {
    const node = readyNow().pick(workload);
    if (node) {
      // Every part draws the same choices; only the part that runs the node starts the lookup.
      const target = randomId(workload);
      if (world.runs(node)) {
        startingAt = node;
        finishedAtStart = false;
        const operationId = world.lookup(node, target);
        startingAt = null;
        if (!finishedAtStart) {
          let forNode = pending.get(node);
          if (!forNode) pending.set(node, (forNode = new Set()));
          forNode.add(operationId);
          outstanding++;
        }
      }
    }
    if (++nextLookup < lookupTimes.length) world.at(lookupTimes[nextLookup], startLookup);
  };
  if (lookupTimes.length > 0) world.at(lookupTimes[0], startLookup);
  const crossPartAtStart = split?.exchange.sent ?? 0;
  let outstandingEverywhere = advance(windowEndMs, () => outstanding);
  const windowWallMs = meter.elapsedMs() - windowStartWallMs;
  const windowCpuMs = meter.cpuMs() - windowStartCpuMs;
  const crossPartMessages = (split?.exchange.sent ?? 0) - crossPartAtStart;
  const windowBytes = world.traffic.bytes - trafficAtStart.bytes;
  const windowMaintenanceBytes = world.traffic.maintenanceBytes - trafficAtStart.maintenanceBytes;
  const onlineNodeSeconds = (world.onlineNodeMs() - onlineNodeMsAtStart) / 1000;
  // Let lookups started near the end finish; they count, the traffic after the window does not.
  // Checked every DRAIN_CHECK_MS, the same in a split run and a whole one.
  const drainEndMs = windowEndMs + DRAIN_MS;
  while (outstandingEverywhere > 0 && world.nowMs < drainEndMs) {
    outstandingEverywhere = advance(Math.min(world.nowMs + DRAIN_CHECK_MS, drainEndMs), () => outstanding);
  }
  meter.sample();
  return {
    judgements,
    windowBytes,
    windowMaintenanceBytes,
    onlineNodeSeconds,
    joinSimSeconds,
    joinWallMs,
    joinMessagesPerNode,
    wallMs: meter.elapsedMs(),
    windowWallMs,
    windowCpuMs,
    simSeconds: world.nowMs / 1000,
    nodeEvents: world.eventsProcessed - world.callsProcessed,
    callEvents: world.callsProcessed,
    rssBytesMax: meter.rssBytesMax,
    traceLanes: world.traceHash.lanes(),
    partOf: world.partOfNodes(),
    lookaheadMs,
    crossPartMessages,
    identities: identities === null ? world.nodes.length : identities.taken,
    coordinateSamples: options.dht.proximity ? coordinateSamples(world) : null,
    invariantChecks,
    invariantViolations,
  };
}

/** Oracle answers fetched beyond k, so that k remain after leaving out nodes that joined mid-lookup. */
const TRUTH_SPARE = 16;

/**
 * Judges a finished lookup against the oracle at the moment it finished: correct when the result
 * holds the closest live node; recall is the share of the true k closest it returned. Nodes that
 * came online after the lookup started are left out of the truth: no protocol could have known them.
 */
function judge(world: World, origin: SimNode, event: LookupDone, k: number): Judgement {
  const truth = world.oracle.closest(event.target, k + TRUTH_SPARE, origin.peer)
    .filter((peer) => world.nodes[Number(peer.address)].onlineSinceMs <= event.startedAtMs)
    .slice(0, k);
  const found = event.closest;
  const correct = truth.length === 0 || found.some((peer) => idEquals(peer, truth[0]));
  let returned = 0;
  for (const peer of truth) if (found.some((candidate) => candidate.head === peer.head && idEquals(candidate, peer))) returned++;
  const latencyMs = event.finishedAtMs - event.startedAtMs;
  let stretch = Number.NaN;
  if (found.length > 0) {
    const closest = world.nodes[Number(found[0].address)];
    const directMs = world.network.rttMs(origin, closest);
    if (directMs > 0) stretch = latencyMs / directMs;
  }
  return {
    finishedAtMs: event.finishedAtMs,
    origin: origin.index,
    operationId: event.operationId,
    correct,
    recall: truth.length === 0 ? 1 : returned / truth.length,
    hops: event.hops,
    latencyMs,
    stretch,
    messages: event.queries + event.answers,
    failures: event.failures,
  };
}

/**
 * Identities for newcomers, drawn ahead of use. In a split run a part may learn of a node from
 * another part (a message from it, a contact it names, a notice of its join) before it has reached
 * the time that node arrived; the node must exist there already. A part lags another by at most the
 * lookahead, far less than it takes churn to use up the identities made ahead. The draws are those
 * of one identity at a time, so a run that is not split gets the same nodes.
 */
class IdentityPool {
  private readonly world: World;
  private readonly ahead: number;
  /** Identities handed out so far: world.nodes[0 … taken - 1]. */
  taken = 0;

  /** Makes the first `ahead` identities at once: another part's first messages may name them. */
  constructor(world: World, ahead: number) {
    this.world = world;
    this.ahead = ahead;
    while (world.nodes.length < ahead) world.createNode();
  }

  take(): SimNode {
    const world = this.world;
    while (world.nodes.length < this.taken + 1 + this.ahead) world.createNode();
    return world.nodes[this.taken++];
  }
}

/**
 * Drives churn: every slot lives out the model's alternation of online and offline periods; a
 * slot coming online either restarts its identity (same id, resuming from its snapshot) or brings
 * a fresh identity that joins like a new node. Initial online slots join spaced like a static run.
 */
function startChurn(
  world: World, options: LookupExperimentOptions, model: ChurnModel, random: Prng, identities: IdentityPool,
  bootstrapFor: (newcomer: SimNode) => PeerRef[], stopNode: (node: SimNode, random: Prng) => void,
): void {
  const slots = Math.max(1, Math.ceil(options.nodes / model.availability));
  const identityOfSlot: (SimNode | null)[] = new Array(slots).fill(null);
  const scheduleEnd = (slot: number, online: boolean, durationMs: number): void => {
    if (!Number.isFinite(durationMs)) return;
    world.at(world.nowMs + durationMs, () => transition(slot, online));
  };
  const goOnline = (slot: number, fresh: boolean): void => {
    let node = identityOfSlot[slot];
    if (node === null || fresh) identityOfSlot[slot] = node = identities.take();
    if (node.online) return;
    world.start(node, bootstrapFor(node));
  };
  const transition = (slot: number, wasOnline: boolean): void => {
    const next = model.next(slot, wasOnline, random);
    const node = identityOfSlot[slot];
    if (wasOnline && node && node.online) stopNode(node, random);
    if (next === null) return;
    if (next.online) goOnline(slot, next.freshIdentity || node === null);
    else if (next.freshIdentity) identityOfSlot[slot] = null;
    scheduleEnd(slot, next.online, next.durationMs);
  };
  let initialOnline = 0;
  for (let slot = 0; slot < slots; slot++) {
    const start = model.start(slot, random);
    if (start.online) {
      const joinAtMs = initialOnline++ * options.joinSpacingMs;
      world.at(joinAtMs, () => {
        goOnline(slot, true);
        scheduleEnd(slot, true, start.untilMs);
      });
    } else {
      scheduleEnd(slot, false, start.untilMs);
    }
  }
}
