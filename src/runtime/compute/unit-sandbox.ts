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

/** Runs a unit; never throws for what the unit does. */
export async function runUnit(run: UnitRun): Promise<UnitOutcome> {
  const limits = { ...DEFAULT_UNIT_LIMITS, ...run.limits };
  const startedMs = performance.now();
  const admitted = checkModule(run.program, limits.policy);
  if (!admitted.ok) return refusal(admitted.problems.join('; '), startedMs);
  const metered = meterModule(run.program, limits.fuelMax);
  if (!metered.ok) return refusal(metered.problem, startedMs);
  const data: UnitWorkerData = {
    program: metered.bytes,
    input: run.input,
    args: new TextEncoder().encode(run.args ?? ''),
    checkpoint: run.checkpoint ?? null,
    fuelExport: FUEL_EXPORT,
    memory: admitted.memory ?? null,
    outputBytesMax: limits.outputBytesMax,
    checkpointBytesMax: limits.checkpointBytesMax,
    seed: unitSeed(run.program, run.input, run.args ?? ''),
  };
  const worker = new Worker(new URL('./unit-worker.ts', import.meta.url), {
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: limits.workerHeapMiB, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    stdout: true,
    stderr: true,
  });
  return new Promise<UnitOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<UnitOutcome, 'wallMs'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(wallTimer);
      resolve({ ...outcome, wallMs: Math.round(performance.now() - startedMs) });
    };
    const wallTimer = setTimeout(() => {
      finish({ status: 'timed_out', exitCode: null, output: new Uint8Array(0), fuelUsed: null, detail: `still running after ${limits.wallTimeMs} ms: stopped` });
      stopWorker(worker, limits.terminateGraceMs, run.onTerminateHung ?? endProcess);
    }, limits.wallTimeMs);
    worker.on('message', (message: UnitWorkerMessage) => {
      if (message.type === 'progress') run.onProgress?.(message.fraction);
      else if (message.type === 'checkpoint') run.onCheckpoint?.(message.bytes);
      else {
        const fuelUsed = message.end === 'instantiation_failed' ? null : limits.fuelMax - BigInt(message.fuelLeft);
        const status: UnitStatus = message.end !== 'exited' ? message.end : message.exitCode === 0 ? 'ok' : 'failed';
        finish({ status, exitCode: message.exitCode, output: message.output, fuelUsed, detail: status === 'failed' ? `run() returned ${message.exitCode}` : message.detail });
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      // The worker's own heap limit, or a failure of the host side: the unit is stopped either way.
      finish({ status: 'trapped', exitCode: null, output: new Uint8Array(0), fuelUsed: null, detail: `the sandbox stopped the unit: ${error.message}` });
    });
    worker.on('exit', (code) => {
      finish({ status: 'trapped', exitCode: null, output: new Uint8Array(0), fuelUsed: null, detail: `the sandbox worker exited (code ${code}) before the unit finished` });
    });
  });
}

function refusal(detail: string, startedMs: number): UnitOutcome {
  return { status: 'refused', exitCode: null, output: new Uint8Array(0), fuelUsed: null, wallMs: Math.round(performance.now() - startedMs), detail };
}

/** The seed env.seed gives: from the unit's program, input and arguments, so every replica draws the same numbers. */
function unitSeed(program: Uint8Array, input: Uint8Array, args: string): number {
  const digest = createHash('sha256').update(program).update(input).update(args).digest();
  // 52 bits: an exact double.
  return digest.readUIntBE(0, 6) * 16 + (digest[6] >> 4);
}

function stopWorker(worker: Worker, graceMs: number, onHung: () => void): void {
  const hung = setTimeout(onHung, graceMs);
  hung.unref();
  void worker.terminate().finally(() => clearTimeout(hung));
}

function endProcess(): void {
  process.stderr.write('peergrid: a work unit\'s worker did not stop when terminated; ending the process\n');
  process.exit(70);
}
