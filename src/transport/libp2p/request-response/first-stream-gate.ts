/**
 * Lets only one request at a time open the first stream to a peer we have no connection with.
 *
 * Why: a libp2p 3 muxer holds at most 10 streams that arrive before the new connection has been
 * handed to its listener, and beyond that aborts the whole connection (MaxEarlyStreamsError in
 * @libp2p/utils), so a burst of requests to a peer we are only now connecting to would kill every
 * one of them. Once one stream has been negotiated, the remote is listening for streams on that
 * connection, and the others may open theirs at once.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface';

/** First streams being opened, by node and peer id. */
const opening = new WeakMap<Libp2p, Map<string, Promise<unknown>>>();

/**
 * Opens a stream with `openStream`: at once when connected to `peerId` and no first stream is
 * being opened to it; else after that first stream has opened or failed; and when not connected,
 * as the first itself. `connected` says whether an open connection to the peer exists now.
 */
export async function openThroughGate(libp2p: Libp2p, peerId: PeerId, connected: () => boolean, openStream: () => Promise<Stream>, signal: AbortSignal): Promise<Stream> {
  let pending = opening.get(libp2p);
  if (pending === undefined) {
    pending = new Map();
    opening.set(libp2p, pending);
  }
  const key = peerId.toString();
  for (;;) {
    signal.throwIfAborted();
    const first = pending.get(key);
    // The connection may be up before the first stream is: the remote may still not be listening.
    if (first === undefined) {
      if (connected()) return openStream();
      break;
    }
    // Its outcome is its own; we only wait for it to settle (or for our own signal).
    await Promise.race([first.catch(() => {}), abortion(signal)]);
  }
  const attempt = openStream();
  pending.set(key, attempt);
  const forget = (): void => {
    if (pending.get(key) === attempt) pending.delete(key);
  };
  attempt.then(forget, forget);
  return attempt;
}

/** Resolves when `signal` aborts; the loop above then throws its reason. */
function abortion(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
