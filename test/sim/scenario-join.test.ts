/**
 * The scenario language's `join` setting picks how joining nodes refresh their far buckets; both
 * styles keep the invariants, they trace differently, and a bad value is refused by name.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { runScenario } from '../../src/sim/scenario.ts';

const basic = readFileSync(new URL('../golden/basic.scenario', import.meta.url), 'utf8');

it('config join=lookups and join=requests both hold the invariants, and differ in what they send', () => {
  const lookups = runScenario(basic.replace('config k=4 alpha=2', 'config k=4 alpha=2 join=lookups'));
  const requests = runScenario(basic.replace('config k=4 alpha=2', 'config k=4 alpha=2 join=requests'));
  assert.deepEqual(lookups.violations, []);
  assert.deepEqual(requests.violations, []);
  assert.notDeepEqual(lookups.lines, requests.lines);
  // The default is requests: the golden trace is that run's.
  assert.equal(`${requests.lines.join('\n')}\n`, readFileSync(new URL('../golden/basic.trace', import.meta.url), 'utf8'));
});

it('config join=<other> is refused with the values it accepts', () => {
  assert.throws(() => runScenario(basic.replace('config k=4 alpha=2', 'config k=4 alpha=2 join=gossip')), /join is lookups or requests/);
});
