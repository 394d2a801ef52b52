/**
 * The swarm scheduler's parameters (swarm-scheduler.ts), their defaults with reasons, the bounds
 * every configuration must fit in, and validation. Issue 4 asks for pipelined requests, an endgame
 * and the avoidance of failing peers (BitTorrent's, after B. Cohen, "Incentives Build Robustness
 * in BitTorrent", 2003); these are their knobs, and the caps that keep one download's memory and
 * work per call bounded whatever peers do.
 */

export interface SwarmConfig {
  /**
   * Requests a measured peer is kept busy with — pipelining, so a holder always has the next block
   * queued and its link never idles for a round trip (BitTorrent keeps about five requests queued
   * per peer: Cohen 2003, "Pipelining"): it is given more whenever it has fewer than this in flight.
   */
  readonly pipelinePerPeer: number;
  /** Requests one peer may have at once, whatever else says: the pipeline and a fast peer's batch (requestBatchMs) fit under it. */
  readonly inFlightPerPeerMax: number;
  /**
   * Requests a peer gets at once until it has delivered a block. A peer never measured is credited
   * with the best rate seen (so it gets tried); were it given the full pipeline at once and turned
   * out ten times slower, those blocks would wait for the endgame or a timeout — an internal block
   * among them holding back its whole subtree. One or two requests learn its rate at little cost.
   */
  readonly inFlightPerUnmeasuredPeerMax: number;
  /**
   * Requests to a fast peer leave together, as many as it delivers blocks in this long (at least
   * one, at most requestBatchMax): refilled one per delivered block, a peer that delivers a block
   * every 2 ms (loopback, a LAN) costs the reader a request, a muxer frame, a Noise message and a
   * socket write every 2 ms. The batch is added to the pipeline: a peer with a batch of b is
   * refilled once fewer than pipelinePerPeer are in flight, up to pipelinePerPeer − 1 + b (at most
   * inFlightPerPeerMax), so its queue is never shorter than without batching.
   */
  readonly requestBatchMs: number;
  readonly requestBatchMax: number;
  /** Requests in flight in all: bounds memory held for block bodies in transit and the work per call. */
  readonly inFlightMax: number;
  /**
   * Copies of one block requested at once in the endgame (from distinct holders); 1 turns the
   * endgame off (Cohen 2003, "Endgame Mode").
   */
  readonly endgameCopiesMax: number;
  /** Failures in a row (errors, refusals, timeouts) after which a peer is avoided. */
  readonly failuresBeforeAvoidMax: number;
  /** No request times out sooner: covers a first connection's set-up on a slow path. */
  readonly requestTimeoutMinMs: number;
  /** No request waits longer, however slow its peer seems. */
  readonly requestTimeoutMaxMs: number;
  /** A request times out after this many times its expected transfer time (at the peer's rate). */
  readonly requestTimeoutFactor: number;
  /** Expected size of a block without a size hint, before any was delivered: the chunker's average. */
  readonly blockBytesExpected: number;
  /**
   * The rate assumed for every peer until one has been measured. Peers never measured are then
   * credited with the best measured rate, so that each holder gets tried (an optimistic estimate).
   */
  readonly rateInitialBytesPerMs: number;
  /**
   * The slowest rate a timeout allows for: a peer not yet measured gets a timeout as if it were this
   * slow, so a slow but honest first transfer is not cut off.
   */
  readonly rateFloorBytesPerMs: number;
  /** Weight of the newest measurement in a peer's moving average of its rate, in (0, 1]. */
  readonly rateSmoothing: number;
  /** Blocks the scheduler remembers at once (wanted, in flight or delivered and not yet forgotten). */
  readonly blocksWantedMax: number;
  /** Holders remembered per block: enough for any replication factor and then some. */
  readonly holdersPerBlockMax: number;
  /** Distinct peers remembered in one download. */
  readonly peersMax: number;
}

