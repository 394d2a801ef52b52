import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { main, topUsage } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/main.ts';
import { simLookupUsage } from '../../src/cli/sim-lookup/command.ts';
import { COMMANDS } from '../../src/cli/commands.ts';

interface Captured {
  io: CliIo;
  out: () => string;
  err: () => string;
}

function capture(env: Record<string, string> = {}, failOut?: Error): Captured {
  let out = '';
  let err = '';
  return {
    io: {
      out: (text) => {
        if (failOut) throw failOut;
        out += text;
      },
      err: (text) => {
        err += text;
      },
      env,
    },
    out: () => out,
    err: () => err,
  };
}

describe('main: help', () => {
  for (const argv of [['--help'], ['-h'], ['help']]) {
    it(`prints the command list for ${argv.join(' ')}`, async () => {
      const c = capture();
      assert.equal(await main(argv, c.io), 0);
      assert.equal(c.out(), topUsage());
      assert.match(c.out(), /Usage: peergrid <command>/);
      assert.match(c.out(), /sim lookup/);
      assert.equal(c.err(), '');
    });
  }

  for (const argv of [['sim', '--help'], ['help', 'sim']]) {
    it(`prints the sim subcommands for ${argv.join(' ')}`, async () => {
      const c = capture();
      assert.equal(await main(argv, c.io), 0);
      assert.match(c.out(), /Usage: peergrid sim <subcommand>/);
      assert.match(c.out(), /lookup/);
    });
  }

  for (const argv of [['sim', 'lookup', '--help'], ['sim', 'lookup', '-h'], ['help', 'sim', 'lookup'], ['sim', 'lookup', '--nodes', '0', '--help']]) {
    it(`prints the sim lookup options for ${argv.join(' ')}`, async () => {
      const c = capture();
      assert.equal(await main(argv, c.io), 0);
      assert.equal(c.out(), simLookupUsage());
    });
  }
});

describe('main: usage errors exit 2 with a hint at the nearest help', () => {
  const cases: [string[], RegExp, string][] = [
    [[], /missing command/, 'peergrid --help'],
    [['bogus'], /unknown command 'bogus'/, 'peergrid --help'],
    [['--bogus'], /unknown option '--bogus'/, 'peergrid --help'],
    [['sim'], /missing subcommand for 'sim'/, 'peergrid sim --help'],
    [['sim', 'bogus'], /unknown subcommand 'sim bogus'/, 'peergrid sim --help'],
    [['sim', '--nodes', '5'], /unknown option '--nodes' for 'sim'/, 'peergrid sim --help'],
    [['sim', 'lookup', '--nodes', '0'], /--nodes must be an integer from 1 to 1,000,000/, 'peergrid sim lookup --help'],
    [['help', 'bogus'], /unknown command 'bogus'/, 'peergrid --help'],
    [['help', 'sim', 'lookup', 'extra'], /help takes command words only/, 'peergrid sim lookup --help'],
  ];
  for (const [argv, pattern, help] of cases) {
    it(`${argv.join(' ') || '(no arguments)'}`, async () => {
      const c = capture();
      assert.equal(await main(argv, c.io), 2);
      assert.equal(c.out(), '');
      const lines = c.err().split('\n');
      assert.match(lines[0], /^peergrid: /);
      assert.match(lines[0], pattern);
      assert.equal(lines.at(-2), `Run '${help}' for usage.`);
    });
  }
});

