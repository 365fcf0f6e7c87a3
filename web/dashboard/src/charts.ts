/**
 * The agent page's plots (uPlot, bundled from npm): per metric the canary's and stable's scores
 * over time with the threshold, and the canary weight as steps over time.
 */
import uPlot from 'uplot';
import type { Radar } from './api.js';
import { h } from './dom.js';

const CANARY = '#d9480f';
const STABLE = '#1c7ed6';
const THRESHOLD = '#868e96';
const WEIGHT = '#2b8a3e';

/** The figure's own width (its grid cell), so charts never overlap their neighbours. */
function width(el: HTMLElement): number {
  return Math.max(300, Math.min(760, (el.clientWidth || 480) - 8));
}

type Score = Radar['scores'][number];

/** Canary and stable on one time axis (union of their run times; gaps are spanned). */
export function scoreChart(host: HTMLElement, s: Score): HTMLElement {
  const box = h('figure', {
    class: 'chart',
    'data-testid': 'score-chart',
    'data-metric': s.metric,
  });
  const caption = h(
    'figcaption',
    {},
    `${s.metric} (${s.direction} is better${s.threshold !== null ? `, threshold ${s.threshold}` : ''}): `,
    h('span', { 'data-testid': 'canary-count' }, `${s.canary.length} canary`),
    ', ',
    h('span', { 'data-testid': 'stable-count' }, `${s.stable.length} stable`),
    ' evaluations',
  );
  box.append(caption);
  host.append(box);
  const xs = [...new Set([...s.canary, ...s.stable].map((p) => p.t / 1000))].sort((a, b) => a - b);
  const at = (pts: Score['canary']): (number | null)[] => {
    const m = new Map(pts.map((p) => [p.t / 1000, p.value]));
    return xs.map((x) => m.get(x) ?? null);
  };
  const series: uPlot.Series[] = [
    {},
    { label: 'canary', stroke: CANARY, width: 2, spanGaps: true, points: { show: true, size: 6 } },
    { label: 'stable', stroke: STABLE, width: 2, spanGaps: true, points: { show: true, size: 6 } },
  ];
  const data: (number | null)[][] = [xs, at(s.canary), at(s.stable)];
  if (s.threshold !== null) {
    series.push({
      label: 'threshold',
      stroke: THRESHOLD,
      dash: [6, 4],
      width: 1,
      points: { show: false },
    });
    data.push(xs.map(() => s.threshold));
  }
  if (xs.length === 0) {
    box.append(h('p', { class: 'muted' }, 'no evaluation of either version yet'));
    return box;
  }
  new uPlot(
    {
      width: width(box),
      height: 200,
      series,
      scales: { x: { time: true } },
      legend: { live: false },
    },
    data as uPlot.AlignedData,
    box,
  );
  return box;
}

/** The canary weight after each event, drawn as steps. */
export function weightChart(host: HTMLElement, weights: Radar['weights']): HTMLElement {
  const box = h('figure', { class: 'chart', 'data-testid': 'weight-chart' });
  box.append(
    h(
      'figcaption',
      {},
      'canary weight over time: ',
      h('span', { 'data-testid': 'weight-steps' }, weights.map((w) => `${w.weight}%`).join(' → ')),
    ),
  );
  host.append(box);
  // Two points may share a time (a promotion: 100 then 0); nudge so the x axis stays increasing.
  const xs: number[] = [];
  for (const w of weights) {
    const x = w.t / 1000;
    xs.push(xs.length > 0 && x <= xs[xs.length - 1]! ? xs[xs.length - 1]! + 0.001 : x);
  }
  new uPlot(
    {
      width: width(box),
      height: 200,
      series: [
        {},
        {
          label: 'weight %',
          stroke: WEIGHT,
          width: 2,
          fill: 'rgba(43,138,62,0.12)',
          paths: uPlot.paths.stepped!({ align: 1 }),
        },
      ],
      scales: { x: { time: true }, y: { range: [0, 100] } },
      legend: { live: false },
    },
    [xs, weights.map((w) => w.weight)] as uPlot.AlignedData,
    box,
  );
  return box;
}
