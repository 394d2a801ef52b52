/**
 * SetupRoundTrips: a request sent on a link still opening is remembered until its reply, which is
 * then told apart from the rest; unanswered ones leave oldest first beyond the bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SetupRoundTrips } from '../../src/transport/setup-round-trips.ts';

describe('requests sent on a link still opening', () => {
  it('are recognised once, by their reply', () => {
    const tracked = new SetupRoundTrips();
    tracked.sent(7);
    assert.equal(tracked.answered(8), false, 'sent on an open link');
    assert.equal(tracked.answered(7), true);
    assert.equal(tracked.answered(7), false, 'a second reply is no longer one');
  });

  it('are forgotten oldest first beyond the bound', () => {
    const tracked = new SetupRoundTrips(3);
    for (const id of [1, 2, 3, 4]) tracked.sent(id);
    assert.equal(tracked.size, 3);
    assert.equal(tracked.answered(1), false);
    assert.deepEqual([2, 3, 4].map((id) => tracked.answered(id)), [true, true, true]);
  });
});
