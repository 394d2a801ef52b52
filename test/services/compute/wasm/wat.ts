/** Test helper: WebAssembly text to binary, with wabt (a devDependency; never used by the product). */
import wabtInit from 'wabt';

let wabt: Awaited<ReturnType<typeof wabtInit>> | undefined;

/** The binary of a module written in the text format; `features` turns on proposals (threads, memory64, multi_memory …). */
export async function wat(text: string, features: Record<string, boolean> = {}): Promise<Uint8Array> {
  wabt ??= await wabtInit();
  const module = wabt.parseWat('unit.wat', text, features);
  try {
    module.resolveNames();
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}
