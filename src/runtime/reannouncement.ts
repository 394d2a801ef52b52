/**
 * Telling the overlay that our address changed — a relay reservation made or lost, an address
 * AutoNAT verified. The transport already puts the new address in the hello of every link it opens
 * from now on (Libp2pTransport.refreshAddress), but a peer learns it only when we next send it
 * something, and the peers that matter most are those that others ask for us: our neighbourhood.
 * A rejoin (the kernel's join with no new peers: a lookup of our own id, then the refreshes) sends
 * to exactly those, so they hold the new address within a round trip or two.
 *
 * One rejoin at a time; changes during one bring one more after it, so a flapping relay costs at
 * most one join after another, never a pile of them.
 */
export class Reannouncement {
  private readonly rejoin: () => Promise<unknown>;
  private running = false;
  private again = false;

  constructor(rejoin: () => Promise<unknown>) {
    this.rejoin = rejoin;
  }

  request(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    const finished = (): void => {
      this.running = false;
      if (!this.again) return;
      this.again = false;
      this.request();
    };
    // A rejoin fails only because the node stopped; nothing is left to announce then.
    this.rejoin().then(finished, () => {
      this.running = false;
    });
  }
}
