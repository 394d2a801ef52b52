// The peergrid host ABI for work units written in AssemblyScript (docs/COMPUTE.md, "The host
// ABI"): the calls a unit may import, and helpers for the common cases. An example imports what
// it needs: `import { readArgs, writeText, progress } from "../peergrid";`.

@external("peergrid", "input_size") export declare function input_size(): i32;
@external("peergrid", "input_read") export declare function input_read(ptr: usize, offset: i32, length: i32): i32;
@external("peergrid", "args_size") export declare function args_size(): i32;
@external("peergrid", "args_read") export declare function args_read(ptr: usize, offset: i32, length: i32): i32;
@external("peergrid", "output_write") export declare function output_write(ptr: usize, length: i32): i32;
@external("peergrid", "progress") export declare function progress(fraction: f64): void;
@external("peergrid", "checkpoint_save") export declare function checkpoint_save(ptr: usize, length: i32): i32;
@external("peergrid", "checkpoint_size") export declare function checkpoint_size(): i32;
@external("peergrid", "checkpoint_read") export declare function checkpoint_read(ptr: usize, offset: i32, length: i32): i32;

/** The unit's arguments, as text. */
export function readArgs(): string {
  const size = args_size();
  const buffer = new ArrayBuffer(size);
  args_read(changetype<usize>(buffer), 0, size);
  return String.UTF8.decode(buffer);
}

/** Appends text to the output; 0, or a negative status past the output cap. */
export function writeText(text: string): i32 {
  const bytes = String.UTF8.encode(text);
  return output_write(changetype<usize>(bytes), bytes.byteLength);
}
