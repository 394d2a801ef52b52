/**
 * Which of a node's requests went out on a link that had to open first (a dial: TCP, Noise,
 * multistream-select — about four round trips on our libp2p transport, docs/BENCHMARKS.md), so
 * that their replies can tell the kernel the round trip included the set-up and is no RTT sample
 * (DhtNode.receive, `setupInRoundTrip`; Karn and Partridge's rule for ambiguous samples).
 *
 * Keyed by request id alone: a node's request ids are its own, and the kernel checks that a reply
 * comes from the peer it asked. Requests never answered leave oldest first beyond `max`.
 */
export class SetupRoundTrips {
  private readonly requests = new Set<number>();
  private readonly max: number;

  constructor(max = 1024) {
    this.max = max;
  }

  /** A request left on a link that was not open yet. */
  sent(requestId: number): void {
    this.requests.delete(requestId);
    this.requests.add(requestId);
    if (this.requests.size > this.max) this.requests.delete(this.requests.values().next().value as number);
  }

  /** Whether the request this reply answers left on a link that had to open; forgets it. */
  answered(requestId: number): boolean {
    return this.requests.delete(requestId);
  }

  get size(): number {
    return this.requests.size;
  }
}
