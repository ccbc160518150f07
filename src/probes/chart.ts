// The plot kinds the HTML page draws (src/report/html.ts has one uPlot builder per
// kind), and what a probe hands it for one result. A new probe picks a kind; a new kind
// is a type here and a builder in the page's script.

export interface InstrumentSeries {
  instrument: string;
  label: string;
  /** Host bytes consumed at each x, as this instrument sees it (median per step). */
  y: (number | null)[];
}

/** Host memory consumed against device memory allocated, with the fitted line (the alloc probe). */
export interface StaircaseChart {
  kind: 'staircase';
  id: string;
  verdict: string;
  /** Device bytes allocated at each step (0 first: the baseline). */
  x: number[];
  /** The instrument the fit used (metrics.fittedInstrument; MemAvailable in reports older than it). */
  fitted: InstrumentSeries;
  /** The other instruments the samples hold, read the same way: shown on demand. */
  others: InstrumentSeries[];
  /** The fitted line at each x (intercept + slope * x), null without a fit. */
  fit: (number | null)[];
  slope: number | null;
  interval: [number, number] | null;
  intercept: number | null;
  /** The verdict threshold (host bytes per device byte). */
  threshold: number | null;
}

/** Bandwidth per series against message size on a log axis, with two markers (the all-reduce probe). */
export interface SweepChart {
  kind: 'sweep';
  id: string;
  /** Message sizes in bytes, ascending, union over algorithms. */
  x: number[];
  series: { algorithm: string; busbw: (number | null)[] }[];
  thresholdBytes: number | null;
  crossoverBytes: number | null;
  /** Axis and marker labels, formatted here so the page has no byte formatter of its own. */
  labels: { ticks: Record<string, string>; threshold: string | null; crossover: string | null };
}

export type Chart = StaircaseChart | SweepChart;