/** Ceilings no configuration may exceed, each with its reason. */
export const SwarmLimits = {
  /** More pipelining than this gains nothing on any link and only delays failure detection. */
  inFlightPerPeerMax: 1024,
  /** Requests in flight in all: nextRequests and the endgame scan them, so this bounds a call's work. */
  inFlightMax: 4096,
  /** More copies than this only multiply wasted bandwidth. */
  endgameCopiesMax: 8,
  failuresBeforeAvoidMax: 100,
  /** A day: anything longer is a stuck request, not a slow one. */
  requestTimeoutMaxMs: 24 * 60 * 60 * 1000,
  requestTimeoutFactorMax: 100,
  /** The protocol's own block limit (ExchangeLimits.blockBytesMax) with room for records. */
  blockBytesExpectedMax: 64 * 1024 * 1024,
  /** 10^7 blocks of 256 KiB is 2.4 TiB in one download; each block costs a few hundred bytes here. */
  blocksWantedMax: 10_000_000,
  holdersPerBlockMax: 1024,
  peersMax: 1_000_000,
} as const;

/** 256 KiB: the chunker's average block (services/storage/chunking). */
const BLOCK_BYTES_EXPECTED_DEFAULT = 256 * 1024;

export const SWARM_CONFIG_DEFAULTS: SwarmConfig = Object.freeze({
  pipelinePerPeer: 8,
  inFlightPerPeerMax: 16,
  inFlightPerUnmeasuredPeerMax: 2,
  /**
   * 10 ms: a peer at 1 MB/s (a 256 KiB block in 262 ms) gets its requests one at a time as before;
   * one at 150 MB/s, eight at a time. Measured on loopback: docs/BENCHMARKS.md, "Requests and
   * answers sent together".
   */
  requestBatchMs: 10,
  requestBatchMax: 8,
  inFlightMax: 64,
  endgameCopiesMax: 2,
  failuresBeforeAvoidMax: 3,
  requestTimeoutMinMs: 5000,
  requestTimeoutMaxMs: 120_000,
  requestTimeoutFactor: 4,
  blockBytesExpected: BLOCK_BYTES_EXPECTED_DEFAULT,
  /** 1 MB/s: any real peer is measured after its first block, so this only orders the first requests. */
  rateInitialBytesPerMs: 1000,
  /**
   * 64 KB/s, half a slow home uplink: a first 256 KiB block from a peer gets 4 s times the factor
   * (16 s), the eighth pipelined one 128 s, capped by requestTimeoutMaxMs.
   */
  rateFloorBytesPerMs: 64,
  rateSmoothing: 0.25,
  blocksWantedMax: 1_000_000,
  holdersPerBlockMax: 64,
  peersMax: 65_536,
});

function checkInteger(name: keyof SwarmConfig, value: number, low: number, high: number): void {
  if (!Number.isSafeInteger(value) || value < low || value > high) {
    throw new RangeError(`swarm ${name} must be an integer in [${low}, ${high}], got ${String(value)}`);
  }
}

function checkNumber(name: keyof SwarmConfig, value: number, low: number, high: number, lowInclusive = true): void {
  const aboveLow = lowInclusive ? value >= low : value > low;
  if (typeof value !== 'number' || !Number.isFinite(value) || !aboveLow || value > high) {
    throw new RangeError(`swarm ${name} must be a number in ${lowInclusive ? '[' : '('}${low}, ${high}], got ${String(value)}`);
  }
}

