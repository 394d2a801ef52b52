/**
 * Runs `work` over `items` with at most `limit` running at once. After a failure no new item is
 * started; it settles only when every started item has finished (so a caller's clean-up never
 * races work still running), then rejects with the first failure.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw firstError;
}

/**
 * forEachLimited for work that is found as it goes (a tree walked while its files are written):
 * `start` waits for a free slot, then starts the task without waiting for it. After a failure
 * `start` starts nothing and rejects with it; `settle` waits for every started task, then rejects
 * with the first failure, if any.
 */
export class TaskSlots {
  private readonly limit: number;
  private readonly running = new Set<Promise<void>>();
  private failure: { readonly error: unknown } | null = null;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`task slots: a limit of ${limit}`);
    this.limit = limit;
  }

  async start(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    if (this.failure !== null) throw this.failure.error;
    const run: Promise<void> = Promise.resolve()
      .then(task)
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(() => this.running.delete(run));
    this.running.add(run);
  }

  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
    if (this.failure !== null) throw this.failure.error;
  }
}
