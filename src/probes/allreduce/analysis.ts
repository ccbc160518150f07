// All-reduce sweep analysis: bandwidths in the nccl-tests convention, the crossover
// where a BF16 path starts to beat direct-f32, correctness verdicts, and the table a
// nccl-tests user reads at a glance. Pure: raw rows in, metrics out.
import type { AllreduceProbeOutcome, AllreduceSample } from '../../native/addon.js';
import { finiteNumber, formatBytes } from '../../model/format.js';

export const BF16_PATHS = ['bf16-trunc', 'bf16-rne'] as const;

/** The sample's fields a size row carries over as measured. */
type Measured = Pick<
  AllreduceSample,
  'algorithm' | 'ran' | 'fellBack' | 'threshold' | 'count' | 'bytes' | 'chunks' | 'exchange' | 'route' | 'timing' | 'wireBytes' | 'timeUs' | 'minUs' | 'p90Us' | 'iters' | 'checked' | 'mayDisagree'
>;
const CHECK_FIELDS = ['wrong', 'wrongInPlace', 'wrongStale', 'overrun', 'maxError', 'disagree', 'maxDisagree'] as const;
/** The check results: null where the row was not checked (never a misleading 0). */
type Checks = { [K in (typeof CHECK_FIELDS)[number]]: number | null };

/** One row of `metrics.sizes[]`. wireBytes: bytes each device sends at most (half the tensor for the BF16 paths). */
export interface AllreduceSize extends Measured, Checks {
  type: 'float' | 'bfloat16';
  /** GB/s (1e9 bytes/s) of the user's tensor. */
  algbw: number;
  /** algbw * 2(n-1)/n: comparable to the link's peak whatever n is. */
  busbw: number;
  /**
   * The bytes each device sent per second (wireBytes / time) as a fraction of the measured
   * link ceiling (per direction, both ways at once). Not busbw: the BF16 paths send half the
   * tensor, so their busbw exceeds the link (176%) while their wire rate cannot.
   */
  linkFraction: number | null;
}

export interface Crossover {
  /** Interpolated FP32 tensor size in bytes above which the BF16 path is faster; null if it is not faster at the largest size. */
  bytes: number | null;
  /** `interpolated` between two measured sizes, `below-range` (faster at every size measured), `never`, or `unmeasured` (no common sizes). */
  basis: 'interpolated' | 'below-range' | 'never' | 'unmeasured';
}

export interface AllreduceMetrics {
  devices: number;
  input: string;
  seed: number;
  timing: string;
  /** Where `auto` switches path, in elements (params.threshold) and in FP32 bytes. */
  threshold: number;
  thresholdBytes: number;
  autoVariant: string;
  link: { bytes: number; gbps: number } | null;
  algorithms: string[];
  unsupported: { algorithm: string; reason: string }[];
  sizes: AllreduceSize[];
  crossoverBytes: number | null;
  crossoverVariant: string | null;
  crossoverBasis: Crossover['basis'] | null;
  crossovers: Record<string, Crossover>;
  wrong: number;
  unexpectedDisagree: number;
  maxError: number | null;
  /** Per algorithm: mean busbw over the sizes (nccl-tests' "Avg bus bandwidth") and the peak. */
  busbw: Record<string, { avg: number; peak: number; peakBytes: number }>;
  checked: boolean;
}

export function algbw(bytes: number, timeUs: number): number {
  return timeUs > 0 ? bytes / (timeUs * 1e3) : 0;
}

export function busbw(algbwGBps: number, devices: number): number {
  return devices > 0 ? (algbwGBps * 2 * (devices - 1)) / devices : 0;
}

/**
 * Where `fast` (a BF16 path) starts to beat `base` (direct-f32) for good: above the last
 * measured size at which it was not faster, interpolated in log-log between that size and
 * the next one (where the time ratio crosses 1). Points are paired by count; x in bytes.
 */
