/**
 * What each remote peer may cost us, and what it has done wrong: a per-peer rate limit on messages
 * and on streams opened, a score that offences lower and time restores, and bans that grow for
 * repeat offenders. Mutually distrustful machines share this overlay; one that floods us or keeps
 * sending garbage must cost us little and then nothing, while everyone else is served as before.
 *
 * Pure and synchronous: time comes in as `nowMs`, so the rules are tested without a network. The
 * transport asks before it delivers a message or accepts a stream, reports offences, and closes a
 * banned peer's connections; libp2p's connection gater refuses its new ones.
 *
 * Token buckets for the rates (a burst allowance refilled at a steady rate), as libp2p's and
 * BitTorrent clients' per-peer limits do; a score with linear recovery in the spirit of gossipsub's
 * peer scoring, much simplified.
 */

/** Kinds of offence, each with its own weight (PeerGuardConfig.offenceWeights). */
export const Offence = {
  /** Bytes that break the protocol: bad frames, undecodable messages, forged contacts, bad hellos. */
  malformed: 'malformed',
  /** A frame started and not finished in time (a slow sender holding our buffers). */
  slow: 'slow',
  /** A message or stream beyond the peer's rate. */
  overRate: 'overRate',
  /** The kernel's complaint: a reply of the wrong kind, or to a request sent to another peer. */
  protocol: 'protocol',
} as const;

export type OffenceKind = (typeof Offence)[keyof typeof Offence];

export interface PeerGuardConfig {
  /** Messages a peer may send us per second, sustained. */
  readonly messagesPerSecond: number;
  /** Messages it may send at once above that rate (the bucket's size). */
  readonly messagesBurst: number;
  /** Inbound streams a peer may open per minute (one long-lived stream is the norm). */
  readonly streamsPerMinute: number;
  readonly streamsBurst: number;
  /** Score lost per offence; a peer starts at 0. */
  readonly offenceWeights: Readonly<Record<OffenceKind, number>>;
  /** Below this score a peer is banned. */
  readonly banScore: number;
  /** Score regained per minute without offences, up to 0. */
  readonly scoreRecoveryPerMinute: number;
  /** The first ban's length; each later ban of the same peer doubles it, up to banMsMax. */
  readonly banMsInitial: number;
  readonly banMsMax: number;
  /** Peers remembered; the one heard from least recently is forgotten first (a ban outlives that only while room lasts). */
  readonly peersTrackedMax: number;
}

export const defaultPeerGuardConfig: PeerGuardConfig = {
  // A busy node answers a few dozen lookups a second; 200 messages a second from one peer is far
  // beyond honest use, and a burst of 400 covers a joining node's refresh storm.
  messagesPerSecond: 200,
  messagesBurst: 400,
  streamsPerMinute: 30,
  streamsBurst: 10,
  offenceWeights: { malformed: 25, slow: 10, overRate: 1, protocol: 5 },
  banScore: -100,
  scoreRecoveryPerMinute: 10,
  banMsInitial: 60_000,
  banMsMax: 60 * 60_000,
  peersTrackedMax: 4096,
};

export function checkPeerGuardConfig(config: PeerGuardConfig): string[] {
  const problems: string[] = [];
  const positive = ['messagesPerSecond', 'messagesBurst', 'streamsPerMinute', 'streamsBurst', 'banMsInitial', 'banMsMax', 'peersTrackedMax'] as const;
  for (const name of positive) if (!(config[name] > 0)) problems.push(`${name} must be > 0`);
  if (!(config.banScore < 0)) problems.push('banScore must be < 0');
  if (!(config.scoreRecoveryPerMinute >= 0)) problems.push('scoreRecoveryPerMinute must be ≥ 0');
  if (config.banMsMax < config.banMsInitial) problems.push('banMsMax must be ≥ banMsInitial');
  for (const [kind, weight] of Object.entries(config.offenceWeights)) if (!(weight >= 0)) problems.push(`offence weight ${kind} must be ≥ 0`);
  return problems;
}

/** What the guard says about a message or stream from a peer. */
export type Admission = 'admit' | 'overRate' | 'banned';

interface PeerRecord {
  messageTokens: number;
  streamTokens: number;
  /** When the buckets and the score were last brought up to date. */
  updatedAtMs: number;
  score: number;
  bannedUntilMs: number;
  bans: number;
  offences: number;
}

export interface PeerGuardEntry {
  readonly remote: string;
  readonly score: number;
  readonly offences: number;
  readonly bans: number;
  /** 0 when not banned now. */
  readonly bannedUntilMs: number;
}

export class PeerGuard {
  readonly config: PeerGuardConfig;
  /** By remote (a libp2p peer id), least recently heard from first. */
  private readonly peers = new Map<string, PeerRecord>();
  private bansTotal = 0;
  private refusalsTotal = 0;
  private readonly banListeners = new Set<(remote: string) => void>();

  constructor(config: PeerGuardConfig = defaultPeerGuardConfig) {
    const problems = checkPeerGuardConfig(config);
    if (problems.length > 0) throw new RangeError(`bad peer guard configuration: ${problems.join('; ')}`);
    this.config = config;
  }

