/** `peergrid devnet`: its options, checked before any process starts (exit status 2 for bad ones). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/args.ts';
import { devnetUsage } from '../../src/cli/devnet/command.ts';
import { formatInstructions } from '../../src/cli/devnet/instructions.ts';
import { parseDevnetArgs } from '../../src/cli/devnet/options.ts';
import { main, type CliIo } from '../../src/cli/main.ts';

/** A file that exists: given where a directory is needed. */
const A_FILE = fileURLToPath(import.meta.url);

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (text) => (out += text), err: (text) => (err += text), env: {} }, out: () => out, err: () => err };
}

describe('devnet options', () => {
  it('default to 5 nodes in a temporary directory, APIs from port 5380', () => {
    assert.deepEqual(parseDevnetArgs([]), { nodes: 5, dir: null, apiPortBase: 5380 });
    assert.deepEqual(parseDevnetArgs(['--nodes', '12', '--dir', 'grid', '--api-port', '0'], '/work'), { nodes: 12, dir: '/work/grid', apiPortBase: 0 });
  });

  const refused: [string[], RegExp][] = [
    [['--nodes', '0'], /^--nodes must be an integer from 1 to 64/],
    [['--nodes', '65'], /^--nodes must be an integer from 1 to 64/],
    [['--nodes', 'many'], /^--nodes must be an integer/],
    [['--dir', ''], /^--dir must not be empty$/],
    [['--api-port', '65535', '--nodes', '2'], /^--api-port 65535 leaves no room for 2 nodes/],
    [['--api-port', '-1'], /^--api-port must be an integer from 0 to 65,535/],
    [['extra'], /^unexpected argument 'extra'/],
    [['--dir', A_FILE], /^--dir .* is a file, not a directory$/],
    [['--dir', join(A_FILE, 'grid')], /^--dir .*: a part of this path is a file, not a directory$/],
  ];
  for (const [args, message] of refused) {
    it(`refuse ${args.join(' ')}`, () => {
      assert.throws(() => parseDevnetArgs(args), (error: unknown) => error instanceof UsageError && message.test(error.message));
    });
  }

  it('make main exit with status 2, and have a help text', async () => {
    const bad = capture();
    assert.equal(await main(['devnet', '--nodes', '0'], bad.io), 2);
    assert.match(bad.err(), /Run 'peergrid devnet --help' for usage\./);
    const help = capture();
    assert.equal(await main(['devnet', '--help'], help.io), 0);
    assert.equal(help.out(), devnetUsage());
  });
});

describe('devnet instructions', () => {
  const entry = (index: number, api: string) => ({
    id: String(index).repeat(64), pid: 1000 + index, api, multiaddrs: [`/ip4/127.0.0.1/tcp/${4000 + index}/p2p/12D3KooW`], dataDir: `/d/node-${index}`,
  });

  it('name every node and omit --api for the default address', () => {
    const text = formatInstructions({
      dir: '/tmp/x', temporary: true, devnetFile: '/tmp/x/devnet.json',
      entries: [entry(0, 'http://127.0.0.1:5380'), entry(1, 'http://127.0.0.1:5381'), entry(2, 'http://127.0.0.1:5382')],
    });
    assert.match(text, /^peergrid devnet: 3 nodes on 127\.0\.0\.1, node 0 is the bootstrap\n/);
    assert.match(text, /removed when the devnet stops/);
    assert.match(text, /^ {2}0 {2}0{16} {2}1000 {2}http:\/\/127\.0\.0\.1:5380 {2}bootstrap$/m);
    assert.match(text, /^ {2}npx peergrid status +# node 0/m);
    assert.match(text, new RegExp(`npx peergrid lookup ${'2'.repeat(64)} +# node 0 looks up node 2`));
    assert.match(text, /npx peergrid dht get greeting --api http:\/\/127\.0\.0\.1:5382 +# node 2 finds it/);
    assert.match(text, /npx peergrid search readme --api http:\/\/127\.0\.0\.1:5382 +# node 2 finds it by its words/);
    assert.match(text, /npx peergrid check <the cid> --api http:\/\/127\.0\.0\.1:5381 +# its copies on the grid, block by block/);
    assert.match(text, /Ctrl-C stops every node\.\n$/);
  });

  it('pass --api everywhere when node 0 is not on the default address', () => {
    const text = formatInstructions({ dir: '/d', temporary: false, devnetFile: '/d/devnet.json', entries: [entry(0, 'http://127.0.0.1:40000')] });
    assert.match(text, /npx peergrid status --api http:\/\/127\.0\.0\.1:40000/);
    assert.doesNotMatch(text, /removed when/);
  });
});
