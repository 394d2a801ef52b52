/**
 * The node's Prometheus metrics, beside libp2p's own (@libp2p/prometheus-metrics registers those
 * in the same registry): operations and their latency as the user sees them, the kernel's request
 * counters, the routing table and value store, and the transport's traffic and refusals.
 *
 * Counters the kernel and transport already keep are read when Prometheus scrapes (a collect
 * callback), not mirrored on every message: a scrape every few seconds costs less than an
 * increment per message. One registry per node, so several nodes in one process stay apart.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeStatus } from './node-driver.ts';

export type OperationKind = 'lookup' | 'get' | 'put' | 'search' | 'publish';
export type OperationOutcome = 'ok' | 'error';

/** Operation latency buckets in seconds: a loopback lookup takes milliseconds, a WAN one about a second. */
const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

export class NodeMetrics {
  readonly registry: Registry;
  private readonly operations: Counter<'kind' | 'outcome'>;
  private readonly latency: Histogram<'kind'>;

  constructor(registry: Registry, status: () => NodeStatus) {
    this.registry = registry;
    this.operations = new Counter({
      name: 'peergrid_operations_total', help: 'Operations asked of this node, by kind and outcome.',
      labelNames: ['kind', 'outcome'], registers: [registry],
    });
    this.latency = new Histogram({
      name: 'peergrid_operation_seconds', help: 'Time from asking to answer, by kind of operation.',
      labelNames: ['kind'], buckets: LATENCY_BUCKETS_S, registers: [registry],
    });
    // Kernel and transport counters, read at scrape time (see the file comment).
    const totals: [string, string, (s: NodeStatus) => number][] = [
      ['peergrid_requests_sent_total', 'Kernel requests sent.', (s) => s.kernel.requestsSent],
      ['peergrid_requests_answered_total', 'Kernel requests answered.', (s) => s.kernel.requestsAnswered],
      ['peergrid_requests_setup_round_trips_total', 'Kernel requests answered on a link that had to open first (no RTT sample taken).', (s) => s.kernel.setupRoundTrips],
      ['peergrid_requests_timed_out_total', 'Kernel requests that timed out.', (s) => s.kernel.requestsTimedOut],
      ['peergrid_requests_undeliverable_total', 'Kernel requests the transport could not send.', (s) => s.kernel.requestsUndeliverable],
      ['peergrid_requests_served_total', 'Requests from other nodes answered.', (s) => s.kernel.requestsServed],
      ['peergrid_lookups_started_total', 'Lookups started, the node\'s own upkeep included.', (s) => s.kernel.lookupsStarted],
      ['peergrid_stores_accepted_total', 'Values other nodes stored here.', (s) => s.kernel.storesAccepted],
      ['peergrid_transport_messages_sent_total', 'Messages sent.', (s) => s.transport.messagesSent],
      ['peergrid_transport_messages_received_total', 'Messages received.', (s) => s.transport.messagesReceived],
      ['peergrid_transport_bytes_sent_total', 'Bytes of messages sent.', (s) => s.transport.bytesSent],
      ['peergrid_transport_bytes_received_total', 'Bytes of messages received.', (s) => s.transport.bytesReceived],
      ['peergrid_transport_messages_dropped_total', 'Messages that never left.', (s) => s.transport.messagesDropped],
      ['peergrid_transport_messages_refused_total', 'Inbound messages refused: over rate or banned.', (s) => s.transport.messagesRefused],
      ['peergrid_penalties_total', 'Protocol offences by other peers.', (s) => s.penalties.total],
      ['peergrid_peers_banned_total', 'Bans imposed on peers.', (s) => s.transport.peersBanned],
    ];
    const gauges: [string, string, (s: NodeStatus) => number][] = [
      ['peergrid_routing_table_contacts', 'Contacts in the routing table.', (s) => s.contacts],
      ['peergrid_values_held', 'Values held in the store.', (s) => s.values],
      ['peergrid_requests_pending', 'Kernel requests waiting for an answer.', (s) => s.pendingRequests],
      ['peergrid_transport_links_open', 'Outbound links open or opening.', (s) => s.transport.linksOpen],
    ];
    // One status read per scrape, shared by every metric collected in it.
    let scrape: { status: NodeStatus; atMs: number } | null = null;
    const current = (): NodeStatus => {
      const nowMs = performance.now();
      if (scrape === null || nowMs - scrape.atMs > 100) scrape = { status: status(), atMs: nowMs };
      return scrape.status;
    };
    for (const [name, help, read] of totals) {
      new Counter({
        name, help, registers: [registry],
        collect() {
          this.reset();
          this.inc(read(current()));
        },
      });
    }
    for (const [name, help, read] of gauges) {
      new Gauge({ name, help, registers: [registry], collect() { this.set(read(current())); } });
    }
  }

  /** Records one finished operation. */
  observe(kind: OperationKind, outcome: OperationOutcome, seconds: number): void {
    this.operations.inc({ kind, outcome });
    this.latency.observe({ kind }, seconds);
  }

  /** Times `operation` and records it; the result or error passes through unchanged. */
  async time<T>(kind: OperationKind, operation: () => Promise<T>, failed: (result: T) => boolean = () => false): Promise<T> {
    const startedMs = performance.now();
    try {
      const result = await operation();
      this.observe(kind, failed(result) ? 'error' : 'ok', (performance.now() - startedMs) / 1000);
      return result;
    } catch (error) {
      this.observe(kind, 'error', (performance.now() - startedMs) / 1000);
      throw error;
    }
  }

  /** A gauge read when Prometheus scrapes (a service's counts: search's lists and postings held). */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({ name, help, registers: [this.registry], collect() { this.set(read()); } });
  }

  /** The Prometheus text exposition of every metric, libp2p's included. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
