/**
 * Content on the grid with real nodes in this process (libp2p on 127.0.0.1): placement of R copies
 * and K+M fragments on the closest nodes, retrieval from many holders, a holder that serves corrupt
 * blocks detected and avoided, a rebuild from fragments once the uploader is gone, a quota that
 * refuses, a re-put of an edited file that sends only its new blocks, and repair after a holder
 * leaves. test/devnet/storage-grid.test.ts does the same with separate processes and SIGKILL.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { NodeRuntime } from '../../src/runtime/node-runtime.ts';
import type { ExchangeService } from '../../src/runtime/exchange/exchange-service.ts';
import type { ExchangeRequest, ExchangeResponse } from '../../src/services/storage/exchange/exchange-messages.ts';
import { Codec, parseStorageCid, type CID } from '../../src/services/storage/dag/cids.ts';
import { CACHE_OWNER } from '../../src/runtime/storage/blockstore-limits.ts';
import { removeDataDirs, startRuntime, stopAll, temporaryDataDir, writeConfig } from './runtime-harness.ts';
import { waitFor } from '../support/wait-for.ts';
import { nodeHandlers, type GridApi } from '../../src/api/handlers.ts';
import { ContentNotFoundError, ContentRequestError } from '../../src/runtime/content-store-errors.ts';
import { targetOf } from '../../src/runtime/exchange/exchange-client.ts';
import { requestFrames } from '../../src/transport/libp2p/request-response/request-client.ts';
import type { PeerGuard } from '../../src/transport/peer-guard.ts';
import { BLOCKS_PROTOCOL, decodeResponse } from '../../src/services/storage/exchange/exchange-messages.ts';
import type { CheckProgress } from '../../src/runtime/exchange/content-checker.ts';

const NODES = 6;
const FILE_BYTES = 3 * 1024 * 1024;

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of source) parts.push(part);
  return Buffer.concat(parts);
}

/** Every block of the content under `ref` on `node`, through the links its store recorded. */
function blocksOf(node: NodeRuntime, root: CID): CID[] {
  const order = [root];
  const seen = new Set([root.toString()]);
  for (let index = 0; index < order.length; index++) {
    for (const child of node.content.store.links(order[index])) {
      if (seen.has(child.toString())) continue;
      seen.add(child.toString());
      order.push(child);
    }
  }
  return order;
}

/** Makes `node` flip a bit of every block it serves and of every storage proof it gives; returns what undoes it. */
function serveCorruptBlocks(node: NodeRuntime): () => void {
  const service = (node.grid as unknown as { service: ExchangeService }).service;
  const honest = service.answer.bind(service);
  service.answer = async (peerId: string, request: ExchangeRequest): Promise<ExchangeResponse> => {
    const response = await honest(peerId, request);
    if (response.kind !== 'block' && response.kind !== 'proof') return response;
    const bytes = Uint8Array.from(response.kind === 'block' ? response.bytes : response.digest);
    bytes[0] ^= 0x01;
    return response.kind === 'block' ? { kind: 'block', bytes } : { kind: 'proof', digest: bytes };
  };
  return () => {
    service.answer = honest;
  };
}

