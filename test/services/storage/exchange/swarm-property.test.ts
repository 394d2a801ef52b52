/**
 * Properties of the swarm scheduler under random interleavings (fast-check): whatever order the
 * commands, outcomes, ticks and stale duplicates come in, it never throws, never exceeds its caps,
 * never asks an avoided peer or for a delivered block, reports each cheat once — and once the faults
 * stop, every block with an honest holder is delivered, and the same inputs always give the same
 * outputs. The invariant checks read only the public interface.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SwarmScheduler, type SwarmRequest } from '../../../../src/services/storage/exchange/swarm-scheduler.ts';

/** honest always delivers in time; the others always misbehave in their way; flaky draws an outcome each time. */
type Behaviour = 'honest' | 'liar' | 'missing' | 'refusing' | 'silent' | 'flaky';

interface Scenario {
  readonly behaviours: readonly Behaviour[];
  /** Holders (peer indexes) of each block wanted at the start. */
  readonly holders: readonly (readonly number[])[];
  readonly config: { inFlightPerPeerMax: number; inFlightMax: number; endgameCopiesMax: number; failuresBeforeAvoidMax: number };
  readonly steps: readonly { readonly op: number; readonly a: number; readonly b: number }[];
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    behaviours: fc.array(fc.constantFrom<Behaviour>('honest', 'honest', 'liar', 'missing', 'refusing', 'silent', 'flaky'), { minLength: 1, maxLength: 6 }),
    config: fc.record({
      inFlightPerPeerMax: fc.integer({ min: 1, max: 4 }),
      inFlightMax: fc.integer({ min: 1, max: 10 }),
      endgameCopiesMax: fc.integer({ min: 1, max: 3 }),
      failuresBeforeAvoidMax: fc.integer({ min: 1, max: 3 }),
    }),
    blockCount: fc.integer({ min: 1, max: 25 }),
    holderBits: fc.array(fc.nat(63), { minLength: 25, maxLength: 25 }),
    steps: fc.array(fc.record({ op: fc.nat(9), a: fc.nat(), b: fc.nat() }), { maxLength: 150 }),
  })
  .map(({ behaviours, config, blockCount, holderBits, steps }) => ({
    behaviours,
    config,
    holders: holderBits.slice(0, blockCount).map((bits) => behaviours.map((_, peer) => peer).filter((peer) => (bits >> peer) & 1)),
    steps,
  }));

const peerName = (index: number): string => `peer-${index}`;
const blockName = (index: number): string => `block-${index}`;

interface Run {
  readonly trace: string[];
  readonly delivered: ReadonlySet<string>;
  readonly wantedHolders: ReadonlyMap<string, Set<number>>;
  readonly scheduler: SwarmScheduler;
}

