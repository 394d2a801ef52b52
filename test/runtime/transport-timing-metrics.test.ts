/** The transport's timings as Prometheus histograms and a counter, in the node's registry. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { transportTimingMetrics } from '../../src/runtime/transport-timing-metrics.ts';

describe('transportTimingMetrics', () => {
  it('exposes link-open and request times in seconds, and requests by the state of their link', async () => {
    const registry = new Registry();
    const observer = transportTimingMetrics(registry);
    observer.linkOpened(12, 'new');
    observer.linkOpened(0.8, 'existing');
    observer.requestSent('new');
    observer.requestSent('open');
    observer.requestSent('open');
    observer.requestAnswered(0.4, 'open');
    const text = await registry.metrics();
    assert.match(text, /^peergrid_transport_link_open_seconds_count\{connection="new"\} 1$/m);
    assert.match(text, /^peergrid_transport_link_open_seconds_sum\{connection="new"\} 0\.012$/m);
    assert.match(text, /^peergrid_transport_link_open_seconds_bucket\{le="0\.001",connection="existing"\} 1$/m);
    assert.match(text, /^peergrid_transport_requests_sent_total\{link="open"\} 2$/m);
    assert.match(text, /^peergrid_transport_requests_sent_total\{link="new"\} 1$/m);
    assert.match(text, /^peergrid_transport_request_seconds_bucket\{le="0\.0005",link="open"\} 1$/m);
  });
});