export function crossover(base: { x: number; t: number }[], fast: { x: number; t: number }[]): Crossover {
  const fastAt = new Map(fast.map((p) => [p.x, p.t]));
  const pts = base
    .filter((p) => fastAt.has(p.x) && p.t > 0 && fastAt.get(p.x)! > 0)
    .map((p) => ({ x: p.x, r: fastAt.get(p.x)! / p.t }))
    .sort((a, b) => a.x - b.x);
  if (pts.length === 0) return { bytes: null, basis: 'unmeasured' };
  let last = -1;
  pts.forEach((p, i) => {
    if (p.r >= 1) last = i;
  });
  if (last === -1) return { bytes: pts[0]!.x, basis: 'below-range' };
  if (last === pts.length - 1) return { bytes: null, basis: 'never' };
  const a = pts[last]!;
  const b = pts[last + 1]!;
  if (a.r === 1) return { bytes: a.x, basis: 'interpolated' };
  const la = Math.log(a.r);
  const lb = Math.log(b.r);
  const f = la / (la - lb);
  const bytes = Math.exp(Math.log(a.x) + f * (Math.log(b.x) - Math.log(a.x)));
  return { bytes: Math.round(bytes), basis: 'interpolated' };
}

export function toSize(r: AllreduceSample, devices: number, linkGBps: number | null): AllreduceSize {
  const a = algbw(r.bytes, r.timeUs);
  const b = busbw(a, devices);
  const checks = Object.fromEntries(CHECK_FIELDS.map((k) => [k, r.checked > 0 ? finiteNumber(r[k]) : null])) as Checks;
  return {
    algorithm: r.algorithm,
    ran: r.ran,
    fellBack: r.fellBack,
    threshold: r.threshold,
    count: r.count,
    bytes: r.bytes,
    type: r.algorithm === 'nccl-bf16' ? 'bfloat16' : 'float',
    chunks: r.chunks,
    ...(r.exchange ? { exchange: r.exchange } : {}),
    ...(r.route ? { route: r.route } : {}),
    ...(r.timing ? { timing: r.timing } : {}),
    timeUs: r.timeUs,
    minUs: r.minUs,
    p90Us: r.p90Us,
    iters: r.iters,
    algbw: a,
    busbw: b,
    wireBytes: r.wireBytes,
    linkFraction: linkGBps && linkGBps > 0 ? algbw(r.wireBytes, r.timeUs) / linkGBps : null,
    checked: r.checked,
    mayDisagree: r.mayDisagree,
    ...checks,
  };
}

export interface AnalyzeAllreduceInput {
  rows: AllreduceSample[];
  outcome: AllreduceProbeOutcome;
  /** Element count where `auto` switches from direct-f32 to BF16 (params.threshold). */
  autoThresholdElements: number;
  autoVariant?: string;
}

export function analyzeAllreduce({ rows, outcome, autoThresholdElements: threshold, autoVariant = 'bf16-trunc' }: AnalyzeAllreduceInput): AllreduceMetrics {
  const devices = outcome.devices;
  const linkGBps = outcome.link?.gbps ?? null;
  const order = new Map(outcome.algorithms.map((a, i) => [a, i]));
  const sizes = rows.map((r) => toSize(r, devices, linkGBps)).sort((a, b) => a.count - b.count || (order.get(a.algorithm) ?? 99) - (order.get(b.algorithm) ?? 99));

  // The crossover compares FP32 tensor sizes (the BF16 paths take the same FP32 input),
  // and only rows that ran the path they are named for: on more than two devices every
  // one of them ran the ring, and there is no crossover to speak of.
  const series = (alg: string) => sizes.filter((s) => s.algorithm === alg && s.ran === alg).map((s) => ({ x: s.count * 4, t: s.timeUs }));
  const crossovers: Record<string, Crossover> = {};
  const base = series('direct-f32');
  if (base.length) {
    for (const v of BF16_PATHS) {
      const fast = series(v);
      if (fast.length) crossovers[v] = crossover(base, fast);
    }
  }
  const preferred = [autoVariant, ...BF16_PATHS].find((v) => crossovers[v] !== undefined) ?? null;
  const primary = preferred ? crossovers[preferred]! : null;

  const busbwBy: AllreduceMetrics['busbw'] = {};
  for (const alg of new Set(sizes.map((s) => s.algorithm))) {
    const mine = sizes.filter((s) => s.algorithm === alg);
    const peak = mine.reduce((best, s) => (s.busbw > best.busbw ? s : best), mine[0]!);
    busbwBy[alg] = { avg: mine.reduce((t, s) => t + s.busbw, 0) / mine.length, peak: peak.busbw, peakBytes: peak.bytes };
  }

  const errs = sizes.map((s) => s.maxError).filter((e): e is number => e !== null);
  return {
    devices,
    input: outcome.input,
    seed: outcome.seed,
    timing: outcome.timing,
    threshold,
    thresholdBytes: threshold * 4,
    autoVariant,
    link: outcome.link ? { bytes: outcome.link.bytes, gbps: outcome.link.gbps } : null,
    algorithms: outcome.algorithms,
    unsupported: outcome.unsupported,
    sizes,
    crossoverBytes: primary?.bytes ?? null,
    crossoverVariant: preferred,
    crossoverBasis: primary?.basis ?? null,
    crossovers,
    wrong: sizes.reduce((t, s) => t + (s.wrong ?? 0), 0),
    unexpectedDisagree: sizes.reduce((t, s) => t + (s.mayDisagree ? 0 : (s.disagree ?? 0)), 0),
    maxError: errs.length ? Math.max(...errs) : null,
    busbw: busbwBy,
    checked: sizes.some((s) => s.checked > 0),
  };
}

