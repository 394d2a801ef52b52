/** Real libp2p nodes on loopback with request-response servers, for the request-response tests. */
import assert from 'node:assert/strict';
import type { Libp2p } from '@libp2p/interface';
import { RequestFailedError, type RequestFailureReason } from '../../src/transport/libp2p/request-response/request-failed-error.ts';
import type { RequestOptions } from '../../src/transport/libp2p/request-response/request-client.ts';
import { handleRequests, type RequestServer, type RequestServerOptions } from '../../src/transport/libp2p/request-response/request-server.ts';
import type { RequestHandler } from '../../src/transport/libp2p/request-response/serve-stream.ts';
import { startRawLibp2p } from './libp2p-harness.ts';

export const MiB = 1024 * 1024;

export interface RecordedOffence {
  readonly remotePeerId: string;
  readonly reason: string;
  readonly kind: string;
}

export interface TestServer {
  readonly server: RequestServer;
  readonly protocol: string;
  readonly offences: RecordedOffence[];
  readonly errors: unknown[];
}

let protocolsMade = 0;

/** A protocol id no other test uses, so each test registers its own server. */
export function freshProtocol(): string {
  protocolsMade++;
  return `/peergrid-test/request-response/${protocolsMade}/1.0.0`;
}

/** Nodes started by a suite, all stopped by `stopAll` even when a test failed. */
export class Nodes {
  private readonly started: Libp2p[] = [];

  async start(): Promise<Libp2p> {
    const node = await startRawLibp2p();
    this.started.push(node);
    return node;
  }

  async stopAll(): Promise<void> {
    await Promise.allSettled(this.started.map((node) => node.stop()));
  }
}

/** A server with generous limits, recording its offences and handler errors; `overrides` replace any option. */
export async function serve(libp2p: Libp2p, handler: RequestHandler, overrides: Partial<RequestServerOptions> = {}): Promise<TestServer> {
  const offences: RecordedOffence[] = [];
  const errors: unknown[] = [];
  const protocol = overrides.protocol ?? freshProtocol();
  const server = await handleRequests(libp2p, {
    protocol,
    handler,
    requestBytesMax: 1024,
    requestTimeoutMs: 10_000,
    inboundStreamsPerPeerMax: 64,
    inboundStreamsTotalMax: 256,
    onOffence: (remotePeerId, reason, kind) => offences.push({ remotePeerId, reason, kind }),
    onError: (error) => errors.push(error),
    ...overrides,
  });
  return { server, protocol, offences, errors };
}

/** Client limits generous enough for every test's responses; tests override what they test. */
export function clientOptions(overrides: Partial<RequestOptions> = {}): RequestOptions {
  return { responseFrameBytesMax: 4 * MiB, responseFramesMax: 64, timeoutMs: 30_000, idleTimeoutMs: 15_000, ...overrides };
}

/** The dial target of a node: its peer id and listening addresses. */
export function targetOf(node: Libp2p): { peerId: Libp2p['peerId']; multiaddrs: ReturnType<Libp2p['getMultiaddrs']> } {
  return { peerId: node.peerId, multiaddrs: node.getMultiaddrs() };
}

/** Bytes that depend on `seed` and their position, so a misplaced or corrupted byte shows. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

export function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected), `${what}: content`);
}

/** Asserts that `work` fails with a RequestFailedError of `reason`; returns the error. */
export async function expectFailure(work: Promise<unknown>, reason: RequestFailureReason): Promise<RequestFailedError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof RequestFailedError, `a RequestFailedError, not ${String(error)}`);
    assert.equal(error.reason, reason, error.message);
    return error;
  }
  assert.fail(`expected a '${reason}' failure, but the request succeeded`);
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
