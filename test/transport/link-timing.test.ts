/**
 * LinkTiming (where a request's time goes): links timed from opening to open; requests timed to
 * their reply and labelled by whether their link was open; nothing else counted; memory bounded.
 * Then on two live libp2p transports: the first request waits for a new link, the next does not.
 */
import type { Libp2p } from '@libp2p/interface';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message } from '../../src/core/messages.ts';
import { Libp2pTransport } from '../../src/transport/libp2p/libp2p-transport.ts';
import { LinkTiming, type LinkConnection, type LinkTimingObserver, type RequestLink } from '../../src/transport/libp2p/link-timing.ts';
import { waitFor } from '../support/wait-for.ts';
import { startRawLibp2p } from './libp2p-harness.ts';

interface Recorded {
  opened: { ms: number; connection: LinkConnection }[];
  sent: RequestLink[];
  answered: { ms: number; link: RequestLink }[];
}

function recorder(): Recorded & LinkTimingObserver {
  const recorded: Recorded = { opened: [], sent: [], answered: [] };
  return {
    ...recorded,
    linkOpened: (ms, connection) => recorded.opened.push({ ms, connection }),
    requestSent: (link) => recorded.sent.push(link),
    requestAnswered: (ms, link) => recorded.answered.push({ ms, link }),
  };
}

const ping = (requestId: number): Message => ({ kind: 'ping', requestId });
const pong = (requestId: number): Message => ({ kind: 'pong', requestId });

describe('LinkTiming', () => {
  it('times a link from opening to open', () => {
    let nowMs = 100;
    const observed = recorder();
    const opened = new LinkTiming(observed, () => nowMs).linkOpening('new');
    nowMs = 142.5;
    opened();
    assert.deepEqual(observed.opened, [{ ms: 42.5, connection: 'new' }]);
  });

  it('times a request to its reply from the same peer, with the state of its link', () => {
    let nowMs = 0;
    const observed = recorder();
    const timing = new LinkTiming(observed, () => nowMs);
    timing.sent('alice', ping(1), 'new');
    timing.sent('alice', ping(2), 'open');
    nowMs = 3;
    timing.received('bob', pong(1));
    timing.received('alice', pong(2));
    nowMs = 10;
    timing.received('alice', pong(1));
    assert.deepEqual(observed.sent, ['new', 'open']);
    assert.deepEqual(observed.answered, [{ ms: 3, link: 'open' }, { ms: 10, link: 'new' }]);
    assert.equal(timing.pendingCount, 0);
  });

  it('ignores replies and notices sent, requests received, and a second reply', () => {
    const observed = recorder();
    const timing = new LinkTiming(observed, () => 0);
    timing.sent('alice', pong(1), 'open');
    timing.sent('alice', { kind: 'leave' }, 'open');
    timing.received('alice', ping(1));
    timing.sent('alice', ping(7), 'open');
    timing.received('alice', pong(7));
    timing.received('alice', pong(7));
    assert.deepEqual(observed.sent, ['open']);
    assert.equal(observed.answered.length, 1);
  });

  it('forgets requests that were never answered, by age and by number', () => {
    let nowMs = 0;
    const timing = new LinkTiming(recorder(), () => nowMs);
    for (let requestId = 0; requestId < 10_000; requestId++) timing.sent('alice', ping(requestId), 'open');
    assert.ok(timing.pendingCount <= 8192);
    nowMs = 60_000;
    timing.sent('alice', ping(-1), 'open');
    assert.equal(timing.pendingCount, 1);
  });
});

describe('LinkTiming on live libp2p transports', () => {
  let nodes: Libp2p[] = [];
  let transports: Libp2pTransport[] = [];
  const observers = [recorder(), recorder()];
  /** What the asker's transport told its kernel of each reply: whether its round trip included a link's opening. */
  const flagged: boolean[] = [];

  before(async () => {
    nodes = await Promise.all([startRawLibp2p(), startRawLibp2p()]);
    transports = await Promise.all(nodes.map((node, index) => Libp2pTransport.start(node, { dialTimeoutMs: 10_000, timing: observers[index] })));
    const [asker, answerer] = transports;
    const ignore = (): void => {};
    answerer.bind({ onMessage: (from, message) => answerer.send(from, pong(message.kind === 'ping' ? message.requestId : -1)), onUndeliverable: ignore, onPenalty: ignore });
    asker.bind({ onMessage: (_from, _message, setupInRoundTrip) => flagged.push(setupInRoundTrip === true), onUndeliverable: ignore, onPenalty: ignore });
  });
  after(async () => {
    await Promise.allSettled(transports.map((transport) => transport.close(1000)));
    await Promise.allSettled(nodes.map((node) => node.stop()));
  });

  it('labels the first request as waiting for a new link and the next as sent on an open one', async () => {
    const [asker, answerer] = transports;
    const [askerTimes, answererTimes] = observers;
    asker.send(answerer.self, ping(1));
    await waitFor('the first pong', () => askerTimes.answered.length === 1);
    asker.send(answerer.self, ping(2));
    await waitFor('the second pong', () => askerTimes.answered.length === 2);
    assert.deepEqual(askerTimes.sent, ['new', 'open']);
    assert.deepEqual(askerTimes.answered.map(({ link }) => link), ['new', 'open']);
    // The asker dialled; the answerer opened its stream back on the connection the asker made.
    assert.deepEqual(askerTimes.opened.map(({ connection }) => connection), ['new']);
    assert.deepEqual(answererTimes.opened.map(({ connection }) => connection), ['existing']);
    assert.equal(answererTimes.sent.length, 0, 'replies are not requests');
    // The kernel hears the same: the first round trip included the dial, and is no RTT sample.
    assert.deepEqual(flagged, [true, false]);
  });
});
