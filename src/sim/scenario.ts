/**
 * Scripted scenarios for the simulator (etcd raft's interaction tests, in our words): a short text
 * script drives a small overlay and the run prints a trace, which golden tests compare with the
 * trace checked in. One command per line, `#` starts a comment:
 *
 *   seed 7                          the seed (before anything else happens)
 *   config k=4 alpha=2 bits=1       protocol settings: k alpha bits finish maintenance-finish probe-ms join
 *   network loss=0.01 connect-rtts=2
 *   latency geo | planetlab
 *   trace messages                  also print every delivered message (small runs only)
 *   nodes 20 [spacing 100ms]        start 20 new nodes, each joining through a random earlier one
 *   run 30s                         advance simulated time (ms, s, m, h)
 *   lookup 3 random|node:5|key:name|<64 hex>
 *   put 2 name value                store a value under key:name
 *   get 7 name
 *   crash 5 | leave 6 | restart 5   node lists: 3  1-5  1,4,9
 *   partition 1-10 | 11-20          groups that cannot reach each other
 *   heal
 *   check                           run the invariant checks and print their result
 *
 * Lookups print whether the oracle judges them correct, so a trace shows the protocol's answers,
 * not just its messages.
 */
import { createHash } from 'node:crypto';
import { defaultDhtConfig, type DhtConfig, type LookupFinishRule } from '../core/config.ts';
import { idEquals, idFromBytes, idFromHex, idShort, isIdHex, randomId, type Id } from '../core/id.ts';
import type { DhtEvent } from '../core/node-io.ts';
import { checkInvariants } from './invariants.ts';
import { geoLatencyModel } from './latency/geo.ts';
import type { LatencyModel } from './latency/model.ts';
import { planetLabLatencyModel } from './latency/planetlab.ts';
import { defaultNetworkConfig, type NetworkConfig } from './network.ts';
import { World, type SimNode } from './world.ts';

export interface ScenarioResult {
  readonly lines: string[];
  readonly traceHash: string;
  readonly world: World;
  /** Lookups the oracle judged, and how many were correct. */
  readonly lookups: number;
  readonly correctLookups: number;
  /** Problems the `check` commands found (empty when all invariants held). */
  readonly violations: string[];
}

export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

