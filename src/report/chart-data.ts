// What the HTML charts plot, computed from a report's raw samples by each result's probe
// (ProbeModule.html.chart; the plot kinds are in src/probes/chart.ts). Pure, so the
// numbers a reader sees in a chart are tested like any other analysis.
import { probeModules } from '../probes/index.js';
import type { Chart } from '../probes/chart.js';
import type { Report } from '../store/build.js';

export type { Chart, InstrumentSeries, StaircaseChart, SweepChart } from '../probes/chart.js';

/**
 * Every result's chart, probe by probe in the registry's order, each probe's in the
 * report's order (the order the page shows them in); a result whose probe draws none (or
 * that this version does not know) has none.
 */
export function charts(report: Report): Chart[] {
  return chartedResults(report).map(([, c]) => c);
}

/** The results that have a chart, with it, in the order of charts(). */
export function chartedResults(report: Report): (readonly [Report['results'][number], Chart])[] {
  const out: (readonly [Report['results'][number], Chart])[] = [];
  for (const probe of probeModules()) {
    const chart = probe.html?.chart;
    if (!chart) continue;
    for (const r of report.results) {
      if (r.probe !== probe.name) continue;
      const c = chart(r);
      if (c) out.push([r, c] as const);
    }
  }
  return out;
}
