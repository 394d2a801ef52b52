/**
 * Serving as a circuit relay (v2) for nodes that cannot be dialled, on nodes that can.
 *
 * A relay must be reachable by both ends, so a node behind a NAT is useless as one and would only
 * make its peers try it in vain. In 'auto' mode the relay is therefore started only once this node
 * has a public direct address among those libp2p announces — one AutoNAT has verified, or one set
 * in `announce` — and it then serves until the node stops (an address that AutoNAT later doubts
 * does not withdraw reservations already given). In 'always' mode it serves from the start.
 *
 * What one relayed connection may carry is limited (reservation-limits below): the relay lends its
 * bandwidth to others, and DCUtR (hole punching) is expected to replace most relayed connections by
 * direct ones. Relayed connections are therefore "limited" in libp2p's terms, and our protocol's
 * streams run on them by choice (libp2p-transport.ts, runOnLimitedConnection).
 */
import { circuitRelayServer, type CircuitRelayServerComponents, type CircuitRelayService } from '@libp2p/circuit-relay-v2';
import type { Libp2pEvents, Startable, TypedEventTarget } from '@libp2p/interface';
import { isPublicDirect } from './reachability.ts';

export interface RelayServerLimits {
  /** Reservations held for others at once; beyond it a reservation is refused. */
  readonly reservationsMax: number;
  /** A relayed connection is reset after this long… */
  readonly connectionDurationMsMax: number;
  /** …or after this many bytes (both directions). */
  readonly connectionBytesMax: number;
}

export interface RelayServerComponents extends CircuitRelayServerComponents {
  readonly events: TypedEventTarget<Libp2pEvents>;
}

/** How long a reservation lasts before the client must refresh it (the client does, well before). */
const RESERVATION_TTL_MS = 60 * 60_000;

export class RelayServerService implements Startable {
  readonly [Symbol.toStringTag] = 'peergrid/relay-server';
  private readonly components: RelayServerComponents;
  private readonly mode: 'auto' | 'always';
  // The package types the service by its events only; the object is Startable, as every libp2p service.
  private readonly server: CircuitRelayService & Startable;
  private serving = false;
  private stopped = false;

  constructor(components: RelayServerComponents, mode: 'auto' | 'always', limits: RelayServerLimits) {
    this.components = components;
    this.mode = mode;
    this.server = circuitRelayServer({
      reservations: {
        maxReservations: limits.reservationsMax,
        reservationTtl: RESERVATION_TTL_MS,
        applyDefaultLimit: true,
        defaultDurationLimit: limits.connectionDurationMsMax,
        defaultDataLimit: BigInt(limits.connectionBytesMax),
      },
    })(components) as CircuitRelayService & Startable;
  }

  /** Whether we are serving as a relay now. */
  get isServing(): boolean {
    return this.serving;
  }

  /** Reservations we hold for others now. */
  get reservationCount(): number {
    return this.server.reservations.size;
  }

  async start(): Promise<void> {
    this.stopped = false;
    if (this.mode === 'always') await this.serve();
  }

  afterStart(): void {
    if (this.mode !== 'auto') return;
    this.components.events.addEventListener('self:peer:update', this.onAddressesChanged);
    this.onAddressesChanged();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.components.events.removeEventListener('self:peer:update', this.onAddressesChanged);
    if (this.serving) await this.server.stop();
    this.serving = false;
  }

  private readonly onAddressesChanged = (): void => {
    if (this.serving || this.stopped) return;
    if (!this.components.addressManager.getAddresses().some(isPublicDirect)) return;
    this.components.events.removeEventListener('self:peer:update', this.onAddressesChanged);
    // Registering a protocol handler fails only while libp2p stops; the node then needs no relay.
    this.serve().catch(() => {
      this.serving = false;
    });
  };

  private async serve(): Promise<void> {
    this.serving = true;
    await this.server.start();
  }
}

/** The service factory, for createLibp2p's `services`. */
export function relayServer(mode: 'auto' | 'always', limits: RelayServerLimits): (components: RelayServerComponents) => RelayServerService {
  return (components) => new RelayServerService(components, mode, limits);
}
