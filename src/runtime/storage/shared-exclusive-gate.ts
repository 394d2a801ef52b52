/**
 * A readers–writer lock for asynchronous work in one process. Puts hold it shared (they may run
 * side by side: each writes its own temporary files and commits its own rows). Deletions, gc,
 * quarantine and fsck hold it exclusively, because they remove files by name and must not race
 * a put of the same block, nor take a put's temporary file for a crash leftover.
 *
 * Grants are first come, first served, with consecutive shared waiters admitted together, so a
 * stream of puts cannot starve a gc and a gc only waits for the puts that started before it.
 */
type Kind = 'shared' | 'exclusive';

interface Waiter {
  readonly kind: Kind;
  readonly grant: () => void;
}

export class SharedExclusiveGate {
  private sharedHolders = 0;
  private exclusiveHeld = false;
  private readonly waiters: Waiter[] = [];

  async shared<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire('shared');
    try {
      return await work();
    } finally {
      this.sharedHolders--;
      this.admit();
    }
  }

  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire('exclusive');
    try {
      return await work();
    } finally {
      this.exclusiveHeld = false;
      this.admit();
    }
  }

  /** True when nothing holds or waits for the gate. */
  idle(): boolean {
    return this.sharedHolders === 0 && !this.exclusiveHeld && this.waiters.length === 0;
  }

  private acquire(kind: Kind): Promise<void> {
    if (this.waiters.length === 0 && this.canEnter(kind)) {
      this.enter(kind);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push({ kind, grant: resolve }));
  }

  private canEnter(kind: Kind): boolean {
    return kind === 'shared' ? !this.exclusiveHeld : !this.exclusiveHeld && this.sharedHolders === 0;
  }

  private enter(kind: Kind): void {
    if (kind === 'shared') this.sharedHolders++;
    else this.exclusiveHeld = true;
  }

  private admit(): void {
    while (this.waiters.length > 0 && this.canEnter(this.waiters[0].kind)) {
      const waiter = this.waiters.shift() as Waiter;
      this.enter(waiter.kind);
      waiter.grant();
    }
  }
}
