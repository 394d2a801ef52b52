/**
 * Where our lookups' time goes, from the transport timings every node exports at /metrics
 * (runtime/transport-timing-metrics.ts): scraped from every node before and after a phase, added
 * up over nodes, and the difference summarised. Percentiles are estimated from the histogram
 * buckets, as Prometheus would; they are close where the buckets are fine (below 10 ms).
 */
import type { DevnetEntry } from '../../src/cli/devnet/devnet-file.ts';
import { emptyScrape, histogramQuantile, mergeScrape, parseScrape, type Scrape } from './prometheus-histograms.ts';

const PREFIX = 'peergrid_transport_';

export async function scrapeDevnet(entries: readonly DevnetEntry[]): Promise<Scrape> {
  let total = emptyScrape();
  for (const entry of entries) {
    const response = await fetch(`${entry.api}/metrics`, { signal: AbortSignal.timeout(10_000) });
    total = mergeScrape(total, parseScrape(await response.text(), PREFIX));
  }
  return total;
}

export function summarizeLinkTimings(before: Scrape, after: Scrape): Record<string, unknown> {
  const delta = mergeScrape(after, before, -1);
  const sent = (link: string): number => delta.counters.get(`${PREFIX}requests_sent_total{link="${link}"}`) ?? 0;
  const onOpen = sent('open');
  const onNew = sent('new');
  const series = (name: string, label: string) => delta.histograms.get(`${PREFIX}${name}{${label}}`);
  const timing = (name: string, label: string): Record<string, number> => {
    const found = series(name, label);
    const ms = (q: number): number => Math.round(histogramQuantile(found, q) * 1000 * 100) / 100;
    return { count: found?.count ?? 0, p50Ms: ms(0.5), p95Ms: ms(0.95), meanMs: found === undefined || found.count === 0 ? NaN : Math.round((found.sum / found.count) * 1000 * 100) / 100 };
  };
  const waitedMs = (label: string): number => (series('request_seconds', label)?.sum ?? 0) * 1000;
  const waitedOnNew = waitedMs('link="new"');
  const waitedOnOpen = waitedMs('link="open"');
  return {
    requestsSent: onOpen + onNew,
    requestsOnNewLink: onNew,
    newLinkShare: onOpen + onNew === 0 ? 0 : Math.round((onNew / (onOpen + onNew)) * 10_000) / 10_000,
    // Of all the time requests spent waiting for their replies, the part spent by those on new links.
    requestTimeShareOnNewLinks: waitedOnNew + waitedOnOpen === 0 ? 0 : Math.round((waitedOnNew / (waitedOnNew + waitedOnOpen)) * 10_000) / 10_000,
    linkOpenNewConnection: timing('link_open_seconds', 'connection="new"'),
    linkOpenExistingConnection: timing('link_open_seconds', 'connection="existing"'),
    requestRttOpenLink: timing('request_seconds', 'link="open"'),
    requestRttNewLink: timing('request_seconds', 'link="new"'),
  };
}
