/** Builds tile.wasm from tile.ts: `node build.ts` in this folder (or from anywhere). */
import { fileURLToPath } from 'node:url';
import { compileExample } from '../build-example.ts';

await compileExample(fileURLToPath(new URL('./tile.ts', import.meta.url)), fileURLToPath(new URL('./tile.wasm', import.meta.url)));
