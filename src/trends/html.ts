// history --html and fleet --html: one self-contained page each, charts as inline SVG
// (no script, no network: it opens from a ticket or a CI artefact store as it is).
import { esc } from '../report/html.js';
import type { Fleet, FleetMetric } from './fleet.js';
import type { History, MetricHistory } from './history.js';
import { changeLine, factorLine } from './render-history.js';
import { sharedLine } from './render-fleet.js';

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d1d1f; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 24px 0 8px; border-bottom: 1px solid #ddd; } h3 { font-size: 15px; margin: 16px 0 4px; }
table { border-collapse: collapse; margin: 6px 0; } th, td { border: 1px solid #ddd; padding: 2px 8px; text-align: left; }
th { background: #f5f5f7; } .bad { color: #cf222e; font-weight: 600; } .good { color: #1a7f37; } .note { color: #555; }
svg { background: #fff; border: 1px solid #ddd; border-radius: 4px; } svg text { font: 11px sans-serif; fill: #333; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

interface Scale {
  lo: number;
  hi: number;
}

function scale(values: number[]): Scale {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (!Number.isFinite(lo)) return { lo: 0, hi: 1 };
  if (lo === hi) {
    const pad = Math.abs(lo) * 0.1 || 1;
    lo -= pad;
    hi += pad;
  }
  const pad = (hi - lo) * 0.08;
  return { lo: lo - pad, hi: hi + pad };
}

const W = 720;
const H = 240;
const L = 70;
const R = 16;
const T = 16;
const B = 34;

function y(s: Scale, v: number): number {
  return T + (H - T - B) * (1 - (v - s.lo) / (s.hi - s.lo));
}

function yAxis(s: Scale, fmt: (v: number) => string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => s.lo + f * (s.hi - s.lo));
  return ticks
    .map(
      (t) =>
        `<line x1="${L}" x2="${W - R}" y1="${y(s, t).toFixed(1)}" y2="${y(s, t).toFixed(1)}" stroke="#eee"/><text x="${L - 6}" y="${(y(s, t) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(t))}</text>`,
    )
    .join('');
}

/** One metric's series: a dot per result (hollow where not judged), segment medians, a dashed line at each change point. */
export function historyChart(m: MetricHistory): string {
  const format = m.format;
  const pts = m.points.map((p, i) => ({ p, i })).filter(({ p }) => p.value !== null);
  const s = scale(pts.map(({ p }) => p.value!));
  const n = Math.max(1, m.points.length - 1);
  const x = (i: number) => L + ((W - L - R) * i) / n;
  const dots = pts
    .map(
      ({ p, i }) =>
        `<circle cx="${x(i).toFixed(1)}" cy="${y(s, p.value!).toFixed(1)}" r="3" ${p.notJudged ? 'fill="none" stroke="#888"' : 'fill="#1f77b4"'}><title>${esc(`${i + 1}: ${p.text}${p.driver ? ` driver ${p.driver}` : ''} ${p.startedAt}${p.notJudged ? ` (not judged: ${p.notJudged})` : ''}`)}</title></circle>`,
    )
    .join('');
  const cuts = [0, ...m.changes.map((c) => c.index), m.points.length];
  const medians = m.changes.length
    ? cuts
        .slice(1)
        .map((end, k) => {
          const c = m.changes[k] ?? m.changes[k - 1]!;
          const v = k < m.changes.length ? c.before.median : c.after.median;
          return `<line x1="${x(cuts[k]!).toFixed(1)}" x2="${x(end - 1).toFixed(1)}" y1="${y(s, v).toFixed(1)}" y2="${y(s, v).toFixed(1)}" stroke="#d62728" stroke-width="2" opacity="0.7"/>`;
        })
        .join('')
    : '';
  const lines = m.changes
    .map((c) => {
      const cx = (x(c.index - 1) + x(c.index)) / 2;
      const label = `${c.outcome} ${c.at.driver ?? ''}`.trim();
      return `<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${T}" y2="${H - B}" stroke="#333" stroke-dasharray="5 4" class="changepoint"/><text x="${(cx + 4).toFixed(1)}" y="${T + 12}">${esc(label)}</text>`;
    })
    .join('');
  const xlabels = [0, Math.floor(n / 2), m.points.length - 1]
    .filter((v, k, a) => a.indexOf(v) === k && m.points[v])
    .map((i) => `<text x="${x(i).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${esc(m.points[i]!.driver ?? m.points[i]!.startedAt.slice(0, 10))}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(m.metric)} over ${m.points.length} results">${yAxis(s, format)}${medians}${lines}${dots}${xlabels}</svg>`;
}

export function historyHtml(h: History): string {
  const parts = [`<h1>History of ${esc(h.caseId)}</h1>`, `<p class="note">Ordered by ${h.order === 'driver' ? 'driver build' : 'time'}. ${esc(h.method)}.</p>`];
  parts.push(
    h.regression
      ? `<p class="bad">Regression: ${esc(h.regressions.map((r) => `${r.metric} on ${r.host}`).join('; '))}</p>`
      : `<p class="good">No regression${h.since ? ` since ${esc(h.since)}` : ''}.</p>`,
  );
  for (const host of h.hosts) {
    parts.push(`<h2>${esc(host.host)} <span class="note">(${esc(host.probe)}, ${esc(host.backend)})</span></h2>`);
    for (const m of host.metrics) {
      parts.push(`<h3>${esc(m.metric)}${m.unit ? ` <span class="note">(${esc(m.unit)})</span>` : ''}</h3>`);
      parts.push(
        `<p class="note">${m.judgedCount} judged, noise ${esc(m.noiseText)}; ${m.changes.length ? `${m.changes.length} change point(s)` : 'no change point'}${m.note ? `; ${esc(m.note)}` : ''}</p>`,
      );
      parts.push(historyChart(m));
      for (const c of m.changes) {
        parts.push(`<p class="${c.outcome === 'regressed' ? 'bad' : ''}">${esc(changeLine(h, m, c))}</p>`);
        parts.push(c.factors.length ? `<ul>${c.factors.map((f) => `<li>${esc(factorLine(f))}</li>`).join('')}</ul>` : '<p class="note">No recorded factor changed there.</p>');
      }
    }
  }
  return page(`xpudiag history: ${h.caseId}`, parts.join('\n'));
}

/** One metric over the nodes: a dot per node on one axis, the median as a line, outliers red and named. */
export function fleetChart(m: FleetMetric): string {
  const format = m.format;
  const s = scale(m.values.map((v) => v.value));
  const n = Math.max(1, m.values.length - 1);
  const x = (i: number) => L + ((W - L - R) * i) / n;
  const out = new Map(m.outliers.map((o) => [o.host, o]));
  const dots = m.values
    .map((v, i) => {
      const o = out.get(v.host);
      const colour = o ? (o.side === 'worse' ? '#cf222e' : '#9a6700') : '#1f77b4';
      const label = o ? `<text x="${(x(i) + 5).toFixed(1)}" y="${(y(s, v.value) - 5).toFixed(1)}">${esc(v.host)}</text>` : '';
      return `<circle cx="${x(i).toFixed(1)}" cy="${y(s, v.value).toFixed(1)}" r="${o ? 4.5 : 3}" fill="${colour}"${o ? ' class="outlier"' : ''}><title>${esc(`${v.host}: ${v.text}`)}</title></circle>${label}`;
    })
    .join('');
  const median = m.median !== null ? `<line x1="${L}" x2="${W - R}" y1="${y(s, m.median).toFixed(1)}" y2="${y(s, m.median).toFixed(1)}" stroke="#2ca02c" stroke-dasharray="4 3"/>` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(m.metric)} on ${m.values.length} nodes">${yAxis(s, format)}${median}${dots}<text x="${L}" y="${H - B + 16}">nodes in name order; median dashed</text></svg>`;
}

export function fleetHtml(f: Fleet): string {
  const parts = [`<h1>Fleet: ${f.nodes.length} nodes</h1>`, `<p class="note">${esc(f.method)}.</p>`];
  for (const w of f.warnings) parts.push(`<p class="note">${esc(w)}</p>`);
  if (f.outliers.length) {
    parts.push(`<p class="bad">Outliers: ${f.outliers.map((o) => esc(`${o.host} (${o.cases.join(', ')})`)).join(', ')}</p>`);
    if (f.shared.length) parts.push(`<ul>${f.shared.map((s) => `<li>${esc(sharedLine(s, f.outliers.length))}</li>`).join('')}</ul>`);
  } else parts.push('<p class="good">No outlier node.</p>');
  for (const u of f.unjudged) parts.push(`<p class="note">Not judged on ${esc(u.host)} (measure it again): ${esc(u.what.join('; '))}</p>`);
  for (const c of f.cases) {
    parts.push(`<h2>${esc(c.id)} <span class="note">(${esc(c.probe)}, ${esc(c.backend)}, ${c.nodes} nodes)</span></h2>`);
    for (const m of c.metrics) {
      if (!m.values.length) continue;
      parts.push(`<h3>${esc(m.metric)}${m.unit ? ` <span class="note">(${esc(m.unit)})</span>` : ''}: median ${esc(m.medianText)}</h3>`);
      if (m.note) parts.push(`<p class="note">${esc(m.note)}</p>`);
      parts.push(fleetChart(m));
      if (m.outliers.length) parts.push(`<ul>${m.outliers.map((o) => `<li class="${o.side === 'worse' ? 'bad' : ''}">${esc(`${o.host}: ${o.why}`)}</li>`).join('')}</ul>`);
    }
    if (c.outliers.length && c.shared.length) parts.push(`<ul>${c.shared.map((s) => `<li>${esc(sharedLine(s, c.outliers.length))}</li>`).join('')}</ul>`);
  }
  const rows = f.nodes.map((n) => `<tr><td>${esc(n.host)}</td><td>${esc(n.suite)}</td><td>${esc(n.startedAt)}</td><td>${esc(n.toolVersion)}</td><td>${esc(n.source)}</td></tr>`).join('');
  parts.push(`<h2>Nodes</h2><table><tr><th>host</th><th>suite</th><th>started</th><th>xpudiag</th><th>report</th></tr>${rows}</table>`);
  return page(`xpudiag fleet: ${f.nodes.length} nodes`, parts.join('\n'));
}
