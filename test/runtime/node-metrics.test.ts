/** NodeMetrics: Prometheus text with the node's operations, latency, and the counters read at scrape time. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { NodeMetrics } from '../../src/runtime/node-metrics.ts';
import type { NodeStatus } from '../../src/runtime/node-driver.ts';

function fakeStatus(requestsSent: number, contacts: number): NodeStatus {
  return {
    id: '00'.repeat(32), address: 'x', state: 'ready', contacts, values: 2, pendingRequests: 1, operationsWaiting: 0, uptimeMs: 5,
    kernel: {
      requestsSent, requestsTimedOut: 3, requestsUndeliverable: 1, requestsAnswered: 40, setupRoundTrips: 6, requestsServed: 7, repliesUnmatched: 0,
      penalties: 0, lookupsStarted: 9, storesAccepted: 2, storesRefused: 0,
    },
    transport: {
      messagesSent: 50, messagesReceived: 48, bytesSent: 5000, bytesReceived: 4800, messagesDropped: 1, dialFailures: 1, penalties: 0,
      linksOpen: 4, messagesRefused: 6, streamsRefused: 0, peersBanned: 1,
    },
    penalties: { total: 2, recent: [] },
  } as unknown as NodeStatus;
}

/** The value of an unlabelled metric in Prometheus text. */
function valueOf(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  assert.ok(line, `${name} is exposed`);
  return Number(line.split(' ')[1]);
}

describe('NodeMetrics', () => {
  it('exposes kernel and transport counters as they are at scrape time', async () => {
    let sent = 10;
    const metrics = new NodeMetrics(new Registry(), () => fakeStatus(sent, 25));
    let text = await metrics.text();
    assert.equal(valueOf(text, 'peergrid_requests_sent_total'), 10);
    assert.equal(valueOf(text, 'peergrid_routing_table_contacts'), 25);
    assert.equal(valueOf(text, 'peergrid_requests_setup_round_trips_total'), 6);
    assert.equal(valueOf(text, 'peergrid_transport_bytes_received_total'), 4800);
    assert.equal(valueOf(text, 'peergrid_transport_messages_refused_total'), 6);
    assert.equal(valueOf(text, 'peergrid_peers_banned_total'), 1);
    sent = 15;
    await new Promise((resolve) => setTimeout(resolve, 120));
    text = await metrics.text();
    assert.equal(valueOf(text, 'peergrid_requests_sent_total'), 15, 'read again, not added up');
    assert.match(metrics.contentType, /text\/plain/);
  });

  it('counts operations by kind and outcome, with a latency histogram', async () => {
    const metrics = new NodeMetrics(new Registry(), () => fakeStatus(0, 0));
    await metrics.time('lookup', async () => 'found');
    await metrics.time('get', async () => ({ value: null }), (result) => result.value === null);
    await assert.rejects(metrics.time('put', async () => {
      throw new RangeError('too big');
    }), RangeError);
    const text = await metrics.text();
    assert.match(text, /peergrid_operations_total\{kind="lookup",outcome="ok"\} 1/);
    assert.match(text, /peergrid_operations_total\{kind="get",outcome="error"\} 1/);
    assert.match(text, /peergrid_operations_total\{kind="put",outcome="error"\} 1/);
    assert.match(text, /peergrid_operation_seconds_count\{kind="lookup"\} 1/);
  });
});
