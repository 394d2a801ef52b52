/**
 * Checks a durability run's state against what must hold whatever the policy did — apart from the
 * code it checks (TigerBeetle's checkers, docs/ARCHITECTURE.md). O(pieces + list entries), with a
 * hash set: for tests and small runs, not for every event of a 10^6-object year.
 *
 * - Records: at most `capacity` holders, no holder twice, every holder an identity that existed.
 * - Conservation: pieces on nodes that have not left = created − lost to departures − forgotten
 *   live − dropped; entries naming departed nodes = lost to departures − forgotten departed. So
 *   pieces never exceed what was created minus what was lost.
 * - Loss: an object is marked lost exactly when fewer than `needed` pieces survive on live nodes.
 * - Every live holder's list names the objects it holds (lists may hold stale extras, never miss one).
 * - The online list is exactly the online identities, and no departed identity is online.
 * - The oracle baseline holds exactly objects × target pieces, all on live identities.
 */
import { piecesNeeded, piecesTarget } from '../../../services/storage/durability/redundancy.ts';
import type { DurabilityRun } from './durability-run.ts';

export function checkDurabilityInvariants(run: DurabilityRun): string[] {
  const problems: string[] = [];
  const report = (problem: string): void => {
    if (problems.length < 20) problems.push(problem);
  };
  const { records, population, ledger } = run;
  const needed = piecesNeeded(run.options.redundancy);
  const target = piecesTarget(run.options.redundancy);

  const listed = new Set<number>();
  for (let identity = 0; identity < population.identityCount; identity++) {
    const length = population.heldLength(identity);
    if (length === 0) continue;
    const out = new Int32Array(length);
    // Reads the list without compacting it: a stamp array of its own, and a predicate that accepts all.
    const stamp = new Int32Array(records.objects).fill(-1);
    const found = population.collectHeld(identity, () => true, stamp, 0, out);
    for (let k = 0; k < found; k++) listed.add(identity * records.objects + out[k]);
  }

  let livePieces = 0;
  let departedEntries = 0;
  for (let object = 0; object < records.objects; object++) {
    const count = records.count[object];
    if (count > records.capacity) report(`object ${object}: ${count} holders exceed the capacity ${records.capacity}`);
    const seen = new Set<number>();
    let live = 0;
    for (let k = 0; k < count; k++) {
      const identity = records.holders[object * records.capacity + k];
      if (identity < 0 || identity >= population.identityCount) report(`object ${object}: holder ${identity} never existed`);
      if (seen.has(identity)) report(`object ${object}: holder ${identity} recorded twice`);
      seen.add(identity);
      if (population.departed[identity] === 1) {
        departedEntries++;
      } else {
        live++;
        if (!listed.has(identity * records.objects + object)) report(`object ${object}: live holder ${identity} does not list it`);
      }
    }
    livePieces += live;
    const lost = records.lost[object] === 1;
    if (lost !== live < needed) report(`object ${object}: marked ${lost ? 'lost' : 'not lost'} with ${live} live pieces (${needed} needed)`);
  }
  const expectedLive = ledger.createdAtStart + ledger.createdByRepair - ledger.lostToDepartures - ledger.forgottenLive - ledger.dropped;
  if (livePieces !== expectedLive) report(`conservation: ${livePieces} live pieces, the ledger says ${expectedLive}`);
  const expectedDeparted = ledger.lostToDepartures - ledger.forgottenDeparted;
  if (departedEntries !== expectedDeparted) report(`conservation: ${departedEntries} entries name departed nodes, the ledger says ${expectedDeparted}`);

  let online = 0;
  let oracle = 0;
  for (let identity = 0; identity < population.identityCount; identity++) {
    if (population.online[identity] === 1) {
      online++;
      if (population.departed[identity] === 1) report(`identity ${identity} is online but departed`);
    }
    if (population.departed[identity] === 1 && population.oracleLoad[identity] !== 0) report(`departed identity ${identity} holds oracle pieces`);
    oracle += population.oracleLoad[identity];
  }
  if (online !== population.onlineCount) report(`online list holds ${population.onlineCount}, ${online} identities are online`);
  for (let k = 0; k < population.onlineCount; k++) {
    if (population.online[population.onlineList[k]] !== 1) report(`online list names offline identity ${population.onlineList[k]}`);
  }
  if (oracle !== records.objects * target) report(`oracle baseline holds ${oracle} pieces, not ${records.objects * target}`);
  return problems;
}
