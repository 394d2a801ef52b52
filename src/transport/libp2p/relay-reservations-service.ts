/**
 * Using circuit relays (v2) when this node cannot be dialled: it reserves a slot on a relay and
 * announces the relayed address (<relay's address>/p2p/<relay>/p2p-circuit), through which others
 * reach it.
 *
 * Which relay: the circuit-relay transport finds them itself among the peers libp2p knows that
 * serve the relay protocol (identify tells) — in practice our bootstrap nodes and contacts that
 * are publicly reachable (relay-server-service.ts) — and finds another when one is lost. This
 * service only decides *whether* to reserve, and asks for `reservations` slots by listening on
 * `/p2p-circuit` that many times. Once it has asked, it keeps its slots until the node stops.
 *
 * 'always' reserves at start. 'auto' reserves when reservationDecision says the node is not
 * reachable, and re-decides whenever libp2p's addresses change (AutoNAT verified or doubted one)
 * and once the grace period AutoNAT is given has passed.
 */
import type { ComponentLogger, Libp2pEvents, Logger, Startable, TypedEventTarget } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { isCircuit, isPublicDirect, scopeOf } from './reachability.ts';

/** An address as libp2p's address manager holds it: AutoNAT (or configuration) verified it or not. */
export interface CandidateAddress {
  readonly multiaddr: Multiaddr;
  readonly verified: boolean;
}

export type ReservationDecision = 'reserve' | 'reachable' | 'wait' | 'machineLocal';

/**
 * Whether a node with these addresses needs a relay:
 * - no direct address at all (it listens on nothing, or only on relays): reserve;
 * - loopback only (a devnet, a test): nobody else could use a relayed address through it: never;
 * - a public direct address that is verified: it is reachable;
 * - no public address to verify (only LAN ones): behind a NAT or firewall, as far as anyone
 *   beyond the LAN can tell: reserve;
 * - public addresses not verified yet: wait for AutoNAT until the grace period ends, then reserve.
 */
export function reservationDecision(addresses: readonly CandidateAddress[], sinceStartMs: number, graceMs: number): ReservationDecision {
  const direct = addresses.filter((address) => !isCircuit(address.multiaddr));
  if (direct.length === 0) return 'reserve';
  if (direct.every((address) => scopeOf(address.multiaddr) === 'loopback')) return 'machineLocal';
  if (direct.some((address) => address.verified && isPublicDirect(address.multiaddr))) return 'reachable';
  if (!direct.some((address) => isPublicDirect(address.multiaddr))) return 'reserve';
  return sinceStartMs >= graceMs ? 'reserve' : 'wait';
}

export interface RelayReservationsOptions {
  readonly mode: 'auto' | 'always';
  /** Relays to hold a slot on: more than one survives the loss of a relay without a gap. */
  readonly reservations: number;
  /** In 'auto' mode, how long AutoNAT may take to verify a public address before we reserve anyway. */
  readonly graceMs: number;
}

/** What the service needs of libp2p's internal components, and nothing more. */
export interface RelayReservationsComponents {
  readonly transportManager: { listen(addresses: Multiaddr[]): Promise<void> };
  readonly addressManager: { getAddressesWithMetadata(): CandidateAddress[] };
  readonly events: TypedEventTarget<Libp2pEvents>;
  readonly logger: ComponentLogger;
}

/** Long enough for the transports to have started listening (they do in milliseconds). */
const FIRST_LOOK_MS = 1000;

export class RelayReservationsService implements Startable {
  readonly [Symbol.toStringTag] = 'peergrid/relay-reservations';
  private readonly components: RelayReservationsComponents;
  private readonly options: RelayReservationsOptions;
  private readonly log: Logger;
  private startedAtMs = 0;
  private timers: ReturnType<typeof setTimeout>[] = [];
  private asked = false;
  private running = false;

  constructor(components: RelayReservationsComponents, options: RelayReservationsOptions) {
    this.components = components;
    this.options = options;
    this.log = components.logger.forComponent('peergrid:relay-reservations');
  }

  /** Whether we have asked for relay slots (they may still be on their way). */
  get reserving(): boolean {
    return this.asked;
  }

  start(): void {
    this.running = true;
    this.startedAtMs = performance.now();
  }

  afterStart(): void {
    if (this.options.mode === 'always') {
      this.reserve();
      return;
    }
    // Transports start listening alongside this service, so the first look waits a moment; after
    // it, every change of our addresses (a listener, AutoNAT's verdicts) and the end of the grace
    // period bring a new decision.
    this.components.events.addEventListener('self:peer:update', this.decide);
    this.components.events.addEventListener('transport:listening', this.decide);
    this.timers.push(setTimeout(this.decide, FIRST_LOOK_MS), setTimeout(this.decide, this.options.graceMs));
    for (const timer of this.timers) timer.unref?.();
  }

  stop(): void {
    this.running = false;
    this.stopDeciding();
  }

  private readonly decide = (): void => {
    if (!this.running || this.asked) return;
    const decision = reservationDecision(this.components.addressManager.getAddressesWithMetadata(), performance.now() - this.startedAtMs, this.options.graceMs);
    this.log('reservation decision: %s', decision);
    if (decision === 'reserve') this.reserve();
  };

  private reserve(): void {
    this.asked = true;
    this.stopDeciding();
    // Each /p2p-circuit listener asks the relay transport for one more relay.
    const searches = Array.from({ length: this.options.reservations }, () => multiaddr('/p2p-circuit'));
    this.components.transportManager.listen(searches).catch((error: unknown) => {
      this.log.error('could not start looking for relays - %e', error);
    });
  }

  private stopDeciding(): void {
    this.components.events.removeEventListener('self:peer:update', this.decide);
    this.components.events.removeEventListener('transport:listening', this.decide);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }
}

/** The service factory, for createLibp2p's `services`. */
export function relayReservations(options: RelayReservationsOptions): (components: RelayReservationsComponents) => RelayReservationsService {
  return (components) => new RelayReservationsService(components, options);
}
