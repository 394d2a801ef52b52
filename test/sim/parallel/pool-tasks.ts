/** Tasks for the task pool's tests (task-pool.test.ts): each a function a pool thread calls. */
import { isMainThread, threadId } from 'node:worker_threads';

/** n², after `spinMs` of busy work, with the thread that computed it. */
export function square(input: { readonly n: number; readonly spinMs?: number }): { readonly value: number; readonly thread: number; readonly mainThread: boolean } {
  const until = performance.now() + (input.spinMs ?? 0);
  while (performance.now() < until) { /* busy, as a simulation is */ }
  return { value: input.n * input.n, thread: threadId, mainThread: isMainThread };
}

export function fail(input: { readonly message: string }): never {
  throw new Error(input.message);
}

/** Ends the thread it runs on, as a crash would. */
export function endThread(): void {
  process.exit(3);
}