  /** Bans imposed so far, and messages or streams refused (over rate or banned). */
  get stats(): { readonly bans: number; readonly refusals: number; readonly peersTracked: number } {
    return { bans: this.bansTotal, refusals: this.refusalsTotal, peersTracked: this.peers.size };
  }

  /**
   * Calls `listener` with each peer at the moment it is banned, whoever reported the offence that
   * did it: the transport cuts the peer's connections then, so a ban earned on a service protocol
   * (the block exchange, compute, search) ends its open streams too, not only its next connection.
   * Returns the unsubscribe.
   */
  onBan(listener: (remote: string) => void): () => void {
    this.banListeners.add(listener);
    return () => this.banListeners.delete(listener);
  }

  isBanned(remote: string, nowMs: number): boolean {
    const record = this.peers.get(remote);
    return record !== undefined && record.bannedUntilMs > nowMs;
  }

  /** Asks whether one more message from `remote` may be delivered; over its rate counts as an offence. */
  admitMessage(remote: string, nowMs: number): Admission {
    return this.admit(remote, nowMs, 'messageTokens');
  }

  /** Asks whether `remote` may open one more stream to us. */
  admitStream(remote: string, nowMs: number): Admission {
    return this.admit(remote, nowMs, 'streamTokens');
  }

  /** Records an offence; returns true when it got the peer banned just now. */
  penalize(remote: string, kind: OffenceKind, nowMs: number): boolean {
    const record = this.touch(remote, nowMs);
    record.offences++;
    // Counted, but not scored while banned: what a banned peer is charged with then is mostly the
    // end of its own streams, which its ban cut, and the ban is to leave it a clean score (below).
    if (record.bannedUntilMs > nowMs) return false;
    record.score -= this.config.offenceWeights[kind];
    if (record.score >= this.config.banScore) return false;
    const banMs = Math.min(this.config.banMsMax, this.config.banMsInitial * 2 ** record.bans);
    record.bans++;
    record.bannedUntilMs = nowMs + banMs;
    // A ban settles the account: when it ends, the peer starts again from a clean score, but its
    // next ban will be longer.
    record.score = 0;
    this.bansTotal++;
    for (const listener of this.banListeners) {
      try {
        listener(remote);
      } catch {
        // A listener's failure is its own; the ban stands and the caller is told of it.
      }
    }
    return true;
  }

  /** The peers with a score below 0 or a ban, worst first, at most `limit`. */
  offenders(nowMs: number, limit: number): PeerGuardEntry[] {
    const out: PeerGuardEntry[] = [];
    for (const [remote, record] of this.peers) {
      this.refresh(record, nowMs);
      const banned = record.bannedUntilMs > nowMs;
      if (record.score < 0 || banned) {
        out.push({ remote, score: record.score, offences: record.offences, bans: record.bans, bannedUntilMs: banned ? record.bannedUntilMs : 0 });
      }
    }
    out.sort((a, b) => (b.bannedUntilMs - a.bannedUntilMs) || (a.score - b.score));
    return out.slice(0, limit);
  }

  private admit(remote: string, nowMs: number, bucket: 'messageTokens' | 'streamTokens'): Admission {
    const record = this.touch(remote, nowMs);
    if (record.bannedUntilMs > nowMs) {
      this.refusalsTotal++;
      return 'banned';
    }
    if (record[bucket] < 1) {
      this.refusalsTotal++;
      return this.penalize(remote, Offence.overRate, nowMs) ? 'banned' : 'overRate';
    }
    record[bucket] -= 1;
    return 'admit';
  }

  /** The peer's record, brought up to date and moved to the most recently heard end. */
  private touch(remote: string, nowMs: number): PeerRecord {
    let record = this.peers.get(remote);
    if (record === undefined) {
      if (this.peers.size >= this.config.peersTrackedMax) this.peers.delete(this.peers.keys().next().value as string);
      record = {
        messageTokens: this.config.messagesBurst, streamTokens: this.config.streamsBurst, updatedAtMs: nowMs,
        score: 0, bannedUntilMs: 0, bans: 0, offences: 0,
      };
    } else {
      this.peers.delete(remote);
      this.refresh(record, nowMs);
    }
    this.peers.set(remote, record);
    return record;
  }

  private refresh(record: PeerRecord, nowMs: number): void {
    const elapsedMs = nowMs - record.updatedAtMs;
    if (elapsedMs <= 0) return;
    const config = this.config;
    record.updatedAtMs = nowMs;
    record.messageTokens = Math.min(config.messagesBurst, record.messageTokens + (elapsedMs * config.messagesPerSecond) / 1000);
    record.streamTokens = Math.min(config.streamsBurst, record.streamTokens + (elapsedMs * config.streamsPerMinute) / 60_000);
    if (record.score < 0) record.score = Math.min(0, record.score + (elapsedMs * config.scoreRecoveryPerMinute) / 60_000);
  }
}
