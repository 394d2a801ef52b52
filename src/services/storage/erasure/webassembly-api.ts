/**
 * The few parts of the WebAssembly JavaScript API the kernel uses, typed here because the
 * project's TypeScript libraries (es2023 + @types/node) do not declare the WebAssembly global.
 * Compiling and instantiating a module is computation, not IO: the bytes come from our assembler.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WebAssemblyApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  readonly Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

/** The engine's WebAssembly, or undefined where there is none. */
export function webAssemblyApi(): WebAssemblyApi | undefined {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}

/** One page of linear memory: 64 KiB (WebAssembly core specification §2.5.4). */
export const WASM_PAGE_BYTES = 65536;
