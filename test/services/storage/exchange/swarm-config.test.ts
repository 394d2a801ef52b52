/** The swarm scheduler's configuration: defaults, overrides, and a clear RangeError for anything out of bounds. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SWARM_CONFIG_DEFAULTS, SwarmLimits, swarmConfig, type SwarmConfig } from '../../../../src/services/storage/exchange/swarm-config.ts';
import { SwarmScheduler } from '../../../../src/services/storage/exchange/swarm-scheduler.ts';

describe('swarmConfig', () => {
  it('has the defaults the issue asks for, frozen', () => {
    const config = swarmConfig();
    assert.equal(config.pipelinePerPeer, 8);
    assert.equal(config.inFlightPerPeerMax, 16);
    assert.equal(config.requestBatchMs, 10);
    assert.equal(config.requestBatchMax, 8);
    assert.equal(config.inFlightMax, 64);
    assert.equal(config.endgameCopiesMax, 2);
    assert.equal(config.failuresBeforeAvoidMax, 3);
    assert.equal(config.requestTimeoutMinMs, 5000);
    assert.equal(config.blocksWantedMax, 1_000_000);
    assert.equal(config.holdersPerBlockMax, 64);
    assert.deepEqual(config, SWARM_CONFIG_DEFAULTS);
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(new SwarmScheduler().config));
  });

  it('applies overrides and ignores undefined ones', () => {
    const config = swarmConfig({ inFlightMax: 16, endgameCopiesMax: undefined });
    assert.equal(config.inFlightMax, 16);
    assert.equal(config.endgameCopiesMax, 2);
  });

  it('refuses values out of bounds, naming the field', () => {
    const bad: [Partial<SwarmConfig>, RegExp][] = [
      [{ inFlightPerPeerMax: 0 }, /inFlightPerPeerMax/],
      [{ inFlightPerPeerMax: 1.5 }, /inFlightPerPeerMax/],
      [{ pipelinePerPeer: 0 }, /pipelinePerPeer/],
      [{ requestBatchMs: -1 }, /requestBatchMs/],
      [{ requestBatchMs: Number.NaN }, /requestBatchMs/],
      [{ requestBatchMax: 0 }, /requestBatchMax/],
      [{ inFlightMax: SwarmLimits.inFlightMax + 1 }, /inFlightMax/],
      [{ endgameCopiesMax: 0 }, /endgameCopiesMax/],
      [{ failuresBeforeAvoidMax: 0 }, /failuresBeforeAvoidMax/],
      [{ requestTimeoutMinMs: 0 }, /requestTimeoutMinMs/],
      [{ requestTimeoutMinMs: 10_000, requestTimeoutMaxMs: 5000 }, /must not exceed/],
      [{ requestTimeoutFactor: 0.5 }, /requestTimeoutFactor/],
      [{ blockBytesExpected: 0 }, /blockBytesExpected/],
      [{ rateFloorBytesPerMs: 0 }, /rateFloorBytesPerMs/],
      [{ rateInitialBytesPerMs: 1, rateFloorBytesPerMs: 2 }, /rateInitialBytesPerMs/],
      [{ rateSmoothing: 0 }, /rateSmoothing/],
      [{ rateSmoothing: 1.5 }, /rateSmoothing/],
      [{ rateSmoothing: Number.NaN }, /rateSmoothing/],
      [{ blocksWantedMax: SwarmLimits.blocksWantedMax + 1 }, /blocksWantedMax/],
      [{ holdersPerBlockMax: 0 }, /holdersPerBlockMax/],
      [{ peersMax: 0 }, /peersMax/],
      [{ inFlightMax: '8' as unknown as number }, /inFlightMax/],
      [{ surprise: 1 } as unknown as Partial<SwarmConfig>, /no field surprise/],
    ];
    for (const [overrides, message] of bad) {
      assert.throws(() => swarmConfig(overrides), (error: unknown) => error instanceof RangeError && message.test(error.message), JSON.stringify(overrides));
      assert.throws(() => new SwarmScheduler(overrides), RangeError);
    }
  });
});
