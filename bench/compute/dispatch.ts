/**
 * Jobs on a loopback devnet (issue 5's dispatchUnitsPerSec and efficiency1s): a `peergrid devnet`
 * of `nodes` processes (one sandbox worker each), a job submitted through the CLI, and the time
 * from submission to the job's end, read from the coordinator's status.
 *
 * - dispatch: `units` trivial units (run() returns 0), one replica each — what matching, leases,
 *   reports and validation cost per unit, the units themselves costing nearly nothing. Beside it,
 *   the same units on one warm pool of as many workers in this process (no grid at all).
 * - efficiency: `longUnits` units of about a second each (a busy loop whose length is calibrated
 *   on this machine first), one replica each, against the same units run in a local pool of as many workers: local time / grid time,
 *   the median of three rounds (each side warmed first with units long enough for V8 to tier the
 *   loop up: a cold side would run its first units at the baseline compiler's speed).
 *
 * Run alone: `node bench/compute/dispatch.ts [units] [longUnits]`. Every node runs in its own process
 * group and is killed by group id in the end, whatever happened.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { createApiClient } from '../../src/api/client.ts';
import { main } from '../../src/cli/main.ts';
import { UnitPool } from '../../src/runtime/compute/unit-pool.ts';

type Say = (line: string) => void;

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const EFFICIENCY_ROUNDS = 3;
const TRIVIAL = '(module (memory 1 1) (func (export "run") (result i32) (i32.const 0)))';
/**
 * A loop of n·10^8 iterations, n the arguments' first two digits ("09" … "99"): the efficiency
 * rounds calibrate n so that a unit runs about a second on this machine (once V8 has tiered it up).
 */
const BUSY = `(module
  (import "peergrid" "args_read" (func $args_read (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "run") (result i32) (local $n i64) (local $i i64)
    (drop (call $args_read (i32.const 0) (i32.const 0) (i32.const 2)))
    (local.set $n (i64.mul
      (i64.extend_i32_u (i32.add
        (i32.mul (i32.sub (i32.load8_u (i32.const 0)) (i32.const 48)) (i32.const 10))
        (i32.sub (i32.load8_u (i32.const 1)) (i32.const 48))))
      (i64.const 100000000)))
    (block $done (loop $next
      (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (i32.const 0)))`;

/** The loop's two digits for a unit of about `seconds` here, from one timed unit of 18·10^8 on a warmed worker. */
async function calibrate(program: Uint8Array, seconds: number): Promise<string> {
  const probe = 18;
  const measured = await localSeconds(program, 1, [`${probe} calibration`], '04');
  const digits = Math.min(99, Math.max(10, Math.round((probe * seconds) / measured)));
  return String(digits);
}

