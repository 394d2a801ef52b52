/**
 * A census of content on the grid (`peergrid check`): for every block, how many of the pieces its
 * scheme wants its closest nodes still keep — the owner's view that Tahoe-LAFS's `check` gives,
 * where holders' own maintenance (maintenance.ts) is the repair that runs by itself. Nothing is
 * moved: each block is looked up and its closest nodes asked one `have` each per batch of blocks
 * (holder-discovery.ts), and the answers judged by services/storage/placement/piece-census.ts.
 *
 * The blocks are those under the root in this node's store, through the links recorded at put or
 * fetch; the caller (GridStorage.check) fetches the content's structure first — every block but the
 * leaves — so every block that is not here is a leaf. A manifest missing all the same (removed
 * meanwhile) stops the walk below it; the report counts those (`blocksNotWalked`).
 */
import { Codec, type CID } from '../../services/storage/dag/cids.ts';
import { formatRedundancy, piecesTarget, type Redundancy } from '../../services/storage/durability/redundancy.ts';
import { CensusTally, type CensusReport, type PieceClaim } from '../../services/storage/placement/piece-census.ts';
import { blocksUnder } from '../content/blocks-under.ts';
import { LOCAL_OWNER } from '../storage/blockstore-limits.ts';
import { forEachLimited } from '../storage/parallel.ts';
import { leaseSecondsOf } from '../../services/storage/placement/lease-policy.ts';
import type { PlacerParts } from './content-placer.ts';
import { HolderDiscovery, HolderDiscoveryDefaults } from './holder-discovery.ts';
import { newAuditTotals, PieceAuditor, type AuditParts } from './piece-audit.ts';

export interface CheckProgress {
  /** Blocks under the root found so far (the walk runs ahead of the census), and those checked. */
  readonly blocks: number;
  readonly blocksChecked: number;
  readonly healthy: number;
  readonly degraded: number;
  readonly lost: number;
}

export interface CheckReport extends CensusReport {
  /** Manifests not in this store (see above): their subtrees were not checked. */
  readonly blocksNotWalked: number;
  /** Whether each claim was audited by fetching its piece (--verify); the counts then count only pieces that held up. */
  readonly verified: boolean;
  readonly claimsAudited: number;
  readonly claimsFailed: number;
  /** Of those audited, the ones checked by a storage challenge (the block was here) rather than a download. */
  readonly claimsChallenged: number;
  /** Fragments checked against the block's own digests; the others only against their own record. */
  readonly fragmentsCheckedAgainstBlock: number;
  /** Holders (peer ids) whose pieces did not hold up, at most 20. */
  readonly failedHolders: readonly string[];
}

export interface CheckOptions {
  readonly onProgress?: (progress: CheckProgress) => void;
  readonly signal?: AbortSignal;
  /** Fetch every claimed piece and count only those that are what they were claimed to be (piece-audit.ts). */
  readonly verify?: boolean;
  /** Ask `renew` instead of `have`: every holder asked also keeps its pieces for the lease (lease-policy.ts). */
  readonly renew?: boolean;
}

/** What a check needs: a placement's parts (its lease too), and who to tell of a holder that sent bad data when audited. */
export type CheckerParts = PlacerParts & AuditParts;

/** Blocks looked up and asked about together: bounds memory and sets the progress steps. */
const BLOCKS_PER_BATCH = 256;
/**
 * Nodes asked per block beyond the scheme's count: a node that joined closer to the key, or one
 * that refused at placement, pushes pieces further out until maintenance hands them back.
 */
const EXTRA_CANDIDATES = 4;
/** Blocks whose claims are audited at once (each fetches a piece from every holder claiming one). */
const AUDITED_BLOCKS_AT_ONCE = 8;

export class ContentChecker {
  private readonly parts: CheckerParts;

  constructor(parts: CheckerParts) {
    this.parts = parts;
  }

  async check(root: CID, redundancy: Redundancy, options: CheckOptions = {}): Promise<CheckReport> {
    const { store, self } = this.parts;
    const { onProgress, signal } = options;
    const auditor = options.verify === true ? new PieceAuditor(this.parts) : null;
    const wanted = piecesTarget(redundancy);
    const discovery = new HolderDiscovery(this.parts.closestNodes, this.parts.client, self, {
      ...HolderDiscoveryDefaults,
      candidatesPerBlock: redundancy.kind === 'replicate' ? 2 * wanted : wanted + EXTRA_CANDIDATES,
    });
    const tally = new CensusTally(redundancy, formatRedundancy(redundancy));
    let blocksSeen = 0;
    let blocksNotWalked = 0;
    const progress = (): void => {
      const now = tally.report();
      onProgress?.({ blocks: blocksSeen, blocksChecked: now.blocks, healthy: now.healthy, degraded: now.degraded, lost: now.lost });
    };
    const renewLeaseSeconds = options.renew === true ? leaseSecondsOf(this.parts.leaseMs) : undefined;
    const checkBatch = async (batch: CID[]): Promise<void> => {
      const claims = await discovery.claims(batch, signal, undefined, renewLeaseSeconds);
      const heardOf = new Map<string, Map<string, PieceClaim>>();
      // Audits fetch pieces: several blocks at once, each block's holders at once.
      await forEachLimited(batch, auditor === null ? batch.length : AUDITED_BLOCKS_AT_ONCE, async (cid) => {
        const text = cid.toString();
        const heard = new Map<string, PieceClaim>();
        const known = auditor === null ? null : await auditor.knownPieces(cid, redundancy);
        await Promise.all([...claims.get(text) ?? []].map(async ([address, { peer, entry }]) => {
          const claim: PieceClaim = { kept: entry.kept === true, fragments: entry.fragments };
          heard.set(address, auditor === null ? claim : await auditor.audit(peer, cid, claim, redundancy, known));
        }));
        // Our own pieces count like anyone's: we keep some when we are among a block's closest.
        const here = await this.parts.service.answer(LOCAL_OWNER, renewLeaseSeconds === undefined ? { kind: 'have', blocks: [cid] } : { kind: 'renew', leaseSeconds: renewLeaseSeconds, blocks: [cid] });
        if (here.kind === 'haves') heard.set(self.address, { kept: here.entries[0].kept === true, fragments: here.entries[0].fragments });
        heardOf.set(text, heard);
      });
      // Counted in the walk's order, whatever order the audits ended in.
      for (const cid of batch) tally.add(cid.toString(), heardOf.get(cid.toString()) as Map<string, PieceClaim>);
      progress();
    };
    let batch: CID[] = [];
    for (const cid of blocksUnder(root, store)) {
      if (signal?.aborted === true) throw signal.reason;
      blocksSeen++;
      if (cid.code !== Codec.raw && !store.has(cid)) blocksNotWalked++;
      batch.push(cid);
      if (batch.length === BLOCKS_PER_BATCH) {
        await checkBatch(batch);
        batch = [];
      }
    }
    if (batch.length > 0 || blocksSeen === 0) await checkBatch(batch);
    const audit = auditor?.totals ?? newAuditTotals();
    return {
      ...tally.report(), blocksNotWalked, verified: auditor !== null,
      claimsAudited: audit.claimsAudited, claimsFailed: audit.claimsFailed, claimsChallenged: audit.claimsChallenged,
      fragmentsCheckedAgainstBlock: audit.fragmentsCheckedAgainstBlock,
      failedHolders: [...audit.failedHolders],
    };
  }
}
