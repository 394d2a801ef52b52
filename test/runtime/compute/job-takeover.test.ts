/**
 * Copies taking a job over when its coordinator goes (issue 5, item 4), on a few JobHosts wired
 * to each other in memory, their timers mocked: exactly one node goes on with the job, whether the
 * copies notice one after the other, at the same moment, or the old coordinator comes back.
 */
import assert from 'node:assert/strict';
import * as DagCbor from '@ipld/dag-cbor';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { ComputeRequest, ComputeResponse } from '../../../src/services/compute/grid/compute-messages.ts';
import { encodeManifest } from '../../../src/services/compute/grid/job-manifest.ts';
import { parseJobSpec } from '../../../src/services/compute/jobs/job-spec.ts';
import { JobHost, JobHostLimits } from '../../../src/runtime/compute/job-host.ts';
import { TakeoverLimits } from '../../../src/runtime/compute/job-takeover.ts';
import { CryptoRandom } from '../../../src/runtime/crypto-random.ts';

const PROGRAM = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
const flush = async (): Promise<void> => {
  for (let round = 0; round < 20; round++) await new Promise((resolve) => setImmediate(resolve));
};

/** Hosts named in order of nearness to every job's key ('a' nearest); links can be cut ('a-b'), or one way ('a>b': a's requests to b fail). */
class Grid {
  nowMs = 1000;
  readonly hosts = new Map<string, JobHost>();
  readonly dead = new Set<string>();
  readonly cut = new Set<string>();
  readonly events: Record<string, unknown>[] = [];
  readonly sent: ComputeRequest[] = [];

  constructor(names: readonly string[]) {
    for (const name of names) {
      const host = new JobHost({
        nowMs: () => this.nowMs, publish: () => {}, multiaddrs: () => [], self: name,
        log: (record) => this.events.push({ node: name, ...record }),
        sign: async () => new Uint8Array(64), verify: async () => true, random: new CryptoRandom(),
        compareNearness: (_jobId, a, b) => (a < b ? -1 : a > b ? 1 : 0),
        backupsFor: async () => [...this.hosts.keys()].filter((other) => other !== name).map((peerId) => ({ peerId, target: { peerId } })),
        ask: async (target, request) => this.carry(name, target.peerId.toString(), request),
      });
      this.hosts.set(name, host);
      host.start();
    }
  }

  private async carry(from: string, to: string, request: ComputeRequest): Promise<ComputeResponse> {
    this.sent.push(request);
    await new Promise((resolve) => setImmediate(resolve));
    if (this.dead.has(to) || this.dead.has(from) || this.cut.has(`${from}-${to}`) || this.cut.has(`${to}-${from}`) || this.cut.has(`${from}>${to}`)) throw new Error(`request failed (dial): ${to} is unreachable`);
    const host = this.hosts.get(to) as JobHost;
    if (request.kind === 'submit') throw new Error('not here');
    return host.answer(from, request);
  }

  /** Lets `ms` pass, half a second at a time, the hosts' requests carried in between. */
  async pass(ms: number): Promise<void> {
    for (let passed = 0; passed < ms; passed += 500) {
      this.nowMs += 500;
      mock.timers.tick(500);
      await flush();
    }
  }

  coordinators(jobId: string): string[] {
    return [...this.hosts.entries()].filter(([name, host]) => !this.dead.has(name) && host.list().some((job) => job.jobId === jobId)).map(([name]) => name);
  }

  stop(): void {
    for (const host of this.hosts.values()) host.stop();
  }
}

function submit(grid: Grid, at: string): string {
  const parsed = parseJobSpec({ name: 'job', program: PROGRAM, units: { sweep: { from: 0, to: 8, step: 1 }, template: '{from}' }, validation: { replicas: 1, quorum: 1 } });
  assert.ok(parsed.ok);
  const hosted = (grid.hosts.get(at) as JobHost).host('alice', encodeManifest({ spec: parsed.spec, submitter: 'alice', submittedAtUnixMs: 1 }));
  assert.ok(hosted.ok);
  return hosted.jobId;
}

const takeovers = (grid: Grid) => grid.events.filter((event) => event.event === 'jobTakenOver').map((event) => `${event.node as string}@${event.generation as number}`);

