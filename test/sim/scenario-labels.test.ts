/**
 * A scenario's trace names each operation by the command that started it, also when the operation
 * finishes inside that command: a lone node has nobody to ask, so its lookup, put and get end at
 * once, before their ids were known (they used to be printed as a bare `lookup` and `put`).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runScenario } from '../../src/sim/scenario.ts';

it('labels an operation that finishes as it starts by its command', () => {
  const result = runScenario('seed 7\nnodes 1\nrun 5s\nlookup 0 key:alpha\nput 0 alpha one\nget 0 alpha\nrun 5s\n');
  const operations = result.lines.filter((line) => line.startsWith('t=5.000 node 0 '));
  assert.equal(operations.length, 3, result.lines.join('\n'));
  assert.match(operations[0], /^t=5\.000 node 0 lookup key:alpha \(target /);
  assert.match(operations[1], /^t=5\.000 node 0 put key:alpha: stored 1 /);
  assert.match(operations[2], /^t=5\.000 node 0 get key:alpha \(target .* value "one"$/);
});
