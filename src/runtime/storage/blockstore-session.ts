/**
 * A session protects the blocks written through it from gc until it is closed or expires — the
 * "blocks of a put still in progress" rule. The DAG layer opens one per file it adds or fetches:
 * the leaves come first and the manifest that links them (and the pin on it) only at the end,
 * and a gc in between must not take the leaves. Blocks that a session's put found already stored
 * are protected as well, and so is everything reachable from a session's blocks through links.
 *
 * A session lives in the index connection's TEMP tables, so it ends with the process: after a
 * crash its blocks are protected only by the grace period, then collected unless pinned. The
 * expiry ends the sessions of callers that forget to close them; renew() extends a long one.
 */
import { BlockstoreArgumentError } from './blockstore-errors.ts';
import { SESSION_TTL_MS_DEFAULT } from './blockstore-limits.ts';
import type { BlockIndex } from './block-index.ts';

/** What a session needs of its store. */
export interface SessionHost {
  readonly index: () => BlockIndex;
  readonly nowUnixMs: () => number;
}

export class BlockSession {
  readonly id: number;
  private readonly host: SessionHost;

  constructor(host: SessionHost, ttlMs: number = SESSION_TTL_MS_DEFAULT) {
    checkTtl(ttlMs);
    this.host = host;
    this.id = host.index().openSession(host.nowUnixMs() + ttlMs);
  }

  /** When the protection ends, or undefined if the session is closed or expired. */
  get expiresAtMs(): number | undefined {
    const expiresAtMs = this.host.index().sessionExpiresAtMs(this.id);
    return expiresAtMs !== undefined && expiresAtMs > this.host.nowUnixMs() ? expiresAtMs : undefined;
  }

  get open(): boolean {
    return this.expiresAtMs !== undefined;
  }

  /** Extends the session to `ttlMs` from now. Throws if it is already closed or expired. */
  renew(ttlMs: number = SESSION_TTL_MS_DEFAULT): void {
    checkTtl(ttlMs);
    if (!this.open || !this.host.index().renewSession(this.id, this.host.nowUnixMs() + ttlMs)) {
      throw new BlockstoreArgumentError(`session ${this.id} is closed or expired`);
    }
  }

  /** Ends the protection (the blocks stay, and are collected by a later gc unless pinned). Idempotent. */
  close(): void {
    this.host.index().closeSession(this.id);
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new BlockstoreArgumentError(`a session's ttlMs must be a positive integer, not ${ttlMs}`);
}
