/** config.json's settings for relays, mDNS and hole punching: defaults, partial objects, problems named. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lanDiscoveryEnabled } from '../../src/runtime/lan-discovery.ts';
import { defaultNodeConfig, parseNodeConfig } from '../../src/runtime/node-config.ts';
import { defaultRelayConfig, relayOptionsOf } from '../../src/runtime/relay-config.ts';

describe('relay, mDNS and hole-punching settings', () => {
  it('default to auto, auto, on', () => {
    assert.equal(defaultNodeConfig.relay.serve, 'auto');
    assert.equal(defaultNodeConfig.relay.use, 'auto');
    assert.equal(defaultNodeConfig.mdns, 'auto');
    assert.equal(defaultNodeConfig.holePunching, true);
  });

  it('take what is given and default the rest of the relay object', () => {
    const problems: string[] = [];
    const config = parseNodeConfig({ relay: { serve: true, reservationsServedMax: 8 }, mdns: false, holePunching: false }, problems);
    assert.deepEqual(problems, []);
    assert.deepEqual(config.relay, { ...defaultRelayConfig, serve: true, reservationsServedMax: 8 });
    assert.equal(config.mdns, false);
    assert.equal(config.holePunching, false);
    assert.deepEqual(relayOptionsOf(config.relay).serve, 'always');
    assert.deepEqual(relayOptionsOf(config.relay).use, 'auto');
    assert.deepEqual(relayOptionsOf({ ...config.relay, use: false }).use, 'never');
    assert.equal(relayOptionsOf(config.relay).limits.reservationsMax, 8);
  });

  it('name every problem', () => {
    const problems: string[] = [];
    parseNodeConfig({ relay: { serve: 'yes', use: 1, reservations: 0, relays: [] }, mdns: 'on', holePunching: 'no' }, problems);
    assert.deepEqual(problems, [
      "unknown relay setting 'relays'",
      "'relay.serve' must be 'auto', true or false",
      "'relay.use' must be 'auto', true or false",
      "'relay.reservations' must be a positive integer",
      "'mdns' must be 'auto', true or false",
      "'holePunching' must be true or false",
    ]);
    const more: string[] = [];
    parseNodeConfig({ relay: [] }, more);
    assert.deepEqual(more, ["'relay' must be an object"]);
  });

  it('mDNS: as set, or in auto mode only for a node with LAN addresses and no public one', () => {
    assert.equal(lanDiscoveryEnabled(true, ['/ip4/127.0.0.1/tcp/0'], []), true);
    assert.equal(lanDiscoveryEnabled(false, ['/ip4/192.168.1.5/tcp/4100'], []), false);
    assert.equal(lanDiscoveryEnabled('auto', ['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/0'], []), false);
    assert.equal(lanDiscoveryEnabled('auto', ['/ip4/192.168.1.5/tcp/4100'], []), true);
    assert.equal(lanDiscoveryEnabled('auto', ['/ip4/192.168.1.5/tcp/4100'], ['/ip4/8.8.8.8/tcp/4100']), false);
    assert.equal(lanDiscoveryEnabled('auto', [], []), false);
  });
});
