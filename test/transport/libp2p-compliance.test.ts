/** The libp2p transport passes the transport compliance suite, on loopback. */
import type { Transport } from '../../src/transport/transport.ts';
import { waitFor } from '../support/wait-for.ts';
import { transportCompliance } from './compliance.ts';
import { startTestTransport, stopTestTransports, type TestTransport } from './libp2p-harness.ts';

transportCompliance('libp2p (TCP, Noise, Yamux on 127.0.0.1)', async () => {
  const nodes: TestTransport[] = [];
  return {
    start: async (count) => {
      const started = await Promise.all(Array.from({ length: count }, () => startTestTransport()));
      nodes.push(...started);
      return started.map((node) => node.transport);
    },
    crash: async (transport: Transport) => {
      const node = nodes.find((candidate) => candidate.transport === transport);
      if (node === undefined) throw new Error('not a transport of this fixture');
      await stopTestTransports([node]);
    },
    settle: (what, condition) => waitFor(what, condition),
    stop: () => stopTestTransports(nodes),
  };
});