/** The rows that failed a check, worst first, as "algorithm at N elements: what". */
export function problems(m: AllreduceMetrics, limit = 4): string[] {
  const bad = m.sizes.filter((s) => (s.wrong ?? 0) > 0 || (!s.mayDisagree && (s.disagree ?? 0) > 0)).sort((a, b) => (b.wrong ?? 0) - (a.wrong ?? 0));
  const out = bad.slice(0, limit).map((s) => {
    const what: string[] = [];
    if ((s.wrong ?? 0) > 0) {
      const parts = [
        s.wrongInPlace ? `${s.wrongInPlace} in place` : '',
        s.wrongStale ? `${s.wrongStale} after a call of another size` : '',
        s.overrun ? `${s.overrun} written past the end` : '',
      ].filter(Boolean);
      what.push(`${s.wrong} wrong${parts.length ? ` (${parts.join(', ')})` : ''}`);
    }
    if (!s.mayDisagree && (s.disagree ?? 0) > 0) what.push(`${s.disagree} elements differ between devices`);
    return `${s.algorithm}${s.ran !== s.algorithm ? ` (ran ${s.ran})` : ''} at ${s.count} elements: ${what.join(', ')}`;
  });
  if (bad.length > limit) out.push(`and ${bad.length - limit} more rows`);
  return out;
}

function pad(s: string, w: number, left = false): string {
  return left ? s.padEnd(w) : s.padStart(w);
}

/** Rounded down, so an error just under its bound never prints as the bound itself. */
export function fractionOfBound(v: number | null): string {
  if (v === null) return 'n/a';
  if (v >= 1000) return v.toExponential(2);
  return (Math.floor(v * 1000) / 1000).toFixed(3);
}

/** A figure, or 'n/a' where a report (older, newer or hand-made) lacks it. */
function fixed(v: unknown, digits: number): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

/**
 * The sweep as nccl-tests prints it (out of place), plus the columns this probe adds.
 * Reports from other versions reach here through `xpudiag ticket` and `compare`, so
 * every field may be missing: such a cell reads n/a and such a footer line is left out.
 */
