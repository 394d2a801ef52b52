/**
 * Keeping the index's replicas (issue 7, item 1: "replicated and repaired like other values";
 * docs/SEARCH.md, "Repair"). Every `repairIntervalMs`, for each list it holds, a node asks the
 * other nodes closest to the term (from its routing table, skipping those that fail, until
 * `replicas` answer) for their list's digest; where the digests differ it sends its list and takes
 * theirs (anti-entropy both ways, so a replica that missed postings and one that holds newer ones
 * both converge), with the document records, and hands them its withdrawals. The publishers'
 * summaries go to the nodes closest to the corpus key the same way. Expired entries are dropped
 * first. This is Kademlia's hourly replication (Maymounkov & Mazières 2002, §2.5), with digests so
 * that lists already alike cost one small request.
 */
import { POSTING_ALL_FIELDS, decodePostingPage, type SignedPosting } from '../../services/search/posting.ts';
import type { SignedDocumentRecord } from '../../services/search/document-record.ts';
import { SearchLimits } from '../../services/search/search-messages.ts';
import type { IndexNode, IndexNodes } from './index-nodes.ts';
import type { SearchClient } from './search-client.ts';
import type { SearchHolding } from './search-holding.ts';
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
}

/** Pages of a peer's list one repair takes at most (the term's cap, 16,384 postings). */
const PAGES_TAKEN_MAX = 128;

export class SearchRepair {
  readonly stats: RepairStats = { rounds: 0, listsCompared: 0, listsSent: 0, listsTaken: 0, postingsTaken: 0, failures: 0 };
  private readonly parts: RepairParts;

  constructor(parts: RepairParts) {
    this.parts = parts;
  }

  /** One round over every list held. */
  async runOnce(): Promise<void> {
    const { holding } = this.parts;
    holding.expire();
    const withdrawalsSentTo = new Set<string>();
    for (const term of holding.holder.terms()) {
      for (const peer of await this.liveHolders(term)) {
        await this.reconcile(term, peer).catch(() => {
          this.stats.failures++;
        });
        const node = peer.node;
        if (!withdrawalsSentTo.has(node.peerId)) {
          withdrawalsSentTo.add(node.peerId);
          const withdrawals = holding.holder.allWithdrawals();
          for (let start = 0; start < withdrawals.length; start += SearchLimits.withdrawalsPerRequestMax) {
            const answer = await this.parts.client.ask(node.target, { kind: 'withdraw', withdrawals: withdrawals.slice(start, start + SearchLimits.withdrawalsPerRequestMax) }).catch(() => null);
            if (answer === null) break;
          }
        }
      }
    }
    await this.spreadSummaries();
    this.stats.rounds++;
  }

  /** The other nodes among the `replicas` closest to the term that answer a count, with their answers. */
  private async liveHolders(term: string): Promise<{ node: IndexNode; postings: number; digest: number }[]> {
    const live: { node: IndexNode; postings: number; digest: number }[] = [];
    let holders = 0;
    for (const node of this.parts.nodes.known(termKey(term))) {
      if (holders >= this.parts.replicas()) break;
      if (node.self) {
        holders++;
        continue;
      }
      const answer = await this.parts.client.ask(node.target, { kind: 'count', term, fields: POSTING_ALL_FIELDS }).catch(() => null);
      if (answer === null || answer.kind !== 'counted') {
        this.stats.failures++;
        continue;
      }
      holders++;
      live.push({ node, postings: answer.postings, digest: answer.digest });
    }
    return live;
  }

  private async reconcile(term: string, peer: { node: IndexNode; postings: number; digest: number }): Promise<void> {
    const { holding, client } = this.parts;
    this.stats.listsCompared++;
    if (peer.digest === holding.holder.digest(term)) return;
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
