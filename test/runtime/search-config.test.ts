/** config.json's `search` section: defaults, partial objects, problems named. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultNodeConfig, parseNodeConfig } from '../../src/runtime/node-config.ts';
import { defaultSearchConfig } from '../../src/runtime/search-config.ts';

describe('search settings', () => {
  it('default to 3 replicas, repair every 10 minutes, republishing every 12 hours', () => {
    assert.deepEqual(defaultNodeConfig.search, { replicas: 3, repairIntervalMs: 600_000, republishIntervalMs: 43_200_000 });
  });

  it('take what is given and default the rest', () => {
    const problems: string[] = [];
    const config = parseNodeConfig({ search: { replicas: 5, repairIntervalMs: 0 } }, problems);
    assert.deepEqual(problems, []);
    assert.deepEqual(config.search, { ...defaultSearchConfig, replicas: 5, repairIntervalMs: 0 });
  });

  it('name every problem', () => {
    const problems: string[] = [];
    parseNodeConfig({ search: { replicas: 0, repairIntervalMs: -1, republishIntervalMs: 'daily', holders: 3 } }, problems);
    assert.deepEqual(problems, [
      "unknown search setting 'holders'",
      "'search.replicas' must be a positive integer",
      "'search.repairIntervalMs' must be an integer >= 0",
      "'search.republishIntervalMs' must be a positive integer",
    ]);
    const tooMany: string[] = [];
    assert.equal(parseNodeConfig({ search: { replicas: 50 } }, tooMany).search.replicas, 20);
    assert.deepEqual(tooMany, ["'search.replicas' must be at most 20"]);
    const notObject: string[] = [];
    parseNodeConfig({ search: [] }, notObject);
    assert.deepEqual(notObject, ["'search' must be an object"]);
  });
});
