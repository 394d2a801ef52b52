/**
 * A pool of warm sandbox workers (issue 5: dispatch of thousands of units a second): each worker
 * runs the units it is given one after another, each in a fresh WebAssembly instance and memory,
 * so a unit costs its own work and not a thread's start (about 120 ms here). Limits are the
 * sandbox's (unit-sandbox.ts); a unit past its wall time takes its worker down with it (terminated,
 * then replaced), as does one whose worker fails. Units wait in order when every worker is busy.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { UnitWorkerData, UnitWorkerMessage } from './unit-messages.ts';
import {
  DEFAULT_UNIT_LIMITS, endProcess, finishedOutcome, handleReport, prepareUnit, refusal, sandboxStopped, startSandboxWorker, stopWorker, timedOut,
  type UnitLimits, type UnitOutcome, type UnitRun,
} from './unit-sandbox.ts';

interface Job {
  readonly id: number;
  readonly run: UnitRun;
  readonly limits: UnitLimits;
  readonly data: UnitWorkerData;
  readonly startedMs: number;
  readonly resolve: (outcome: UnitOutcome) => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Out of the pool (timed out or failed): whatever its worker still says is ignored. */
  retired: boolean;
}

export interface UnitPoolOptions {
  /** Workers: by default one per core but one (the node has its own work), at least one. */
  readonly size?: number;
  readonly onTerminateHung?: () => void;
}

export class UnitPool {
  private readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  /** Units that go before the queue: a coordinator's own spot-check answers, which its job waits for. */
  private readonly urgent: Job[] = [];
  private readonly onTerminateHung: () => void;
  private nextId = 1;
  private closed = false;

  constructor(options: UnitPoolOptions = {}) {
    this.size = Math.max(1, options.size ?? availableParallelism() - 1);
    this.onTerminateHung = options.onTerminateHung ?? endProcess;
  }

  /**
   * Runs a unit on a warm worker; never throws for what the unit does. `urgent` units run before
   * every unit waiting (in their own order).
   */
  run(run: UnitRun, options: { readonly urgent?: boolean } = {}): Promise<UnitOutcome> {
    const limits = { ...DEFAULT_UNIT_LIMITS, ...run.limits };
    const startedMs = performance.now();
    if (this.closed) return Promise.resolve(refusal('the unit pool is closed', startedMs));
    const prepared = prepareUnit(run, limits);
    if (!prepared.ok) return Promise.resolve(refusal(prepared.detail, startedMs));
    return new Promise<UnitOutcome>((resolve) => {
      (options.urgent === true ? this.urgent : this.queue).push({ id: this.nextId++, run, limits, data: prepared.data, startedMs, resolve });
      this.dispatch();
    });
  }

  /** Stops every worker; units still waiting or running end as stopped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of [...this.urgent.splice(0), ...this.queue.splice(0)]) job.resolve({ ...sandboxStopped('the unit pool closed'), wallMs: 0 });
    await Promise.all(this.slots.splice(0).map(async (slot) => {
      if (slot.job !== undefined) this.finish(slot, sandboxStopped('the unit pool closed'));
      await slot.worker.terminate();
    }));
  }

  private dispatch(): void {
    while (this.urgent.length + this.queue.length > 0) {
      const slot = this.slots.find((candidate) => candidate.job === undefined) ?? this.newSlot();
      if (slot === undefined) return;
      const job = (this.urgent.length > 0 ? this.urgent.shift() : this.queue.shift()) as Job;
      slot.job = job;
      slot.timer = setTimeout(() => {
        this.finish(slot, timedOut(job.limits));
        this.replace(slot, job.limits.terminateGraceMs);
      }, job.limits.wallTimeMs);
      // Copied, not moved: the metered program is cached for the job's next units.
      try {
        slot.worker.postMessage({ id: job.id, data: job.data });
      } catch (error) {
        this.finish(slot, sandboxStopped(`the unit could not be handed to its worker: ${(error as Error).message}`));
      }
    }
  }

  private newSlot(): Slot | undefined {
    if (this.slots.length >= this.size || this.closed) return undefined;
    // One worker serves every unit, so its heap limit is the default's, whatever a unit's limits say.
    const slot: Slot = { worker: startSandboxWorker(DEFAULT_UNIT_LIMITS), job: undefined, timer: undefined, retired: false };
    this.slots.push(slot);
    this.watch(slot);
    return slot;
  }

  private watch(slot: Slot): void {
    const worker = slot.worker;
    worker.on('message', (message: UnitWorkerMessage & { readonly id: number }) => {
      const job = slot.job;
      if (slot.retired || job === undefined || message.id !== job.id) return;
      if (!handleReport(message, job.run)) return;
      this.finish(slot, finishedOutcome(message as Extract<UnitWorkerMessage, { type: 'done' }>, job.limits));
      this.dispatch();
    });
    const failed = (detail: string): void => {
      if (slot.retired) return;
      if (slot.job !== undefined) this.finish(slot, sandboxStopped(detail));
      this.replace(slot, null);
    };
    worker.on('error', (error) => failed(`the sandbox stopped the unit: ${error.message}`));
    worker.on('exit', (code) => failed(`the sandbox worker exited (code ${code}) before the unit finished`));
  }

  private finish(slot: Slot, outcome: Omit<UnitOutcome, 'wallMs'>): void {
    const job = slot.job;
    if (job === undefined) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.timer = undefined;
    job.resolve({ ...outcome, wallMs: Math.round(performance.now() - job.startedMs) });
  }

  /** A worker that timed out (terminated, with this grace) or failed (null) goes; a fresh one takes its place when work comes. */
  private replace(slot: Slot, terminateGraceMs: number | null): void {
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    slot.retired = true;
    if (terminateGraceMs !== null) stopWorker(slot.worker, terminateGraceMs, this.onTerminateHung);
    this.dispatch();
  }
}