async function assemble(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat('unit.wat', text);
  try {
    return new Uint8Array(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

interface Devnet {
  readonly apis: string[];
  readonly stop: () => Promise<void>;
}

async function startDevnet(dir: string, nodes: number): Promise<Devnet> {
  for (let index = 0; index < nodes; index++) {
    await mkdir(join(dir, `node-${index}`), { recursive: true });
    await writeFile(join(dir, `node-${index}`, 'config.json'), JSON.stringify({ compute: { workers: 1 } }));
  }
  const child = spawn(process.execPath, ['bin/peergrid.js', 'devnet', '--nodes', String(nodes), '--dir', dir, '--api-port', '0'], { cwd: repoRoot, stdio: 'ignore', detached: true });
  const killGroup = (pid: number | undefined): void => {
    try {
      if (pid !== undefined) process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  };
  const entries = async (): Promise<{ api: string; pid: number }[] | null> => {
    try {
      return JSON.parse(await readFile(join(dir, 'devnet.json'), 'utf8')) as { api: string; pid: number }[];
    } catch {
      return null;
    }
  };
  const deadline = performance.now() + 180_000;
  let list: { api: string; pid: number }[] | null = null;
  while ((list = await entries()) === null) {
    if (performance.now() > deadline || child.exitCode !== null) {
      killGroup(child.pid);
      throw new Error('the devnet did not start');
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const started = list;
  return {
    apis: started.map((entry) => entry.api),
    stop: async () => {
      try {
        process.kill(-(child.pid as number), 'SIGTERM');
      } catch {
        // Gone already.
      }
      const until = performance.now() + 30_000;
      while (child.exitCode === null && child.signalCode === null && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 200));
      killGroup(child.pid);
      for (const entry of started) killGroup(entry.pid);
    },
  };
}

async function cli(argv: readonly string[]): Promise<string> {
  let out = '';
  let err = '';
  const status = await main(argv, { out: (text) => (out += text), err: (text) => (err += text), env: {} });
  if (status !== 0) throw new Error(`peergrid ${argv.join(' ')}: ${err}`);
  return out;
}

/**
 * Stores the program on the grid (not timed: storing files is not running units), submits the job
 * and returns the seconds from submission to its end — the end as its coordinator logged it
 * (jobFinished, in the devnet's node logs under `logDir`). Status is polled only every half second
 * to see that the job is over: polling fast enough to time the job by would itself cost the nodes
 * CPU that the units need (a poll costs the asked node a request to the coordinator; at 20 a second
 * that was 30% of a core in a profile).
 */
async function runJob(api: string, dir: string, logDir: string, name: string, program: Uint8Array, job: Record<string, unknown>): Promise<number> {
  await writeFile(join(dir, `${name}.wasm`), program);
  const { cid } = JSON.parse(await cli(['put', join(dir, `${name}.wasm`), '--no-encrypt', '--json', '--api', api])) as { cid: string };
  await writeFile(join(dir, `${name}.json`), JSON.stringify({ name, program: cid, ...job }));
  const client = createApiClient({ baseUrl: api });
  const startedUnixMs = Date.now();
  const { jobId } = JSON.parse(await cli(['job', 'submit', join(dir, `${name}.json`), '--json', '--api', api])) as { jobId: string };
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const status = await client.jobStatus({ jobId });
    if (status.state === 'running') continue;
    if (status.state !== 'done' || status.units.done !== status.units.total) throw new Error(`${name} ended ${status.state}: ${JSON.stringify(status.units)}`);
    const endedUnixMs = await loggedEnd(logDir, jobId);
    return (endedUnixMs - startedUnixMs) / 1000;
  }
}

/** When a job's coordinator logged its end (the nodes' clocks are this machine's). */
async function loggedEnd(logDir: string, jobId: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    for (const file of (await readdir(logDir)).filter((name) => name.endsWith('.log'))) {
      for (const line of (await readFile(join(logDir, file), 'utf8')).split('\n')) {
        if (!line.includes('"jobFinished"') || !line.includes(jobId)) continue;
        return (JSON.parse(line) as { time: number }).time;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no node logged the end of ${jobId}`);
}

/**
 * The seconds `args` take on a local pool of `workers`, each worker warmed first with one run of
 * `warmArgs` (for the busy loop, long enough that V8 tiers it up, as it will have on the grid's
 * volunteers after their warm-up job).
 */
async function localSeconds(program: Uint8Array, workers: number, args: readonly string[], warmArgs = '0'): Promise<number> {
  const pool = new UnitPool({ size: workers });
  try {
    await Promise.all(Array.from({ length: workers }, () => pool.run({ program, input: new Uint8Array(0), args: warmArgs })));
    const started = performance.now();
    const outcomes = await Promise.all(args.map((unitArgs) => pool.run({ program, input: new Uint8Array(0), args: unitArgs })));
    if (outcomes.some((outcome) => outcome.status !== 'ok')) throw new Error('a unit failed in the local pool');
    return (performance.now() - started) / 1000;
  } finally {
    await pool.close();
  }
}

export async function dispatchBenchmark(say: Say, options: { nodes?: number; units?: number; longUnits?: number } = {}): Promise<Record<string, number>> {
  const nodes = options.nodes ?? 3;
  const units = options.units ?? 20_000;
  const longUnits = options.longUnits ?? 36;
  const dir = await mkdtemp(join(tmpdir(), 'peergrid-bench-dispatch-'));
  const trivial = await assemble(TRIVIAL);
  const busy = await assemble(BUSY);
  const devnetDir = join(dir, 'devnet');
  const devnet = await startDevnet(devnetDir, nodes);
  try {
    const job = { validation: { replicas: 1, quorum: 1, replicasMax: 3 }, limits: { wallTimeSeconds: 60, outputBytesMax: 1024 } };
    // A first small job warms every node (program fetch, worker start).
    await runJob(devnet.apis[0], dir, devnetDir, 'warm', trivial, { ...job, units: { sweep: { from: 0, to: 200, step: 1 }, template: '{from}' } });
    const gridSeconds = await runJob(devnet.apis[0], dir, devnetDir, 'trivial', trivial, { ...job, units: { sweep: { from: 0, to: units, step: 1 }, template: '{from}' } });
    const dispatchUnitsPerSec = Math.round(units / gridSeconds);
    const localTrivialSeconds = await localSeconds(trivial, nodes, Array.from({ length: units }, (_, index) => String(index)));
    say(`  dispatch: ${units} trivial units on ${nodes} nodes in ${gridSeconds.toFixed(2)} s (${dispatchUnitsPerSec}/s); a local pool of ${nodes}: ${Math.round(units / localTrivialSeconds)}/s`);
    // Units of about a second (efficiency1s), whatever this machine's speed today.
    const digits = await calibrate(busy, 1);
    say(`  efficiency units: ${digits}·10^8 iterations each (about a second here)`);
    const longArgs = Array.from({ length: longUnits }, (_, index) => `${digits} ${index}`);
    // Both sides warmed alike: the volunteers fetch, compile and tier up the busy loop here first.
    await runJob(devnet.apis[0], dir, devnetDir, 'long-warm', busy, { ...job, units: { args: Array.from({ length: nodes * 2 }, (_, index) => `04 ${index}`) } });
    // Three rounds, local and grid in turn, and the median ratio: on a shared two-core machine one
    // round's ratio swings by ±10% with how the scheduler treats three busy threads.
    const rounds: { local: number; grid: number }[] = [];
    for (let round = 0; round < EFFICIENCY_ROUNDS; round++) {
      const args = longArgs.map((unitArgs) => `${unitArgs} ${round}`);
      const local = await localSeconds(busy, nodes, args, '04');
      const grid = await runJob(devnet.apis[0], dir, devnetDir, `long-${round}`, busy, { ...job, units: { args } });
      rounds.push({ local, grid });
      say(`  efficiency round ${round + 1}: ${longUnits} units, local pool ${local.toFixed(2)} s, grid ${grid.toFixed(2)} s (${(local / grid).toFixed(3)})`);
    }
    const ratios = rounds.map((round) => round.local / round.grid).sort((a, b) => a - b);
    const localLongSeconds = rounds.reduce((sum, round) => sum + round.local, 0) / rounds.length;
    const unitSeconds = (localLongSeconds * nodes) / longUnits;
    return {
      nodes, units, dispatchUnitsPerSec, localPoolUnitsPerSec: Math.round(units / localTrivialSeconds),
      longUnits, unitSeconds: Math.round(unitSeconds * 100) / 100,
      efficiency: Math.round(ratios[Math.floor(ratios.length / 2)] * 1000) / 1000,
      efficiencyMin: Math.round(ratios[0] * 1000) / 1000,
      efficiencyMax: Math.round(ratios[ratios.length - 1] * 1000) / 1000,
    };
  } finally {
    await devnet.stop();
    if (process.env.KEEP === '1') process.stderr.write(`kept ${dir}\n`); else await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const [units, longUnits] = process.argv.slice(2).map(Number);
  const result = await dispatchBenchmark((line) => process.stderr.write(`${line}\n`), { ...(units > 0 ? { units } : {}), ...(longUnits > 0 ? { longUnits } : {}) });
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