/** Runs a scenario script and returns its trace. Throws ScenarioError on a malformed script. */
export function runScenario(script: string): ScenarioResult {
  const lines: string[] = [];
  const violations: string[] = [];
  let seed = 0;
  let dht: DhtConfig = { ...defaultDhtConfig };
  let network: NetworkConfig = { ...defaultNetworkConfig };
  let latency: LatencyModel | null = null;
  let traceMessages = false;
  let world: World | null = null;
  let lookups = 0;
  let correctLookups = 0;
  const labels = new Map<string, string>();
  // An operation can finish inside the call that starts it (a node with an empty table has nobody
  // to ask), before its id is known: its label waits here during that call.
  let starting: { readonly node: SimNode; readonly label: string } | null = null;
  const labelOf = (node: SimNode, operationId: number): string | undefined =>
    labels.get(`${node.index}:${operationId}`) ?? (starting?.node === node ? starting.label : undefined);
  const startLabelled = (node: SimNode, label: string, start: () => number): void => {
    starting = { node, label };
    const operationId = start();
    starting = null;
    labels.set(`${node.index}:${operationId}`, label);
  };

  const ensureWorld = (): World => {
    if (world) return world;
    const created = new World({ seed, dht, latency: latency ?? geoLatencyModel(), network, wire: true });
    if (traceMessages) created.traceSink = (line) => lines.push(line);
    created.onNodeEvent = (node, event) => {
      const judged = describeEvent(created, node, event, labelOf);
      if (judged.judged) {
        lookups++;
        if (judged.correct) correctLookups++;
      }
      if (judged.line) lines.push(judged.line);
    };
    world = created;
    return created;
  };

  script.split('\n').forEach((rawLine, index) => {
    const line = rawLine.replace(/#.*/, '').trim();
    if (line === '') return;
    const [command, ...args] = line.split(/\s+/);
    const fail = (message: string): never => {
      throw new ScenarioError(`line ${index + 1} (${line}): ${message}`);
    };
    const configurable = (): void => {
      if (world) fail(`${command} must come before the first node starts`);
    };
    switch (command) {
      case 'seed':
        configurable();
        seed = parseCount(args[0], fail);
        break;
      case 'config':
        configurable();
        dht = applyConfig(dht, args, fail);
        break;
      case 'network':
        configurable();
        network = applyNetwork(network, args, fail);
        break;
      case 'latency':
        configurable();
        if (args[0] === 'geo') latency = geoLatencyModel();
        else if (args[0] === 'planetlab') latency = planetLabLatencyModel();
        else fail('latency is geo or planetlab');
        break;
      case 'trace':
        configurable();
        if (args[0] !== 'messages') fail('only "trace messages" exists');
        traceMessages = true;
        break;
      case 'nodes': {
        const w = ensureWorld();
        const count = parseCount(args[0], fail);
        const spacingMs = args[1] === 'spacing' ? parseDurationMs(args[2], fail) : 100;
        const chooser = w.stream(900);
        for (let i = 0; i < count; i++) {
          const node = w.createNode();
          w.at(w.nowMs + i * spacingMs, () => {
            const joined = w.nodes.filter((other) => other.online && other.joined);
            const bootstrap = joined.length > 0 ? [joined[Math.floor(chooser.nextFloat() * joined.length)].peer] : [];
            w.start(node, bootstrap);
          });
        }
        lines.push(`${time(w)} nodes +${count} (${w.nodes.length} in all)`);
        break;
      }
      case 'run': {
        const w = ensureWorld();
        w.runUntil(w.nowMs + parseDurationMs(args[0], fail));
        break;
      }
      case 'lookup': {
        const w = ensureWorld();
        const node = onlineNode(w, args[0], fail);
        const target = parseTarget(w, args[1], fail);
        startLabelled(node, `lookup ${args[1]}`, () => w.lookup(node, target));
        break;
      }
      case 'put': {
        const w = ensureWorld();
        const node = onlineNode(w, args[0], fail);
        if (args.length < 3) fail('put <node> <key name> <value>');
        startLabelled(node, `put key:${args[1]}`, () => w.put(node, keyOf(args[1]), new TextEncoder().encode(args.slice(2).join(' '))));
        break;
      }
      case 'get': {
        const w = ensureWorld();
        const node = onlineNode(w, args[0], fail);
        const key = keyOf(args[1] ?? fail('get <node> <key name>'));
        startLabelled(node, `get key:${args[1]}`, () => w.get(node, key));
        break;
      }
      case 'crash':
      case 'leave':
      case 'restart': {
        const w = ensureWorld();
        for (const index of parseNodeList(args.join(''), w, fail)) {
          const node = w.nodes[index];
          if (command === 'restart') {
            if (node.online) fail(`node ${index} is online`);
            w.start(node, []);
          } else if (command === 'crash') w.crash(node);
          else w.leave(node);
        }
        if (!traceMessages) lines.push(`${time(w)} ${command} ${args.join(' ')}`);
        break;
      }
      case 'partition': {
        const w = ensureWorld();
        const groups = args.join(' ').split('|').map((group) => parseNodeList(group.replace(/\s+/g, ''), w, fail));
        if (groups.length < 2) fail('partition needs at least two groups separated by |');
        w.network.partition(groups);
        lines.push(`${time(w)} partition ${args.join(' ')}`);
        break;
      }
      case 'heal': {
        const w = ensureWorld();
        w.network.heal();
        lines.push(`${time(w)} heal`);
        break;
      }
      case 'check': {
        const w = ensureWorld();
        const found = checkInvariants(w);
        violations.push(...found.map((problem) => `${time(w)} ${problem}`));
        lines.push(`${time(w)} check: ${found.length === 0 ? 'ok' : `${found.length} violation(s): ${found.slice(0, 3).join('; ')}`}`);
        break;
      }
      default:
        fail(`unknown command ${JSON.stringify(command)}`);
    }
  });
  const finalWorld = ensureWorld();
  lines.push(`${time(finalWorld)} end: ${finalWorld.eventsProcessed} events, trace hash ${finalWorld.traceHash.hex()}`);
  return { lines, traceHash: finalWorld.traceHash.hex(), world: finalWorld, lookups, correctLookups, violations };
}

/** A key named in a script: the SHA-256 of its name. */
export function keyOf(name: string): Id {
  return idFromBytes(new Uint8Array(createHash('sha256').update(name).digest()));
}

function describeEvent(
  world: World, node: SimNode, event: DhtEvent, labelOf: (node: SimNode, operationId: number) => string | undefined,
): { line: string | null; judged: boolean; correct: boolean } {
  const at = time(world);
  switch (event.kind) {
    case 'joined':
      return { line: `${at} node ${node.index} joined with ${event.contacts} contacts`, judged: false, correct: false };
    case 'lookupDone': {
      const label = labelOf(node, event.operationId) ?? 'lookup';
      const truth = world.oracle.closest(event.target, 1, node.peer)[0];
      const correct = truth === undefined || event.closest.some((peer) => idEquals(peer, truth)) ||
        (event.value !== null && event.closest.length === 0);
      const found = event.closest.slice(0, 5).map((peer) => peer.address).join(',');
      const value = event.value === null ? '' : ` value "${new TextDecoder().decode(event.value)}"`;
      const judged = event.value === null;
      return {
        line: `${at} node ${node.index} ${label} (target ${idShort(event.target)}): [${found}${event.closest.length > 5 ? ',…' : ''}] hops ${event.hops} queries ${event.queries}${value}${judged ? (correct ? ' correct' : ' WRONG') : ''}`,
        judged,
        correct,
      };
    }
    case 'putDone': {
      const label = labelOf(node, event.operationId) ?? 'put';
      return { line: `${at} node ${node.index} ${label}: stored ${event.stored} refused ${event.refused} failed ${event.failed}`, judged: false, correct: false };
    }
    case 'peerPenalized':
      return { line: `${at} node ${node.index} penalized ${event.peer.address}: ${event.reason}`, judged: false, correct: false };
  }
}

function time(world: World): string {
  return `t=${(world.nowMs / 1000).toFixed(3)}`;
}

function parseCount(text: string | undefined, fail: (message: string) => never): number {
  if (text === undefined || !/^\d+$/.test(text)) fail(`expected a whole number, got ${JSON.stringify(text)}`);
  return Number(text);
}

function parseDurationMs(text: string | undefined, fail: (message: string) => never): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text ?? '');
  if (!match) return fail(`expected a duration like 500ms, 30s, 2m or 1h, got ${JSON.stringify(text)}`);
  const scale = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * scale;
}

