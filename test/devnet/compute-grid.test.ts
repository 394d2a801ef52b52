/**
 * Jobs on an 8-process devnet (`peergrid devnet --nodes 8`), as issue 5 asks, through the CLI
 * (main() in this process) and the nodes' HTTP APIs:
 *
 * - a 200-unit job (the prime-count example, 2-of-2 validation) submitted from one node, which is
 *   then SIGKILLed: the submitter goes offline;
 * - two workers SIGKILLed mid-job: their leases expire (3 s here) and their units go elsewhere;
 * - one node a cheater (config compute.faultWrongOutputs): every result it reports is wrong;
 * - the job completes with every output equal to a count made here, the cheater is blacklisted by
 *   the coordinator, and the submitter, restarted on its data directory, lists its job and finds
 *   it done; its ledger counts the receipts in its results as work received, and each live honest
 *   volunteer's ledger the receipts naming it as work given;
 * - a second job's coordinator SIGKILLed mid-job: a node keeping a copy of the job's state takes
 *   over, and the job completes, every output right;
 * - a third job in adaptive mode (credibility and spot checks), the cheater still volunteering:
 *   every output right, none accepted on the cheater's word;
 * - a fourth job whose units write 3 MiB each, over what a report carries: the workers store the
 *   outputs on the grid, the replicas agree on their CIDs, and `job results` fetches them.
 *
 * Every process runs in its own process group and is killed by group id in after(). Nothing waits
 * a fixed time: conditions are polled with generous bounds.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { compileExample } from '../../examples/build-example.ts';
import { wat } from '../services/compute/wasm/wat.ts';
import { NodeProcess } from '../runtime/node-process.ts';
import { eventually, peergridJson } from './devnet-cli.ts';
import { cleanUpDevnet, DevnetProcess, signalGroup, type DevnetEntry } from './devnet-process.ts';

const NODE_COUNT = 8;
const START_TIMEOUT_MS = 150_000;
const JOB_TIMEOUT_MS = 300_000;
const CHEATER = 7;
// Units of 10–36 ms of sandboxed work each (trial division up to 1.2e7, reckoned from their fuel
// at about 4.5e9 a second on the Intel VM, 2026-11-29), so that the jobs last seconds even with warm
// workers: with units of a few ms a job ended between two polls, before a coordinator or workers
// could be killed in it, or before the cheater had asked for work. Not much more: units up to 6e7,
// as here before, took up to 0.45 s each on that VM, and the test 170 s alone (358 s within the
// suite), nearly all of it the jobs' own arithmetic; with these it takes about 50 s.
const RANGE_END = 12_000_000;
const STEP = 60_000;


/** Writes 3 MiB: 48 times 64 KiB of the first byte of its arguments (over the 1 MiB a report carries inline). */
const BIG_OUTPUT_WAT = `(module
  (import "peergrid" "args_read" (func $args_read (param i32 i32 i32) (result i32)))
  (import "peergrid" "output_write" (func $out (param i32 i32) (result i32)))
  (memory (export "memory") 2 2)
  (func (export "run") (result i32) (local $i i32) (local $b i32)
    (drop (call $args_read (i32.const 0) (i32.const 0) (i32.const 1)))
    (local.set $b (i32.mul (i32.load8_u (i32.const 0)) (i32.const 16843009)))
    (block $filled (loop $fill
      (br_if $filled (i32.ge_u (local.get $i) (i32.const 65536)))
      (i32.store (i32.add (i32.const 65536) (local.get $i)) (local.get $b))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $fill)))
    (local.set $i (i32.const 0))
    (block $done (loop $write
      (br_if $done (i32.ge_u (local.get $i) (i32.const 48)))
      (drop (call $out (i32.const 65536) (i32.const 65536)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $write)))
    (i32.const 0)))`;

/** Primes in [from, to) for every unit, by a sieve here. */
function expectedCounts(): Map<string, string> {
  const composite = new Uint8Array(RANGE_END);
  composite[0] = 1;
  composite[1] = 1;
  for (let n = 2; n * n < RANGE_END; n++) if (composite[n] === 0) for (let m = n * n; m < RANGE_END; m += n) composite[m] = 1;
  const counts = new Map<string, string>();
  for (let from = 0; from < RANGE_END; from += STEP) {
    let count = 0;
    for (let n = from; n < from + STEP; n++) if (composite[n] === 0) count++;
    counts.set(`${from} ${from + STEP}`, String(count));
  }
  return counts;
}

