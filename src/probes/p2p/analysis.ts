// Link probe analysis: per-direction copy bandwidth between every pair of devices,
// one way and both ways at once. Pure.
import type { P2pProbeOutcome, P2pSample } from '../../native/addon.js';
import { formatBytes } from '../../model/format.js';

export interface P2pLink {
  src: number;
  dst: number;
  direction: 'one' | 'both';
  /** Largest per-direction GB/s over the sizes, and where. */
  peakGBps: number;
  peakBytes: number;
  /** At the largest size measured. */
  largestGBps: number;
}

export interface P2pMetrics {
  devices: number;
  timing: string;
  rows: P2pSample[];
  links: P2pLink[];
  /** The slowest pair's per-direction GB/s with both directions at once, at the largest size: what a collective can count on. */
  ceilingGBps: number | null;
  wrong: number;
}

export function analyzeP2p(rows: P2pSample[], outcome: P2pProbeOutcome): P2pMetrics {
  const groups = new Map<string, P2pSample[]>();
  for (const r of rows) {
    const k = `${r.src}-${r.dst}-${r.direction}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const links: P2pLink[] = [];
  for (const g of groups.values()) {
    const sorted = [...g].sort((a, b) => a.bytes - b.bytes);
    const peak = sorted.reduce((best, r) => (r.gbps > best.gbps ? r : best), sorted[0]!);
    links.push({
      src: peak.src,
      dst: peak.dst,
      direction: peak.direction,
      peakGBps: peak.gbps,
      peakBytes: peak.bytes,
      largestGBps: sorted[sorted.length - 1]!.gbps,
    });
  }
  const both = links.filter((l) => l.direction === 'both');
  const basis = both.length ? both : links;
  return {
    devices: outcome.devices,
    timing: outcome.timing,
    rows,
    links,
    ceilingGBps: basis.length ? Math.min(...basis.map((l) => l.largestGBps)) : null,
    wrong: rows.reduce((t, r) => t + r.wrong, 0),
  };
}

export function renderP2pTable(m: P2pMetrics): string {
  // Route and timing are columns only where the rows carry them (this version's backends
  // that say so); reports of earlier versions keep their six columns.
  const hasRoute = m.rows.some((r) => r.route);
  const hasTiming = m.rows.some((r) => r.timing);
  const head = ['pair', 'direction', 'size (B)', 'time (us)', 'GB/s', '#wrong', ...(hasRoute ? ['route'] : []), ...(hasTiming ? ['timing'] : [])];
  const rows = m.rows.map((r) => [
    r.direction === 'both' ? `${r.src}<->${r.dst}` : `${r.src}->${r.dst}`,
    r.direction,
    String(r.bytes),
    r.timeUs.toFixed(2),
    r.gbps.toFixed(2),
    String(r.wrong),
    ...(hasRoute ? [r.route ?? ''] : []),
    ...(hasTiming ? [r.timing ?? ''] : []),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const left = (i: number) => i < 2 || i >= 6;
  const line = (c: string[], mark = ' ') => `${mark} ${c.map((x, i) => (left(i) ? x.padEnd(w[i]!) : x.padStart(w[i]!))).join('  ')}`.trimEnd();
  const out = [line(head, '#'), ...rows.map((r) => line(r))];
  out.push(`# GB/s per direction (1e9 bytes/s); ${m.timing}`);
  if (m.ceilingGBps !== null) out.push(`# ceiling (slowest pair, both ways at once, largest size): ${m.ceilingGBps.toFixed(2)} GB/s per direction`);
  for (const l of m.links) {
    out.push(`# ${l.src}${l.direction === 'both' ? '<->' : '->'}${l.dst}: peak ${l.peakGBps.toFixed(2)} GB/s at ${formatBytes(l.peakBytes)}`);
  }
  return out.join('\n');
}