/** Drives one scheduler through the scenario, checking invariants after every step. */
function run(scenario: Scenario): Run {
  const { behaviours, config } = scenario;
  const swarm = new SwarmScheduler(config);
  const trace: string[] = [];
  const outstanding = new Map<number, SwarmRequest>();
  const finished: number[] = [];
  const delivered = new Set<string>();
  const wantedHolders = new Map<string, Set<number>>();
  const penalised = new Set<string>();
  let deliveredTotal = 0;
  let nowMs = 0;

  const want = (block: string, holders: readonly number[]): void => {
    const accepted = swarm.want(block, holders.map(peerName), 1000);
    assert.ok(accepted);
    const set = wantedHolders.get(block) ?? new Set<number>();
    for (const holder of holders) set.add(holder);
    wantedHolders.set(block, set);
    trace.push(`want ${block} ${holders.join(',')}`);
  };

  /** The caller aborts what the scheduler cancels, at once, as a real shell does after every input. */
  const takeOutputs = (): void => {
    for (const id of swarm.takeCancels()) {
      assert.ok(outstanding.delete(id), `cancel of ${id}, which is not in flight`);
      finished.push(id);
      trace.push(`cancel ${id}`);
    }
    for (const penalty of swarm.takePenalties()) {
      assert.ok(!penalised.has(penalty.peer), `${penalty.peer} penalised twice`);
      const behaviour = behaviours[Number(penalty.peer.slice(5))];
      assert.ok(behaviour === 'liar' || behaviour === 'flaky', `${penalty.peer} (${behaviour}) penalised`);
      penalised.add(penalty.peer);
      trace.push(`penalty ${penalty.peer}`);
    }
  };

  const check = (): void => {
    takeOutputs();
    const progress = swarm.progress();
    assert.equal(progress.inFlight, outstanding.size);
    assert.ok(progress.inFlight <= config.inFlightMax);
    assert.equal(progress.blocksDone, deliveredTotal);
    const stats = swarm.peers();
    for (const peer of stats) {
      assert.ok(peer.inFlight <= config.inFlightPerPeerMax, `${peer.peer} has ${peer.inFlight} in flight`);
      if (peer.avoided) assert.equal(peer.inFlight, 0, 'an avoided peer has nothing in flight');
      if (penalised.has(peer.peer)) assert.ok(peer.avoided && peer.penalised);
    }
    assert.equal(stats.reduce((sum, peer) => sum + peer.inFlight, 0), outstanding.size);
    const copies = new Map<string, string[]>();
    for (const request of outstanding.values()) copies.set(request.block, [...(copies.get(request.block) ?? []), request.peer]);
    for (const [block, peers] of copies) {
      assert.ok(peers.length <= config.endgameCopiesMax, `${block} asked ${peers.length} times at once`);
      assert.equal(new Set(peers).size, peers.length, `${block} asked twice of one peer`);
      assert.ok(!delivered.has(block), `${block} in flight after delivery`);
    }
    for (const block of swarm.stuck()) {
      assert.ok(!delivered.has(block) && !copies.has(block), `${block} stuck while delivered or in flight`);
    }
    assert.equal(swarm.isDone(), [...wantedHolders.keys()].every((block) => delivered.has(block)));
  };

  const askNow = (): void => {
    const avoided = new Set(swarm.peers().filter((peer) => peer.avoided).map((peer) => peer.peer));
    for (const request of swarm.nextRequests(nowMs)) {
      assert.ok(!outstanding.has(request.requestId) && !finished.includes(request.requestId), 'request ids are fresh');
      assert.ok(!avoided.has(request.peer), `${request.peer} asked while avoided`);
      assert.ok(!delivered.has(request.block), `${request.block} asked after delivery`);
      assert.ok(wantedHolders.get(request.block)?.has(Number(request.peer.slice(5))), `${request.peer} asked for ${request.block}, which it was never said to hold`);
      outstanding.set(request.requestId, request);
      trace.push(`ask ${request.requestId} ${request.peer} ${request.block} @${nowMs}`);
    }
  };

  /** The outcome `request`'s peer gives; silent peers give none. `draw` decides a flaky peer's. */
  const resolve = (request: SwarmRequest, draw: number): void => {
    let behaviour = behaviours[Number(request.peer.slice(5))];
    if (behaviour === 'flaky') behaviour = (['honest', 'liar', 'missing', 'refusing', 'silent'] as const)[draw % 5];
    if (behaviour === 'silent') return;
    outstanding.delete(request.requestId);
    finished.push(request.requestId);
    trace.push(`${behaviour} ${request.requestId}`);
    if (behaviour === 'honest') {
      swarm.delivered(request.requestId, nowMs, 1000);
      delivered.add(request.block);
      deliveredTotal++;
    } else if (behaviour === 'liar') {
      swarm.invalid(request.requestId, nowMs, 'mismatch');
    } else if (behaviour === 'missing') {
      swarm.notFound(request.requestId, nowMs);
    } else {
      swarm.failed(request.requestId, nowMs, 'refused');
    }
    takeOutputs();
  };

  /** Honest peers always answer before their deadline: time never passes over one of their requests. */
  const answerHonest = (): void => {
    for (const request of [...outstanding.values()]) {
      if (outstanding.has(request.requestId) && behaviours[Number(request.peer.slice(5))] === 'honest') resolve(request, 0);
    }
  };

  scenario.holders.forEach((holders, index) => want(blockName(index), holders));
  check();

  // Phase 1: random interleavings, faults and stale duplicates included.
  for (const { op, a, b } of scenario.steps) {
    const pending = [...outstanding.values()];
    switch (op) {
      case 0:
      case 1:
        askNow();
        break;
      case 2:
      case 3:
        if (pending.length > 0) resolve(pending[a % pending.length], b);
        break;
      case 4: {
        answerHonest();
        const wakeAtMs = swarm.nextWakeAtMs();
        nowMs += a % 7 === 0 && Number.isFinite(wakeAtMs) ? Math.max(0, wakeAtMs - nowMs) : a % 20_000;
        swarm.tick(nowMs);
        trace.push(`tick @${nowMs}`);
        break;
      }
      case 5:
        // A stale or unknown outcome: a late duplicate of a finished request, or an id never issued.
        if (finished.length > 0 && a % 4 !== 0) {
          const id = finished[a % finished.length];
          [() => swarm.delivered(id, nowMs, 1000), () => swarm.invalid(id, nowMs, 'late'), () => swarm.notFound(id, nowMs), () => swarm.failed(id, nowMs, 'late')][b % 4]();
        } else {
          swarm.failed(1_000_000 + a, nowMs, 'unknown');
        }
        break;
      case 6: {
        const block = blockName(a % (scenario.holders.length + 5));
        const holders = behaviours.map((_, peer) => peer).filter((peer) => (b >> peer) & 1);
        if (wantedHolders.has(block)) {
          const added = swarm.addHolders(block, holders.map(peerName));
          if (!delivered.has(block)) for (const holder of holders) wantedHolders.get(block)?.add(holder);
          trace.push(`addHolders ${block} ${holders.join(',')} → ${added}`);
        } else {
          want(block, holders);
        }
        break;
      }
      case 7:
        trace.push(`reinstate ${swarm.reinstate(peerName(a % behaviours.length))}`);
        break;
      case 8:
        trace.push(`stuck ${swarm.stuck().join(',')} wake ${swarm.nextWakeAtMs()}`);
        break;
      default:
        trace.push(`forgot ${swarm.forgetDelivered()}`);
        // A forgotten block is no longer wanted; if it is wanted again it is fetched again.
        for (const block of delivered) wantedHolders.delete(block);
        delivered.clear();
        break;
    }
    check();
  }

  // Phase 2: the faults stop being injected at random; the swarm runs until nothing more can happen.
  for (let round = 0; round < 10_000; round++) {
    askNow();
    check();
    const pending = [...outstanding.values()];
    for (const request of pending) if (outstanding.has(request.requestId)) resolve(request, round);
    check();
    if (swarm.isDone()) break;
    if (outstanding.size > 0) {
      nowMs = Math.max(nowMs, swarm.nextWakeAtMs());
      swarm.tick(nowMs);
      check();
    } else if (pending.length === 0) {
      const again = swarm.nextRequests(nowMs);
      assert.deepEqual(again, [], 'nothing in flight and nothing to ask: the swarm is idle');
      break;
    }
  }
  return { trace, delivered, wantedHolders, scheduler: swarm };
}

describe('swarm scheduler properties', () => {
  it('random interleavings never throw, never exceed the caps, and every block with an honest holder is delivered', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const result = run(scenario);
        const stuck = new Set(result.scheduler.stuck());
        for (const [block, holders] of result.wantedHolders) {
          const honest = [...holders].some((peer) => scenario.behaviours[peer] === 'honest');
          if (honest) assert.ok(result.delivered.has(block), `${block} has an honest holder but was not delivered`);
          // A block never delivered has no usable holder left: the caller is told.
          if (!result.delivered.has(block)) assert.ok(stuck.has(block), `${block} neither delivered nor reported stuck`);
        }
      }),
      { seed: 4242, numRuns: 1000 },
    );
  });

  it('is deterministic: the same scenario gives the same requests, cancels and penalties', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        assert.deepEqual(run(scenario).trace, run(scenario).trace);
      }),
      { seed: 4343, numRuns: 100 },
    );
  });
});
