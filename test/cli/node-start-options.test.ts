/** `peergrid node start`: its options are checked before anything starts, with exit status 2 for bad ones. */
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/args.ts';
import { main, type CliIo } from '../../src/cli/main.ts';
import { nodeStartUsage } from '../../src/cli/node/command.ts';
import { parseNodeStartArgs } from '../../src/cli/node/options.ts';

const PEER = '12D3KooWNEYrkz3mqvGdZaVj9ouJayYUQfnYyguc7mxJHH6CdRS1';

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (text) => (out += text), err: (text) => (err += text), env: {} }, out: () => out, err: () => err };
}

describe('node start options', () => {
  it('default to the data directory in the home directory and the config file lists', () => {
    assert.deepEqual(parseNodeStartArgs([]), { dataDir: join(homedir(), '.peergrid'), listen: undefined, bootstrap: undefined });
  });

  it('take repeated or comma-separated multiaddrs, and resolve a relative data directory', () => {
    const plan = parseNodeStartArgs([
      '--data-dir', 'nodes/a', '--listen', '/ip4/127.0.0.1/tcp/0,/ip6/::1/tcp/0', '--listen', '/ip4/0.0.0.0/tcp/4100',
      '--bootstrap', `/ip4/127.0.0.1/tcp/4100/p2p/${PEER}`,
    ], '/work');
    assert.equal(plan.dataDir, '/work/nodes/a');
    assert.deepEqual(plan.listen, ['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/0', '/ip4/0.0.0.0/tcp/4100']);
    assert.deepEqual(plan.bootstrap, [`/ip4/127.0.0.1/tcp/4100/p2p/${PEER}`]);
  });

  const refused: [string[], RegExp][] = [
    [['--listen', 'localhost:4100'], /^--listen must be a multiaddr/],
    [['--bootstrap', '/ip4/127.0.0.1/tcp/4100'], /^--bootstrap '\/ip4\/127.0.0.1\/tcp\/4100': a bootstrap multiaddr must end with \/p2p\/<peer id>/],
    [['--bootstrap', '/ip4/127.0.0.1/tcp/4100/p2p/nonsense'], /bad multiaddr|bad peer id/],
    [['--listen', '/ip4/127.0.0.1/tcp/1,'], /^an empty multiaddr in a list$/],
    [['--data-dir', ''], /^--data-dir must not be empty$/],
    [['--data-dir', 'a', '--data-dir', 'b'], /^option '--data-dir' given more than once$/],
    [['--api', '127.0.0.1:1'], /^unknown option '--api'$/],
  ];
  for (const [args, message] of refused) {
    it(`refuse ${args.join(' ')}`, () => {
      assert.throws(() => parseNodeStartArgs(args), (error: unknown) => error instanceof UsageError && message.test(error.message));
    });
  }

  it('make main exit with status 2 and a pointer to the help', async () => {
    const captured = capture();
    assert.equal(await main(['node', 'start', '--listen', 'nope'], captured.io), 2);
    assert.match(captured.err(), /^peergrid: --listen must be a multiaddr/);
    assert.match(captured.err(), /Run 'peergrid node start --help' for usage\./);
    assert.equal(captured.out(), '');
  });

  it('have a help text', async () => {
    const captured = capture();
    assert.equal(await main(['node', 'start', '--help'], captured.io), 0);
    assert.equal(captured.out(), nodeStartUsage());
    assert.match(captured.out(), /--bootstrap MULTIADDR/);
  });
});