describe('main: bad local paths exit 2 before any work or request', () => {
  const work = mkdtempSync(join(tmpdir(), 'peergrid-cli-paths-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  const aFile = join(work, 'a-file');
  writeFileSync(aFile, 'not a directory\n');
  const notAJob = join(work, 'not-a-job.json');
  writeFileSync(notAJob, '{"colour":"blue"}\n');
  const programMissing = join(work, 'program-missing.json');
  writeFileSync(programMissing, '{"program":"missing.wasm","units":{"args":["1"]}}\n');
  const nowhere = ['--api', 'http://127.0.0.1:1'];
  const cases: [string[], RegExp, string][] = [
    [['sim', 'report', '-o', work, '--quick'], /-o\/--output .* is a directory, not a file$/, 'peergrid sim report --help'],
    [['sim', 'report', '-o', join(work, 'no-dir', 'r.html'), '--quick'], /-o\/--output .*: the directory .*no-dir does not exist$/, 'peergrid sim report --help'],
    [['sim', 'report', '-o', join(aFile, 'r.html'), '--quick'], /-o\/--output .*: a part of this path is a file, not a directory$/, 'peergrid sim report --help'],
    [['sim', 'report', '-o', join(work, 'r.html'), '--from', join(work, 'no-dir'), '--quick'], /--from .*no-dir: no such directory$/, 'peergrid sim report --help'],
    [['sim', 'report', '-o', join(work, 'r.html'), '--svg', aFile, '--quick'], /--svg .* is a file, not a directory$/, 'peergrid sim report --help'],
    [['job', 'submit', join(work, 'missing.json'), ...nowhere], /cannot read .*missing\.json: ENOENT/, 'peergrid job submit --help'],
    [['job', 'submit', work, ...nowhere], /cannot read .*: EISDIR/, 'peergrid job submit --help'],
    [['job', 'submit', notAJob, ...nowhere], /not-a-job\.json is not a valid job:$/, 'peergrid job submit --help'],
    [['job', 'submit', programMissing, ...nowhere], /cannot read the program .*missing\.wasm: ENOENT/, 'peergrid job submit --help'],
    [['job', 'results', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '-o', aFile, ...nowhere], /cannot make .*a-file: EEXIST/, 'peergrid job results --help'],
    [['job', 'results', 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', '-o', '', ...nowhere], /-o\/--output must not be empty$/, 'peergrid job results --help'],
  ];
  for (const [argv, pattern, help] of cases) {
    it(`${argv.join(' ').replaceAll(work, 'DIR').slice(0, 80)}`, async () => {
      const c = capture();
      assert.equal(await main(argv, c.io), 2, c.err());
      assert.equal(c.out(), '');
      const lines = c.err().split('\n');
      assert.match(lines[0], /^peergrid: /);
      assert.match(lines[0], pattern);
      assert.equal(lines.at(-2), `Run '${help}' for usage.`);
    });
  }
});

describe('main: unexpected errors exit 1', () => {
  it('prints the message without a stack trace', async () => {
    const c = capture({}, new Error('disk on fire'));
    assert.equal(await main(['help'], c.io), 1);
    assert.match(c.err(), /^peergrid: disk on fire\n/);
    assert.match(c.err(), /PEERGRID_DEBUG=1/);
    assert.doesNotMatch(c.err(), /\n\s+at /);
  });

  it('prints the stack trace with PEERGRID_DEBUG=1', async () => {
    const c = capture({ PEERGRID_DEBUG: '1' }, new Error('disk on fire'));
    assert.equal(await main(['help'], c.io), 1);
    assert.match(c.err(), /^peergrid: Error: disk on fire\n\s+at /);
  });
});

describe('main: the client commands and the devnet', () => {
  it('are listed in the top-level help', async () => {
    const c = capture();
    assert.equal(await main(['--help'], c.io), 0);
    for (const command of ['status', 'peers', 'lookup', 'dht put', 'dht get', 'node start', 'devnet', 'sim lookup']) {
      assert.match(c.out(), new RegExp(`^  ${command} `, 'm'), command);
    }
  });

  for (const argv of [['status', '--help'], ['help', 'peers'], ['lookup', '-h'], ['dht', 'put', '--help'], ['help', 'dht', 'get'], ['devnet', '--help']]) {
    it(`prints its help for ${argv.join(' ')}`, async () => {
      const c = capture();
      assert.equal(await main(argv, c.io), 0);
      assert.match(c.out(), /^Usage: peergrid (status|peers|lookup <key>|dht put <key> <value>|dht get <key>|devnet) \[options\]\n/);
      if (!argv.includes('devnet')) assert.match(c.out(), /--api URL/);
    });
  }
});

describe('main: the command table (commands.ts) and the command modules', () => {
  const entries = COMMANDS.flatMap((entry) => ('subcommands' in entry ? entry.subcommands : [entry]));

  it('lists each command once, and a group\'s subcommands under its name', () => {
    const names = entries.map((entry) => entry.path.join(' '));
    assert.equal(new Set(names).size, names.length);
    for (const group of COMMANDS) {
      if ('subcommands' in group) for (const sub of group.subcommands) assert.equal(sub.path[0], group.name);
    }
  });

  it('loads, for every entry, the module of the command with the same words, whose help names them', async () => {
    for (const entry of entries) {
      const command = await entry.load();
      assert.deepEqual(command.path, entry.path, entry.path.join(' '));
      assert.match(command.usage(), new RegExp(`^Usage: peergrid ${entry.path.join(' ')}\\b`), entry.path.join(' '));
    }
  });

  it('prints the command list without loading any command module; a command loads its own only', async () => {
    // In a child process, so that no module is loaded already: the resolve hook records every
    // command module (src/cli/<command>/command.ts) the dispatcher asks for.
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(specifier, context, next) {
        const result = next(specifier, context);
        const match = /\\/src\\/cli\\/([^/]+)\\/command\\.ts$/.exec(result.url);
        if (match !== null) loaded.push(match[1]);
        return result;
      } });
      const { main } = await import(${JSON.stringify(new URL('../../src/cli/main.ts', import.meta.url).href)});
      const io = { out: () => {}, err: () => {}, env: {} };
      await main(['--help'], io);
      const afterHelp = [...loaded];
      await main(['get', '--help'], io);
      process.stdout.write(JSON.stringify({ afterHelp, afterGetHelp: loaded }));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.status, 0, child.stderr);
    const { afterHelp, afterGetHelp } = JSON.parse(child.stdout) as { afterHelp: string[]; afterGetHelp: string[] };
    assert.deepEqual(afterHelp, []);
    assert.ok(afterGetHelp.includes('get'), JSON.stringify(afterGetHelp));
    assert.ok(!afterGetHelp.includes('node') && !afterGetHelp.includes('put'), JSON.stringify(afterGetHelp));
  });

  it('shows every entry\'s summary in the command list', async () => {
    const c = capture();
    assert.equal(await main(['--help'], c.io), 0);
    for (const entry of entries) assert.match(c.out(), new RegExp(`^  ${entry.path.join(' ')} +${escapeRegExp(entry.summary)}$`, 'm'));
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
