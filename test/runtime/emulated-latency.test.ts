/** Emulated wide-area latency for experiments: the matrix file, where peers are placed, and refusals. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EMULATED_RTT_MATRIX_ENV, emulatedLatency, emulatedLatencyFromEnv, parseEmulationMatrix } from '../../src/runtime/emulated-latency.ts';

describe('emulated latency', () => {
  it('places every peer on a host by its id, the same way on every node, and gives the matrix RTT between them', () => {
    const matrix = parseEmulationMatrix('0 10 200\n10 0 90\n200\t90 0\n');
    const emulation = emulatedLatency(matrix);
    const peers = Array.from({ length: 60 }, (_, index) => `12D3KooWpeer${index}`);
    const hosts = new Set(peers.map((peer) => emulation.hostOf(peer)));
    assert.deepEqual([...hosts].sort(), [0, 1, 2], 'sixty peers land on all three hosts');
    for (const a of peers.slice(0, 10)) {
      for (const b of peers.slice(0, 10)) {
        assert.equal(emulation.rttMs(a, b), matrix[emulation.hostOf(a)][emulation.hostOf(b)]);
        assert.equal(emulation.rttMs(a, b), emulation.rttMs(b, a));
      }
    }
    assert.equal(emulatedLatency(matrix).hostOf('12D3KooWpeer7'), emulation.hostOf('12D3KooWpeer7'), 'another node places it alike');
  });

  it('refuses a matrix that is not square or holds something that is no RTT', () => {
    assert.throws(() => parseEmulationMatrix(''), /1 to 5000 rows/);
    assert.throws(() => parseEmulationMatrix('0 1\n1 0 3\n'), /row 2 has 3 values, not 2/);
    assert.throws(() => parseEmulationMatrix('0 -1\n1 0\n'), /row 1 holds a value that is not an RTT/);
    assert.throws(() => parseEmulationMatrix('0 x\n1 0\n'), /row 1/);
  });

  it('is off without the variable, and a node started with a bad file says which and why', async () => {
    assert.equal(emulatedLatencyFromEnv({}), null);
    assert.equal(emulatedLatencyFromEnv({ [EMULATED_RTT_MATRIX_ENV]: '' }), null);
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-emulation-'));
    try {
      assert.throws(() => emulatedLatencyFromEnv({ [EMULATED_RTT_MATRIX_ENV]: join(dir, 'missing.txt') }), /PEERGRID_EMULATED_RTT_MATRIX: cannot read .*missing\.txt/);
      await writeFile(join(dir, 'bad.txt'), '0 1 2\n');
      assert.throws(() => emulatedLatencyFromEnv({ [EMULATED_RTT_MATRIX_ENV]: join(dir, 'bad.txt') }), /bad\.txt: row 1 has 3 values, not 1/);
      await writeFile(join(dir, 'good.txt'), '0 40\n40 0\n');
      assert.equal(emulatedLatencyFromEnv({ [EMULATED_RTT_MATRIX_ENV]: join(dir, 'good.txt') })?.hosts, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
