/**
 * The body of a sandbox worker (unit-sandbox.ts, unit-pool.ts): instantiates a metered unit with
 * the host ABI (services/compute/wasm/host-abi.ts) as its only imports, runs `run()`, and reports
 * how it ended. The unit sees its input, arguments and checkpoint through the ABI and nothing
 * else; its output and checkpoint are capped here, and its memory is the one created here with its
 * maximum. Started with workerData, it runs that one unit; without, it runs the units it is sent,
 * one after another, each in a fresh instance and memory (a warm worker of the pool). Units run no
 * JavaScript of their own, so nothing of one unit is left for the next but what this file keeps,
 * which is nothing.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AbiStatus } from '../../services/compute/wasm/host-abi.ts';
import type { UnitEnd, UnitWorkerData, UnitWorkerMessage } from './unit-messages.ts';
import { wasmApi, type WasmGlobal, type WasmMemory } from './wasm-api.ts';

/** Progress messages at most this often: a unit calling progress() in a tight loop must not flood the host. */
const PROGRESS_INTERVAL_MS = 200;

class UnitAbort extends Error {}

/** Compiled programs of the units this worker ran, by key (a warm worker runs many units of one job). */
const compiled = new Map<string, object>();
const COMPILED_MAX = 16;

function compile(data: UnitWorkerData): object {
  const known = compiled.get(data.programKey);
  if (known !== undefined) return known;
  const module = new (wasmApi().Module)(data.program);
  compiled.set(data.programKey, module);
  if (compiled.size > COMPILED_MAX) compiled.delete(compiled.keys().next().value as string);
  return module;
}

type Post = (message: UnitWorkerMessage, transfer?: ArrayBuffer[]) => void;

function run(data: UnitWorkerData, post: Post): void {
  const api = wasmApi();
  let memory: WasmMemory | undefined = data.memory?.imported ? new api.Memory({ initial: data.memory.minPages, maximum: data.memory.maxPages }) : undefined;
  const output: Uint8Array[] = [];
  let outputBytes = 0;
  let outputOverCap = false;
  let lastProgressMs = 0;
  const view = (pointer: number, length: number): Uint8Array | undefined => {
    if (memory === undefined || !Number.isInteger(pointer) || !Number.isInteger(length) || pointer < 0 || length < 0) return undefined;
    if (pointer + length > memory.buffer.byteLength) return undefined;
    return new Uint8Array(memory.buffer, pointer, length);
  };
  const copyOut = (source: Uint8Array) => (pointer: number, offset: number, length: number): number => {
    if (!Number.isInteger(offset) || offset < 0) return AbiStatus.outOfBounds;
    const count = Math.max(0, Math.min(length, source.length - offset));
    const target = view(pointer, count);
    if (target === undefined) return AbiStatus.outOfBounds;
    target.set(source.subarray(offset, offset + count));
    return count;
  };
  const imports = {
    peergrid: {
      input_size: () => data.input.length,
      input_read: copyOut(data.input),
      args_size: () => data.args.length,
      args_read: copyOut(data.args),
      output_write: (pointer: number, length: number): number => {
        const bytes = view(pointer, length);
        if (bytes === undefined) return AbiStatus.outOfBounds;
        if (outputBytes + length > data.outputBytesMax) {
          outputOverCap = true;
          return AbiStatus.overCap;
        }
        output.push(bytes.slice());
        outputBytes += length;
        return 0;
      },
      progress: (fraction: number): void => {
        const nowMs = Date.now();
        if (nowMs - lastProgressMs < PROGRESS_INTERVAL_MS || !Number.isFinite(fraction)) return;
        lastProgressMs = nowMs;
        post({ type: 'progress', fraction: Math.min(1, Math.max(0, fraction)) });
      },
      checkpoint_save: (pointer: number, length: number): number => {
        const bytes = view(pointer, length);
        if (bytes === undefined) return AbiStatus.outOfBounds;
        if (length > data.checkpointBytesMax) return AbiStatus.overCap;
        const copy = bytes.slice();
        post({ type: 'checkpoint', bytes: copy }, [copy.buffer]);
        return 0;
      },
      checkpoint_size: () => (data.checkpoint === null ? -1 : data.checkpoint.length),
      checkpoint_read: copyOut(data.checkpoint ?? new Uint8Array(0)),
    },
    env: {
      memory,
      abort: (): void => {
        throw new UnitAbort('the unit called abort (a failed assertion)');
      },
      seed: () => data.seed,
    },
  };
  let end = 'exited' as UnitEnd;
  let exitCode: number | null = null;
  let detail = '';
  let fuel: WasmGlobal | undefined;
  try {
    let instance;
    try {
      instance = new api.Instance(compile(data), imports);
    } catch (error) {
      // A start function that traps or runs out of fuel fails here too.
      end = 'instantiation_failed';
      detail = (error as Error).message;
      throw error;
    }
    fuel = instance.exports[data.fuelExport] as WasmGlobal;
    memory ??= instance.exports.memory as WasmMemory | undefined;
    const result = (instance.exports.run as () => number)();
    exitCode = typeof result === 'number' ? result : null;
  } catch (error) {
    if (end !== 'instantiation_failed') {
      detail = (error as Error).message;
      if (error instanceof UnitAbort) end = 'aborted';
      else if (error instanceof RangeError && /call stack/i.test(detail)) end = 'stack_overflow';
      else end = 'trapped';
    }
  }
  // A start function that fails leaves no instance to read the fuel from: it stays 'instantiation_failed'.
  const fuelLeft = fuel?.value ?? 0n;
  if (fuelLeft < 0n) end = 'out_of_fuel';
  if (outputOverCap) end = 'output_too_large';
  const joined = new Uint8Array(outputBytes);
  let at = 0;
  for (const piece of output) {
    joined.set(piece, at);
    at += piece.length;
  }
  post({ type: 'done', end, exitCode, output: joined, fuelLeft: fuelLeft.toString(), detail }, [joined.buffer]);
}

if (workerData !== null && workerData !== undefined) {
  run(workerData as UnitWorkerData, (message, transfer = []) => parentPort?.postMessage(message, transfer));
} else {
  parentPort?.on('message', (job: { readonly id: number; readonly data: UnitWorkerData }) => {
    run(job.data, (message, transfer = []) => parentPort?.postMessage({ ...message, id: job.id }, transfer));
  });
}
