/**
 * Proximity on real nodes (issue 6): with `dht.proximity` in their config files, nodes over libp2p
 * carry Vivaldi coordinates on their RPCs (the codec's coordinate form), learn from each answer's
 * RTT, and show their coordinate in their status; lookups still find what they look for.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { idToHex } from '../../src/core/id.ts';
import { VivaldiTuning } from '../../src/core/vivaldi.ts';
import { NodeRuntime } from '../../src/runtime/node-runtime.ts';
import { LOOPBACK_LISTEN, removeDataDirs, stopAll, temporaryDataDir, writeConfig } from './runtime-harness.ts';

describe('three nodes with proximity on', () => {
  const dataDirs: string[] = [];
  const nodes: NodeRuntime[] = [];
  after(async () => {
    await stopAll(nodes);
    await removeDataDirs(dataDirs);
  });

  it('exchange coordinates on their RPCs, show them in their status, and find each other', async () => {
    for (let index = 0; index < 3; index++) {
      const dataDir = await temporaryDataDir();
      dataDirs.push(dataDir);
      await writeConfig(dataDir, { dht: { proximity: true } });
      const node = await NodeRuntime.start({ dataDir, listen: LOOPBACK_LISTEN, bootstrap: index === 0 ? [] : [nodes[0].multiaddrs()[0]] });
      nodes.push(node);
      await node.joined;
    }
    for (const from of nodes) {
      for (const target of nodes) {
        if (from === target) continue;
        const result = await from.lookup(target.id);
        assert.equal(idToHex(result.closest[0]), idToHex(target.id));
      }
    }
    for (const node of nodes) {
      const coordinate = node.status().coordinate;
      assert.ok(coordinate !== null, 'proximity is on');
      // Every answer is a sample that moves the node from the origin, where it started. (On
      // loopback a sub-millisecond RTT is mostly jitter, so the error estimate may stay near 1.)
      assert.ok(coordinate.x !== 0 || coordinate.y !== 0, `moved: ${JSON.stringify(coordinate)}`);
      assert.ok(Number.isFinite(coordinate.x) && Number.isFinite(coordinate.y) && coordinate.height >= VivaldiTuning.heightMinMs);
      assert.ok(coordinate.error >= 0 && coordinate.error <= 1);
    }
  });
});
