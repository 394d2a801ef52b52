/**
 * Compiles an example work unit from AssemblyScript to WebAssembly with the flags every unit needs
 * (docs/COMPUTE.md): the stub runtime (no garbage collector: a unit is short-lived), its memory
 * imported from the host as env.memory with a declared maximum, optimised. Used by each example's
 * build.ts and by the tests that run the examples.
 */
import asc from 'assemblyscript/asc';

/** Compiles `source` to `output`; throws with the compiler's messages when it fails. */
export async function compileExample(source: string, output: string, options: { readonly maximumMemoryPages?: number } = {}): Promise<void> {
  let messages = '';
  const { error } = await asc.main(
    [source, '--outFile', output, '-O3', '--runtime', 'stub', '--importMemory', '--initialMemory', '1', '--maximumMemory', String(options.maximumMemoryPages ?? 256), '--noColors'],
    { stderr: { write: (text: string) => ((messages += text), true) } as never, stdout: { write: () => true } as never },
  );
  if (error) throw new Error(`asc failed on ${source}: ${error.message}\n${messages}`);
}
