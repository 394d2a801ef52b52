/**
 * Runs one work unit in a sandbox (issue 5, item 3): the program is admitted (module-policy.ts),
 * metered (fuel-meter.ts) and run in a worker thread of its own, with the host ABI as its only
 * way out, a memory created here with the declared maximum (worker resource limits do not cap
 * WebAssembly memory), a cap on fuel, output and checkpoint, a JavaScript heap limit for the
 * worker, and a wall-time limit: past it the worker is terminated, and if terminating does not
 * finish within a grace period `onTerminateHung` runs (by default it ends this process, as the
 * issue asks: a thread that cannot be stopped must not keep a volunteer's machine).
 *
 * Whatever the unit does, this returns an outcome with a clear status; it never throws for
 * anything the unit did, and the host's event loop keeps running while the unit runs.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { FUEL_EXPORT, meterModule } from '../../services/compute/wasm/fuel-meter.ts';
import { checkModule, DEFAULT_MODULE_POLICY, type ModulePolicy } from '../../services/compute/wasm/module-policy.ts';
import type { UnitEnd, UnitWorkerData, UnitWorkerMessage } from './unit-messages.ts';

export interface UnitLimits {
  readonly fuelMax: bigint;
  readonly wallTimeMs: number;
  readonly outputBytesMax: number;
  readonly checkpointBytesMax: number;
  /** The worker's JavaScript heap (the ABI's buffers, not the unit's memory, which its maximum caps). */
  readonly workerHeapMiB: number;
  /** How long a terminate may take before onTerminateHung runs. */
  readonly terminateGraceMs: number;
  readonly policy: ModulePolicy;
}

export const DEFAULT_UNIT_LIMITS: UnitLimits = {
  // About a minute of a modern core at V8's speed: units are meant to be seconds to minutes long.
  fuelMax: 100_000_000_000n,
  wallTimeMs: 10 * 60 * 1000,
  outputBytesMax: 64 * 1024 * 1024,
  checkpointBytesMax: 64 * 1024 * 1024,
  workerHeapMiB: 256,
  terminateGraceMs: 5000,
  policy: DEFAULT_MODULE_POLICY,
};

export interface UnitRun {
  readonly program: Uint8Array;
  readonly input: Uint8Array;
  readonly args?: string;
  readonly checkpoint?: Uint8Array | null;
  readonly limits?: Partial<UnitLimits>;
  /** Told of progress (0 to 1) and of each checkpoint the unit saves (the latest is what a migration resumes from). */
  readonly onProgress?: (fraction: number) => void;
  readonly onCheckpoint?: (bytes: Uint8Array) => void;
  /** Runs when a terminated worker does not stop within the grace period; default: log and end the process. */
  readonly onTerminateHung?: () => void;
}

export type UnitStatus = 'ok' | 'failed' | 'refused' | 'timed_out' | UnitEnd;

export interface UnitOutcome {
  /** 'ok' when run() returned 0; 'failed' when it returned another code; otherwise why it stopped. */
  readonly status: UnitStatus;
  readonly exitCode: number | null;
  readonly output: Uint8Array;
  /** Fuel burnt (the metered count validation compares); null when unknown (refused, timed out, failed at start). */
  readonly fuelUsed: bigint | null;
  readonly wallMs: number;
  /** Why it was refused, trapped, aborted …; empty when ok. */
  readonly detail: string;
}

/** Runs a unit in a worker of its own; never throws for what the unit does. (unit-pool.ts runs many on warm workers.) */
export async function runUnit(run: UnitRun): Promise<UnitOutcome> {
  const limits = { ...DEFAULT_UNIT_LIMITS, ...run.limits };
  const startedMs = performance.now();
  const prepared = prepareUnit(run, limits);
  if (!prepared.ok) return refusal(prepared.detail, startedMs);
  const worker = startSandboxWorker(limits, prepared.data);
  return new Promise<UnitOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<UnitOutcome, 'wallMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(wallTimer);
      resolve({ ...outcome, wallMs: Math.round(performance.now() - startedMs) });
    };
    const wallTimer = setTimeout(() => {
      finish(timedOut(limits));
      stopWorker(worker, limits.terminateGraceMs, run.onTerminateHung ?? endProcess);
    }, limits.wallTimeMs);
    worker.on('message', (message: UnitWorkerMessage) => {
      if (!handleReport(message, run)) return;
      finish(finishedOutcome(message as DoneMessage, limits));
      void worker.terminate();
    });
    worker.on('error', (error) => finish(sandboxStopped(`the sandbox stopped the unit: ${error.message}`)));
    worker.on('exit', (code) => finish(sandboxStopped(`the sandbox worker exited (code ${code}) before the unit finished`)));
  });
}

type DoneMessage = Extract<UnitWorkerMessage, { type: 'done' }>;

