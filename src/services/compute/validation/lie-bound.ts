/**
 * How likely a result is a lie, from what is known of the workers behind it (issue 5, item 6).
 *
 * Sarmenta (FGCS 18(4), 2002, §4.2, spot-checking with blacklisting): a saboteur that lies with
 * rate s and has survived k checks, each of which would have exposed a lie, is still around with
 * probability (1 − s)^k; whatever s it picks, the share of lies among the results of workers that
 * survived k checks is at most f / ((1 − f)·e·k), where f is the share of saboteurs. We use that
 * bound per worker: a worker unknown to us (k < 1) lies with probability f.
 *
 * Colluders change how results combine. Sarmenta multiplies the workers' bounds, as if each lied
 * on its own; but colluders that see a fellow's lie on a unit copy it, and nothing in their record
 * bounds that, since copying is only exposed when the lie is. So a group of m agreeing results is
 * a lie when its first reporter originated one (bounded by its record) and the m − 1 after it are
 * all colluders (f each, whatever their record): weight b_first · f^(m−1). Replicas are issued one
 * at a time (adaptive-judge.ts), so a later replica cannot have originated what an earlier one
 * reported.
 *
 * A floor on the lie rate (`lieRateMin`, s₀): Sarmenta's bound takes the worst s, which is
 * s = 1/(k + 1), a cheater that lies rarely enough to slip through k checks. A job may instead
 * assume that cheaters lie on at least s₀ of their units (s₀ = 1: on every one, the adversary
 * behind the issue's figure of 10% for naive 2-of-2). Then the share of lies among results of
 * workers that survived k checks is at most f/(1 − f) · max over s ≥ s₀ of s(1 − s)^k, and a
 * worker that agrees with a lie is a colluder with probability at most f/(1 − f) · (1 − s₀)^k
 * (a copier is a cheater, and a cheater survives k checks with probability (1 − s)^k ≤ (1 − s₀)^k).
 * With s₀ = 0 both are Sarmenta's bound and f, as before; with s₀ = 1 a worker that passed one
 * check is honest. The assumption is the job's to make: against cheaters who lie rarely it
 * accepts their lies (docs/COMPUTE.md measures both).
 */

/** Upper bound on the probability that a worker with `evidence` passed checks originates a lie. */
export function lieBound(evidence: number, cheatersFraction: number, lieRateMin = 0): number {
  if (evidence < 1) return cheatersFraction;
  // s(1 − s)^k peaks at s = 1/(k + 1) and stays below 1/(e·k) there (Sarmenta's bound); a floor
  // above the peak leaves the value at the floor.
  if (lieRateMin > 1 / (evidence + 1)) {
    return Math.min(cheatersFraction, (cheatersFraction / (1 - cheatersFraction)) * lieRateMin * (1 - lieRateMin) ** evidence);
  }
  return Math.min(cheatersFraction, cheatersFraction / ((1 - cheatersFraction) * Math.E * evidence));
}

/**
 * Upper bound on the probability that a worker with `evidence` passed checks is a colluder, hence
 * that its agreeing with a group is a copied lie: f whatever its record, unless cheaters are
 * assumed to lie at a rate of at least `lieRateMin` (see above).
 */
export function copierBound(evidence: number, cheatersFraction: number, lieRateMin = 0): number {
  if (evidence < 1 || lieRateMin <= 0) return cheatersFraction;
  return Math.min(cheatersFraction, (cheatersFraction / (1 - cheatersFraction)) * (1 - lieRateMin) ** evidence);
}

/** Evidence needed before a worker's lie bound falls to `bound`: the inverse of lieBound with no floor on the lie rate. */
export function evidenceFor(bound: number, cheatersFraction: number): number {
  if (bound >= cheatersFraction) return 0;
  return Math.max(1, cheatersFraction / ((1 - cheatersFraction) * Math.E * bound));
}

/**
 * The credibility of each group of agreeing results, given the lie weight of every group (its
 * first reporter's lie bound times f per further member). A unit has one right output, so the
 * hypotheses are "group a is right and every other group a lie", one per group, and "every group
 * a lie"; a group's credibility is its hypothesis's share (Sarmenta §5's result credibility, with
 * these lie weights in place of his products of worker credibilities). With one group of weight w
 * it is 1 − w.
 */
export function groupCredibilities(lieWeights: readonly number[]): number[] {
  const count = lieWeights.length;
  let allLies = 1;
  for (const weight of lieWeights) allLies *= weight;
  const rightAndOthersLie: number[] = [];
  for (let a = 0; a < count; a++) {
    let product = 1;
    for (let b = 0; b < count; b++) if (b !== a) product *= lieWeights[b];
    rightAndOthersLie.push(product * (1 - lieWeights[a]));
  }
  let total = allLies;
  for (const value of rightAndOthersLie) total += value;
  return rightAndOthersLie.map((value) => (total > 0 ? value / total : 0));
}
