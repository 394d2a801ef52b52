/**
 * The architecture, checked against the code (TigerBeetle's tidy.zig does this for its own rules):
 * protocol code does no IO and reads no clock or randomness of its own, and dependencies point one
 * way — cli → api → runtime → transport → wire → core, and cli → sim → wire → core, with services
 * (pure, on core) used by runtime, sim and cli; nothing in src/ but the CLI uses the simulator, only
 * the real-node folders use packages (libp2p) besides the data formats services may use, and the
 * API's client loads no node code.
 * docs/ARCHITECTURE.md states the same rules in prose.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'src');

/** Which top-level folders of src/ each folder may import from (besides itself). */
const allowedImports: Record<string, readonly string[]> = {
  core: [],
  wire: ['core'],
  transport: ['core', 'wire'],
  // Services (storage, later computation, search, trust): pure protocol code on the kernel.
  services: ['core', 'wire'],
  runtime: ['core', 'wire', 'transport', 'services'],
  // The simulator may implement the transport contract (sim/transport/), never use libp2p: see below.
  sim: ['core', 'wire', 'transport', 'services'],
  // The HTTP API: a server over the runtime and a client that needs neither (see below).
  api: ['core', 'runtime'],
  cli: ['core', 'wire', 'transport', 'runtime', 'api', 'sim', 'services'],
};

/** Folders that may import npm packages (libp2p and its helpers); the rest use only node: modules or nothing. */
const packageFolders = ['transport', 'runtime', 'cli'];

/**
 * Packages that pure service code may use: content addressing and IPLD codecs, which are data
 * formats (bytes in, values out) with no IO of their own.
 */
const purePackages = [/^multiformats(\/|$)/, /^@ipld\//, /^ipfs-unixfs(\/|$)/, /^cborg(\/|$)/];

/** Folders whose code must be pure: no IO, no clock, no ambient randomness, no timers. */
const pureFolders = ['core', 'wire', 'services'];

/** What pure code may not mention, with the reason given when it does. */
const forbidden: readonly [RegExp, string][] = [
  [/\bDate\b/, 'reads the wall clock (take nowMs as an argument)'],
  [/\bperformance\s*\./, 'reads the wall clock (take nowMs as an argument)'],
  [/\bMath\s*\.\s*random\b/, 'uses ambient randomness (take a Random)'],
  [/\b(setTimeout|setInterval|setImmediate|queueMicrotask|clearTimeout|clearInterval)\b/, 'sets a timer (return nextWakeAtMs)'],
  [/\bprocess\s*\./, 'touches the process'],
  [/\b(fetch|WebSocket|XMLHttpRequest)\b/, 'does network IO'],
  [/\bBuffer\b/, 'uses a Node-only API (Uint8Array runs anywhere, the simulator and a browser too)'],
  [/\brequire\s*\(/, 'loads modules dynamically'],
  [/\bimport\s*\(/, 'loads modules dynamically'],
];

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The code without comments and string contents, so that prose about Date or Math.random is not flagged. */
function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "''")
    .replace(/`(?:[^`\\]|\\.)*`/g, '``');
}

function importsOf(text: string): string[] {
  const specifiers: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) specifiers.push(match[1]);
  for (const match of text.matchAll(/^\s*import\s+'([^']+)'/gm)) specifiers.push(match[1]);
  return specifiers;
}

function topFolderOf(path: string): string {
  return relative(src, path).split(/[\\/]/)[0];
}

test('every folder of src/ has a dependency rule', () => {
  for (const name of readdirSync(src)) {
    if (statSync(join(src, name)).isDirectory()) assert.ok(name in allowedImports, `src/${name} has no entry in allowedImports`);
  }
});

test('dependencies point one way: cli → api → runtime → transport → wire → core, cli → sim → wire → core', () => {
  const problems: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = topFolderOf(file);
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      const to = topFolderOf(target);
      if (to !== from && !allowedImports[from].includes(to)) problems.push(`${relative(root, file)} imports ${specifier} (${from} may not depend on ${to})`);
    }
  }
  assert.deepEqual(problems, []);
});

test('protocol code imports nothing outside src/ (no node:, no packages but data formats in services)', () => {
  const problems: string[] = [];
  for (const folder of pureFolders) {
    for (const file of sourceFiles(join(src, folder))) {
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        if (specifier.startsWith('.')) continue;
        if (folder === 'services' && purePackages.some((pattern) => pattern.test(specifier))) continue;
        problems.push(`${relative(root, file)} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('the simulator takes from transport/ only the contract, never the libp2p implementation', () => {
  // The contract: the interface every transport implements, and the bookkeeping of its
  // `setupInRoundTrip` flag, which the simulator's transports keep as the libp2p one does.
  const contract = ['transport.ts', 'setup-round-trips.ts'].map((name) => join(src, 'transport', name));
  const problems: string[] = [];
  for (const file of sourceFiles(join(src, 'sim'))) {
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const target = specifier.startsWith('.') ? resolve(dirname(file), specifier) : '';
      if (topFolderOf(target) === 'transport' && !contract.includes(target)) problems.push(`${relative(root, file)} imports ${specifier}`);
    }
  }
  // And the contract itself stands on the kernel alone.
  for (const file of contract) {
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      const target = specifier.startsWith('.') ? resolve(dirname(file), specifier) : specifier;
      if (topFolderOf(target) !== 'core') problems.push(`${relative(root, file)} imports ${specifier}`);
    }
  }
  assert.deepEqual(problems, []);
});

