/** Builds primes.wasm from primes.ts: `node build.ts` in this folder (or from anywhere). */
import { fileURLToPath } from 'node:url';
import { compileExample } from '../build-example.ts';

await compileExample(fileURLToPath(new URL('./primes.ts', import.meta.url)), fileURLToPath(new URL('./primes.wasm', import.meta.url)));
