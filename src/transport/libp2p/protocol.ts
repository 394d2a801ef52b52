/**
 * The kernel's messages as a libp2p protocol, and the bounds on what one peer may make us hold.
 *
 * Protocol `/peergrid/kad/1.0.0`. Streams are one-way: the node that opens a stream writes, the
 * other only reads, and answers on a stream of its own. So each direction between two peers is one
 * long-lived stream, opened on the first message and reused, and a reply is just another message
 * (as in the kernel). Every frame is length-prefixed (frames.ts):
 *
 *   frame 0      the opener's address (peer-address.ts), UTF-8: the hello
 *   frame 1…     one kernel message each, in the wire codec's format (src/wire/codec.ts)
 *
 * The hello exists because the kernel hands a sender's address on to others in `nodes` replies,
 * and the address an inbound connection comes from is an ephemeral port nobody can dial. The
 * hello's peer id must be the one Noise authenticated; its multiaddrs are the sender's own claim,
 * just as identify's listen addresses are.
 */
import { Limits } from '../../core/limits.ts';

export const KAD_PROTOCOL = '/peergrid/kad/1.0.0';

export const StreamLimits = {
  /** One frame: the largest kernel message (the hello is smaller). */
  frameBytesMax: Limits.messageBytesMax,
  /** The hello is an address. */
  helloBytesMax: Limits.addressBytesMax,
  /** Our protocol's streams per connection and direction: one is the norm; a few cover reopening after a reset. */
  streamsPerConnectionMax: 4,
  /** Frames waiting while a link dials: a lookup's worth of requests and more; beyond it they are dropped. */
  queuedFramesPerLinkMax: 256,
  /** Bytes waiting while a link dials, or unsent in the stream's buffer: a few of the largest messages. */
  queuedBytesPerLinkMax: 1024 * 1024,
  /** Outbound links kept; the least recently used is closed beyond it (a connection manager prunes connections too). */
  linksMax: 1024,
  /** Addresses remembered as checked (verified-addresses.ts). */
  verifiedAddressesMax: 8192,
  /**
   * Our streams run on "limited" connections too — relayed ones, which the relay cuts after a
   * time or a number of bytes (relay-server-service.ts). A node that cannot be dialled is reachable
   * only that way, and the kernel's messages are small (a lookup's are a few hundred bytes); when a
   * relay cuts a connection the link closes, the kernel's timeouts cover what was lost, and the
   * next message opens a new one. DCUtR replaces the relayed connection by a direct one where it can.
   */
  runOnLimitedConnection: true,
} as const;