export function renderAllreduceTable(m: AllreduceMetrics): string {
  const header1 = ['size', 'count', 'type', 'redop', 'algorithm', 'path', 'time', 'algbw', 'busbw', '#wrong', '#disagree', 'link'];
  const header2 = ['(B)', '(elements)', '', '', '', '', '(us)', '(GB/s)', '(GB/s)', '', '', '(wire)'];
  const sizes = m.sizes.filter((s): s is AllreduceSize => !!s && typeof s === 'object');
  const ran = (s: AllreduceSize): string => (typeof s.ran === 'string' ? s.ran : s.algorithm);
  const rows = sizes.map((s) => [
    String(s.bytes),
    String(s.count),
    s.type ?? 'float',
    'sum',
    String(s.algorithm),
    ran(s) !== s.algorithm ? ran(s) : '',
    fixed(s.timeUs, s.timeUs < 1000 ? 2 : 1),
    fixed(s.algbw, 2),
    fixed(s.busbw, 2),
    typeof s.wrong === 'number' ? String(s.wrong) : 'n/a',
    typeof s.disagree === 'number' ? String(s.disagree) : 'n/a',
    typeof s.linkFraction === 'number' ? `${(s.linkFraction * 100).toFixed(0)}%` : '',
  ]);
  const left = new Set([4, 5]);
  const widths = header1.map((h, i) => Math.max(h.length, header2[i]!.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[], marker = '') =>
    (marker || ' ') +
    ' ' +
    cells
      .map((c, i) => pad(c, widths[i]!, left.has(i)))
      .join('  ')
      .trimEnd();
  const out = [line(header1, '#'), line(header2, '#')];
  sizes.forEach((s, i) => {
    out.push(line(rows[i]!) + (s.threshold ? `  <- ${s.count < m.threshold ? 'threshold-1' : s.count === m.threshold ? 'threshold' : 'threshold+1'}` : ''));
  });
  // The two-device paths exist for N = 2 only: on more devices auto always ran the ring.
  const autoPath =
    m.devices > 2
      ? 'auto and the two-device paths fall back to ring on more than two devices'
      : typeof m.threshold === 'number' && typeof m.thresholdBytes === 'number'
        ? `auto switches to ${m.autoVariant} at ${m.threshold} elements (${formatBytes(m.thresholdBytes)})`
        : null;
  if (typeof m.devices === 'number') out.push(`# ${m.devices} devices, ${m.input} inputs (seed ${m.seed}), ${m.timing}${autoPath ? `; ${autoPath}` : ''}`);
  const twoDevice = new Set(
    sizes
      .filter((s) => ran(s) === 'direct-f32' || ran(s).startsWith('bf16'))
      .map((s) => s.exchange)
      .filter(Boolean),
  );
  if (twoDevice.size) out.push(`# exchange of direct-f32 and the bf16 paths: ${[...twoDevice].join(', ')}`);
  const perRow = perRowNote(sizes);
  if (perRow) out.push(`# ${perRow}`);
  for (const [alg, b] of Object.entries(m.busbw ?? {})) {
    out.push(`# ${alg}: avg bus bandwidth ${fixed(b.avg, 2)} GB/s, peak ${fixed(b.peak, 2)} GB/s at ${formatBytes(b.peakBytes)}`);
  }
  if (m.link) out.push(`# link ceiling: ${fixed(m.link.gbps, 2)} GB/s per direction, both ways at once (devices 0 and 1, ${formatBytes(m.link.bytes)})`);
  for (const [v, c] of Object.entries(m.crossovers ?? {})) out.push(`# crossover ${v} vs direct-f32: ${describeCrossover(c)}`);
  for (const u of m.unsupported ?? []) out.push(`# ${u.algorithm}: not run (${u.reason})`);
  if (m.checked) out.push(`# wrong elements: ${m.wrong}; maximum error ${fractionOfBound(m.maxError ?? null)} of the bound`);
  else if (m.checked === false) out.push('# not checked (check: 0)');
  return out.join('\n');
}

/**
 * What the rows say of their own timing and copy route (per row in `sizes[]`), in one
 * line: `timing host-clock (every row); peer copies staged-host (12 rows)`. Empty when
 * no row carries either (reports of earlier versions).
 */
export function perRowNote(rows: readonly { timing?: string; route?: string }[]): string {
  const tally = (values: (string | undefined)[]) => {
    const counts = new Map<string, number>();
    for (const v of values) if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
    return [...counts].map(([v, n]) => `${v} (${n === rows.length ? 'every row' : `${n} row${n === 1 ? '' : 's'}`})`).join(', ');
  };
  const timing = tally(rows.map((r) => r.timing));
  const route = tally(rows.map((r) => r.route));
  return [timing && `timing ${timing}`, route && `peer copies ${route}`].filter(Boolean).join('; ');
}

export function describeCrossover(c: Crossover): string {
  switch (c.basis) {
    case 'interpolated':
      return `faster above ${formatBytes(c.bytes!)} (${Math.round(c.bytes! / 4)} elements)`;
    case 'below-range':
      return `faster at every size measured (from ${formatBytes(c.bytes!)})`;
    case 'never':
      return 'not faster at the largest size measured';
    default:
      return 'no common sizes measured';
  }
}
