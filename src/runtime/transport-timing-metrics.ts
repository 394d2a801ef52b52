/**
 * Prometheus histograms for the transport's timings (transport/libp2p/link-timing.ts): how long
 * outbound links take to open, and requests to be answered, split by whether the link was already
 * open. Scraped at /metrics with the rest; `npm run bench -- dht-vs-kad` reads them to say where a
 * lookup's time goes.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { LinkConnection, LinkTimingObserver, RequestLink } from '../transport/libp2p/link-timing.ts';

/**
 * Seconds, from a tenth of a millisecond (a request on loopback) to 10 s (a dial that times out):
 * fine enough below 10 ms that percentiles estimated from them on loopback are close.
 */
export const TIMING_BUCKETS_S = [
  0.0001, 0.0002, 0.0005, 0.001, 0.0015, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075,
  0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10,
];

export function transportTimingMetrics(registry: Registry): LinkTimingObserver {
  const linkOpen = new Histogram<'connection'>({
    name: 'peergrid_transport_link_open_seconds',
    help: 'Time to open an outbound link: a new connection (dial, Noise, Yamux, protocol select) or a stream on an existing one.',
    labelNames: ['connection'], buckets: TIMING_BUCKETS_S, registers: [registry],
  });
  const requestsSent = new Counter<'link'>({
    name: 'peergrid_transport_requests_sent_total',
    help: 'Requests sent, by whether the link to the peer was already open or had to open first.',
    labelNames: ['link'], registers: [registry],
  });
  const answered = new Histogram<'link'>({
    name: 'peergrid_transport_request_seconds',
    help: 'Time from a request leaving to its reply arriving, by whether the link was already open.',
    labelNames: ['link'], buckets: TIMING_BUCKETS_S, registers: [registry],
  });
  return {
    linkOpened: (ms: number, connection: LinkConnection) => linkOpen.observe({ connection }, ms / 1000),
    requestSent: (link: RequestLink) => requestsSent.inc({ link }),
    requestAnswered: (ms: number, link: RequestLink) => answered.observe({ link }, ms / 1000),
  };
}
