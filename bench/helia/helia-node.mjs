/**
 * One Helia node (IPFS in JavaScript) in a process of its own, for the storage benchmark's side-by-side
 * figures (bench/storage/helia.ts). Plain JavaScript, not TypeScript: the project's `tsc` checks
 * bench/, and Helia's types are only there when this folder's own packages are installed.
 *
 *   node bench/helia/helia-node.mjs --dir DIR [--listen MULTIADDR]
 *
 * The node: libp2p over TCP with Noise and Yamux and identify, nothing else (no DHT, no bootstrap
 * list, no mDNS, no HTTP gateways or delegated routing: the machine has no network but loopback,
 * and a fetch must come from the one peer dialled); bitswap as the only block broker; blocks in
 * blockstore-fs (one file per block, written to a temporary file and renamed, never fsynced), the
 * rest in datastore-fs, both under DIR. Files are added as UnixFS with 1 MiB fixed-size chunks,
 * raw leaves, CIDv1, a balanced DAG of up to 1024 links per node, no encryption.
 *
 * Stdout: `{"event":"started",…}`, then one answer per command read on stdin as a JSON line,
 * carrying the command's `seq` (times are measured here, in milliseconds):
 *   {"op":"add","seq":1,"path":"/a/file"}          → {"cid","bytes","durationMs"}
 *   {"op":"connect","seq":2,"multiaddr":"/ip4/…"}  → {"durationMs"} once the peer is known to speak bitswap
 *   {"op":"cat","seq":3,"cid":"bafy…"}             → {"bytes","durationMs"}: every byte of the file read
 * It stops on SIGTERM, SIGINT or the end of stdin, so it never outlives the benchmark.
 */
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { withBitswap } from '@helia/bitswap';
import { withLibp2pLight } from '@helia/libp2p';
import { unixfs } from '@helia/unixfs';
import { identify } from '@libp2p/identify';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { FsBlockstore } from 'blockstore-fs';
import { FsDatastore } from 'datastore-fs';
import { createHeliaLight } from 'helia';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { CID } from 'multiformats/cid';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const MiB = 1 << 20;
const CHUNK_BYTES = MiB;
const LINKS_PER_NODE_MAX = 1024;
const BITSWAP_PROTOCOL_PREFIX = '/ipfs/bitswap/';
/** How long identify may take to tell us that a dialled peer speaks bitswap. */
const IDENTIFY_TIMEOUT_MS = 10_000;
const IDENTIFY_POLL_MS = 5;

/** How files are added: what the issue asks for, said explicitly rather than left to defaults that may change. */
const IMPORT_OPTIONS = {
  cidVersion: 1,
  rawLeaves: true,
  chunker: fixedSize({ chunkSize: CHUNK_BYTES }),
  layout: balanced({ maxChildrenPerNode: LINKS_PER_NODE_MAX }),
};

const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    listen: { type: 'string', default: '/ip4/127.0.0.1/tcp/0' },
  },
});
if (values.dir === undefined) throw new Error('--dir is required');

const write = (record) => process.stdout.write(`${JSON.stringify(record)}\n`);

// Watched before the node starts, so that a signal, or the end of stdin, during start-up still
// stops it once it is up.
let helia = null;
let stopRequested = false;
let stopping = null;
function stop() {
  stopRequested = true;
  if (helia === null) return Promise.resolve();
  const node = helia;
  stopping ??= node.stop().finally(() => process.exit(0));
  return stopping;
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
const commands = createInterface({ input: process.stdin });
commands.on('close', () => void stop());

const blockstore = new FsBlockstore(join(values.dir, 'blocks'));
const datastore = new FsDatastore(join(values.dir, 'datastore'));
await blockstore.open();
await datastore.open();
// The light node has no routers and no block brokers; libp2p and bitswap are added as mixins, so
// nothing reaches for the public network.
const node = withBitswap(withLibp2pLight(createHeliaLight({ blockstore, datastore }), {
  addresses: { listen: [values.listen] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: { identify: identify() },
}));
await node.start();
helia = node;
if (stopRequested) await stop();
const files = unixfs(node);

write({
  event: 'started',
  pid: process.pid,
  peerId: node.libp2p.peerId.toString(),
  multiaddrs: node.libp2p.getMultiaddrs().map((address) => address.toString()),
  versions: installedVersions(),
});

commands.on('line', (line) => {
  let command;
  try {
    command = JSON.parse(line);
  } catch {
    return;
  }
  const seq = command.seq;
  void answer(command).then(
    (result) => write({ seq, ...result }),
    (error) => write({ seq, error: error instanceof Error ? error.message : String(error) }),
  );
});

async function answer(command) {
  if (command.op === 'add' && typeof command.path === 'string') return add(command.path);
  if (command.op === 'connect' && typeof command.multiaddr === 'string') return connect(command.multiaddr);
  if (command.op === 'cat' && typeof command.cid === 'string') return cat(command.cid);
  throw new Error(`unknown command: ${JSON.stringify(command)}`);
}

/** Adds the file at `path`, read 1 MiB at a time; done when the root's CID is known (every block put). */
async function add(path) {
  const startedMs = performance.now();
  let bytes = 0;
  const counted = async function* () {
    for await (const piece of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      bytes += piece.length;
      yield piece;
    }
  };
  const cid = await files.addByteStream(counted(), IMPORT_OPTIONS);
  return { cid: cid.toString(), bytes, durationMs: performance.now() - startedMs };
}

/** Dials the peer and waits until identify says it speaks bitswap, so that a fetch after this starts with the peer already in bitswap's view. */
async function connect(address) {
  const startedMs = performance.now();
  const connection = await node.libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(IDENTIFY_TIMEOUT_MS) });
  const peer = connection.remotePeer;
  while (!(await speaksBitswap(peer))) {
    if (performance.now() - startedMs > IDENTIFY_TIMEOUT_MS) throw new Error(`${peer} did not say it speaks bitswap within ${IDENTIFY_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, IDENTIFY_POLL_MS));
  }
  return { peerId: peer.toString(), durationMs: performance.now() - startedMs };
}

async function speaksBitswap(peer) {
  try {
    const known = await node.libp2p.peerStore.get(peer);
    return known.protocols.some((protocol) => protocol.startsWith(BITSWAP_PROTOCOL_PREFIX));
  } catch {
    return false;
  }
}

/** Reads every byte of the file `cidText`: blocks missing here come over bitswap, are checked against their CIDs and stored. */
async function cat(cidText) {
  const startedMs = performance.now();
  let bytes = 0;
  for await (const piece of files.cat(CID.parse(cidText))) bytes += piece.length;
  return { bytes, durationMs: performance.now() - startedMs };
}

/** The versions installed here of what the node is made of (read from each package.json: not every package exports it). */
function installedVersions() {
  const names = [
    'helia', '@helia/unixfs', '@helia/bitswap', '@helia/libp2p', 'ipfs-unixfs-importer', 'blockstore-fs', 'datastore-fs',
    'libp2p', '@libp2p/tcp', '@chainsafe/libp2p-noise', '@chainsafe/libp2p-yamux', '@libp2p/identify',
  ];
  const here = new URL('./node_modules/', import.meta.url);
  return Object.fromEntries(names.map((name) => {
    try {
      return [name, JSON.parse(readFileSync(new URL(`${name}/package.json`, here), 'utf8')).version];
    } catch {
      return [name, null];
    }
  }));
}