/** Every src/ file that `entry` imports, directly or not. */
function importClosure(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
    }
  };
  visit(entry);
  return seen;
}

test('the API client loads no node code: only the route table, schemas and core ids', () => {
  const loaded = [...importClosure(join(src, 'api', 'client.ts'))].map((file) => relative(src, file));
  const problems = loaded.filter((file) => !file.startsWith('api/') && !file.startsWith('core/'));
  assert.deepEqual(problems, [], 'a client (the CLI, a script) must not start libp2p or touch a data directory');
  assert.ok(!loaded.includes(join('api', 'server.ts')), 'nor load the server');
});

test('only the CLI uses the simulator; a real node never does', () => {
  const users = Object.entries(allowedImports).filter(([, targets]) => targets.includes('sim')).map(([folder]) => folder);
  assert.deepEqual(users, ['cli']);
});

test('only transport, runtime and cli import npm packages (services only data-format ones)', () => {
  const problems: string[] = [];
  for (const folder of Object.keys(allowedImports)) {
    if (packageFolders.includes(folder)) continue;
    for (const file of sourceFiles(join(src, folder))) {
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        if (folder === 'services' && purePackages.some((pattern) => pattern.test(specifier))) continue;
        if (!specifier.startsWith('.') && !specifier.startsWith('node:')) problems.push(`${relative(root, file)} imports ${specifier}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('protocol code reads no clock, sets no timer and draws no ambient randomness', () => {
  const problems: string[] = [];
  for (const folder of pureFolders) {
    for (const file of sourceFiles(join(src, folder))) {
      const code = codeOnly(readFileSync(file, 'utf8'));
      code.split('\n').forEach((line, index) => {
        for (const [pattern, reason] of forbidden) {
          if (pattern.test(line)) problems.push(`${relative(root, file)}:${index + 1} ${reason}: ${line.trim()}`);
        }
      });
    }
  }
  assert.deepEqual(problems, []);
});

test('the checks themselves catch what they look for', () => {
  const sample = "const t = Date.now(); // Math.random in a comment is fine\nsetTimeout(f, 1);\nconst s = 'Date';";
  const code = codeOnly(sample);
  const hits = forbidden.filter(([pattern]) => pattern.test(code)).map(([, reason]) => reason);
  assert.ok(hits.includes('reads the wall clock (take nowMs as an argument)'));
  assert.ok(hits.includes('sets a timer (return nextWakeAtMs)'));
  assert.ok(!hits.includes('uses ambient randomness (take a Random)'));
  assert.deepEqual(importsOf("import { a } from '../sim/world.ts';\nexport { b } from './b.ts';"), ['../sim/world.ts', './b.ts']);
});
