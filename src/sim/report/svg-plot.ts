/**
 * Line plots as self-contained SVG text, for the experiment report (issue 6, item 3). Our own: a
 * plotting library would be a dependency for a hundred lines. Axes are linear or log10; each series is
 * a polyline with its points marked, in a fixed palette, with a legend.
 */

export interface PlotSeries {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
  /** A dashed line: a reference (a bound, a prediction) rather than a measurement. */
  readonly dashed?: boolean;
}

export interface PlotSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly PlotSeries[];
  readonly logX?: boolean;
  readonly logY?: boolean;
}

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 70, right: 190, top: 36, bottom: 50 } as const;
const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

export function linePlot(spec: PlotSpec): string {
  const all = spec.series.flatMap((series) => series.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.logX || x > 0) && (!spec.logY || y > 0));
  const scaleX = axis(all.map(([x]) => x), spec.logX === true, MARGIN.left, WIDTH - MARGIN.right);
  const scaleY = axis(all.map(([, y]) => y), spec.logY === true, HEIGHT - MARGIN.bottom, MARGIN.top);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  parts.push(`<text x="${MARGIN.left}" y="20" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);
  // Axes and ticks.
  parts.push(`<line x1="${MARGIN.left}" y1="${HEIGHT - MARGIN.bottom}" x2="${WIDTH - MARGIN.right}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>`);
  parts.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>`);
  for (const tick of scaleX.ticks) {
    const x = scaleX.at(tick);
    parts.push(`<line x1="${x}" y1="${HEIGHT - MARGIN.bottom}" x2="${x}" y2="${HEIGHT - MARGIN.bottom + 5}" stroke="#333"/><text x="${x}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  for (const tick of scaleY.ticks) {
    const y = scaleY.at(tick);
    parts.push(`<line x1="${MARGIN.left - 5}" y1="${y}" x2="${MARGIN.left}" y2="${y}" stroke="#333"/><line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH - MARGIN.right}" y2="${y}" stroke="#eee"/><text x="${MARGIN.left - 8}" y="${y + 4}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  parts.push(`<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 12}" text-anchor="middle">${escapeXml(spec.xLabel)}${spec.logX ? ' (log)' : ''}</text>`);
  parts.push(`<text x="16" y="${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(MARGIN.top + HEIGHT - MARGIN.bottom) / 2})">${escapeXml(spec.yLabel)}${spec.logY ? ' (log)' : ''}</text>`);
  spec.series.forEach((series, index) => {
    const colour = PALETTE[index % PALETTE.length];
    const points = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!spec.logX || x > 0) && (!spec.logY || y > 0)).map(([x, y]) => [scaleX.at(x), scaleY.at(y)] as const);
    if (points.length > 0) {
      parts.push(`<polyline class="series" fill="none" stroke="${colour}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''} points="${points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
      if (!series.dashed) for (const [x, y] of points) parts.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3" fill="${colour}"/>`);
    }
    const legendY = MARGIN.top + 10 + index * 18;
    parts.push(`<line x1="${WIDTH - MARGIN.right + 12}" y1="${legendY}" x2="${WIDTH - MARGIN.right + 32}" y2="${legendY}" stroke="${colour}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/><text x="${WIDTH - MARGIN.right + 38}" y="${legendY + 4}">${escapeXml(series.label)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

interface Axis {
  readonly at: (value: number) => number;
  readonly ticks: readonly number[];
}

function axis(values: readonly number[], log: boolean, from: number, to: number): Axis {
  const transform = (value: number): number => (log ? Math.log10(value) : value);
  let low = values.length === 0 ? 0 : Math.min(...values.map(transform));
  let high = values.length === 0 ? 1 : Math.max(...values.map(transform));
  if (!log) low = Math.min(low, 0);
  if (high === low) high = low + 1;
  const ticks: number[] = [];
  if (log) {
    for (let power = Math.floor(low); power <= Math.ceil(high); power++) ticks.push(10 ** power);
    low = Math.floor(low);
    high = Math.ceil(high);
  } else {
    const step = niceStep((high - low) / 5);
    low = Math.floor(low / step) * step;
    high = Math.ceil(high / step) * step;
    for (let tick = low; tick <= high + step / 2; tick += step) ticks.push(Math.round(tick / step) * step);
  }
  return { at: (value) => from + ((transform(value) - low) / (high - low)) * (to - from), ticks };
}

function niceStep(raw: number): number {
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const multiple of [1, 2, 2.5, 5, 10]) if (multiple * power >= raw) return multiple * power;
  return 10 * power;
}

function formatTick(value: number): string {
  if (value !== 0 && (Math.abs(value) >= 1e5 || Math.abs(value) < 1e-3)) return value.toExponential(0);
  return String(Math.round(value * 1000) / 1000);
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
