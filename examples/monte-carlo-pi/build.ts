/** Builds pi.wasm from pi.ts: `node build.ts` in this folder (or from anywhere). */
import { fileURLToPath } from 'node:url';
import { compileExample } from '../build-example.ts';

await compileExample(fileURLToPath(new URL('./pi.ts', import.meta.url)), fileURLToPath(new URL('./pi.wasm', import.meta.url)));
