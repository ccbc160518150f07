// How a report shows allocation results: the terminal line, the HTML table and chart,
// the ticket's summary clause and findings cells, and what attribution reads of them.
import type { AllocSample } from '../../native/addon.js';
import { finiteNumber } from '../../model/format.js';
import type { StaircaseChart, InstrumentSeries, Chart } from '../chart.js';
import type { AttributionRule, HtmlCell, ProbeHtml, ProbeTicket, ReportedResult } from '../types.js';
import { fittedStaircase, fixed3, INSTRUMENTS, type Instrument } from './analysis.js';

export function describeAlloc(m: Record<string, unknown>): string {
  const slope = m.hostPerDevice as number | null;
  const ci = m.hostPerDeviceCI as [number, number] | null;
  if (slope === null || slope === undefined) return '';
  const rel = m.releasedFraction as number | null;
  // A median-increment fit over too few steps has a slope but no interval.
  const interval = ci ? `[${fixed3(ci[0])}, ${fixed3(ci[1])}]` : '(no interval)';
  return `host/device ${fixed3(slope)} ${interval} ${String(m.verdict)}` + (rel !== null && rel !== undefined ? `, released ${rel.toFixed(2)}` : '');
}

const interval = (m: Record<string, unknown>): [number, number] | null =>
  Array.isArray(m.hostPerDeviceCI) && m.hostPerDeviceCI.length === 2 && m.hostPerDeviceCI.every((v) => typeof v === 'number') ? (m.hostPerDeviceCI as [number, number]) : null;
const verdictOf = (m: Record<string, unknown>) => (typeof m.verdict === 'string' ? m.verdict : '');

/** What each instrument's curve shows, in the legend. */
const INSTRUMENT_LABELS: Partial<Record<string, string>> = {
  hostCorrected: "host memory available, other processes' memory added back, drop",
  hostCorrectedShared: 'the same, unmapped shared memory and slab added back too, drop',
  hostAvailable: 'MemAvailable + per-CPU free pages, drop',
  memAvailable: 'MemAvailable drop',
  memFree: 'MemFree drop',
  committedAS: 'Committed_AS rise',
  anonPages: 'AnonPages rise',
  vmRSS: 'VmRSS rise (probe process)',
  rssAnon: 'RssAnon rise (probe process)',
  gpuActive: 'GPUActive rise',
};

export function instrumentLabel(inst: string): string {
  return INSTRUMENT_LABELS[inst] ?? `${inst} change`;
}

const isInstrument = (v: unknown): v is Instrument => typeof v === 'string' && (INSTRUMENTS as readonly string[]).includes(v);

/** The staircase the fit read, every other instrument beside it, and the fitted line; null without one. */
export function allocChart(r: ReportedResult): StaircaseChart | null {
  const samples = (r.samples ?? []) as AllocSample[];
  if (!samples.some((s) => s?.phase === 'alloc') || !samples.some((s) => s?.phase === 'baseline')) return null;
  const window = finiteNumber(r.params?.stableWindowMs) ?? undefined;
  const read = (inst: Instrument) => {
    try {
      return fittedStaircase(samples, inst, window);
    } catch {
      return null; // samples of a shape this version does not read
    }
  };
  const fittedName: Instrument = isInstrument(r.metrics.fittedInstrument) ? r.metrics.fittedInstrument : 'memAvailable';
  const fitted = read(fittedName);
  if (!fitted) return null;
  const others: InstrumentSeries[] = [];
  for (const inst of INSTRUMENTS) {
    if (inst === fittedName) continue;
    const s = read(inst);
    if (s && s.ys.length === fitted.ys.length) others.push({ instrument: inst, label: instrumentLabel(inst), y: s.ys });
  }
  const x = fitted.xs;
  const slope = finiteNumber(r.metrics.hostPerDevice);
  const intercept = finiteNumber(r.metrics.fitInterceptBytes) ?? 0;
  return {
    kind: 'staircase',
    id: r.id,
    verdict: verdictOf(r.metrics) || r.status,
    x,
    fitted: { instrument: fittedName, label: instrumentLabel(fittedName), y: fitted.ys },
    others,
    fit: x.map((v) => (slope === null ? null : intercept + slope * v)),
    slope,
    interval: interval(r.metrics),
    intercept: finiteNumber(r.metrics.fitInterceptBytes),
    threshold: finiteNumber(r.metrics.threshold),
  };
}

const fixedOrEmpty = (v: unknown, d: number) => finiteNumber(v)?.toFixed(d) ?? '';

export const ALLOC_HTML: ProbeHtml = {
  heading: 'Allocation',
  columns: ['verdict', 'host B / device B', '95% interval', 'released'],
  cells(r): HtmlCell[] {
    const ci = Array.isArray(r.metrics.hostPerDeviceCI) ? `[${(r.metrics.hostPerDeviceCI as number[]).map((v) => v.toFixed(3)).join(', ')}]` : '';
    return [
      { text: verdictOf(r.metrics) },
      { text: fixedOrEmpty(r.metrics.hostPerDevice, 3), kind: 'num' },
      { text: ci, kind: 'num' },
      { text: fixedOrEmpty(r.metrics.releasedFraction, 2), kind: 'num' },
    ];
  },
  chart: allocChart,
  chartSection: {
    heading: 'Host memory against device memory',
    note: (charts: readonly Chart[]) => {
      const fitted = [...new Set(charts.map((c) => (c.kind === 'staircase' ? c.fitted.label : '')))].join('; ');
      return `Per case: host memory consumed as the fit read it (${fitted}, from the settled baseline, median per step) against device memory allocated, with the fitted line whose slope is the verdict's figure. Click an instrument in a legend to show how it saw the same steps.`;
    },
  },
};

export const ALLOC_TICKET: ProbeTicket = {
  summary(results) {
    const alloc = results.filter((r) => !r.control && typeof r.metrics.verdict === 'string');
    if (!alloc.length) return undefined;
    const shadows = alloc.filter((r) => r.metrics.verdict === 'shadow');
    const worst = Math.max(...shadows.map((r) => finiteNumber(r.metrics.hostPerDevice) ?? -Infinity));
    return shadows.length
      ? `${shadows.length} of ${alloc.length} allocation cases shadow device memory in host memory (up to ${worst.toFixed(2)} host bytes per device byte)`
      : `no shadowing in ${alloc.length} allocation cases`;
  },
  findings(r) {
    const slope = finiteNumber(r.metrics.hostPerDevice);
    const ci = interval(r.metrics);
    const rel = finiteNumber(r.metrics.releasedFraction);
    return {
      verdict: verdictOf(r.metrics),
      figure: slope === null ? '' : `${slope.toFixed(3)}${ci ? ` [${ci[0].toFixed(3)}, ${ci[1].toFixed(3)}]` : ''}`,
      released: rel === null ? '' : rel.toFixed(2),
    };
  },
};

/**
 * Attribution per backend and allocation API: device, shared and host memory answer to
 * different factors, and pooling them hides each one's simple rule behind their
 * differences. Factors: the matrix keys plus these parameters where they vary (count
 * only scales the measurement).
 */
export const ALLOC_ATTRIBUTION: AttributionRule = {
  group: (r) => `${r.backend} ${String(r.params.variant)}`,
  factorParams: ['variant', 'contextDevices', 'residency', 'touch', 'size', 'device'],
  reading: (r) => ({
    verdict: r.status === 'error' || r.status === 'skip' ? r.status : String(r.metrics.verdict ?? r.status),
    hostPerDevice: typeof r.metrics.hostPerDevice === 'number' ? r.metrics.hostPerDevice : null,
  }),
};