describe('content on a grid of nodes in one process', () => {
  const dataDirs: string[] = [];
  const nodes: NodeRuntime[] = [];
  const stopped = new Set<number>();

  before(async () => {
    for (let index = 0; index < NODES; index++) {
      const dataDir = await temporaryDataDir();
      dataDirs.push(dataDir);
      // Node 5 stores nothing for others; every node checks its holdings every two seconds and
      // re-creates a piece whose holder has been silent for two seconds. (Each check is a lookup
      // and a few `have`s per piece: shorter intervals load a two-core machine with the checks of
      // the pieces the earlier tests placed.)
      await writeConfig(dataDir, { storage: { maintenanceIntervalMs: 2000, repairGraceMs: 2000, ...(index === 5 ? { bytesForOthersMax: 0 } : {}) } });
      const node = await startRuntime(dataDir, index === 0 ? [] : [nodes[0].multiaddrs()[0]]);
      nodes.push(node);
      await node.joined;
    }
    // Every node knows every other before anything is placed.
    await waitFor('full routing tables', () => nodes.every((node) => node.contacts().length === NODES - 1), 20_000);
  });

  after(async () => {
    await stopAll(nodes.filter((_, index) => !stopped.has(index)));
    await removeDataDirs(dataDirs);
  });

  it('places R copies on the closest nodes; another node fetches the file from them, byte for byte', async () => {
    const bytes = randomBytes(FILE_BYTES);
    const added = await nodes[0].content.addFile(once(bytes), { encrypt: true });
    const placed = await nodes[0].grid.place(added.capability as string, { kind: 'replicate', copies: 3 });
    assert.equal(placed.piecesWanted, placed.blocks * 3);
    // Node 5 refuses (its quota is 0); the placer passes on to the next closest.
    assert.equal(placed.piecesStored, placed.piecesWanted, JSON.stringify(placed));
    assert.equal(placed.blocksShort, 0);
    assert.ok(placed.nodes >= 3);
    // The fetcher is the node holding the fewest blocks (not the uploader, nor node 5, which keeps
    // nothing for others): with three copies of each block among a handful of nodes, a fixed node
    // held every block in a few runs in a hundred, and then fetched nothing.
    const blocks = blocksOf(nodes[0], parseStorageCid(added.cid) as CID);
    const held = (node: NodeRuntime): number => blocks.filter((cid) => node.content.store.has(cid)).length;
    const fetcher = nodes.slice(1, 5).reduce((best, node) => (held(node) < held(best) ? node : best));
    assert.ok(held(fetcher) < blocks.length, 'every node holds every block: nothing to fetch');
    const report = await fetcher.grid.fetch(added.capability as string);
    assert.equal(report.blocksDone, placed.blocks);
    // Which holders serve is the scheduler's choice (the fastest first): with 13 blocks on a loaded
    // machine one holder may serve them all. The devnet test checks several sources on 64 MiB.
    assert.ok(report.sources >= 1, `blocks came from ${report.sources} holders`);
    const file = await fetcher.content.openFile(added.capability as string);
    assert.deepEqual(await readAll(file.body), bytes);
    // Fetched again: everything is here now.
    const again = await fetcher.grid.fetch(added.capability as string);
    assert.deepEqual([again.blocksLocal, again.bytesFetched], [placed.blocks, 0]);
  });

  it('a holder of a placed copy that fetches the content records the copy\'s links: a pin then keeps all of it through gc, and a check walks all of it', async () => {
    const bytes = randomBytes(FILE_BYTES);
    const added = await nodes[0].content.addFile(once(bytes), { encrypt: true });
    const ref = added.capability as string;
    const root = parseStorageCid(added.cid) as CID;
    const placed = await nodes[0].grid.place(ref, { kind: 'replicate', copies: 3 });
    assert.equal(placed.blocksShort, 0, JSON.stringify(placed));
    const all = blocksOf(nodes[0], root).map(String);
    // A node that keeps the root as a placed copy: it came as sealed bytes alone, without links.
    const holder = nodes.slice(1, 5).find((node) => node.content.store.has(root) && all.some((cid) => !node.content.store.has(parseStorageCid(cid) as CID)));
    assert.ok(holder, 'a node holding the root but not every block');
    assert.deepEqual(holder.content.store.links(root), []);
    await holder.grid.fetch(ref);
    assert.deepEqual(blocksOf(holder, root).map(String), all, 'the walk from the root reaches every block');
    const census = await holder.grid.check(ref, 'replicate:3');
    assert.deepEqual([census.blocks, census.blocksNotWalked], [all.length, 0]);
    holder.content.pin(ref, { name: 'kept' });
    await holder.content.gc(0);
    const file = await holder.content.openFile(ref);
    assert.deepEqual(await readAll(file.body), bytes);
    holder.content.unpin(ref, 'kept');
  });

  it('reads a file while it is fetched: a second fetch of it joins the first, and the reader gets every byte', async () => {
    const bytes = randomBytes(FILE_BYTES);
    const added = await nodes[0].content.addFile(once(bytes), { encrypt: false });
    const placed = await nodes[0].grid.place(added.cid, { kind: 'replicate', copies: 3 });
    assert.equal(placed.piecesStored, placed.piecesWanted, JSON.stringify(placed));
    const blocks = blocksOf(nodes[0], parseStorageCid(added.cid) as CID);
    const held = (node: NodeRuntime): number => blocks.filter((cid) => node.content.store.has(cid)).length;
    const reader = nodes.slice(1, 5).reduce((best, node) => (held(node) < held(best) ? node : best));
    assert.ok(held(reader) < blocks.length, 'every node holds every block: nothing to fetch');
    const fetching = reader.grid.fetch(added.cid);
    const joined = reader.grid.fetch(added.cid, () => {});
    const file = await reader.content.openFile(added.cid, { arriving: fetching });
    assert.deepEqual(await readAll(file.body), bytes);
    const [report, joinedReport] = await Promise.all([fetching, joined]);
    // One fetch, one report: the second request did not ask the holders again.
    assert.equal(joinedReport, report);
    assert.equal(report.blocksDone, blocks.length);
  });

  it("reads a sealed directory's files within its one fetch: the file routes start no fetch of their own while it runs", async () => {
    const files = [randomBytes(FILE_BYTES / 2), randomBytes(FILE_BYTES / 2)];
    const added = await Promise.all(files.map((bytes) => nodes[0].content.addFile(once(bytes), { encrypt: true })));
    const directory = await nodes[0].content.makeDirectory(added.map((file, index) => ({ name: `f${index}`, ref: file.capability as string })));
    const ref = directory.capability as string;
    const placed = await nodes[0].grid.place(ref, { kind: 'replicate', copies: 2 });
    assert.equal(placed.piecesStored, placed.piecesWanted, JSON.stringify(placed));
    const blocks = blocksOf(nodes[0], parseStorageCid(directory.cid) as CID);
    const held = (node: NodeRuntime): number => blocks.filter((cid) => node.content.store.has(cid)).length;
    const reader = nodes.slice(1, 5).reduce((best, node) => (held(node) < held(best) ? node : best));
    assert.ok(held(reader) < blocks.length, 'every node holds every block: nothing to fetch');
    // The routes as the API serves them, on a grid whose fetches are counted.
    const fetched: string[] = [];
    const listingsFetched: string[] = [];
    const grid: GridApi = {
      fetch: (fetchRef, onProgress) => {
        fetched.push(fetchRef);
        return reader.grid.fetch(fetchRef, onProgress);
      },
      fetchListing: (fetchRef) => {
        listingsFetched.push(fetchRef);
        return reader.grid.fetchListing(fetchRef);
      },
      fetchRange: (...args) => reader.grid.fetchRange(...args),
      runningFetch: (fetchRef, field) => reader.grid.runningFetch(fetchRef, field),
      place: (...args) => reader.grid.place(...args),
      check: (...args) => reader.grid.check(...args),
      status: () => reader.grid.status(),
    };
    const handlers = nodeHandlers(Object.assign(Object.create(reader) as NodeRuntime, { grid }));
    assert.equal(reader.grid.runningFetch(ref), null, 'none before it starts');
    const fetching = reader.grid.fetch(ref);
    assert.equal(reader.grid.runningFetch(ref), fetching);
    // The listing and both files asked for at once, while the fetch runs (it cannot have ended
    // within this turn of the event loop): each waits for its blocks from that fetch.
    const listed = handlers.listContent({ params: { ref }, query: {}, body: undefined });
    const answers = added.map((file) => handlers.getContent({ params: { ref: file.capability as string }, query: { within: ref }, body: undefined }));
    const listing = await listed;
    assert.deepEqual(listing.entries.map((entry) => [entry.name, entry.ref]), added.map((file, index) => [`f${index}`, file.capability]));
    for (const [index, answer] of answers.entries()) assert.deepEqual(await readAll((await answer).body as AsyncIterable<Uint8Array>), files[index]);
    // The listing joined the directory's fetch (fetchListing joins a running whole fetch); no file started one.
    assert.deepEqual([fetched, listingsFetched], [[], [ref]]);
    assert.equal((await fetching).blocksDone, blocks.length);
    // Once that fetch is over, `within` finds none running and the file's own fetch (all here) serves.
    assert.equal(reader.grid.runningFetch(ref), null);
    const again = await handlers.getContent({ params: { ref: listing.entries[0].ref }, query: { within: ref }, body: undefined });
    assert.deepEqual(await readAll(again.body as AsyncIterable<Uint8Array>), files[0]);
    assert.deepEqual(fetched, [listing.entries[0].ref]);
    // A `within` that is no ref is the caller's mistake, named as such (400).
    await assert.rejects(
      handlers.getContent({ params: { ref: listing.entries[0].ref }, query: { within: 'hello' }, body: undefined }),
      (error: unknown) => error instanceof ContentRequestError && /^within: not a CID or a capability/.test(error.message),
    );
  });

  for (const encrypt of [false, true]) {
    it(`listing a directory that is not here (${encrypt ? 'encrypted' : 'plain'}) brings its block and its entries' roots, not the tree below them`, async () => {
      const files = [randomBytes(FILE_BYTES / 2), randomBytes(FILE_BYTES / 2)];
      const added = await Promise.all(files.map((bytes) => nodes[1].content.addFile(once(bytes), { encrypt })));
      const refOf = (item: { cid: string; capability: string | null }): string => item.capability ?? item.cid;
      const directory = await nodes[1].content.makeDirectory(added.map((file, index) => ({ name: `f${index}`, ref: refOf(file) })), { encrypt });
      const ref = refOf(directory);
      const placed = await nodes[1].grid.place(ref, { kind: 'replicate', copies: 2 });
      assert.equal(placed.piecesStored, placed.piecesWanted, JSON.stringify(placed));
      const root = parseStorageCid(directory.cid) as CID;
      const below = blocksOf(nodes[1], root).slice(1).map(String);
      const entryRoots = added.map((file) => file.cid);
      assert.ok(below.length > entryRoots.length, 'the files have blocks below their roots');
      // Some nodes hold some of the blocks as placed copies: a reader without the directory block
      // will do, and what it holds below the root is compared before and after.
      const reader = nodes.slice(2, 5).find((node) => !node.content.store.has(root));
      assert.ok(reader, 'a node without the directory block');
      const heldBelow = (): string[] => below.filter((cid) => reader.content.store.has(parseStorageCid(cid) as CID));
      const heldBefore = heldBelow();
      const handlers = nodeHandlers(reader);
      const listing = await handlers.listContent({ params: { ref }, query: {}, body: undefined });
      assert.deepEqual(listing.entries.map((entry) => [entry.name, entry.ref, entry.bytes]), added.map((file, index) => [`f${index}`, refOf(file), files[index].length]));
      // Whatever fetch the listing started has ended (joined here, it brings nothing more), and no
      // fetch of the whole directory ran: what came is the directory's block and its entries' roots.
      await reader.grid.fetchListing(ref);
      assert.equal(reader.grid.runningFetch(ref), null);
      assert.ok(reader.content.store.has(root));
      const came = heldBelow().filter((cid) => !heldBefore.includes(cid));
      assert.deepEqual(came.sort(), entryRoots.filter((cid) => !heldBefore.includes(cid)).sort());
      // A file's listing reads its root only, here already: nothing more comes.
      const file = await handlers.listContent({ params: { ref: refOf(added[0]) }, query: {}, body: undefined });
      assert.deepEqual([file.kind, file.bytes], ['file', files[0].length]);
      await reader.grid.fetchListing(refOf(added[0]));
      assert.deepEqual(heldBelow().filter((cid) => !heldBefore.includes(cid)).sort(), came);
    });
  }

  for (const encrypt of [false, true]) {
    it(`a byte range of a file not here (${encrypt ? 'encrypted' : 'plain'}) fetches the blocks under it, not the file`, async () => {
      const bytes = randomBytes(FILE_BYTES);
      const added = await nodes[0].content.addFile(once(bytes), { encrypt });
      const ref = (added.capability ?? added.cid) as string;
      const placed = await nodes[0].grid.place(ref, { kind: 'replicate', copies: 2 });
      assert.equal(placed.blocksShort, 0, JSON.stringify(placed));
      const blocks = blocksOf(nodes[0], parseStorageCid(added.cid) as CID);
      const held = (node: NodeRuntime): number => blocks.filter((cid) => node.content.store.has(cid)).length;
      const reader = nodes.slice(1, 5).reduce((best, node) => (held(node) < held(best) ? node : best));
      const before = held(reader);
      const handlers = nodeHandlers(reader);
      const start = 1_000_000;
      const answer = await handlers.getContent({ params: { ref }, query: { range: `bytes=${start}-${start + 99_999}` }, body: undefined });
      assert.deepEqual(answer.range, { start, end: start + 99_999, total: bytes.length });
      assert.deepEqual(await readAll(answer.body), bytes.subarray(start, start + 100_000));
      // 100 KB of a 3 MiB file: at most two chunks (256 KiB on average) and the root came.
      const came = held(reader) - before;
      assert.ok(came <= 3, `${came} blocks fetched for the range (the file has ${blocks.length}; ${before} were here)`);
      assert.ok(held(reader) < blocks.length, 'the file is not all here');
    });
  }

  it('a node that stores nothing for others refuses with a clear reason, and counts it per peer', async () => {
    const refused = await nodes[5].grid.status();
    assert.equal(refused.piecesHeld, 0);
    assert.equal(refused.bytesForOthersMax, 0);
    const bytes = randomBytes(300_000);
    const added = await nodes[1].content.addFile(once(bytes), { encrypt: false });
    const placed = await nodes[1].grid.place(added.cid, { kind: 'replicate', copies: NODES });
    assert.ok(placed.refusals > 0, JSON.stringify(placed));
    assert.equal(placed.blocksShort, placed.blocks, 'only five nodes take copies');
    const ledger = nodes[5].grid.status().peers.find((peer) => peer.peer === nodes[1].peerId);
    assert.ok(ledger !== undefined && ledger.refusals > 0);
  });

  it('a re-put of a file with one byte changed sends only the changed chunks and the new root', async () => {
    const bytes = randomBytes(FILE_BYTES);
    const first = await nodes[2].content.addFile(once(bytes), { encrypt: false });
    const placedFirst = await nodes[2].grid.place(first.cid, { kind: 'replicate', copies: 2 });
    const edited = Buffer.from(bytes);
    edited[FILE_BYTES / 2] ^= 0xff;
    const second = await nodes[2].content.addFile(once(edited), { encrypt: false });
    const placed = await nodes[2].grid.place(second.cid, { kind: 'replicate', copies: 2 });
    assert.ok(placedFirst.blocks >= 8);
    // At most 2 chunks are new (the edited one and, if a cut moved, its neighbour), and the root.
    const firstBlocks = new Set(blocksOf(nodes[2], parseStorageCid(first.cid) as CID).map(String));
    const fresh = blocksOf(nodes[2], parseStorageCid(second.cid) as CID).filter((cid) => !firstBlocks.has(cid.toString()));
    assert.ok(fresh.length <= 3, `${fresh.length} new blocks`);
    // Only those are sent again (two copies each; one more block's worth allowed for a lookup that,
    // on a loaded machine, finds a different closest node than the first put did).
    assert.ok(placed.piecesSent <= 2 * fresh.length + 2, `sent ${placed.piecesSent} pieces of ${placed.blocks} blocks again`);
  });

  it('check counts each block\'s kept pieces at its closest nodes: healthy as placed, degraded or lost under more, topped up by placing again', async () => {
    const added = await nodes[2].content.addFile(once(randomBytes(FILE_BYTES)), { encrypt: true });
    const ref = added.capability as string;
    const placed = await nodes[2].grid.place(ref, { kind: 'replicate', copies: 2 });
    assert.equal(placed.blocksShort, 0, JSON.stringify(placed));
    const progress: CheckProgress[] = [];
    const healthy = await nodes[2].grid.check(ref, 'replicate:2', (figures) => progress.push(figures));
    assert.deepEqual(
      [healthy.blocks, healthy.healthy, healthy.degraded, healthy.lost, healthy.piecesFound, healthy.piecesMin, healthy.blocksNotWalked],
      [placed.blocks, placed.blocks, 0, 0, 2 * placed.blocks, 2, 0],
      JSON.stringify(healthy),
    );
    assert.ok(healthy.nodes >= 2);
    assert.ok(progress.length > 0 && progress.every((figures) => figures.blocksChecked <= figures.blocks));
    assert.deepEqual([healthy.verified, healthy.claimsAudited], [false, 0]);
    // Audited: every remote copy is fetched and hashes to its CID; the counts stay.
    const audited = await nodes[2].grid.check(ref, 'replicate:2', undefined, true);
    assert.deepEqual([audited.verified, audited.healthy, audited.piecesFound, audited.claimsFailed], [true, placed.blocks, 2 * placed.blocks, 0], JSON.stringify(audited));
    assert.equal(audited.claimsAudited, 2 * placed.blocks - placed.piecesHere, 'every copy but our own was audited');
    assert.equal(audited.claimsChallenged, audited.claimsAudited, 'by challenge: the blocks are here');
    // Judged against more copies than were placed: every block is short, none is lost.
    const strict = await nodes[2].grid.check(ref, { kind: 'replicate', copies: 4 });
    assert.deepEqual([strict.healthy, strict.degraded, strict.lost, strict.piecesMin], [0, placed.blocks, 0, 2], JSON.stringify(strict));
    // Whole copies are not fragments: under erasure 2+2 nothing is readable.
    const fragments = await nodes[2].grid.check(ref, 'erasure:2+2');
    assert.deepEqual([fragments.lost, fragments.lostBlocks.length, fragments.nodes], [placed.blocks, Math.min(placed.blocks, 20), 0]);
    // Placing under 4 copies sends what is short; the census then finds every block healthy
    // (five nodes take copies: node 5 stores nothing for others).
    const toppedUp = await nodes[2].grid.place(ref, { kind: 'replicate', copies: 4 });
    assert.equal(toppedUp.blocksShort, 0, JSON.stringify(toppedUp));
    assert.ok(toppedUp.piecesSent <= 2 * placed.blocks, `${toppedUp.piecesSent} pieces sent where ${2 * placed.blocks} were short`);
    const after = await nodes[2].grid.check(ref, 'replicate:4');
    assert.deepEqual([after.healthy, after.piecesFound], [placed.blocks, 4 * placed.blocks], JSON.stringify(after));
    // Content kept only where it was added has no piece on the grid.
    const local = await nodes[2].content.addFile(once(randomBytes(300_000)), { encrypt: false });
    const alone = await nodes[2].grid.check(local.cid, 'replicate:1');
    assert.deepEqual([alone.lost, alone.nodes], [alone.blocks, 0]);
    // From a node that holds none of it (node 5 keeps nothing for others): the content's structure
    // is fetched, not its chunks, and the census is the same.
    const stranger = nodes[5];
    const leaves = blocksOf(nodes[2], parseStorageCid(added.cid) as CID).slice(1);
    assert.equal(stranger.content.store.has(parseStorageCid(added.cid) as CID), false);
    const fromStranger = await stranger.grid.check(ref, 'replicate:4', undefined, true);
    assert.deepEqual([fromStranger.blocks, fromStranger.healthy, fromStranger.blocksNotWalked, fromStranger.claimsFailed], [placed.blocks, placed.blocks, 0, 0], JSON.stringify(fromStranger));
    // Audited: the pieces of blocks it has (the structure) by challenge, the chunks by download.
    assert.ok(fromStranger.claimsChallenged > 0 && fromStranger.claimsChallenged < fromStranger.claimsAudited, JSON.stringify(fromStranger));
    assert.deepEqual(leaves.filter((cid) => stranger.content.store.has(cid)).map(String), [], 'no chunk was fetched');
    // It cannot place what it does not have, and says so.
    await assert.rejects(stranger.grid.place(ref, 'replicate:4'), /placement sends every block from this node: get the content here first/);
    // Refused at once: a bad scheme. Content nobody has: a one-block file is simply lost; a
    // manifest nobody has fails as a fetch of it would.
    assert.throws(() => nodes[2].grid.check(ref, 'replicate:0'), ContentRequestError);
    const gone = async (bytes: number): Promise<string> => {
      const added = await nodes[3].content.addFile(once(randomBytes(bytes)), { encrypt: false });
      nodes[3].content.unpin(added.cid);
      await nodes[3].content.gc(0);
      return added.cid;
    };
    const lostBlock = await nodes[2].grid.check(await gone(1000), 'replicate:2');
    assert.deepEqual([lostBlock.blocks, lostBlock.lost], [1, 1]);
    await assert.rejects(nodes[2].grid.check(await gone(FILE_BYTES / 3), 'replicate:2'), ContentNotFoundError);
  });

  it('placement leases every piece for storage.leaseMs, not a store\'s day; a check with renew from another node renews them all', async () => {
    const bytes = randomBytes(FILE_BYTES);
    const added = await nodes[0].content.addFile(once(bytes), { encrypt: false });
    const root = parseStorageCid(added.cid) as CID;
    const placedAtMs = Date.now();
    const placed = await nodes[0].grid.place(added.cid, 'replicate:2');
    assert.equal(placed.blocksShort, 0, JSON.stringify(placed));
    const blocks = blocksOf(nodes[0], root).map(String);
    const leases = (): number[] => nodes.flatMap((node) => blocks.flatMap((block) => node.grid.holdings.piecesOf(block).map((piece) => piece.leaseExpiresAtMs)));
    const placedLeases = leases();
    assert.ok(placedLeases.length >= 2 * blocks.length, `${placedLeases.length} pieces for ${blocks.length} blocks`);
    const leaseMs = 90 * 24 * 3600 * 1000;
    for (const lease of placedLeases) assert.ok(lease >= placedAtMs + leaseMs - 1000, `a lease to ${new Date(lease).toISOString()}`);
    assert.equal(nodes[0].grid.holdings.contentLease(root.toString())?.redundancy, 'replicate:2', 'the scheme the lease keeper renews under');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const census = await nodes[3].grid.check(added.cid, 'replicate:2', undefined, false, true);
    assert.equal(census.healthy, blocks.length);
    const renewedLeases = leases();
    assert.equal(renewedLeases.length, placedLeases.length);
    renewedLeases.forEach((lease, index) => assert.ok(lease > placedLeases[index], 'renewed later, so longer'));
    const status = nodes[0].grid.status();
    assert.equal(status.leases.leaseMs, leaseMs);
    assert.ok(status.leases.piecesExpiringWithinWeek === 0 && status.maintenance.piecesExpired === 0);
    // A holder of an earlier version refuses `renew` (without blame); it is asked `have` instead,
    // and its pieces still count.
    const holder = nodes.find((node, index) => index !== 3 && blocks.some((block) => node.grid.holdings.piecesOf(block).length > 0)) as NodeRuntime;
    const service = (holder.grid as unknown as { service: ExchangeService }).service;
    const honest = service.answer.bind(service);
    service.answer = async (peerId: string, request: ExchangeRequest): Promise<ExchangeResponse> =>
      request.kind === 'renew' ? { kind: 'refused', reason: 'invalid', message: 'a request kind this node does not know (0x8): it runs an earlier version' } : honest(peerId, request);
    try {
      const again = await nodes[3].grid.check(added.cid, 'replicate:2', undefined, false, true);
      assert.equal(again.healthy, blocks.length, JSON.stringify(again));
    } finally {
      service.answer = honest;
    }
  });

  it('a holder that serves corrupt blocks is detected, penalised and avoided; the file still comes back whole', async () => {
    const liar = nodes[3];
    const restore = serveCorruptBlocks(liar);
    try {
      const bytes = randomBytes(FILE_BYTES);
      const added = await nodes[0].content.addFile(once(bytes), { encrypt: false });
      // Five copies: every node but the one that refuses everything holds every block, the liar too.
      const placed = await nodes[0].grid.place(added.cid, { kind: 'replicate', copies: 5 });
      assert.equal(placed.blocksShort, 0, JSON.stringify(placed));
      const report = await nodes[5].grid.fetch(added.cid);
      assert.ok(report.penalised.includes(liar.peerId), `penalised: ${report.penalised.join(', ')}`);
      const file = await nodes[5].content.openFile(added.cid);
      assert.deepEqual(await readAll(file.body), bytes);
    } finally {
      restore();
    }
  });

  it('check --verify finds a holder that sends bad bytes for the copies it claims: they do not count, and it is penalised', async () => {
    const liar = nodes[3];
    const added = await nodes[1].content.addFile(once(randomBytes(FILE_BYTES / 3)), { encrypt: false });
    // Five copies: every node but the one that refuses everything holds every block, the liar too.
    const placed = await nodes[1].grid.place(added.cid, { kind: 'replicate', copies: 5 });
    assert.equal(placed.blocksShort, 0, JSON.stringify(placed));
    // From now on it serves corrupt bytes for the copies it keeps.
    const restore = serveCorruptBlocks(liar);
    try {
      // Its copy counts while its word is taken, and not once it has to send it.
      const believed = await nodes[1].grid.check(added.cid, 'replicate:5');
      assert.equal(believed.healthy, placed.blocks, JSON.stringify(believed));
      const audited = await nodes[1].grid.check(added.cid, 'replicate:5', undefined, true);
      assert.equal(believed.piecesFound - audited.piecesFound, placed.blocks, `${JSON.stringify(believed)} ${JSON.stringify(audited)}`);
      assert.deepEqual([audited.healthy, audited.degraded, audited.claimsFailed, audited.failedHolders], [0, placed.blocks, placed.blocks, [liar.peerId]]);
      // Penalised for its bad data (once banned, its later answers no longer come: they fail too).
      assert.ok(nodes[1].grid.ledger.countersOf(liar.peerId).invalidBlocks >= 1, 'the liar is counted for its bad data');
    } finally {
      restore();
    }
  });

  it('a holder that claims copies it never took fools a plain check and placement; --verify finds it, and a placement passing over it makes real copies', async () => {
    const liar = nodes[4];
    const service = (liar.grid as unknown as { service: ExchangeService }).service;
    const honest = service.answer.bind(service);
    // It says it keeps whatever it is asked about, and has none of it to send.
    service.answer = async (peerId: string, request: ExchangeRequest): Promise<ExchangeResponse> => {
      if (request.kind === 'have' || request.kind === 'renew') return { kind: 'haves', entries: request.blocks.map(() => ({ block: true, kept: true, fragments: [] })) };
      if (request.kind === 'getBlock') return { kind: 'notFound' };
      return honest(peerId, request);
    };
    try {
      const added = await nodes[2].content.addFile(once(randomBytes(FILE_BYTES / 3)), { encrypt: false });
      // Three copies: the placer asks all six nodes, believes the liar and sends two real copies.
      const placed = await nodes[2].grid.place(added.cid, { kind: 'replicate', copies: 3 });
      assert.deepEqual([placed.blocksShort, placed.piecesExisting], [0, placed.blocks], JSON.stringify(placed));
      const believed = await nodes[2].grid.check(added.cid, 'replicate:3');
      assert.equal(believed.healthy, placed.blocks);
      const audited = await nodes[2].grid.check(added.cid, 'replicate:3', undefined, true);
      assert.deepEqual([audited.healthy, audited.degraded, audited.claimsFailed, audited.failedHolders], [0, placed.blocks, placed.blocks, [liar.peerId]]);
      // Not penalised: it sent nothing bad, it only had nothing (it may have dropped the pieces since).
      assert.equal(nodes[2].grid.ledger.countersOf(liar.peerId).invalidBlocks, 0);
      const repaired = await nodes[2].grid.place(added.cid, 'replicate:3', undefined, audited.failedHolders);
      assert.equal(repaired.piecesSent + repaired.piecesHere - placed.piecesHere, placed.blocks, JSON.stringify(repaired));
      const after = await nodes[2].grid.check(added.cid, 'replicate:3', undefined, true);
      assert.equal(after.healthy, placed.blocks, JSON.stringify(after));
    } finally {
      service.answer = honest;
    }
  });

  it('a block read by three peers turns hot: its holder pushes a cache copy to the closest node without it, which serves it', async () => {
    // Under the chunker's minimum: one raw block, the root itself.
    const bytes = randomBytes(40_000);
    const uploader = nodes[1];
    const added = await uploader.content.addFile(once(bytes), { encrypt: false });
    const root = parseStorageCid(added.cid) as CID;
    assert.equal(root.code, Codec.raw);
    await uploader.grid.place(added.cid, { kind: 'replicate', copies: 1 });
    // One source only, so that every reader asks the same holder: unless the uploader keeps the one
    // copy itself, it forgets its own; and each reader forgets what it fetched (below).
    if (uploader.grid.holdings.piecesOf(root.toString()).length === 0) {
      uploader.content.store.unpin(root);
      await uploader.content.store.delete(root);
    }
    const holders = nodes.filter((node) => node.content.store.has(root));
    assert.equal(holders.length, 1);
    const holder = holders[0];
    // Earlier tests' blocks may have turned hot too: count only what this test adds.
    const pushedBefore = holder.grid.status().cache.pushes.pushed;
    const readers = nodes.filter((node) => node !== holder).slice(0, 3);
    for (const reader of readers) {
      const report = await reader.grid.fetch(added.cid);
      assert.equal(report.bytesFetched, bytes.length);
      await reader.content.store.delete(root);
    }
    // The copy goes to the closest node that lacks it, the readers passed over (they were about to hold it).
    const others = nodes.filter((node) => node !== holder && !readers.includes(node));
    const cachedHere = (node: NodeRuntime): boolean => node.content.store.stat(root)?.owner === CACHE_OWNER;
    // The receiver holds the copy a moment before the holder has its answer and counts the push.
    const pushes = (): number => holder.grid.status().cache.pushes.pushed - pushedBefore;
    await waitFor('a cache copy pushed', () => others.some(cachedHere) && pushes() > 0, 30_000).catch((error: Error) => {
      const seen = nodes.map((node, index) => `node ${index}: has ${node.content.store.has(root)} (${node.content.store.stat(root)?.owner}), ${JSON.stringify(node.grid.status().cache)}`);
      throw new Error(`${error.message}; ${seen.join('; ')}`);
    });
    assert.ok(readers.every((reader) => !reader.content.store.has(root)), 'no copy went to a reader');
    assert.equal(pushes(), 1, 'the three readers made the block hot once');
    // The copy is a cache: held, not kept, charged to nobody, not a piece maintenance keeps.
    const cacheNode = others.find(cachedHere) as NodeRuntime;
    const service = (cacheNode.grid as unknown as { service: ExchangeService }).service;
    const have = await service.answer(readers[0].peerId, { kind: 'have', blocks: [root] });
    assert.deepEqual(have, { kind: 'haves', entries: [{ block: true, fragments: [] }] });
    assert.equal(cacheNode.grid.holdings.piecesOf(root.toString()).length, 0);
    const served = await service.answer(readers[0].peerId, { kind: 'getBlock', cid: root });
    assert.equal(served.kind, 'block', JSON.stringify(served));
    assert.ok(served.kind === 'block' && Buffer.from(served.bytes).equals(bytes));
  });

  it('repairs: after a holder leaves, the others re-create its copies once the grace period is over', async () => {
    const bytes = randomBytes(1024 * 1024);
    const added = await nodes[1].content.addFile(once(bytes), { encrypt: false });
    const placed = await nodes[1].grid.place(added.cid, { kind: 'replicate', copies: 3 });
    assert.equal(placed.blocksShort, 0);
    const blocks = blocksOf(nodes[1], parseStorageCid(added.cid) as CID).map(String);
    const holdersOf = (block: string, among: readonly number[]): number => among.filter((index) => nodes[index].grid.holdings.piecesOf(block).length > 0).length;
    // Stop a holder that is neither the uploader nor node 0 (the others' bootstrap).
    const victim = [2, 3, 4].find((index) => blocks.some((block) => holdersOf(block, [index]) > 0)) as number;
    stopped.add(victim);
    await nodes[victim].stop();
    const live = [...Array(NODES).keys()].filter((index) => !stopped.has(index));
    await waitFor('three live holders of every block again', () => blocks.every((block) => holdersOf(block, live) >= 3), 150_000).catch((error: Error) => {
      // Say what was seen, so a failure on a loaded machine can be told from a repair that never came.
      const counts = blocks.map((block) => holdersOf(block, live));
      const stats = live.map((index) => `node ${index}: ${JSON.stringify(nodes[index].grid.maintenance.stats)}`);
      throw new Error(`${error.message}; live holders per block ${counts.join(',')}; ${stats.join('; ')}`);
    });
    const created = live.reduce((sum, index) => sum + nodes[index].grid.maintenance.stats.piecesCreated, 0);
    assert.ok(created > 0);
    // The owner's census agrees: every block has its three copies again.
    const census = await nodes[1].grid.check(added.cid, 'replicate:3');
    assert.deepEqual([census.healthy, census.lost], [blocks.length, 0], JSON.stringify(census));
  });

  it('erasure 2+2: fragments on four distinct nodes; with the uploader gone, a reader rebuilds each block from two', async () => {
    const bytes = randomBytes(FILE_BYTES);
    const uploader = 4;
    assert.ok(!stopped.has(uploader));
    const added = await nodes[uploader].content.addFile(once(bytes), { encrypt: true });
    const placed = await nodes[uploader].grid.place(added.capability as string, { kind: 'erasure', dataFragments: 2, parityFragments: 2 });
    assert.equal(placed.piecesWanted, placed.blocks * 4);
    assert.equal(placed.blocksShort, 0, JSON.stringify(placed));
    stopped.add(uploader);
    await nodes[uploader].stop();
    const reader = [0, 1, 2, 3, 5].find((index) => !stopped.has(index)) as number;
    const report = await nodes[reader].grid.fetch(added.capability as string);
    assert.ok(report.blocksRebuilt > 0, JSON.stringify(report));
    const file = await nodes[reader].content.openFile(added.capability as string);
    assert.deepEqual(await readAll(file.body), bytes);
    // The reader now has the content, so it can take the census: with the uploader gone every
    // block still has at least two distinct fragments on the grid.
    const census = await nodes[reader].grid.check(added.capability as string, 'erasure:2+2', undefined, true);
    assert.deepEqual([census.blocks, census.lost, census.blocksNotWalked, census.claimsFailed], [placed.blocks, 0, 0, 0], JSON.stringify(census));
    assert.ok(census.piecesMin >= 2);
    // Audited against the blocks themselves: the reader has them now, so it knows every fragment's digest.
    assert.ok(census.claimsAudited >= 2 * placed.blocks && census.fragmentsCheckedAgainstBlock === census.claimsAudited, JSON.stringify(census));
  });

  // Last: the malformed request below counts against node 0 on node 1.
  it('a request kind this version does not know (a newer peer\'s) is refused without blame; a response sent as a request is an offence', async () => {
    const [asker, server] = [nodes[0], nodes[1]];
    const target = targetOf(server.self);
    const options = { responseFrameBytesMax: 1 << 16, responseFramesMax: 1, timeoutMs: 10_000, idleTimeoutMs: 10_000 };
    const { guard, nowMs } = (server.grid as unknown as { parts: { guard: PeerGuard; nowMs: () => number } }).parts;
    const offences = (): number => guard.offenders(nowMs(), 1000).find((entry) => entry.remote === asker.peerId)?.offences ?? 0;
    const before = offences();
    const refusalOf = async (request: Uint8Array): Promise<ExchangeResponse> => {
      const [frame] = await requestFrames(asker.libp2pNode, target, BLOCKS_PROTOCOL, request, options);
      const answer = decodeResponse(frame);
      assert.ok(answer.ok, 'an answer');
      return answer.value;
    };
    const unknown = await refusalOf(Uint8Array.of(1, 0x7e, 0, 0));
    assert.equal(unknown.kind, 'refused');
    assert.match((unknown as { message: string }).message, /a request kind this node does not know \(0x7e\): it runs an earlier version/);
    assert.equal(offences(), before, 'not counted against the asker');
    const malformed = await refusalOf(Uint8Array.of(1, 0x81));
    assert.match((malformed as { message: string }).message, /an undecodable request/);
    assert.equal(offences(), before + 1);
  });
});
