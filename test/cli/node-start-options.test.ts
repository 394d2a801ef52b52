/** `peergrid node start`: its options are checked before anything starts, with exit status 2 for bad ones. */
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/cli/args.ts';
import { main, type CliIo } from '../../src/cli/main.ts';
import { nodeStartUsage } from '../../src/cli/node/command.ts';
import { parseNodeStartArgs } from '../../src/cli/node/options.ts';

const PEER = '12D3KooWNEYrkz3mqvGdZaVj9ouJayYUQfnYyguc7mxJHH6CdRS1';
/** A file that exists: given where a directory is needed. */
const A_FILE = fileURLToPath(import.meta.url);

function capture(): { io: CliIo; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { io: { out: (text) => (out += text), err: (text) => (err += text), env: {} }, out: () => out, err: () => err };
}

describe('node start options', () => {
  it('default to the data directory in the home directory, the config file lists and the API on 127.0.0.1:5380', () => {
    assert.deepEqual(parseNodeStartArgs([], process.cwd(), {}), {
      dataDir: join(homedir(), '.peergrid'), listen: undefined, bootstrap: undefined, api: { host: '127.0.0.1', port: 5380 }, logLevel: 'info',
    });
  });

  it('take the log level from --log-level, else $PEERGRID_LOG_LEVEL', () => {
    assert.equal(parseNodeStartArgs(['--log-level', 'debug'], '/', {}).logLevel, 'debug');
    assert.equal(parseNodeStartArgs([], '/', { PEERGRID_LOG_LEVEL: 'warn' }).logLevel, 'warn');
    assert.equal(parseNodeStartArgs(['--log-level', 'error'], '/', { PEERGRID_LOG_LEVEL: 'warn' }).logLevel, 'error');
    assert.throws(() => parseNodeStartArgs([], '/', { PEERGRID_LOG_LEVEL: 'loud' }), /^UsageError: PEERGRID_LOG_LEVEL must be one of trace, debug/);
  });

  it('take the API address as HOST:PORT', () => {
    assert.deepEqual(parseNodeStartArgs(['--api', '[::1]:0']).api, { host: '::1', port: 0 });
    assert.deepEqual(parseNodeStartArgs(['--api', '0.0.0.0:8080']).api, { host: '0.0.0.0', port: 8080 });
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
    [['--api', '127.0.0.1'], /^--api: expected HOST:PORT/],
    [['--api', 'example.com:80'], /^--api: expected HOST:PORT/],
    [['--api', '127.0.0.1:70000'], /^--api: expected HOST:PORT/],
    [['--log-level', 'loud'], /^--log-level must be one of trace, debug, info, warn, error, fatal, silent, got 'loud'$/],
    [['--listen', '/ip4/127.0.0.1/udp/4100'], /^--listen '\/ip4\/127.0.0.1\/udp\/4100': no transport of this node listens there/],
    [['--data-dir', A_FILE], /^--data-dir .* is a file, not a directory$/],
    [['--data-dir', join(A_FILE, 'node')], /^--data-dir .*: a part of this path is a file, not a directory$/],
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
