/** PeerGuard: per-peer rate limits, scores, and bans that lengthen for repeat offenders. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { defaultPeerGuardConfig, Offence, PeerGuard, type PeerGuardConfig } from '../../src/transport/peer-guard.ts';

function guard(overrides: Partial<PeerGuardConfig> = {}): PeerGuard {
  return new PeerGuard({ ...defaultPeerGuardConfig, ...overrides });
}

describe('PeerGuard', () => {
  it('admits a burst, then refuses beyond it until the bucket refills at the sustained rate', () => {
    const g = guard({ messagesPerSecond: 10, messagesBurst: 5 });
    for (let i = 0; i < 5; i++) assert.equal(g.admitMessage('p', 0), 'admit');
    assert.equal(g.admitMessage('p', 0), 'overRate');
    assert.equal(g.admitMessage('p', 99), 'overRate', '0.99 of a token is not a message');
    assert.equal(g.admitMessage('p', 200), 'admit', '100 ms at 10/s earns one more');
    assert.equal(g.admitMessage('q', 200), 'admit', 'another peer has its own bucket');
  });

  it('streams have their own bucket', () => {
    const g = guard({ streamsPerMinute: 6, streamsBurst: 2 });
    assert.equal(g.admitStream('p', 0), 'admit');
    assert.equal(g.admitStream('p', 0), 'admit');
    assert.equal(g.admitStream('p', 0), 'overRate');
    assert.equal(g.admitMessage('p', 0), 'admit');
    assert.equal(g.admitStream('p', 10_000), 'admit', 'one stream per 10 s at 6 a minute');
  });

  it('bans a peer whose offences bring its score below banScore, for banMsInitial, then doubles the next ban', () => {
    const g = guard({ offenceWeights: { malformed: 40, slow: 10, overRate: 1, protocol: 5 }, banScore: -100, banMsInitial: 1000, banMsMax: 10_000, scoreRecoveryPerMinute: 0 });
    assert.equal(g.penalize('p', Offence.malformed, 0), false);
    assert.equal(g.penalize('p', Offence.malformed, 0), false);
    assert.equal(g.isBanned('p', 0), false, 'score -80 is not yet below -100');
    assert.equal(g.penalize('p', Offence.malformed, 0), true, 'score -120: banned now');
    assert.equal(g.isBanned('p', 999), true);
    assert.equal(g.admitMessage('p', 500), 'banned');
    assert.equal(g.admitStream('p', 500), 'banned');
    assert.equal(g.isBanned('p', 1000), false, 'the first ban lasts banMsInitial');
    assert.equal(g.admitMessage('p', 1000), 'admit');
    for (let i = 0; i < 3; i++) g.penalize('p', Offence.malformed, 2000);
    assert.equal(g.isBanned('p', 3999), true, 'the second ban lasts twice as long');
    assert.equal(g.isBanned('p', 4000), false);
    assert.equal(g.stats.bans, 2);
  });

  it('offences while banned are counted but not scored: the peer starts again from a clean score', () => {
    const g = guard({ offenceWeights: { malformed: 40, slow: 10, overRate: 1, protocol: 5 }, banScore: -100, banMsInitial: 1000, banMsMax: 10_000, scoreRecoveryPerMinute: 0 });
    for (let i = 0; i < 3; i++) g.penalize('p', Offence.malformed, 0);
    assert.equal(g.isBanned('p', 0), true);
    // Its streams cut by the ban each end in an offence: none of them may bring the next ban nearer.
    for (let i = 0; i < 10; i++) assert.equal(g.penalize('p', Offence.malformed, 500), false);
    assert.equal(g.isBanned('p', 1000), false);
    assert.equal(g.penalize('p', Offence.malformed, 1000), false, 'one offence after the ban: score -40, not banned again');
    assert.equal(g.isBanned('p', 1000), false);
    assert.equal(g.stats.bans, 1);
  });

  it('bans cap at banMsMax', () => {
    const g = guard({ offenceWeights: { malformed: 200, slow: 10, overRate: 1, protocol: 5 }, banMsInitial: 1000, banMsMax: 3000 });
    let nowMs = 0;
    for (let ban = 0; ban < 5; ban++) {
      assert.equal(g.penalize('p', Offence.malformed, nowMs), true);
      const lengthMs = Math.min(3000, 1000 * 2 ** ban);
      assert.equal(g.isBanned('p', nowMs + lengthMs - 1), true);
      assert.equal(g.isBanned('p', nowMs + lengthMs), false);
      nowMs += lengthMs;
    }
  });

  it('time restores the score, so rare mistakes never add up to a ban', () => {
    const g = guard({ offenceWeights: { malformed: 25, slow: 10, overRate: 1, protocol: 5 }, banScore: -100, scoreRecoveryPerMinute: 10 });
    // One malformed message every 3 minutes loses 25 and regains 30: never banned.
    for (let i = 0; i < 100; i++) assert.equal(g.penalize('p', Offence.malformed, i * 180_000), false);
    assert.equal(g.isBanned('p', 100 * 180_000), false);
    assert.deepEqual(g.offenders(100 * 180_000 + 150_000, 10), [], 'the score is back at 0');
  });

  it('a sustained flood gets banned through its over-rate offences', () => {
    const g = guard({ messagesPerSecond: 10, messagesBurst: 10, offenceWeights: { malformed: 25, slow: 10, overRate: 1, protocol: 5 }, banScore: -100 });
    const outcomes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const outcome = g.admitMessage('flood', Math.floor(i / 10));
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    assert.ok((outcomes.get('banned') ?? 0) > 0, 'banned in the end');
    assert.ok((outcomes.get('admit') ?? 0) <= 12, 'no more than the burst and the trickle got through');
    assert.equal(g.admitMessage('honest', 100), 'admit');
  });

  it('forgets the least recently heard peer beyond peersTrackedMax', () => {
    const g = guard({ peersTrackedMax: 2 });
    g.penalize('a', Offence.protocol, 0);
    g.penalize('b', Offence.protocol, 1);
    g.admitMessage('a', 2);
    g.penalize('c', Offence.protocol, 3);
    assert.deepEqual(g.offenders(3, 10).map((entry) => entry.remote).sort(), ['a', 'c']);
    assert.equal(g.stats.peersTracked, 2);
  });

  it('refuses bad configurations', () => {
    assert.throws(() => guard({ messagesPerSecond: 0 }), /messagesPerSecond/);
    assert.throws(() => guard({ banScore: 5 }), /banScore/);
    assert.throws(() => guard({ banMsMax: 1, banMsInitial: 2 }), /banMsMax/);
  });

  it('property: admitted messages never exceed burst + rate × elapsed time', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 50 }),
      fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }),
      (perSecond, burst, gapsMs) => {
        const g = guard({ messagesPerSecond: perSecond, messagesBurst: burst, banScore: -1e9 });
        let nowMs = 0;
        let admitted = 0;
        for (const gapMs of gapsMs) {
          nowMs += gapMs;
          if (g.admitMessage('p', nowMs) === 'admit') admitted++;
          assert.ok(admitted <= burst + (perSecond * nowMs) / 1000 + 1e-9);
        }
      },
    ), { seed: 0x9a4d, numRuns: 200 });
  });
});
