/**
 * Lets at most `sendsPerPeerMax` responses to one peer be sent at once; the others wait their
 * turn in the order they became ready. Why: each request has a stream of its own, and the muxer
 * shares the link among streams, so eight requests answered side by side all finish at the very
 * end of the time the eight take — the peer learns nothing for seconds, measures its source as
 * slow, and blocks it could have fetched elsewhere sit in that queue. Sent in turn, they arrive
 * one after another at the link's pace, as a BitTorrent peer's pieces do on its one connection.
 * Responses to different peers still share the link.
 */
export class PeerSendOrder {
  private readonly sendsPerPeerMax: number;
  private readonly peers = new Map<string, { sending: number; readonly waiting: (() => void)[] }>();

  constructor(sendsPerPeerMax: number) {
    if (!Number.isInteger(sendsPerPeerMax) || sendsPerPeerMax < 1) throw new RangeError('sendsPerPeerMax must be an integer >= 1');
    this.sendsPerPeerMax = sendsPerPeerMax;
  }

  /** Resolves when a response to `peer` may be sent; call the returned function once it is sent (or given up). */
  async turn(peer: string, signal: AbortSignal): Promise<() => void> {
    signal.throwIfAborted();
    let entry = this.peers.get(peer);
    if (entry === undefined) this.peers.set(peer, (entry = { sending: 0, waiting: [] }));
    if (entry.sending >= this.sendsPerPeerMax) {
      await new Promise<void>((resolve, reject) => {
        const go = (): void => {
          signal.removeEventListener('abort', giveUp);
          resolve();
        };
        const giveUp = (): void => {
          const at = entry.waiting.indexOf(go);
          if (at >= 0) entry.waiting.splice(at, 1);
          this.forgetIfIdle(peer, entry);
          reject(signal.reason);
        };
        entry.waiting.push(go);
        signal.addEventListener('abort', giveUp, { once: true });
      });
    } else {
      entry.sending++;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      // The turn passes straight to the next in line (the count stays), or the slot is freed.
      const next = entry.waiting.shift();
      if (next !== undefined) next();
      else {
        entry.sending--;
        this.forgetIfIdle(peer, entry);
      }
    };
  }

  /** Peers with something sending or waiting (bounded by the server's streams). */
  get peersActive(): number {
    return this.peers.size;
  }

  private forgetIfIdle(peer: string, entry: { sending: number; readonly waiting: (() => void)[] }): void {
    if (entry.sending === 0 && entry.waiting.length === 0) this.peers.delete(peer);
  }
}