const peerIdOf = (entry: DevnetEntry): string => entry.multiaddrs[0].replace(/^.*\/p2p\//, '');

/** Events about a job worth reading when a wait for it times out (the rest of a node's log is noise there). */
const JOB_EVENTS = /"event":"(jobHosted|jobFinished|jobTakenOver|jobYielded|jobCoordinatorSilent|jobCoordinatorFound|jobSyncRefused|jobCopyNotSynced|reportRefused|workerBlacklisted)"/;

/**
 * What each live node says of a job (its answer to status, whether it coordinates the job or keeps a
 * copy) and the job's events in the nodes' logs: printed when a wait for the job times out.
 */
async function explainJob(jobId: string, nodes: readonly { readonly name: string; readonly api: ApiClient; readonly log: () => Promise<string> }[]): Promise<string> {
  const lines: string[] = [];
  for (const node of nodes) {
    const status = await node.api.jobStatus({ jobId }).then((answer) => JSON.stringify({ state: answer.state, units: answer.units, coordinator: answer.coordinator, fromCopy: answer.fromCopy }), (error: unknown) => `status failed: ${String(error)}`);
    const compute = await node.api.computeStatus().then((answer) => `coordinates: ${answer.coordinating.some((job) => job.jobId === jobId)}, copy: ${answer.copies.includes(jobId)}, volunteer: ${JSON.stringify(answer.volunteer === null ? null : { ...answer.volunteer, advert: undefined })}`, (error: unknown) => `compute status failed: ${String(error)}`);
    lines.push(`${node.name}: ${status}; ${compute}`);
    const events = (await node.log().catch(() => '')).split('\n').filter((line) => line.includes(jobId) && JOB_EVENTS.test(line));
    for (const event of events.slice(-20)) lines.push(`  ${event.slice(0, 400)}`);
  }
  return lines.join('\n');
}

describe('jobs on an 8-process devnet', () => {
  let devnet: DevnetProcess | null = null;
  let restarted: NodeProcess | null = null;
  let dir = '';

  after(async () => {
    restarted?.kill();
    await cleanUpDevnet(devnet, dir);
  });

  it('completes 200-unit jobs with every output right, through 2 killed workers, a cheater, an offline submitter and a killed coordinator', { timeout: 900_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'peergrid-compute-devnet-'));
    for (let index = 0; index < NODE_COUNT; index++) {
      await mkdir(join(dir, `node-${index}`));
      const compute = { leaseMs: 3000, workers: 1, ...(index === CHEATER ? { faultWrongOutputs: true } : {}) };
      await writeFile(join(dir, `node-${index}`, 'config.json'), JSON.stringify({ compute }));
    }
    const jobDir = join(dir, 'job');
    await mkdir(jobDir);
    await compileExample(fileURLToPath(new URL('../../examples/prime-count/primes.ts', import.meta.url)), join(jobDir, 'primes.wasm'));
    await writeFile(join(jobDir, 'job.json'), JSON.stringify({
      name: 'primes below 1.2e7', program: 'primes.wasm',
      units: { sweep: { from: 0, to: RANGE_END, step: STEP }, template: '{from} {to}' },
      validation: { replicas: 2, quorum: 2, replicasMax: 5 },
      limits: { wallTimeSeconds: 60 },
    }));

    devnet = DevnetProcess.start(['--nodes', String(NODE_COUNT), '--api-port', '0'], dir);
    const entries = await devnet.entries(START_TIMEOUT_MS);
    const apis: ApiClient[] = entries.map((entry) => createApiClient({ baseUrl: entry.api }));
    const byPeerId = new Map(entries.map((entry, index) => [peerIdOf(entry), index]));

    // Submit from a node that will not coordinate the job (the coordinator is the node closest to
    // the job's key, which the submission time decides): that node then goes offline.
    let submitter = 1;
    let jobId = '';
    let coordinator = -1;
    const cancelled: { readonly jobId: string; readonly submitter: number }[] = [];
    for (;;) {
      const submitted = await peergridJson(['job', 'submit', join(jobDir, 'job.json'), '--json', '--api', entries[submitter].api]);
      jobId = submitted.jobId as string;
      const status = await apis[submitter].jobStatus({ jobId });
      coordinator = byPeerId.get(status.coordinator) ?? -1;
      assert.ok(coordinator >= 0, 'the coordinator is a devnet node');
      if (coordinator !== submitter && coordinator !== CHEATER) break;
      await apis[submitter].jobCancel({ jobId });
      cancelled.push({ jobId, submitter });
      submitter = submitter === 1 ? 2 : 1;
    }
    const status = (index: number) => apis[index].jobStatus({ jobId });
    assert.deepEqual((await status(coordinator)).units.total, 200);
    signalGroup(entries[submitter].pid, 'SIGKILL');

    // Two workers (neither the coordinator nor the cheater) die once the job is under way.
    await eventually('a quarter of the units done', async () => (await status(coordinator)).units.done >= 50, JOB_TIMEOUT_MS);
    const victims = entries.map((_, index) => index).filter((index) => index !== coordinator && index !== submitter && index !== CHEATER).slice(0, 2);
    for (const victim of victims) signalGroup(entries[victim].pid, 'SIGKILL');
    const observer = entries.map((_, index) => index).find((index) => index !== submitter && !victims.includes(index)) as number;

    const devnetNodes = (indices: readonly number[]) => indices.map((index) => ({ name: `node-${index}`, api: apis[index], log: () => readFile(join(dir, `node-${index}.log`), 'utf8') }));
    const live = entries.map((_, index) => index).filter((index) => index !== submitter && !victims.includes(index));
    await eventually('the job done', async () => (await status(observer)).state === 'done', JOB_TIMEOUT_MS, () => explainJob(jobId, devnetNodes(live)));
    const finished = await status(observer);
    assert.deepEqual(finished.units, { total: 200, done: 200, failed: 0, running: 0 });

    const resultsDir = join(dir, 'results');
    const written = await peergridJson(['job', 'results', jobId, '-o', resultsDir, '--json', '--api', entries[observer].api]);
    assert.equal(written.written, 200);
    const results = JSON.parse(await readFile(join(resultsDir, 'results.json'), 'utf8')) as { units: { args: string; output: string }[] };
    const expected = expectedCounts();
    const wrong: string[] = [];
    for (const unit of results.units) {
      const output = await readFile(join(resultsDir, unit.output), 'utf8');
      if (output !== expected.get(unit.args)) wrong.push(`${unit.args}: ${output} (expected ${expected.get(unit.args)})`);
    }
    assert.deepEqual(wrong, [], 'every accepted output is right');

    // The cheater's results were outvoted: the coordinator gives it no more work.
    const compute = await apis[coordinator].computeStatus();
    const cheater = compute.workers.find((worker) => worker.worker === peerIdOf(entries[CHEATER]));
    assert.ok(cheater !== undefined, `the cheater ran units: the coordinator saw ${JSON.stringify(compute.workers)}; the cheater's volunteer: ${JSON.stringify((await apis[CHEATER].computeStatus()).volunteer)}`);
    assert.ok(cheater.resultsWrong >= 1 && cheater.blacklisted, `the cheater's standing fell: ${JSON.stringify(cheater)}`);
    assert.ok(compute.workers.filter((worker) => worker.blacklisted).length === 1, 'no honest worker was blacklisted');

    // The submitter comes back on its data directory and finds its job, done.
    restarted = NodeProcess.start(['--data-dir', entries[submitter].dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--bootstrap', entries[observer].multiaddrs[0], '--api', '127.0.0.1:0']);
    const started = await restarted.event('started', START_TIMEOUT_MS);
    await restarted.event('joined', START_TIMEOUT_MS);
    const back = createApiClient({ baseUrl: started.api as string });
    assert.deepEqual((await back.jobList()).jobs.map((job) => job.jobId).includes(jobId), true, 'it remembers the job it submitted');
    await eventually('the returned submitter finds its job', async () => {
      try {
        return (await back.jobStatus({ jobId })).state === 'done';
      } catch {
        return false;
      }
    }, 60_000);

    // Accounting: the returned submitter fetches its results and its ledger counts every receipt
    // in them as work received; each live honest volunteer's ledger counts, as work given to the
    // submitter, every receipt that names it (and none but those, and those of jobs cancelled).
    const page = await back.jobResults({ jobId }, { from: 0, limit: 256 });
    const receipts = page.entries.flatMap((entry) => entry.workers.map((worker) => worker.worker));
    assert.ok(receipts.length >= 400, `two agreeing workers behind every unit: ${receipts.length} receipts`);
    const received = (await back.ledger()).peers.reduce((sum, entry) => sum + entry.received.units, 0);
    assert.equal(received, receipts.length);
    const submitterPeer = peerIdOf(entries[submitter]);
    const honest = entries.map((_, index) => index).filter((index) => index !== submitter && index !== CHEATER && !victims.includes(index));
    const givenByHonest = () => Promise.all(honest.map(async (index) => (await apis[index].ledger()).peers.find((entry) => entry.peer === submitterPeer)?.given.units ?? 0));
    const expectedByHonest = honest.map((index) => receipts.filter((worker) => worker === peerIdOf(entries[index])).length);
    // A job this submitter cancelled (it was coordinating it itself) may have had units accepted
    // before the cancel: their receipts are work given to the same submitter, and may reach the
    // volunteers too. Read from another node, so that the submitter's own ledger is not touched.
    const cancelledReceipts: string[] = [];
    let cancelledUnknown = false;
    for (const job of cancelled.filter((job) => job.submitter === submitter)) {
      try {
        const results = await apis[observer].jobResults({ jobId: job.jobId }, { from: 0, limit: 256 });
        cancelledReceipts.push(...results.entries.flatMap((entry) => entry.workers.map((worker) => worker.worker)));
      } catch {
        cancelledUnknown = true;
      }
    }
    const extraByHonest = honest.map((index) => (cancelledUnknown ? Infinity : cancelledReceipts.filter((worker) => worker === peerIdOf(entries[index])).length));
    await eventually('every live volunteer holding its receipts', async () => {
      const given = await givenByHonest();
      return honest.every((_, at) => given[at] >= expectedByHonest[at] && given[at] <= expectedByHonest[at] + extraByHonest[at]);
    }, 20_000, async () => `nodes ${JSON.stringify(honest)} (coordinator ${coordinator}) hold receipts ${JSON.stringify(await givenByHonest())}, expected ${JSON.stringify(expectedByHonest)} and at most ${JSON.stringify(extraByHonest)} more from cancelled jobs\n${await explainJob(jobId, devnetNodes(honest))}`);

    // A second job whose coordinator is SIGKILLed mid-job: a node that kept a copy of its state
    // takes over, and the job completes, every output right.
    // The nodes alive now: the devnet's (not the killed ones) and the returned submitter.
    const alive = [
      ...entries.map((entry, index) => ({
        name: `node-${index}`, peerId: peerIdOf(entry), api: apis[index], url: entry.api, kill: () => signalGroup(entry.pid, 'SIGKILL'),
        log: () => readFile(join(dir, `node-${index}.log`), 'utf8'),
      })).filter((_, index) => index !== submitter && !victims.includes(index)),
      { name: 'restarted submitter', peerId: submitterPeer, api: back, url: started.api as string, kill: () => restarted?.kill(), log: async () => restarted?.stderr ?? '' },
    ];
    const second = await peergridJson(['job', 'submit', join(jobDir, 'job.json'), '--json', '--api', entries[observer].api]);
    const secondId = second.jobId as string;
    const firstPeer = (await apis[observer].jobStatus({ jobId: secondId })).coordinator;
    const first = alive.find((node) => node.peerId === firstPeer);
    assert.ok(first !== undefined, 'a live node coordinates the second job');
    const survivors = alive.filter((node) => node !== first);
    const others = survivors.map((node) => node.api);
    // Its coordinator syncs it to copies on other nodes about once a second.
    await eventually('a copy of the second job on another node', async () => (await Promise.all(others.map(async (api) => (await api.computeStatus()).copies))).some((copies) => copies.includes(secondId)), JOB_TIMEOUT_MS);
    await eventually('a tenth of the second job done', async () => (await first.api.jobStatus({ jobId: secondId })).units.done >= 20, JOB_TIMEOUT_MS);
    assert.ok((await first.api.jobStatus({ jobId: secondId })).units.done < 200, 'the job is not over when its coordinator dies');
    first.kill();
    const asker = others[0];
    const askerUrl = survivors[0].url;
    await eventually('the second job done under another coordinator', async () => {
      try {
        return (await asker.jobStatus({ jobId: secondId })).state === 'done';
      } catch {
        return false;
      }
    }, JOB_TIMEOUT_MS, () => explainJob(secondId, survivors));
    const takenOver = await asker.jobStatus({ jobId: secondId });
    assert.deepEqual(takenOver.units, { total: 200, done: 200, failed: 0, running: 0 });
    // One of the nodes still alive kept a copy and coordinates now.
    const coordinating = await Promise.all(others.map(async (api) => (await api.computeStatus()).coordinating.some((job) => job.jobId === secondId)));
    assert.ok(coordinating.includes(true), 'a node that kept a copy coordinates the job now');
    const secondDir = join(dir, 'results-2');
    await peergridJson(['job', 'results', secondId, '-o', secondDir, '--json', '--api', askerUrl]);
    const secondResults = JSON.parse(await readFile(join(secondDir, 'results.json'), 'utf8')) as { units: { args: string; output: string }[] };
    const secondWrong: string[] = [];
    for (const unit of secondResults.units) {
      const output = await readFile(join(secondDir, unit.output), 'utf8');
      if (output !== expected.get(unit.args)) secondWrong.push(`${unit.args}: ${output}`);
    }
    assert.deepEqual(secondWrong, [], 'every output of the job taken over is right, those accepted before the takeover too');

    // A third job in adaptive mode (credibility and spot checks), the cheater still among the
    // volunteers: its coordinator computes the spot checks' answers itself, every output is right,
    // and the cheater agreed with none of them.
    const adaptiveJob = join(jobDir, 'adaptive.json');
    await writeFile(adaptiveJob, JSON.stringify({
      name: 'primes below 1.2e7, adaptive', program: 'primes.wasm',
      units: { sweep: { from: 0, to: RANGE_END, step: STEP }, template: '{from} {to}' },
      // 20 known units, computed one at a time by the coordinator while the others run the job's
      // 200 (at about three replicas each): each goes to the spot checks as it is in, the first
      // within a unit's time of the job's start.
      validation: { mode: 'adaptive', errorRateMax: 1e-2, spotCheckRate: 0.1 },
      limits: { wallTimeSeconds: 60 },
    }));
    const third = await peergridJson(['job', 'submit', adaptiveJob, '--json', '--api', askerUrl]);
    const thirdId = third.jobId as string;
    await eventually('the adaptive job done', async () => (await asker.jobStatus({ jobId: thirdId })).state === 'done', JOB_TIMEOUT_MS, () => explainJob(thirdId, survivors));
    const thirdPage = await asker.jobResults({ jobId: thirdId }, { from: 0, limit: 256 });
    assert.equal(thirdPage.entries.length, 200);
    const thirdWrong = thirdPage.entries.filter((entry) => entry.state !== 'done' || entry.workers.some((worker) => worker.worker === peerIdOf(entries[CHEATER])));
    assert.deepEqual(thirdWrong.map((entry) => entry.unit), [], 'every unit done, none on the cheater\'s word');
    const thirdDir = join(dir, 'results-3');
    await peergridJson(['job', 'results', thirdId, '-o', thirdDir, '--json', '--api', askerUrl]);
    const thirdResults = JSON.parse(await readFile(join(thirdDir, 'results.json'), 'utf8')) as { units: { args: string; output: string }[] };
    for (const unit of thirdResults.units) assert.equal(await readFile(join(thirdDir, unit.output), 'utf8'), expected.get(unit.args), unit.args);
    const thirdCoordinator = (await asker.jobStatus({ jobId: thirdId })).coordinator;
    const thirdLog = await alive.find((node) => node.peerId === thirdCoordinator)?.log();
    assert.match(thirdLog ?? '', new RegExp(`"event":"spotChecksReady","jobId":"${thirdId}"`), 'its coordinator computed the known answers');

    // A fourth job whose outputs (3 MiB each, the argument's first byte repeated) are over what a
    // report carries: stored on the grid by their workers, compared by CID, fetched by `job results`.
    await writeFile(join(jobDir, 'big.wasm'), await wat(BIG_OUTPUT_WAT));
    await writeFile(join(jobDir, 'big.json'), JSON.stringify({
      name: 'big outputs', program: 'big.wasm', units: { args: ['a', 'b', 'c', 'd'] },
      validation: { replicas: 2, quorum: 2, replicasMax: 5 }, limits: { outputBytesMax: 8 * 1024 * 1024, wallTimeSeconds: 60 },
    }));
    const fourth = await peergridJson(['job', 'submit', join(jobDir, 'big.json'), '--json', '--api', askerUrl]);
    const fourthId = fourth.jobId as string;
    await eventually('the job of big outputs done', async () => (await asker.jobStatus({ jobId: fourthId })).state === 'done', JOB_TIMEOUT_MS, () => explainJob(fourthId, survivors));
    const bigDir = join(dir, 'results-4');
    const bigWritten = await peergridJson(['job', 'results', fourthId, '-o', bigDir, '--json', '--api', askerUrl]);
    assert.equal(bigWritten.written, 4);
    const bigResults = JSON.parse(await readFile(join(bigDir, 'results.json'), 'utf8')) as { units: { args: string; output: string; outputCid?: string }[] };
    for (const unit of bigResults.units) {
      assert.ok(unit.outputCid !== undefined, `unit ${unit.args} was stored on the grid`);
      const bytes = await readFile(join(bigDir, unit.output));
      assert.equal(bytes.length, 3 * 1024 * 1024);
      assert.ok(bytes.every((byte) => byte === unit.args.charCodeAt(0)), `unit ${unit.args}: its bytes`);
    }
  });
});
