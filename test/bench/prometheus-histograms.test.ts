/** The dht-vs-kad benchmark's reading of /metrics: series added over nodes, differences, and quantiles as histogram_quantile. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { histogramQuantile, mergeScrape, parseScrape } from '../../bench/dht-vs-kad/prometheus-histograms.ts';
import { transportTimingMetrics } from '../../src/runtime/transport-timing-metrics.ts';

async function scrapeOf(requestMs: readonly number[]): Promise<ReturnType<typeof parseScrape>> {
  const registry = new Registry();
  const observer = transportTimingMetrics(registry);
  for (const ms of requestMs) {
    observer.requestSent('open');
    observer.requestAnswered(ms, 'open');
  }
  return parseScrape(await registry.metrics(), 'peergrid_transport_');
}

describe('prometheus histograms (bench)', () => {
  it('adds series over nodes and subtracts an earlier scrape', async () => {
    const a = await scrapeOf([1, 2, 3]);
    const b = await scrapeOf([4]);
    const total = mergeScrape(a, b);
    const series = total.histograms.get('peergrid_transport_request_seconds{link="open"}');
    assert.equal(series?.count, 4);
    assert.equal(total.counters.get('peergrid_transport_requests_sent_total{link="open"}'), 4);
    const back = mergeScrape(total, b, -1);
    assert.equal(back.histograms.get('peergrid_transport_request_seconds{link="open"}')?.count, 3);
  });

  it('estimates quantiles linearly within the bucket the rank falls in', () => {
    const series = { bounds: [0.001, 0.002, 0.005, Infinity], cumulative: [10, 30, 40, 40], count: 40, sum: 0 };
    assert.equal(histogramQuantile(series, 0.25), 0.001);
    assert.equal(histogramQuantile(series, 0.5), 0.0015);
    assert.ok(Math.abs(histogramQuantile(series, 0.875) - 0.0035) < 1e-12);
    assert.ok(Number.isNaN(histogramQuantile(undefined, 0.5)));
  });
});
