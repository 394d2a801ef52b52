/**
 * Keeping the index's replicas (issue 7, item 1: "replicated and repaired like other values";
 * docs/SEARCH.md, "Repair"). Every `repairIntervalMs` a node compares each list it holds with the
 * other nodes closest to the term (from its routing table, skipping those that fail, until
 * `replicas` answer): it asks each of those nodes once for the digests of all the lists they share
 * (`digests`, up to 1,024 a request), and where a digest differs from its own it sends its list and
 * takes theirs (anti-entropy both ways, so a replica that missed postings and one that holds newer
 * ones both converge), with the document records, and hands them its withdrawals. The publishers'
 * summaries go to the nodes closest to the corpus key the same way. Expired entries are dropped
 * first. This is Kademlia's hourly replication (Maymounkov & Mazières 2002, §2.5), with digests so
 * that lists already alike cost next to nothing.
 *
 * Until 2026-11-29 a round asked one `count` per list and replica, one after another: about 600
 * requests a round for each node of the 8-node devnet test, whose rounds (every 4 s there) then
 * took much of the CPU its nodes had for publishing (docs/SEARCH.md, "Repair", has the figures). A
 * node that refuses `digests` (an earlier version) is still asked list by list.
 */
import { POSTING_ALL_FIELDS, decodePostingPage, type SignedPosting } from '../../services/search/posting.ts';
import type { SignedDocumentRecord } from '../../services/search/document-record.ts';
import { SearchLimits, type ListDigest } from '../../services/search/search-messages.ts';
import type { IndexNode, IndexNodes } from './index-nodes.ts';
import type { SearchClient } from './search-client.ts';
import type { SearchHolding } from './search-holding.ts';
import { forEachLimited } from '../storage/parallel.ts';
import { sendPostings } from './send-postings.ts';
import { CORPUS_KEY, termKey } from './term-key.ts';

export interface RepairParts {
  readonly holding: SearchHolding;
  readonly nodes: IndexNodes;
  readonly client: SearchClient;
  readonly replicas: () => number;
}

export interface RepairStats {
  rounds: number;
  listsCompared: number;
  listsSent: number;
  listsTaken: number;
  postingsTaken: number;
  failures: number;
  /** Requests for digests: each covers up to 1,024 lists of one node. */
  digestRequests: number;
  /** Lists compared one by one (`count`), with nodes that do not answer `digests`. */
  countRequests: number;
  /** Lists whose digests differed, asked of again (`count`) before moving them. */
  rechecks: number;
}

/** Pages of a peer's list one repair takes at most (the term's cap, 16,384 postings). */
const PAGES_TAKEN_MAX = 128;
/** Nodes asked for digests at once, and lists reconciled at once (each with its holders in turn). */
const REQUESTS_AT_ONCE = 8;

/** Another holder of a list that answered, with what it holds of the list. */
interface LiveHolder extends ListDigest {
  readonly node: IndexNode;
}

/** A list's walk along the nodes closest to its term, closest first, until `replicas` hold it. */
interface HolderWalk {
  readonly term: string;
  readonly candidates: readonly IndexNode[];
  next: number;
  holders: number;
  readonly live: LiveHolder[];
}

export class SearchRepair {
  readonly stats: RepairStats = { rounds: 0, listsCompared: 0, listsSent: 0, listsTaken: 0, postingsTaken: 0, failures: 0, digestRequests: 0, countRequests: 0, rechecks: 0 };
  private readonly parts: RepairParts;

  constructor(parts: RepairParts) {
    this.parts = parts;
  }

  /** One round over every list held (those held when it starts: lists taken during it wait for the next). */
  async runOnce(): Promise<void> {
    const { holding } = this.parts;
    holding.expire();
    const walks = await this.liveHolders(holding.holder.terms());
    const withdrawalsSentTo = new Set<string>();
    await forEachLimited(walks, REQUESTS_AT_ONCE, async (walk) => {
      for (const peer of walk.live) {
        await this.reconcile(walk.term, peer).catch(() => {
          this.stats.failures++;
        });
        await this.sendWithdrawalsOnce(peer.node, withdrawalsSentTo);
      }
    });
    await this.spreadSummaries();
    this.stats.rounds++;
  }

  /**
   * For each list, the other nodes among the `replicas` closest to its term that answer, with their
   * digests. Each pass asks every node once, for all the lists it is the next candidate of; a node
   * that fails is passed over for the rest of the round, and its lists go on to the next closest.
   */
  private async liveHolders(terms: readonly string[]): Promise<HolderWalk[]> {
    const replicas = this.parts.replicas();
    const failed = new Set<string>();
    const walks: HolderWalk[] = terms.map((term) => ({ term, candidates: this.parts.nodes.known(termKey(term)), next: 0, holders: 0, live: [] }));
    for (;;) {
      const asks = new Map<string, { readonly node: IndexNode; readonly walks: HolderWalk[] }>();
      for (const walk of walks) {
        let wanted = replicas - walk.holders;
        while (wanted > 0 && walk.next < walk.candidates.length) {
          const node = walk.candidates[walk.next++];
          if (node.self) {
            walk.holders++;
            wanted--;
            continue;
          }
          if (failed.has(node.peerId)) continue;
          let ask = asks.get(node.peerId);
          if (ask === undefined) asks.set(node.peerId, (ask = { node, walks: [] }));
          ask.walks.push(walk);
          wanted--;
        }
      }
      if (asks.size === 0) return walks;
      await forEachLimited([...asks.values()], REQUESTS_AT_ONCE, async ({ node, walks: asked }) => {
        const digests = await this.digestsOf(node, asked.map((walk) => walk.term));
        if (digests === null) {
          failed.add(node.peerId);
          this.stats.failures++;
          return;
        }
        asked.forEach((walk, index) => {
          walk.holders++;
          walk.live.push({ node, ...digests[index] });
        });
      });
    }
  }

