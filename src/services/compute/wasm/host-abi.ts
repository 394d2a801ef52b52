/**
 * The host ABI of a work unit (issue 5, item 2): everything a unit's WebAssembly module may import.
 * There is no other way out of the sandbox — no file system, network, clock or randomness but what
 * is listed here — so a unit is a deterministic function of its program, input and arguments, and
 * replicas on different volunteers can be compared byte for byte (seed §5.1; BOINC's redundant
 * computing relies on the same).
 *
 * Pointers and lengths are i32 offsets into the unit's one linear memory. Functions that can fail
 * return a negative number (AbiStatus) instead of trapping, so a unit can react; a unit that
 * ignores them still cannot exceed its caps (the host enforces them).
 *
 * Namespaces: `peergrid` for ours; `env` for the three names AssemblyScript's runtime imports
 * (its memory when built with --importMemory, abort, and the seed of Math.random, which the host
 * derives from the unit so that "random" runs repeat exactly). docs/COMPUTE.md documents each call.
 */
import { ExternalKind, ValueType } from './module-sections.ts';

const { i32, f64 } = ValueType;

export interface AbiFunction {
  readonly module: string;
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  /** What the call does, for docs/COMPUTE.md and error messages. */
  readonly purpose: string;
}

export const ABI_FUNCTIONS: readonly AbiFunction[] = [
  { module: 'peergrid', name: 'input_size', params: [], results: [i32], purpose: 'bytes of the unit\'s input' },
  { module: 'peergrid', name: 'input_read', params: [i32, i32, i32], results: [i32], purpose: '(ptr, offset, length): copies input bytes from offset into memory; returns how many' },
  { module: 'peergrid', name: 'args_size', params: [], results: [i32], purpose: 'bytes of the unit\'s arguments (UTF-8 text)' },
  { module: 'peergrid', name: 'args_read', params: [i32, i32, i32], results: [i32], purpose: '(ptr, offset, length): copies argument bytes into memory; returns how many' },
  { module: 'peergrid', name: 'output_write', params: [i32, i32], results: [i32], purpose: '(ptr, length): appends bytes to the output; 0, or a negative status past the output cap' },
  { module: 'peergrid', name: 'progress', params: [f64], results: [], purpose: '(fraction): how far the unit is, 0 to 1, for the job\'s progress bar' },
  { module: 'peergrid', name: 'checkpoint_save', params: [i32, i32], results: [i32], purpose: '(ptr, length): replaces the unit\'s checkpoint; 0, or a negative status past the checkpoint cap' },
  { module: 'peergrid', name: 'checkpoint_size', params: [], results: [i32], purpose: 'bytes of the checkpoint the unit resumes from, or -1 when it starts afresh' },
  { module: 'peergrid', name: 'checkpoint_read', params: [i32, i32, i32], results: [i32], purpose: '(ptr, offset, length): copies checkpoint bytes into memory; returns how many' },
  { module: 'env', name: 'abort', params: [i32, i32, i32, i32], results: [], purpose: '(message, file, line, column): AssemblyScript\'s failed assertion; ends the unit as failed' },
  { module: 'env', name: 'seed', params: [], results: [f64], purpose: 'the seed of AssemblyScript\'s Math.random: derived from the unit, the same on every replica' },
];

/** The one memory a unit may import (AssemblyScript's --importMemory names it so). */
export const ABI_MEMORY = { module: 'env', name: 'memory', kind: ExternalKind.memory } as const;

/** The export the host calls: `run() -> i32`, the unit's exit status (0 = success). */
export const ABI_ENTRY = { name: 'run', params: [] as readonly number[], results: [i32] as readonly number[] } as const;

/** Negative results of the ABI's calls. */
export const AbiStatus = {
  /** An output or checkpoint would pass its cap: nothing was written. */
  overCap: -1,
  /** A pointer and length that leave the unit's memory. */
  outOfBounds: -2,
} as const;

export function abiFunction(module: string, name: string): AbiFunction | undefined {
  return ABI_FUNCTIONS.find((call) => call.module === module && call.name === name);
}
