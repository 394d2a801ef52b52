/** What the sandbox's host and its worker say to each other (unit-sandbox.ts, unit-worker.ts). */

/** What the worker is given to run one unit. */
export interface UnitWorkerData {
  /** The metered module (fuel-meter.ts), admitted by checkModule before. */
  readonly program: Uint8Array;
  /** Names the metered program: a warm worker compiles it once and keeps the compiled module. */
  readonly programKey: string;
  readonly input: Uint8Array;
  readonly args: Uint8Array;
  /** The checkpoint to resume from, or null to start afresh. */
  readonly checkpoint: Uint8Array | null;
  readonly fuelExport: string;
  /** The memory the host creates when the module imports one: pages at start and at most. */
  readonly memory: { readonly imported: boolean; readonly minPages: number; readonly maxPages: number } | null;
  readonly outputBytesMax: number;
  readonly checkpointBytesMax: number;
  /** The seed AssemblyScript's Math.random asks for (env.seed): derived from the unit. */
  readonly seed: number;
}

export type UnitWorkerMessage =
  | { readonly type: 'progress'; readonly fraction: number }
  | { readonly type: 'checkpoint'; readonly bytes: Uint8Array }
  | { readonly type: 'done'; readonly end: UnitEnd; readonly exitCode: number | null; readonly output: Uint8Array; readonly fuelLeft: string; readonly detail: string };

/** How a unit's run ended, as the worker saw it. */
export type UnitEnd = 'exited' | 'out_of_fuel' | 'trapped' | 'stack_overflow' | 'aborted' | 'output_too_large' | 'instantiation_failed';