/** Returns the configuration, frozen, if it is valid; throws a RangeError naming the bad field otherwise. */
export function validateSwarmConfig(config: SwarmConfig): SwarmConfig {
  checkInteger('pipelinePerPeer', config.pipelinePerPeer, 1, SwarmLimits.inFlightPerPeerMax);
  checkInteger('inFlightPerPeerMax', config.inFlightPerPeerMax, 1, SwarmLimits.inFlightPerPeerMax);
  checkInteger('inFlightPerUnmeasuredPeerMax', config.inFlightPerUnmeasuredPeerMax, 1, SwarmLimits.inFlightPerPeerMax);
  checkNumber('requestBatchMs', config.requestBatchMs, 0, SwarmLimits.requestTimeoutMaxMs);
  checkInteger('requestBatchMax', config.requestBatchMax, 1, SwarmLimits.inFlightPerPeerMax);
  checkInteger('inFlightMax', config.inFlightMax, 1, SwarmLimits.inFlightMax);
  checkInteger('endgameCopiesMax', config.endgameCopiesMax, 1, SwarmLimits.endgameCopiesMax);
  checkInteger('failuresBeforeAvoidMax', config.failuresBeforeAvoidMax, 1, SwarmLimits.failuresBeforeAvoidMax);
  checkNumber('requestTimeoutMinMs', config.requestTimeoutMinMs, 0, SwarmLimits.requestTimeoutMaxMs, false);
  checkNumber('requestTimeoutMaxMs', config.requestTimeoutMaxMs, 0, SwarmLimits.requestTimeoutMaxMs, false);
  if (config.requestTimeoutMinMs > config.requestTimeoutMaxMs) {
    throw new RangeError(`swarm requestTimeoutMinMs (${config.requestTimeoutMinMs}) must not exceed requestTimeoutMaxMs (${config.requestTimeoutMaxMs})`);
  }
  checkNumber('requestTimeoutFactor', config.requestTimeoutFactor, 1, SwarmLimits.requestTimeoutFactorMax);
  checkInteger('blockBytesExpected', config.blockBytesExpected, 1, SwarmLimits.blockBytesExpectedMax);
  checkNumber('rateFloorBytesPerMs', config.rateFloorBytesPerMs, 0, 1e12, false);
  checkNumber('rateInitialBytesPerMs', config.rateInitialBytesPerMs, config.rateFloorBytesPerMs, 1e12);
  checkNumber('rateSmoothing', config.rateSmoothing, 0, 1, false);
  checkInteger('blocksWantedMax', config.blocksWantedMax, 1, SwarmLimits.blocksWantedMax);
  checkInteger('holdersPerBlockMax', config.holdersPerBlockMax, 1, SwarmLimits.holdersPerBlockMax);
  checkInteger('peersMax', config.peersMax, 1, SwarmLimits.peersMax);
  const {
    pipelinePerPeer, inFlightPerPeerMax, inFlightPerUnmeasuredPeerMax, requestBatchMs, requestBatchMax, inFlightMax, endgameCopiesMax, failuresBeforeAvoidMax,
    requestTimeoutMinMs, requestTimeoutMaxMs, requestTimeoutFactor, blockBytesExpected, rateInitialBytesPerMs, rateFloorBytesPerMs, rateSmoothing,
    blocksWantedMax, holdersPerBlockMax, peersMax,
  } = config;
  return Object.freeze({
    pipelinePerPeer, inFlightPerPeerMax, inFlightPerUnmeasuredPeerMax, requestBatchMs, requestBatchMax, inFlightMax, endgameCopiesMax, failuresBeforeAvoidMax,
    requestTimeoutMinMs, requestTimeoutMaxMs, requestTimeoutFactor, blockBytesExpected, rateInitialBytesPerMs, rateFloorBytesPerMs, rateSmoothing,
    blocksWantedMax, holdersPerBlockMax, peersMax,
  });
}

/** The defaults with `overrides` applied, validated. Throws a RangeError when the result is not valid. */
export function swarmConfig(overrides: Partial<SwarmConfig> = {}): SwarmConfig {
  const merged: SwarmConfig = { ...SWARM_CONFIG_DEFAULTS };
  for (const key of Object.keys(overrides) as (keyof SwarmConfig)[]) {
    if (!Object.hasOwn(SWARM_CONFIG_DEFAULTS, key)) throw new RangeError(`swarm config has no field ${String(key)}`);
    const value = overrides[key];
    if (value !== undefined) (merged as Record<keyof SwarmConfig, number>)[key] = value;
  }
  return validateSwarmConfig(merged);
}
