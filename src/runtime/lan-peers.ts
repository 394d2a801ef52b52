/**
 * Peers that mDNS finds on the LAN, offered to the kernel.
 *
 * What mDNS says is an unauthenticated claim, but a cheap one to check: the contact's kernel id is
 * derived from the key its peer id names (peer-address.ts), and the first message to it goes over
 * Noise, which proves the key. A false claim costs one failed request, as a dead contact does.
 *
 * A node that knows nobody (started without bootstrap, or whose contacts are all gone) joins
 * through the peer found, one join at a time. A node with contacts adds the peer as an unverified
 * contact, into spare room only: it never displaces a contact, and the kernel drops it if it
 * does not answer (RoutingTable.addUnverified).
 */
import type { PeerInfo } from '@libp2p/interface';
import type { PeerRef } from '../core/peer.ts';
import { peerRefFromAddress } from '../transport/libp2p/peer-address.ts';
import type { NodeDriver } from './node-driver.ts';

export type LanPeerOutcome = 'joining' | 'added' | 'ignored';

/** Peers kept while the node is still starting: mDNS asks at once, and a LAN has a few peers. */
const EARLY_PEERS_MAX = 32;

export class LanPeers {
  private driver: NodeDriver | null = null;
  private early: PeerInfo[] = [];
  private joining = false;
  private readonly onOffered: (peer: PeerRef, outcome: LanPeerOutcome) => void;

  /** `onOffered` hears of each peer found and what became of it (for the log). */
  constructor(onOffered: (peer: PeerRef, outcome: LanPeerOutcome) => void) {
    this.onOffered = onOffered;
  }

  /**
   * Starts offering peers to `driver` — after the start-up join has begun, so that a node with
   * bootstrap peers or remembered contacts adds what mDNS found instead of joining through it.
   * Peers found before are offered now (mDNS asks at once, and again only every 10 s).
   */
  attach(driver: NodeDriver): void {
    this.driver = driver;
    const early = this.early;
    this.early = [];
    for (const info of early) this.offer(info);
  }

  offer(info: PeerInfo): void {
    const driver = this.driver;
    if (driver === null) {
      if (this.early.length < EARLY_PEERS_MAX) this.early.push(info);
      return;
    }
    const parsed = peerRefFromAddress({ peerId: info.id, multiaddrs: info.multiaddrs });
    if (!parsed.ok) return;
    const peer = parsed.value;
    if (driver.node.table.size === 0 && !this.joining) {
      this.joining = true;
      const done = (): void => {
        this.joining = false;
      };
      driver.join([peer]).then(done, done);
      this.onOffered(peer, 'joining');
      return;
    }
    this.onOffered(peer, driver.addContact(peer) ? 'added' : 'ignored');
  }
}
