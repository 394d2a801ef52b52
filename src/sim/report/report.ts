/**
 * The experiment report (issue 6, item 3): one self-contained HTML page — no scripts, no external
 * files — with an SVG plot for each experiment's result and, under it, a sentence that sets the
 * measurement against the survey's claim and the cited paper's figure. The sentences are written
 * from the figures, so they say what this run measured.
 */
import type { ChurnResult } from '../experiments/survey/churn.ts';
import type { FloodingResult } from '../experiments/survey/flooding-vs-dht.ts';
import type { HopsVsNResult } from '../experiments/survey/hops-vs-n.ts';
import type { LoadBalanceResult } from '../experiments/survey/load-balance.ts';
import type { PartitionResult } from '../experiments/survey/partition.ts';
import type { ProximityResult } from '../experiments/survey/proximity.ts';
import type { ReplicationVsErasureResult } from '../experiments/survey/replication-vs-erasure.ts';
import { escapeXml, linePlot } from './svg-plot.ts';

export interface ReportInput {
  readonly loadBalance?: LoadBalanceResult;
  readonly hopsVsN?: HopsVsNResult;
  readonly floodingVsDht?: FloodingResult;
  readonly partition?: PartitionResult;
  readonly replicationVsErasure?: ReplicationVsErasureResult;
  readonly proximity?: ProximityResult;
  readonly churn?: ChurnResult;
}

interface Section {
  readonly id: string;
  readonly title: string;
  readonly claim: string;
  readonly plots: readonly string[];
  readonly sentence: string;
}

/** Each plot of the report as a standalone SVG file's content, named `<experiment>-<n>.svg` (for docs). */
export function reportPlots(input: ReportInput): { readonly name: string; readonly svg: string }[] {
  return sectionsOf(input).flatMap((section) => section.plots.map((svg, index) => ({ name: `${section.id}-${index + 1}.svg`, svg })));
}

export function renderReport(input: ReportInput, generatedAt: string): string {
  return renderSections(sectionsOf(input), generatedAt);
}

function sectionsOf(input: ReportInput): Section[] {
  const sections: Section[] = [];
  if (input.hopsVsN !== undefined) sections.push(hopsSection(input.hopsVsN));
  if (input.floodingVsDht !== undefined) sections.push(floodingSection(input.floodingVsDht));
  if (input.loadBalance !== undefined) sections.push(loadSection(input.loadBalance));
  if (input.replicationVsErasure !== undefined) sections.push(erasureSection(input.replicationVsErasure));
  if (input.partition !== undefined) sections.push(partitionSection(input.partition));
  if (input.churn !== undefined) sections.push(churnSection(input.churn));
  if (input.proximity !== undefined) sections.push(proximitySection(input.proximity));
  return sections;
}

