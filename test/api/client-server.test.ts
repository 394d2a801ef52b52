/**
 * The TypeScript client against the API of real nodes, in this process: three libp2p nodes on
 * loopback, two of them serving the API. Every route round-trips through the client's and the
 * server's schemas; the client's own errors are named (bad input, unreachable, refused).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiClient, type ApiClient } from '../../src/api/client.ts';
import { createServer, type AddressInfo } from 'node:net';
import { ApiResponseError, ApiUnreachableError, CONNECTION_CLOSED, InvalidRequestError } from '../../src/api/client-errors.ts';
import { translateApiError } from '../../src/cli/api-client/call.ts';
import { startNodeApi, type NodeApiServer } from '../../src/api/node-api.ts';
import { readApiTokenFile } from '../../src/api/token-file.ts';
import { idToHex } from '../../src/core/id.ts';
import type { NodeRuntime } from '../../src/runtime/node-runtime.ts';
import { removeDataDirs, startGrid, stopAll } from '../runtime/runtime-harness.ts';
import { closedPort } from '../support/closed-port.ts';


describe('API client and server over real nodes', () => {
  const dataDirs: string[] = [];
  let nodes: NodeRuntime[] = [];
  const servers: NodeApiServer[] = [];
  let first: ApiClient;
  let second: ApiClient;

  before(async () => {
    nodes = await startGrid(3, dataDirs);
    for (const node of nodes.slice(0, 2)) servers.push(await startNodeApi(node, { host: '127.0.0.1', port: 0 }));
    first = createApiClient({ baseUrl: servers[0].url });
    second = createApiClient({ baseUrl: servers[1].url });
  });

  after(async () => {
    await Promise.allSettled(servers.map((server) => server.close()));
    await stopAll(nodes);
    await removeDataDirs(dataDirs);
  });

  it('serves Prometheus metrics at /metrics: ours, counting the lookups asked, and libp2p\'s', async () => {
    await first.lookup({ key: idToHex(nodes[2].id) });
    const response = await fetch(`${servers[0].url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();
    assert.match(text, /^peergrid_routing_table_contacts 2$/m);
    assert.match(text, /^peergrid_operations_total\{kind="lookup",outcome="ok"\} [1-9]/m);
    assert.match(text, /^peergrid_operation_seconds_count\{kind="lookup"\} [1-9]/m);
    assert.match(text, /^peergrid_transport_bytes_sent_total [1-9]/m);
    assert.match(text, /^libp2p_/m, 'libp2p\'s own metrics are in the same registry');
    assert.equal((await fetch(`${servers[0].url}/metrics`, { method: 'POST' })).status, 405);
  });

  it('reports the node status and its contacts', async () => {
    assert.match(servers[0].url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(servers[0].tokenRequired, false);
    const status = await first.status();
    assert.equal(status.id, idToHex(nodes[0].id));
    assert.equal(status.peerId, nodes[0].peerId);
    assert.equal(status.state, 'ready');
    assert.deepEqual(status.multiaddrs, nodes[0].multiaddrs());
    assert.equal(status.contacts, 2);
    const peers = await first.peers();
    assert.equal(peers.count, 2);
    assert.deepEqual(new Set(peers.contacts.map((contact) => contact.id)), new Set(nodes.slice(1).map((node) => idToHex(node.id))));
    for (const contact of peers.contacts) {
      const node = nodes.find((candidate) => idToHex(candidate.id) === contact.id);
      assert.equal(contact.peerId, node?.peerId);
      assert.deepEqual(contact.multiaddrs, node?.multiaddrs());
    }
  });

  it('looks up every node by its id', async () => {
    for (const node of nodes) {
      const found = await first.lookup({ key: idToHex(node.id) });
      assert.equal(found.keyKind, 'id');
      // A node does not list itself among the closest it finds.
      const expected = node === nodes[0] ? null : idToHex(node.id);
      if (expected !== null) assert.equal(found.closest[0].id, expected);
      else assert.ok(found.closest.every((peer) => peer.id !== idToHex(node.id)));
    }
  });

  it('stores through one node and finds the value through another, text or binary', async () => {
    const put = await first.dhtPut({ key: 'greeting' }, { value: 'hello, grid' });
    assert.equal(put.keyKind, 'sha256');
    assert.ok(put.stored >= 1);
    const got = await second.dhtGet({ key: 'greeting' });
    assert.deepEqual([got.found, got.value, got.bytes], [true, 'hello, grid', 11]);

    const bytes = Buffer.from([0, 255, 1, 254]);
    await second.dhtPut({ key: 'binary' }, { value: bytes.toString('base64'), encoding: 'base64', ttlMs: 60_000 });
    const binary = await first.dhtGet({ key: 'binary' });
    assert.deepEqual([binary.value, binary.valueBase64], [null, bytes.toString('base64')]);

    const missing = await first.dhtGet({ key: 'never stored' });
    assert.deepEqual([missing.found, missing.value, missing.valueBase64], [false, null, null]);
  });

  it('serves the status page', async () => {
    const page = await (await fetch(`${servers[0].url}/`)).text();
    assert.match(page, new RegExp(idToHex(nodes[0].id)));
    assert.match(page, /Contacts \(2\)/);
  });

  it('refuses bad input in the client, before sending', async () => {
    await assert.rejects(first.lookup({ key: '' }), (error: unknown) => error instanceof InvalidRequestError && /^key: must be a key/.test(error.message));
    await assert.rejects(
      first.dhtPut({ key: 'k' }, { value: 'x', ttlMs: -1 }),
      (error: unknown) => error instanceof InvalidRequestError && /^body\.ttlMs:/.test(error.message),
    );
  });

  it('sends the token from the data directory, and a wrong one is refused with 401', async () => {
    const token = await readApiTokenFile(servers[0].tokenPath);
    const withToken = createApiClient({ baseUrl: servers[0].url, token });
    assert.equal((await withToken.status()).id, idToHex(nodes[0].id));
    const wrong = createApiClient({ baseUrl: servers[0].url, token: `${token}x` });
    await assert.rejects(wrong.status(), (error: unknown) => error instanceof ApiResponseError && error.status === 401 && error.code === 'unauthorized');
  });

  it('says when nothing listens', async () => {
    const nowhere = createApiClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    await assert.rejects(nowhere.status(), (error: unknown) => error instanceof ApiUnreachableError && /connection refused/.test(error.message));
  });

  it('says when something listens but closes the connection unanswered, and the CLI does not advise starting a node', async () => {
    // What a node at its limit of open connections does (server.maxConnections), or one stopping.
    const closing = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(closing.address() as AddressInfo).port}`;
      const failure = await createApiClient({ baseUrl }).status().then(() => null, (error: unknown) => error);
      assert.ok(failure instanceof ApiUnreachableError && failure.reason === CONNECTION_CLOSED, String(failure));
      const said = translateApiError(failure, baseUrl) as Error;
      assert.match(said.message, /may be stopping, or at its limit of open API connections \(128\); try again/);
      assert.doesNotMatch(said.message, /Start a node/);
      // Nothing listening keeps its own advice.
      assert.match((translateApiError(new ApiUnreachableError(baseUrl, 'connection refused (is a node running there?)'), baseUrl) as Error).message, /Start a node/);
    } finally {
      await new Promise((resolve) => closing.close(resolve));
    }
  });
});
