/**
 * A TCP relay on 127.0.0.1 that delays every chunk by a fixed one-way time in each direction, so
 * that counting round trips becomes measuring time: on loopback a round trip costs ~0 and what a
 * dial costs there is CPU. Order is kept per direction (a chunk never leaves before the one ahead).
 *
 * What it cannot delay is TCP's own handshake: the dialler's connect() completes against the relay
 * at once. That one round trip is added by whoever reads the figures (connection-setup.ts).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface DelayProxy {
  readonly port: number;
  close(): Promise<void>;
}

export async function startDelayProxy(targetPort: number, oneWayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    relay(inbound, outbound, oneWayMs);
    relay(outbound, inbound, oneWayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('delay proxy: no port');
  return {
    port: address.port,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** Copies `from` to `to`, each chunk `oneWayMs` after it arrived; the end and errors follow the same way. */
function relay(from: Socket, to: Socket, oneWayMs: number): void {
  let lastDueMs = 0;
  const later = (action: () => void): void => {
    // Timers of equal delay fire in order; max() guards against a clock step.
    const dueMs = Math.max(performance.now() + oneWayMs, lastDueMs);
    lastDueMs = dueMs;
    setTimeout(action, dueMs - performance.now());
  };
  from.on('data', (chunk: Buffer) => later(() => {
    if (!to.destroyed) to.write(chunk);
  }));
  from.on('end', () => later(() => to.end()));
  from.on('close', () => later(() => to.destroy()));
}