  /** `node`'s digests of the lists of `terms`, in their order; null when it fails. */
  private async digestsOf(node: IndexNode, terms: readonly string[]): Promise<ListDigest[] | null> {
    const digests: ListDigest[] = [];
    for (let start = 0; start < terms.length; start += SearchLimits.termsPerDigestsMax) {
      const page = terms.slice(start, start + SearchLimits.termsPerDigestsMax);
      this.stats.digestRequests++;
      const answer = await this.parts.client.ask(node.target, { kind: 'digests', terms: page }).catch(() => null);
      if (answer?.kind === 'refused' && answer.reason === 'invalid') return this.countsOf(node, terms);
      if (answer?.kind !== 'digested' || answer.lists.length !== page.length) return null;
      digests.push(...answer.lists);
    }
    return digests;
  }

  /** The same, list by list, from a node that does not know `digests`. */
  private async countsOf(node: IndexNode, terms: readonly string[]): Promise<ListDigest[] | null> {
    const digests: ListDigest[] = [];
    for (const term of terms) {
      this.stats.countRequests++;
      const answer = await this.parts.client.ask(node.target, { kind: 'count', term, fields: POSTING_ALL_FIELDS }).catch(() => null);
      if (answer?.kind !== 'counted') return null;
      digests.push({ postings: answer.postings, digest: answer.digest });
    }
    return digests;
  }

  /** Hands `node` the withdrawals this node keeps, once a round. */
  private async sendWithdrawalsOnce(node: IndexNode, sentTo: Set<string>): Promise<void> {
    if (sentTo.has(node.peerId)) return;
    sentTo.add(node.peerId);
    const withdrawals = this.parts.holding.holder.allWithdrawals();
    for (let start = 0; start < withdrawals.length; start += SearchLimits.withdrawalsPerRequestMax) {
      const answer = await this.parts.client.ask(node.target, { kind: 'withdraw', withdrawals: withdrawals.slice(start, start + SearchLimits.withdrawalsPerRequestMax) }).catch(() => null);
      if (answer === null) break;
    }
  }

  private async reconcile(term: string, holder: LiveHolder): Promise<void> {
    const { holding, client } = this.parts;
    this.stats.listsCompared++;
    if (holder.digest === holding.holder.digest(term)) return;
    // The digests were taken at the round's start. Before whole lists move, the list is asked of
    // again: while documents are being published, or the other node repairs the same list with us,
    // most differences are gone by now, and moving those lists cost more than all the comparing.
    this.stats.rechecks++;
    const fresh = await client.ask(holder.node.target, { kind: 'count', term, fields: POSTING_ALL_FIELDS });
    if (fresh.kind !== 'counted') throw new Error(`a ${fresh.kind} answer to count`);
    if (fresh.digest === holding.holder.digest(term)) return;
    const peer = { ...holder, postings: fresh.postings, digest: fresh.digest };
    const ours = holding.holder.list(term);
    if (ours.length > 0) {
      await sendPostings(client, peer.node, ours, (cid) => holding.holder.documentsOf(cid));
      this.stats.listsSent++;
    }
    if (peer.postings === 0) return;
    const theirs: SignedPosting[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const answer = await client.ask(peer.node.target, { kind: 'postings', term, fields: POSTING_ALL_FIELDS, filter: null, cids: null, cursor });
      if (answer.kind !== 'postings') return;
      const page = decodePostingPage(answer.page);
      if (!page.ok) return;
      theirs.push(...page.page.postings.filter((signed) => signed.posting.term === term));
      cursor = page.page.next;
    } while (cursor !== null && ++pages < PAGES_TAKEN_MAX);
    const missing = [...new Set(theirs.map((signed) => signed.posting.cid))].filter((cid) => holding.holder.documentsOf(cid).length === 0);
    const records: SignedDocumentRecord[] = [];
    for (let start = 0; start < missing.length; start += SearchLimits.documentsPerRequestMax) {
      const answer = await client.ask(peer.node.target, { kind: 'describe', cids: missing.slice(start, start + SearchLimits.documentsPerRequestMax) }).catch(() => null);
      if (answer?.kind === 'described') records.push(...answer.documents);
    }
    const result = await holding.admit(peer.node.peerId, theirs, records);
    this.stats.listsTaken++;
    this.stats.postingsTaken += result.accepted;
  }

  private async spreadSummaries(): Promise<void> {
    const summaries = this.parts.holding.summaries.all();
    if (summaries.length === 0) return;
    let holders = 0;
    for (const node of this.parts.nodes.known(CORPUS_KEY)) {
      if (holders >= this.parts.replicas()) break;
      if (node.self) {
        holders++;
        continue;
      }
      let sent = true;
      for (let start = 0; start < summaries.length; start += SearchLimits.summariesPerRequestMax) {
        const answer = await this.parts.client.ask(node.target, { kind: 'summarize', summaries: summaries.slice(start, start + SearchLimits.summariesPerRequestMax) }).catch(() => null);
        if (answer?.kind !== 'summarized') sent = false;
      }
      if (sent) holders++;
      else this.stats.failures++;
    }
  }
}
