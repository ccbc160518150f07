// How a report shows link results: the terminal line and the per-pair table.
import { renderP2pTable, type P2pMetrics } from './analysis.js';

export function describeP2p(metrics: Record<string, unknown>): string {
  const m = metrics as unknown as P2pMetrics;
  if (!Array.isArray(m.links) || !m.links.length) return '';
  const one = m.links.filter((l) => l.direction === 'one');
  const both = m.links.filter((l) => l.direction === 'both');
  const best = (ls: typeof m.links) => (ls.length ? Math.max(...ls.map((l) => l.peakGBps)).toFixed(1) : 'n/a');
  return `peak GB/s per direction: one way ${best(one)}, both ways ${best(both)}; ceiling ${m.ceilingGBps?.toFixed(1) ?? 'n/a'}`;
}

export function p2pTable(metrics: Record<string, unknown>): string | undefined {
  const m = metrics as unknown as P2pMetrics;
  return Array.isArray(m.rows) && m.rows.length ? renderP2pTable(m) : undefined;
}
