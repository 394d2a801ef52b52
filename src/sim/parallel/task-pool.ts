/**
 * Independent simulations on several threads: a pool of worker threads, each running one task at a
 * time, for experiments that are made of separate runs (`peergrid sim experiment churn` runs ten,
 * say). A task is a call — a module's export and its input, as a split run's OptionsRecipe — because
 * options hold models and functions that cannot be posted to a thread; its result must be plain data.
 *
 * Each run is deterministic for its input, so the results are those of one thread in any order the
 * threads finish. With one worker the pool makes no thread and calls the export in this one.
 */
import { Worker } from 'node:worker_threads';
import type { TaskRequest, TaskResponse } from './task-worker.ts';

/** A function to call: `module`'s export `export`, with `input` (structured-cloneable). */
export interface TaskRecipe {
  /** An absolute file: URL. */
  readonly module: string;
  readonly export: string;
  readonly input: unknown;
}

interface Queued {
  readonly id: number;
  readonly task: TaskRecipe;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface PoolThread {
  readonly worker: Worker;
  running: Queued | null;
}

export class TaskPool {
  readonly workers: number;
  private readonly queue: Queued[] = [];
  private readonly threads: PoolThread[] = [];
  private nextId = 0;
  private closed = false;

  constructor(workers: number) {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`a task pool has at least one worker, got ${workers}`);
    this.workers = workers;
  }

  /** Runs the task on the next free thread; resolves with what its export returned. */
  run<T>(task: TaskRecipe): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the task pool is closed'));
    if (this.workers === 1) return callTask(task) as Promise<T>;
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve: resolve as (value: unknown) => void, reject });
      this.dispatch();
    });
  }

  /** Ends every thread; tasks not finished fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const queued of this.queue.splice(0)) queued.reject(new Error('the task pool was closed'));
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
    this.threads.length = 0;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let thread = this.threads.find((candidate) => candidate.running === null);
      if (thread === undefined && this.threads.length < this.workers) thread = this.startThread();
      if (thread === undefined) return;
      const queued = this.queue.shift() as Queued;
      thread.running = queued;
      const request: TaskRequest = { id: queued.id, task: queued.task };
      thread.worker.postMessage(request);
    }
  }

  private startThread(): PoolThread {
    const worker = new Worker(new URL('./task-worker.ts', import.meta.url));
    const thread: PoolThread = { worker, running: null };
    this.threads.push(thread);
    worker.on('message', (response: TaskResponse) => {
      const running = thread.running;
      if (running === null || running.id !== response.id) return;
      thread.running = null;
      if (response.ok) running.resolve(response.value);
      else running.reject(new Error(response.message));
      this.dispatch();
    });
    const lost = (error: Error): void => {
      // The thread is gone: its task fails, and later tasks go to a new one.
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads.splice(index, 1);
      thread.running?.reject(error);
      thread.running = null;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`a task thread ended (exit code ${code})`)));
    return thread;
  }
}

/** Calls the task's export in this thread. */
export async function callTask(task: TaskRecipe): Promise<unknown> {
  const run = (await import(task.module))[task.export] as ((input: unknown) => unknown) | undefined;
  if (typeof run !== 'function') throw new TypeError(`${task.module} has no function ${task.export}`);
  return run(task.input);
}
