/**
 * The `relay` object of config.json: whether this node serves as a circuit relay for others,
 * whether it uses relays itself, and the limits it serves with. Missing fields take their
 * defaults, so a file written before a field existed keeps working; unknown ones are errors.
 *
 * 'auto' decides from reachability (transport/libp2p/reachability.ts): a node serves once it has
 * a public address that AutoNAT verified (or that `announce` names), and uses relays when it has no
 * such address — at once if it has no public address at all, else after `reachabilityGraceMs`.
 * A node on loopback alone (a devnet) does neither.
 */
import { defaultRelayOptions, type RelayMode, type RelayOptions } from '../transport/libp2p/create-libp2p.ts';
import { isPositiveInteger, isRecord } from './config-values.ts';

/** A setting that is on, off, or decided by the node. */
export type AutoSwitch = 'auto' | boolean;

export interface RelayConfig {
  readonly serve: AutoSwitch;
  readonly use: AutoSwitch;
  /** Relays to hold a slot on when using them. */
  readonly reservations: number;
  /** How long AutoNAT may take to verify a public address before 'auto' takes a relay anyway. */
  readonly reachabilityGraceMs: number;
  /** Reservations granted to others at once when serving. */
  readonly reservationsServedMax: number;
  /** A relayed connection through us is cut after this long… */
  readonly connectionDurationMsMax: number;
  /** …or after this many bytes (both directions together). */
  readonly connectionBytesMax: number;
}

/** The transport's defaults, which give the reason for each figure (create-libp2p.ts). */
export const defaultRelayConfig: RelayConfig = {
  serve: 'auto',
  use: 'auto',
  reservations: defaultRelayOptions.reservations,
  reachabilityGraceMs: defaultRelayOptions.reachabilityGraceMs,
  reservationsServedMax: defaultRelayOptions.limits.reservationsMax,
  connectionDurationMsMax: defaultRelayOptions.limits.connectionDurationMsMax,
  connectionBytesMax: defaultRelayOptions.limits.connectionBytesMax,
};

export function isAutoSwitch(value: unknown): value is AutoSwitch {
  return value === 'auto' || typeof value === 'boolean';
}

/** Validates the `relay` object; problems are appended to `problems`. */
export function parseRelayConfig(value: unknown, problems: string[]): RelayConfig {
  if (value === undefined) return defaultRelayConfig;
  if (!isRecord(value)) {
    problems.push("'relay' must be an object");
    return defaultRelayConfig;
  }
  for (const name of Object.keys(value)) if (!(name in defaultRelayConfig)) problems.push(`unknown relay setting '${name}'`);
  const pick = <T>(name: keyof RelayConfig, check: (candidate: unknown) => candidate is T, expected: string): T => {
    const candidate = value[name];
    if (candidate === undefined) return defaultRelayConfig[name] as T;
    if (check(candidate)) return candidate;
    problems.push(`'relay.${name}' must be ${expected}`);
    return defaultRelayConfig[name] as T;
  };
  return {
    serve: pick('serve', isAutoSwitch, "'auto', true or false"),
    use: pick('use', isAutoSwitch, "'auto', true or false"),
    reservations: pick('reservations', isPositiveInteger, 'a positive integer'),
    reachabilityGraceMs: pick('reachabilityGraceMs', isPositiveInteger, 'a positive integer'),
    reservationsServedMax: pick('reservationsServedMax', isPositiveInteger, 'a positive integer'),
    connectionDurationMsMax: pick('connectionDurationMsMax', isPositiveInteger, 'a positive integer'),
    connectionBytesMax: pick('connectionBytesMax', isPositiveInteger, 'a positive integer'),
  };
}

/** The settings as the libp2p node takes them. */
export function relayOptionsOf(config: RelayConfig): RelayOptions {
  return {
    serve: modeOf(config.serve),
    use: modeOf(config.use),
    reservations: config.reservations,
    reachabilityGraceMs: config.reachabilityGraceMs,
    limits: {
      reservationsMax: config.reservationsServedMax,
      connectionDurationMsMax: config.connectionDurationMsMax,
      connectionBytesMax: config.connectionBytesMax,
    },
  };
}

function modeOf(setting: AutoSwitch): RelayMode {
  if (setting === 'auto') return 'auto';
  return setting ? 'always' : 'never';
}
