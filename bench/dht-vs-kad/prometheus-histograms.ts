/**
 * Reads the transport's timing metrics from nodes' /metrics text (Prometheus exposition format),
 * adds them up over nodes, subtracts an earlier scrape, and estimates percentiles from the buckets
 * as Prometheus' histogram_quantile does (linear within the bucket the rank falls in).
 */

/** One histogram series: cumulative counts per upper bound (ascending), and the count and sum. */
export interface HistogramSeries {
  readonly bounds: number[];
  readonly cumulative: number[];
  count: number;
  sum: number;
}

/** Series by `name{label="value"}` (the label that tells series apart, without `le`); plain counters by name{labels}. */
export interface Scrape {
  readonly histograms: Map<string, HistogramSeries>;
  readonly counters: Map<string, number>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)$/;

/** Parses the samples of the metrics whose names start with `prefix`. */
export function parseScrape(text: string, prefix: string): Scrape {
  const histograms = new Map<string, HistogramSeries>();
  const counters = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const match = SAMPLE.exec(line.trim());
    if (match === null) continue;
    const [, name, , labelText = '', valueText] = match;
    const value = Number(valueText);
    const labels = parseLabels(labelText);
    const le = labels.get('le');
    labels.delete('le');
    const seriesLabels = [...labels].map(([key, labelValue]) => `${key}="${labelValue}"`).join(',');
    const series = (base: string): HistogramSeries => {
      const key = `${base}{${seriesLabels}}`;
      let found = histograms.get(key);
      if (found === undefined) {
        found = { bounds: [], cumulative: [], count: 0, sum: 0 };
        histograms.set(key, found);
      }
      return found;
    };
    if (name.endsWith('_bucket') && le !== undefined) {
      const found = series(name.slice(0, -'_bucket'.length));
      found.bounds.push(le === '+Inf' ? Infinity : Number(le));
      found.cumulative.push(value);
    } else if (name.endsWith('_count') && histograms.has(`${name.slice(0, -6)}{${seriesLabels}}`)) {
      series(name.slice(0, -'_count'.length)).count = value;
    } else if (name.endsWith('_sum') && histograms.has(`${name.slice(0, -4)}{${seriesLabels}}`)) {
      series(name.slice(0, -'_sum'.length)).sum = value;
    } else {
      counters.set(`${name}{${seriesLabels}}`, value);
    }
  }
  return { histograms, counters };
}

function parseLabels(text: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const match of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels.set(match[1], match[2]);
  return labels;
}

/** Adds `b` into `a` (same bucket bounds, as every node uses the same ones), or subtracts when `sign` is -1. */
export function mergeScrape(a: Scrape, b: Scrape, sign: 1 | -1 = 1): Scrape {
  const histograms = new Map<string, HistogramSeries>();
  for (const [key, series] of a.histograms) histograms.set(key, { ...series, bounds: [...series.bounds], cumulative: [...series.cumulative] });
  for (const [key, series] of b.histograms) {
    const into = histograms.get(key);
    if (into === undefined) {
      histograms.set(key, { bounds: [...series.bounds], cumulative: series.cumulative.map((n) => sign * n), count: sign * series.count, sum: sign * series.sum });
      continue;
    }
    series.cumulative.forEach((n, index) => { into.cumulative[index] += sign * n; });
    into.count += sign * series.count;
    into.sum += sign * series.sum;
  }
  const counters = new Map(a.counters);
  for (const [key, value] of b.counters) counters.set(key, (counters.get(key) ?? 0) + sign * value);
  return { histograms, counters };
}

export function emptyScrape(): Scrape {
  return { histograms: new Map(), counters: new Map() };
}

/** The q-quantile of a series, linear within its bucket; NaN when it holds nothing. */
export function histogramQuantile(series: HistogramSeries | undefined, q: number): number {
  if (series === undefined || series.count <= 0) return NaN;
  const rank = q * series.count;
  for (let index = 0; index < series.bounds.length; index++) {
    if (series.cumulative[index] < rank) continue;
    const upper = series.bounds[index];
    const lower = index === 0 ? 0 : series.bounds[index - 1];
    // Past the last finite bound nothing better than that bound can be said.
    if (upper === Infinity) return lower;
    const below = index === 0 ? 0 : series.cumulative[index - 1];
    const inBucket = series.cumulative[index] - below;
    return inBucket <= 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return NaN;
}
