/**
 * The storage nodes of a durability run: N slots, each holding one node identity at a time. An
 * identity is online or offline; when it leaves for good a new identity (new index, empty disk)
 * takes its slot, so the population stays N. Identities are numbered 0, 1, 2, … for the whole run
 * and never reused, so a record can still name a departed holder.
 *
 * Per identity the state is a few typed arrays (grown by doubling) plus the list of objects it holds
 * a piece of. Those lists are lazy: a piece that is forgotten or dropped leaves a stale entry, which
 * `collectHeld` skips (and compacts away) by checking the object's record; so removing a piece is
 * O(1) and each list stays within a small factor of what the node really holds.
 */
import { randomBelow, type Random } from '../../../core/random.ts';
import { Prng } from '../../prng.ts';

const INITIAL_LIST_CAPACITY = 8;

export class NodePopulation {
  readonly slots: number;
  identityCount = 0;
  online = new Uint8Array(0);
  departed = new Uint8Array(0);
  /** When the identity last went offline (meaningful while offline). */
  offlineSinceMs = new Float64Array(0);
  /** Counts the identity's downtimes, so an event scheduled for one downtime can tell it is stale. */
  downtimeEpoch = new Int32Array(0);
  /** When the identity leaves for good (Infinity: never). */
  departureAtMs = new Float64Array(0);
  /** Pieces of the oracle baseline on this identity (see durability-run.ts). */
  oracleLoad = new Int32Array(0);
  /** Each identity's own churn stream: its sessions and lifetime do not depend on anything else. */
  private randoms: Prng[] = [];
  private readonly churnRoot: Prng;
  readonly slotIdentity: Int32Array;
  /** The slot each identity holds or held. */
  slotOf = new Int32Array(0);
  /** The online identities, for uniform choice; onlinePosition[i] is i's index in it, or -1. */
  readonly onlineList: Int32Array;
  onlineCount = 0;
  private onlinePosition = new Int32Array(0);
  private lists: (Int32Array | null)[] = [];
  private listLength = new Int32Array(0);

  constructor(slots: number, churnRoot: Prng) {
    this.slots = slots;
    this.churnRoot = churnRoot;
    this.slotIdentity = new Int32Array(slots).fill(-1);
    this.onlineList = new Int32Array(slots);
    this.grow(Math.max(16, slots * 2));
  }

  /** A new identity in `slot`, offline until setOnline. Its churn stream is stream `identity` of the churn root. */
  addIdentity(slot: number, nowMs: number): number {
    const identity = this.identityCount++;
    if (identity >= this.online.length) this.grow(this.online.length * 2);
    this.slotIdentity[slot] = identity;
    this.slotOf[identity] = slot;
    this.offlineSinceMs[identity] = nowMs;
    this.onlinePosition[identity] = -1;
    this.randoms[identity] = this.churnRoot.stream(identity);
    return identity;
  }

  randomOf(identity: number): Random {
    return this.randoms[identity];
  }

  setOnline(identity: number): void {
    this.online[identity] = 1;
    this.onlinePosition[identity] = this.onlineCount;
    this.onlineList[this.onlineCount++] = identity;
  }

  setOffline(identity: number, nowMs: number): void {
    this.online[identity] = 0;
    this.offlineSinceMs[identity] = nowMs;
    this.downtimeEpoch[identity]++;
    const position = this.onlinePosition[identity];
    const last = this.onlineList[--this.onlineCount];
    this.onlineList[position] = last;
    this.onlinePosition[last] = position;
    this.onlinePosition[identity] = -1;
  }

  /** Marks a departure for good; the identity must already be offline. Frees nothing yet (see releaseList). */
  setDeparted(identity: number): void {
    this.departed[identity] = 1;
  }

  randomOnline(random: Random): number {
    return this.onlineList[randomBelow(random, this.onlineCount)];
  }

  /** A uniformly chosen live identity (online or not). */
  randomLive(random: Random): number {
    return this.slotIdentity[randomBelow(random, this.slots)];
  }

  addHeld(identity: number, object: number): void {
    let list = this.lists[identity];
    const length = this.listLength[identity];
    if (list === null || list === undefined) {
      list = new Int32Array(INITIAL_LIST_CAPACITY);
      this.lists[identity] = list;
    } else if (length === list.length) {
      const bigger = new Int32Array(list.length * 2);
      bigger.set(list);
      list = bigger;
      this.lists[identity] = list;
    }
    list[length] = object;
    this.listLength[identity] = length + 1;
  }

  /**
   * Copies into `out` the objects whose record still names `identity` (each once: `stamp` marks the
   * objects seen, with `stampValue` unique to this call), compacting the list as it goes; returns
   * how many. `out` must have room for the list's length (see heldLength).
   */
  collectHeld(identity: number, recorded: (object: number, identity: number) => boolean, stamp: Int32Array, stampValue: number, out: Int32Array): number {
    const list = this.lists[identity];
    if (list === null || list === undefined) return 0;
    const length = this.listLength[identity];
    let kept = 0;
    let found = 0;
    for (let k = 0; k < length; k++) {
      const object = list[k];
      if (stamp[object] === stampValue || !recorded(object, identity)) continue;
      stamp[object] = stampValue;
      list[kept++] = object;
      out[found++] = object;
    }
    this.listLength[identity] = kept;
    return found;
  }

  heldLength(identity: number): number {
    return this.listLength[identity];
  }

  /** Frees a departed identity's list once nothing will look at it again. */
  releaseList(identity: number): void {
    this.lists[identity] = null;
    this.listLength[identity] = 0;
  }

  /** Entries in all lists (live and stale): the lists' share of memory. */
  listEntries(): number {
    let total = 0;
    for (let i = 0; i < this.identityCount; i++) total += this.listLength[i];
    return total;
  }

  private grow(capacity: number): void {
    const copy = <T extends Uint8Array | Int32Array | Float64Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old as never);
      return next;
    };
    this.online = copy(this.online, (n) => new Uint8Array(n));
    this.departed = copy(this.departed, (n) => new Uint8Array(n));
    this.offlineSinceMs = copy(this.offlineSinceMs, (n) => new Float64Array(n));
    this.downtimeEpoch = copy(this.downtimeEpoch, (n) => new Int32Array(n));
    this.slotOf = copy(this.slotOf, (n) => new Int32Array(n));
    this.departureAtMs = copy(this.departureAtMs, (n) => new Float64Array(n));
    this.oracleLoad = copy(this.oracleLoad, (n) => new Int32Array(n));
    this.onlinePosition = copy(this.onlinePosition, (n) => new Int32Array(n));
    this.listLength = copy(this.listLength, (n) => new Int32Array(n));
  }
}
