/**
 * One system call per send on a TCP connection, rather than one per buffer.
 *
 * Noise hands the connection each send as a list of buffers — for every message its 2-byte length,
 * the encrypted yamux header, the body and the 16-byte tag — and @libp2p/tcp writes each buffer of
 * the list with its own `socket.write`: a fetch's source made 17,437 writes for 256 MiB, 5,409 of
 * them 2 bytes long and 4,592 of them 16 (`strace`, 2026-11-28). Corking the socket for the length
 * of one send has Node write the whole list at once (writev). The bytes on the wire are the same.
 * Alternating runs of `node bench/storage/single-source-get.ts 256`: the fetch at 245.9 and 250.8
 * MiB/s corked against 175.4 and 196.1 (docs/BENCHMARKS.md, "Corked writes").
 *
 * The connection encrypter is where our code first holds the raw connection, so the wrapper goes
 * there: before the handshake, it corks around the connection's `sendData` — the method
 * AbstractMessageStream calls to hand a transport its bytes — when the connection has a socket
 * that can be corked (TCP); any other connection (WebSockets, a relayed one) is left as it is.
 */
import type { ConnectionEncrypter, MessageStream } from '@libp2p/interface';

interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

/** What a TCP connection of @libp2p/tcp is, beyond MessageStream: its send method and its socket. */
interface TransportStream {
  sendData?: (data: unknown) => unknown;
  socket?: Partial<CorkableSocket>;
}

let connectionsCorked = 0;

/** Connections whose writes have been corked so far (tests, metrics). */
export function corkedConnections(): number {
  return connectionsCorked;
}

/** Corks `connection`'s socket around each of its sends, if it is a TCP connection; returns it. */
export function corkWrites<S extends MessageStream>(connection: S): S {
  const stream = connection as unknown as TransportStream;
  const socket = stream.socket;
  const sendData = stream.sendData;
  if (typeof sendData !== 'function' || typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return connection;
  const corkable = socket as CorkableSocket;
  stream.sendData = (data: unknown): unknown => {
    corkable.cork();
    let result: unknown;
    try {
      result = sendData.call(stream, data);
    } finally {
      corkable.uncork();
    }
    return afterUncork(result, corkable);
  };
  connectionsCorked++;
  return connection;
}

/**
 * While corked every write is buffered, so the socket says it is full (write returns false) as
 * soon as a send passes its high-water mark, though uncork then hands the whole send to the
 * kernel at once. Reported as it is, that would make the stream wait for a 'drain' the uncorked
 * socket may not need; so a send is reported full only if the socket still holds that much after it.
 */
function afterUncork(result: unknown, socket: CorkableSocket): unknown {
  const sent = result as { sentBytes?: unknown; canSendMore?: unknown } | undefined;
  const buffered = socket as Partial<{ writableLength: number; writableHighWaterMark: number }>;
  if (sent?.canSendMore !== false || typeof buffered.writableLength !== 'number' || typeof buffered.writableHighWaterMark !== 'number') return result;
  return { ...sent, canSendMore: buffered.writableLength < buffered.writableHighWaterMark };
}

/** `encrypter`, whose connections have their writes corked (corkWrites) before it secures them. */
export function withCorkedWrites<Extension, Components>(encrypter: (components: Components) => ConnectionEncrypter<Extension>): (components: Components) => ConnectionEncrypter<Extension> {
  return (components) => {
    const inner = encrypter(components);
    const secureInbound = inner.secureInbound.bind(inner);
    const secureOutbound = inner.secureOutbound.bind(inner);
    inner.secureInbound = (connection, options) => secureInbound(corkWrites(connection), options);
    inner.secureOutbound = (connection, options) => secureOutbound(corkWrites(connection), options);
    return inner;
  };
}