function renderSections(sections: readonly Section[], generatedAt: string): string {
  const body = sections.map((section) => `<section id="${section.id}"><h2>${escapeXml(section.title)}</h2><p class="claim">${escapeXml(section.claim)}</p>${section.plots.map((plot) => `<figure>${plot}</figure>`).join('')}<p class="finding">${escapeXml(section.sentence)}</p></section>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>peergrid: the survey's claims measured</title>
<style>body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}h2{border-bottom:1px solid #ccc}.claim{font-style:italic}.finding{background:#f4f7fb;padding:.6em}figure{margin:1em 0}</style></head>
<body><h1>The survey's claims, measured</h1>
<p>peergrid's simulator, running the same protocol code as its nodes; generated ${escapeXml(generatedAt)}. Each section: the claim (Crowcroft, Moreton, Pratt, Twigg, <i>Peer-to-Peer Systems and the Grid</i>), the measurement, and what it shows. ${sections.length} experiment${sections.length === 1 ? '' : 's'}.</p>
${body}
</body></html>
`;
}

const fixed = (value: number, digits = 2): string => value.toFixed(digits);

function hopsSection(result: HopsVsNResult): Section {
  const first = result.points[0];
  const last = result.points[result.points.length - 1];
  return {
    id: 'hops-vs-n', title: 'Lookup hops against network size', claim: result.claim,
    plots: [linePlot({
      title: 'Hops per lookup', xLabel: 'nodes', yLabel: 'hops', logX: true,
      series: [
        { label: 'mean hops', points: result.points.map((point) => [point.nodes, point.hopsMean]) },
        { label: 'p95 hops', points: result.points.map((point) => [point.nodes, point.hopsP95]) },
        { label: `log_${2 ** result.bitsPerDigit} n`, points: result.points.map((point) => [point.nodes, point.logBaseDigitN]), dashed: true },
      ],
    })],
    sentence: `From ${first.nodes} to ${last.nodes} nodes the mean grew from ${fixed(first.hopsMean)} to ${fixed(last.hopsMean)} hops — ${fixed((last.hopsMean - first.hopsMean) / Math.log10(last.nodes / first.nodes))} more for each tenfold n, the slope of a logarithm, as the survey says — against log_${2 ** result.bitsPerDigit} n = ${fixed(last.logBaseDigitN)} at ${last.nodes}; every lookup was correct in ${result.points.filter((point) => point.correctRate === 1).length} of ${result.points.length} sizes.`,
  };
}

function churnSection(result: ChurnResult): Section {
  const timed = result.points.filter((point) => point.medianSessionMinutes !== null);
  const series = (label: string, pick: (point: ChurnResult['points'][number]) => number) => ({ label, points: timed.map((point) => [point.medianSessionMinutes as number, pick(point)] as [number, number]) });
  const mojo = result.points.find((point) => point.churn === 'mojo');
  const shortest = timed[0];
  const mojoSentence = mojo === undefined ? '' : ` Under the Mojo Nation profile (most newcomers gone within the hour) a lookup met ${fixed(mojo.failuresPerLookup)} dead contacts with Kademlia's eviction and ${fixed(mojo.lru.failuresPerLookup)} with LRU, its p95 latency ${fixed(mojo.latencyP95Ms, 0)} against ${fixed(mojo.lru.latencyP95Ms, 0)} ms.`;
  return {
    id: 'churn', title: 'Lookups under churn: Kademlia\'s eviction against plain LRU', claim: result.claim,
    plots: [
      linePlot({
        title: 'Dead contacts met per lookup', xLabel: 'median session (minutes)', yLabel: 'failed requests', logX: true,
        series: [series('ping-first (Kademlia)', (point) => point.failuresPerLookup), series('plain LRU', (point) => point.lru.failuresPerLookup)],
      }),
      linePlot({
        title: 'Maintenance traffic', xLabel: 'median session (minutes)', yLabel: 'bytes/s per node', logX: true,
        series: [series('ping-first (Kademlia)', (point) => point.maintenanceBytesPerNodePerSec), series('plain LRU', (point) => point.lru.maintenanceBytesPerNodePerSec)],
      }),
    ],
    sentence: `At ${result.nodes} nodes every lookup found the closest live node in ${fixed(Math.min(...result.points.map((point) => point.correctRate)) * 100, 1)}% or more of cases down to ${shortest?.medianSessionMinutes ?? '?'}-minute sessions, where maintenance cost ${fixed(shortest?.maintenanceBytesPerNodePerSec ?? Number.NaN, 1)} B/s a node.${mojoSentence}`,
  };
}

function proximitySection(result: ProximityResult): Section {
  const last = result.points[result.points.length - 1];
  return {
    id: 'proximity', title: 'Lookups with and without proximity', claim: result.claim,
    plots: [
      linePlot({
        title: 'Lookup latency, median', xLabel: 'nodes', yLabel: 'ms', logX: true,
        series: [
          { label: 'proximity off', points: result.points.map((point) => [point.nodes, point.off.latencyP50Ms]) },
          { label: 'proximity on', points: result.points.map((point) => [point.nodes, point.on.latencyP50Ms]) },
        ],
      }),
      linePlot({
        title: 'Stretch (lookup latency ÷ RTT to the node found), median', xLabel: 'nodes', yLabel: 'stretch', logX: true,
        series: [
          { label: 'proximity off', points: result.points.map((point) => [point.nodes, point.off.stretchP50]) },
          { label: 'proximity on', points: result.points.map((point) => [point.nodes, point.on.stretchP50]) },
          { label: 'stretch 1.5', points: result.points.map((point) => [point.nodes, 1.5]), dashed: true },
        ],
      }),
    ],
    sentence: `At ${last.nodes} nodes, after ${result.warmupMinutes} simulated minutes, proximity took the median lookup from ${fixed(last.off.latencyP50Ms, 0)} to ${fixed(last.on.latencyP50Ms, 0)} ms and its stretch from ${fixed(last.off.stretchP50)} to ${fixed(last.on.stretchP50)}, with ${fixed(last.on.correctRate * 100, 1)}% of lookups correct, the coordinates predicting RTTs within a median ${fixed(last.vivaldiRelErrorP50 * 100, 1)}% (Vivaldi's paper: 11%); Dabek et al. report a stretch near 1.5 for proximity-aware DHash++, as the survey expects of §4.5's techniques.`,
  };
}

function floodingSection(result: FloodingResult): Section {
  const first = result.points[0];
  const last = result.points[result.points.length - 1];
  return {
    id: 'flooding-vs-dht', title: 'Flooding against a DHT lookup', claim: result.claim,
    plots: [linePlot({
      title: 'Messages per query', xLabel: 'nodes', yLabel: 'messages', logX: true, logY: true,
      series: [
        { label: `flood, TTL ${result.options.ttl}`, points: result.points.map((point) => [point.nodes, point.flooding.messagesPerQuery]) },
        { label: 'expanding ring', points: result.points.map((point) => [point.nodes, point.expandingRing.messagesPerQuery]) },
        { label: `${result.options.walkers} random walks`, points: result.points.map((point) => [point.nodes, point.randomWalks.messagesPerQuery]) },
        { label: 'DHT lookup', points: result.points.map((point) => [point.nodes, point.dht.messagesPerQuery]) },
      ],
    })],
    sentence: `A flood's cost grew ${fixed(last.flooding.messagesPerQuery / first.flooding.messagesPerQuery, 1)}-fold from ${first.nodes} to ${last.nodes} nodes (${fixed(last.flooding.messagesPerQuery, 0)} messages a query at ${last.nodes}, found ${fixed(last.flooding.successRate * 100, 1)}%), while a DHT lookup cost ${fixed(first.dht.messagesPerQuery, 1)} at ${first.nodes} and ${fixed(last.dht.messagesPerQuery, 1)} at ${last.nodes}; ${result.options.walkers} random walks (Lv et al.'s remedy) paid ${fixed(first.randomWalks.messagesPerQuery, 0)} and ${fixed(last.randomWalks.messagesPerQuery, 0)}, copies being a fixed share of the nodes.`,
  };
}

function loadSection(result: LoadBalanceResult): Section {
  const [plain, virtual] = result.series;
  const at = plain.points[plain.points.length - 1];
  const atVirtual = virtual.points[virtual.points.length - 1];
  return {
    id: 'load-balance', title: 'Load balance with random identifiers', claim: result.claim,
    plots: [linePlot({
      title: 'Most loaded node ÷ mean', xLabel: 'nodes', yLabel: 'max / mean keys', logX: true,
      series: [
        { label: plain.label, points: plain.points.map((point) => [point.nodes, point.maxOverMean]) },
        { label: virtual.label, points: virtual.points.map((point) => [point.nodes, point.maxOverMean]) },
        { label: 'ln n', points: plain.points.map((point) => [point.nodes, point.lnN]), dashed: true },
      ],
    })],
    sentence: `With one identifier per node the most loaded of ${at.nodes} held ${fixed(at.maxOverMean)} times the mean (ln n = ${fixed(at.lnN)}), of the order the survey gives; ${atVirtual.virtualPerNode} virtual identifiers per node brought it to ${fixed(atVirtual.maxOverMean)}.`,
  };
}

function erasureSection(result: ReplicationVsErasureResult): Section {
  const [replication, erasure] = result.series;
  const twoCopies = replication.points[0];
  const twoErasure = erasure.points[0];
  return {
    id: 'replication-vs-erasure', title: 'Replication against erasure coding', claim: result.claim,
    plots: [
      linePlot({
        title: 'Unavailability', xLabel: 'storage overhead', yLabel: '1 − availability', logY: true,
        series: [replication, erasure].map((series) => ({ label: series.label, points: series.points.map((point) => [point.overhead, Math.max(1e-7, 1 - point.availability)] as [number, number]) })),
      }),
      linePlot({
        title: 'Repair traffic', xLabel: 'storage overhead', yLabel: 'repair bytes ÷ bytes stored',
        series: [replication, erasure].map((series) => ({ label: series.label, points: series.points.map((point) => [point.overhead, point.repairBytesPerStoredByte] as [number, number]) })),
      }),
    ],
    sentence: `At ${twoCopies.overhead}× storage, ${twoErasure.scheme} was available ${fixed(twoErasure.availability * 100, 3)}% of the time and lost ${fixed(twoErasure.lostFraction * 100, 3)}% of objects, against ${fixed(twoCopies.availability * 100, 3)}% and ${fixed(twoCopies.lostFraction * 100, 3)}% for ${twoCopies.scheme} — the survey's claim — but repaired with ${fixed(twoErasure.repairBytesPerStoredByte)} times the bytes stored against ${fixed(twoCopies.repairBytesPerStoredByte)} (Rodrigues and Liskov's point).`,
  };
}

/** How a measured share compares with a predicted one, in words: within two points counts as agreeing. */
function againstPrediction(measured: number, predicted: number): string {
  if (Math.abs(measured - predicted) <= 0.02) return 'survive as';
  return measured < predicted ? 'survive less often than' : 'survive more often than';
}

function partitionSection(result: PartitionResult): Section {
  const small = result.points.find((point) => point.share >= 0.1) ?? result.points[0];
  return {
    id: 'partition', title: 'A domain cut off', claim: result.claim,
    plots: [linePlot({
      title: 'Keys found from inside', xLabel: 'share of nodes cut off', yLabel: 'keys found', logX: true,
      series: [
        { label: 'measured', points: result.points.map((point) => [point.share, point.reachableFromInside]) },
        { label: 'one home node per key', points: result.points.map((point) => [point.share, point.oneHomeNode]), dashed: true },
        { label: `${result.k} copies at random`, points: result.points.map((point) => [point.share, point.kCopiesAtRandom]), dashed: true },
      ],
    })],
    sentence: `A domain of ${fixed(small.share * 100, 0)}% of the nodes, cut off, found ${fixed(small.reachableFromInside * 100, 1)}% of the keys from inside: with one home node per key it would be ${fixed(small.oneHomeNode * 100, 0)}%, as the survey warns; values on ${result.k} nodes ${againstPrediction(small.reachableFromInside, small.kCopiesAtRandom)} ${result.k} random copies predict (${fixed(small.kCopiesAtRandom * 100, 1)}%). ${fixed(small.copyInsideAtCut * 100, 1)}% of the keys had a copy inside when the cut came, and the lookups from inside found ${fixed(small.foundWhenCopyInside * 100, 1)}% of those.`,
  };
}
