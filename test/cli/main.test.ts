import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { main, topUsage } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/main.ts';
import { simLookupUsage } from '../../src/cli/sim-lookup/command.ts';

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