describe('taking over a job whose coordinator went', () => {
  let grid: Grid;
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => {
    grid.stop();
    mock.timers.reset();
  });

  it('the first copy takes over, a generation on, and the second follows it', async () => {
    grid = new Grid(['a', 'b', 'c', 'd']);
    const jobId = submit(grid, 'a');
    await grid.pass(2000);
    assert.deepEqual(grid.coordinators(jobId), ['a']);
    grid.dead.add('a');
    await grid.pass(30_000);
    assert.deepEqual(grid.coordinators(jobId), ['b']);
    assert.deepEqual(takeovers(grid), ['b@1']);
    assert.ok((grid.hosts.get('c') as JobHost).copiesKept().includes(jobId), 'the second copy follows the new coordinator');
  });

  it('a copy that cannot reach the first copy takes over too; once they meet, the one nearer the key goes on', async () => {
    grid = new Grid(['a', 'b', 'c', 'd']);
    const jobId = submit(grid, 'a');
    await grid.pass(2000);
    grid.dead.add('a');
    grid.cut.add('b-c');
    await grid.pass(30_000);
    assert.deepEqual(grid.coordinators(jobId), ['b', 'c'], 'cut off from each other, both went on');
    grid.cut.clear();
    // Each passes over the other for copyRetryAfterMs after its syncs failed; then they meet.
    await grid.pass(JobHostLimits.copyRetryAfterMs + 5000);
    assert.deepEqual(grid.coordinators(jobId), ['b']);
    assert.deepEqual(grid.events.filter((event) => event.event === 'jobYielded').map((event) => event.node), ['c']);
    assert.ok((grid.hosts.get('c') as JobHost).copiesKept().includes(jobId), 'the one that yielded keeps a copy of the other');
  });

  it('a copy asks the nodes near the key before it takes over, and follows a coordinator it finds', async () => {
    grid = new Grid(['a', 'b', 'c', 'd']);
    const jobId = submit(grid, 'a');
    await grid.pass(2000);
    grid.dead.add('a');
    // b's syncs to c are lost, but c can ask b: c finds b coordinating and waits for it.
    grid.cut.add('b-c');
    let cutLifted = false;
    for (let step = 0; step < 60 && !cutLifted; step++) {
      await grid.pass(500);
      if (grid.coordinators(jobId).includes('b')) {
        grid.cut.clear();
        cutLifted = true;
      }
    }
    assert.ok(cutLifted);
    await grid.pass(30_000);
    assert.deepEqual(grid.coordinators(jobId), ['b']);
    assert.deepEqual(takeovers(grid), ['b@1']);
  });

  it('a coordinator thought gone that comes back yields to the later generation', async () => {
    grid = new Grid(['a', 'b', 'c', 'd']);
    const jobId = submit(grid, 'a');
    await grid.pass(2000);
    grid.dead.add('a');
    await grid.pass(30_000);
    assert.deepEqual(grid.coordinators(jobId), ['b']);
    grid.dead.delete('a');
    await grid.pass(5000);
    assert.deepEqual(grid.coordinators(jobId), ['b'], 'a (generation 0) yields to b (generation 1) though a is nearer the key');
    assert.deepEqual(grid.events.filter((event) => event.event === 'jobYielded').map((event) => event.node), ['a']);
  });

  it('a primary that answers only from a copy counts as gone', async () => {
    grid = new Grid(['a', 'b', 'c']);
    const jobId = submit(grid, 'a');
    await grid.pass(2000);
    // c is told b coordinates (b keeps only a copy) and hears no more from a.
    const sync = grid.sent.findLast((request) => request.kind === 'sync');
    assert.ok(sync !== undefined);
    assert.equal((await (grid.hosts.get('c') as JobHost).answer('b', sync)).kind, 'synced');
    grid.cut.add('a-c');
    await grid.pass(30_000);
    assert.ok(takeovers(grid).includes('c@1'), 'c took over rather than wait on a node that has no more than a copy');
    grid.cut.clear();
    await grid.pass(5000);
    assert.deepEqual(grid.coordinators(jobId), ['c'], 'a, a generation behind, yielded');
  });

  it('a stale copy leaves the job to a fresher one', async () => {
    grid = new Grid(['a', 'b', 'c', 'd']);
    const jobId = submit(grid, 'a');
    await grid.pass(2000);
    // a's syncs to b fail (b still hears a when it asks): a syncs c and d instead, and b's copy goes stale.
    grid.cut.add('a>b');
    await grid.pass(TakeoverLimits.copyStaleAfterMs + 10_000);
    grid.dead.add('a');
    grid.cut.clear();
    await grid.pass(TakeoverLimits.staleCopyWaitsMs + 20_000);
    assert.deepEqual(takeovers(grid), ['c@1']);
    assert.deepEqual(grid.coordinators(jobId), ['c']);
  });

  it('when every copy is stale, one still takes the job over, later', async () => {
    grid = new Grid(['a', 'b', 'c']);
    const jobId = submit(grid, 'a');
    await grid.pass(2000);
    grid.cut.add('a>b');
    grid.cut.add('a>c');
    await grid.pass(TakeoverLimits.copyStaleAfterMs + 10_000);
    grid.dead.add('a');
    grid.cut.clear();
    await grid.pass(10_000);
    assert.deepEqual(grid.coordinators(jobId), [], 'a stale copy waits');
    await grid.pass(TakeoverLimits.staleCopyWaitsMs * 2);
    assert.deepEqual(grid.coordinators(jobId), ['b']);
    assert.deepEqual(takeovers(grid), ['b@1']);
  });

  it('a coordinator yields to a later generation only from a node among the nearest to the key', async () => {
    grid = new Grid(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    const jobId = submit(grid, 'a');
    await grid.pass(2000);
    const sync = grid.sent.findLast((request) => request.kind === 'sync');
    assert.ok(sync !== undefined && sync.kind === 'sync');
    const snapshot = DagCbor.decode(sync.snapshot) as Record<string, unknown>;
    const claim = { ...sync, snapshot: DagCbor.encode({ ...snapshot, generation: 7 }) };
    const a = grid.hosts.get('a') as JobHost;
    assert.equal(JobHostLimits.yieldToNearestNodes, 8, 'j is the ninth nearest other node');
    assert.equal((await a.answer('j', claim)).kind, 'refused', 'j, the farthest, is not yielded to');
    assert.deepEqual(grid.coordinators(jobId), ['a']);
    assert.equal((await a.answer('b', claim)).kind, 'synced', 'b, near the key, is');
    assert.deepEqual(grid.coordinators(jobId), []);
    assert.ok(a.copiesKept().includes(jobId), 'a keeps a copy of what b claims');
  });
});
