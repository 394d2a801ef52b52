/**
 * Golden scenarios: each test/golden/*.scenario runs in the simulator and its trace must equal the
 * .trace file beside it, byte for byte. A change in protocol behaviour shows up as a diff to read;
 * when the change is intended, regenerate with `UPDATE_GOLDEN=1 npm test` and commit the traces.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../src/sim/scenario.ts';

const folder = fileURLToPath(new URL('../golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';

for (const name of readdirSync(folder).filter((file) => file.endsWith('.scenario')).sort()) {
  test(`golden scenario ${name}`, () => {
    const result = runScenario(readFileSync(join(folder, name), 'utf8'));
    const actual = `${result.lines.join('\n')}\n`;
    const tracePath = join(folder, name.replace(/\.scenario$/, '.trace'));
    if (update || !existsSync(tracePath)) writeFileSync(tracePath, actual);
    assert.equal(actual, readFileSync(tracePath, 'utf8'), `${name}: the trace changed; if intended, run UPDATE_GOLDEN=1 npm test`);
    assert.deepEqual(result.violations, [], 'invariants hold throughout');
  });
}
