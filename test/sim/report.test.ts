/** The experiment report: every experiment's plot and finding present, self-contained, from saved results or fresh runs. */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runSimExperiment } from '../../src/cli/sim-experiment/command.ts';
import { runSimReport } from '../../src/cli/sim-report/command.ts';
import { UsageError } from '../../src/cli/args.ts';
import { CommandFailedError } from '../../src/cli/command.ts';
import { linePlot } from '../../src/sim/report/svg-plot.ts';

describe('sim report', () => {
  it('renders every experiment with a plot and a finding, reading saved results where given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peergrid-report-'));
    try {
      // A saved result is used as it is (its seed differs from the report's, so it can be told apart).
      let saved = '';
      await runSimExperiment(['load-balance', '--nodes', '100,400', '--keys-per-node', '10', '--seed', '77', '--json'], { out: (text) => (saved += text), err: () => {}, env: {} });
      await writeFile(join(dir, 'load-balance.json'), saved);
      const output = join(dir, 'report.html');
      let err = '';
      await runSimReport(['-o', output, '--seed', '5', '--quick', '--from', dir, '--svg', join(dir, 'plots')], { out: () => {}, err: (text) => (err += text), env: {} });
      const plots = (await readdir(join(dir, 'plots'))).sort();
      assert.equal(plots.length, 10, plots.join(' '));
      assert.ok(plots.includes('proximity-2.svg') && plots.includes('hops-vs-n-1.svg'));
      assert.match(await readFile(join(dir, 'plots', 'churn-1.svg'), 'utf8'), /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.match(err, /load-balance: read from/);
      const html = await readFile(output, 'utf8');
      for (const id of ['hops-vs-n', 'flooding-vs-dht', 'load-balance', 'replication-vs-erasure', 'partition', 'churn', 'proximity']) assert.match(html, new RegExp(`<section id="${id}">`), id);
      assert.equal((html.match(/<svg /g) ?? []).length, 10, 'one plot each, two for replication-vs-erasure, churn and proximity');
      assert.equal((html.match(/<p class="finding">/g) ?? []).length, 7);
      assert.match(html, /proximity took the median lookup from \d+ to \d+ ms/);
      assert.ok(!/<script|src=|href=/.test(html), 'self-contained');
      assert.match(html, /the most loaded of 400 held/, 'the saved load-balance result (400 nodes) is the one shown');
      await writeFile(join(dir, 'partition.json'), '{"experiment": "hops-vs-n"}');
      await assert.rejects(runSimReport(['-o', output, '--quick', '--from', dir], { out: () => {}, err: () => {}, env: {} }), CommandFailedError);
      await assert.rejects(runSimReport(['--quick'], { out: () => {}, err: () => {}, env: {} }), UsageError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('plots series on linear and log axes, and escapes what it is given', () => {
    const svg = linePlot({ title: 'a <b>', xLabel: 'x', yLabel: 'y', logX: true, logY: true, series: [{ label: 's & t', points: [[1, 10], [10, 100], [100, 1000]] }, { label: 'ref', points: [[1, 1], [100, 100]], dashed: true }] });
    assert.match(svg, /^<svg /);
    assert.equal((svg.match(/<polyline/g) ?? []).length, 2);
    assert.match(svg, /a &#60;b&#62;/);
    assert.match(svg, /s &#38; t/);
    assert.ok(!svg.includes('NaN'));
    const empty = linePlot({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ label: 'none', points: [] }] });
    assert.ok(!empty.includes('NaN'));
  });
});