function parseNodeList(text: string, world: World, fail: (message: string) => never): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) fail(`bad node list ${JSON.stringify(text)}`);
    const first = Number((range as RegExpExecArray)[1]);
    const last = (range as RegExpExecArray)[2] === undefined ? first : Number((range as RegExpExecArray)[2]);
    for (let index = first; index <= last; index++) {
      if (index >= world.nodes.length) fail(`there is no node ${index}`);
      out.push(index);
    }
  }
  return out;
}

function onlineNode(world: World, text: string | undefined, fail: (message: string) => never): SimNode {
  const index = parseCount(text, fail);
  const node = world.nodes[index];
  if (!node) return fail(`there is no node ${index}`);
  if (!node.online) return fail(`node ${index} is offline`);
  return node;
}

/** One stream of random targets per world, so each `lookup random` draws a new key. */
const randomTargets = new WeakMap<World, ReturnType<World['stream']>>();

function parseTarget(world: World, text: string | undefined, fail: (message: string) => never): Id {
  if (text === undefined || text === 'random') {
    let stream = randomTargets.get(world);
    if (!stream) randomTargets.set(world, (stream = world.stream(901)));
    return randomId(stream);
  }
  if (text.startsWith('node:')) {
    const node = world.nodes[parseCount(text.slice(5), fail)];
    return node ? node.peer : fail(`there is no ${text}`);
  }
  if (text.startsWith('key:')) return keyOf(text.slice(4));
  if (isIdHex(text)) return idFromHex(text);
  return fail('a target is random, node:<i>, key:<name> or 64 hex digits');
}

function applyConfig(config: DhtConfig, settings: string[], fail: (message: string) => never): DhtConfig {
  let out = config;
  for (const setting of settings) {
    const [key, value] = setting.split('=');
    const finish = (text: string): LookupFinishRule => (text === 'strict' ? 'strict' : parseCount(text, fail));
    switch (key) {
      case 'k': out = { ...out, k: parseCount(value, fail) }; break;
      case 'alpha': out = { ...out, alpha: parseCount(value, fail) }; break;
      case 'bits': out = { ...out, bitsPerDigit: parseCount(value, fail) }; break;
      case 'finish': out = { ...out, lookupFinish: finish(value) }; break;
      case 'maintenance-finish': out = { ...out, maintenanceLookupFinish: finish(value) }; break;
      case 'probe-ms': out = { ...out, neighbourhoodProbeIntervalMs: parseCount(value, fail) }; break;
      case 'join':
        if (value !== 'lookups' && value !== 'requests') fail('join is lookups or requests');
        out = { ...out, joinRefresh: value };
        break;
      default: fail(`unknown setting ${JSON.stringify(key)} (k, alpha, bits, finish, maintenance-finish, probe-ms, join)`);
    }
  }
  return out;
}

function applyNetwork(config: NetworkConfig, settings: string[], fail: (message: string) => never): NetworkConfig {
  let out = config;
  for (const setting of settings) {
    const [key, value] = setting.split('=');
    const number = Number(value);
    if (!Number.isFinite(number)) fail(`${key} needs a number`);
    switch (key) {
      case 'loss': out = { ...out, lossRate: number }; break;
      case 'connect-rtts': out = { ...out, connectionSetupRtts: number }; break;
      case 'bandwidth': out = { ...out, uplinkBytesPerSecond: number }; break;
      default: fail(`unknown setting ${JSON.stringify(key)} (loss, connect-rtts, bandwidth)`);
    }
  }
  return out;
}