/** Admits and meters the unit and builds what its worker is given; or why it is refused. */
export function prepareUnit(run: UnitRun, limits: UnitLimits): { readonly ok: true; readonly data: UnitWorkerData } | { readonly ok: false; readonly detail: string } {
  const program = preparedPrograms.prepare(run.program, limits);
  if (!program.ok) return program;
  return {
    ok: true,
    data: {
      program: program.metered,
      programKey: program.key,
      input: run.input,
      args: new TextEncoder().encode(run.args ?? ''),
      checkpoint: run.checkpoint ?? null,
      fuelExport: FUEL_EXPORT,
      memory: program.memory,
      outputBytesMax: limits.outputBytesMax,
      checkpointBytesMax: limits.checkpointBytesMax,
      seed: unitSeed(run.program, run.input, run.args ?? ''),
    },
  };
}

/** A sandbox worker: with `data`, it runs that unit; without, it waits for units (unit-pool.ts). */
export function startSandboxWorker(limits: UnitLimits, data?: UnitWorkerData): Worker {
  return new Worker(new URL('./unit-worker.ts', import.meta.url), {
    workerData: data ?? null,
    resourceLimits: { maxOldGenerationSizeMb: limits.workerHeapMiB, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    stdout: true,
    stderr: true,
  });
}

/** Passes progress and checkpoints on; true when the message is the unit's end. */
export function handleReport(message: UnitWorkerMessage, run: UnitRun): boolean {
  if (message.type === 'progress') run.onProgress?.(message.fraction);
  else if (message.type === 'checkpoint') run.onCheckpoint?.(message.bytes);
  else return true;
  return false;
}

export function finishedOutcome(message: DoneMessage, limits: UnitLimits): Omit<UnitOutcome, 'wallMs'> {
  const fuelUsed = message.end === 'instantiation_failed' ? null : limits.fuelMax - BigInt(message.fuelLeft);
  const status: UnitStatus = message.end !== 'exited' ? message.end : message.exitCode === 0 ? 'ok' : 'failed';
  return { status, exitCode: message.exitCode, output: message.output, fuelUsed, detail: status === 'failed' ? `run() returned ${message.exitCode}` : message.detail };
}

export function timedOut(limits: UnitLimits): Omit<UnitOutcome, 'wallMs'> {
  return { status: 'timed_out', exitCode: null, output: new Uint8Array(0), fuelUsed: null, detail: `still running after ${limits.wallTimeMs} ms: stopped` };
}

export function sandboxStopped(detail: string): Omit<UnitOutcome, 'wallMs'> {
  return { status: 'trapped', exitCode: null, output: new Uint8Array(0), fuelUsed: null, detail };
}

/**
 * Programs admitted and metered, by their hash and the limits they were metered for: a job runs one
 * program over many units, and admitting and rewriting it each time cost more than a trivial unit.
 */
class PreparedPrograms {
  private readonly entries = new Map<string, PreparedProgram>();
  private readonly entriesMax: number;

  constructor(entriesMax: number) {
    this.entriesMax = entriesMax;
  }

  prepare(bytes: Uint8Array, limits: UnitLimits): PreparedProgram {
    const key = `${createHash('sha256').update(bytes).digest('hex')}/${limits.fuelMax}/${JSON.stringify(limits.policy)}`;
    const known = this.entries.get(key);
    if (known !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, known);
      return known;
    }
    const prepared = prepareProgram(bytes, limits, key);
    this.entries.set(key, prepared);
    if (this.entries.size > this.entriesMax) this.entries.delete(this.entries.keys().next().value as string);
    return prepared;
  }
}

type PreparedProgram =
  | { readonly ok: true; readonly key: string; readonly metered: Uint8Array; readonly memory: UnitWorkerData['memory'] }
  | { readonly ok: false; readonly detail: string };

function prepareProgram(bytes: Uint8Array, limits: UnitLimits, key: string): PreparedProgram {
  const admitted = checkModule(bytes, limits.policy);
  if (!admitted.ok) return { ok: false, detail: admitted.problems.join('; ') };
  const metered = meterModule(bytes, limits.fuelMax);
  if (!metered.ok) return { ok: false, detail: metered.problem };
  return { ok: true, key, metered: metered.bytes, memory: admitted.memory ?? null };
}

/** A few dozen programs: a node runs units of a handful of jobs at a time. */
const preparedPrograms = new PreparedPrograms(32);

export function refusal(detail: string, startedMs: number): UnitOutcome {
  return { status: 'refused', exitCode: null, output: new Uint8Array(0), fuelUsed: null, wallMs: Math.round(performance.now() - startedMs), detail };
}

/** The seed env.seed gives: from the unit's program, input and arguments, so every replica draws the same numbers. */
function unitSeed(program: Uint8Array, input: Uint8Array, args: string): number {
  const digest = createHash('sha256').update(program).update(input).update(args).digest();
  // 52 bits: an exact double.
  return digest.readUIntBE(0, 6) * 16 + (digest[6] >> 4);
}

/** Terminates a worker; if that does not finish within the grace period, `onHung` runs. */
export function stopWorker(worker: Worker, graceMs: number, onHung: () => void): void {
  const hung = setTimeout(onHung, graceMs);
  hung.unref();
  void worker.terminate().finally(() => clearTimeout(hung));
}

export function endProcess(): void {
  process.stderr.write('peergrid: a work unit\'s worker did not stop when terminated; ending the process\n');
  process.exit(70);
}
