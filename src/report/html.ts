// One self-contained HTML page per run: tables plus charts drawn by uPlot, whose script
// and stylesheet are inlined so the page opens offline, attached to a ticket or from a CI
// artefact store. A Content-Security-Policy forbids every network load outright.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Report } from './build.js';
import { charts, type Chart } from './chart-data.js';
import { ticketSummary } from './ticket.js';
import { formatBytes } from '../suite/index.js';

const require = createRequire(import.meta.url);

/** uPlot's browser build and stylesheet, read from the installed package. */
export function chartLibrary(): { js: string; css: string } {
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  return { js, css };
}

export function esc(s: unknown): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON inside <script>: nothing in the data can close the element or start a comment. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d1d1f; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.summary { color: #333; margin: 0 0 12px; }
table { border-collapse: collapse; margin: 6px 0; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f5f5f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status { font-weight: 600; text-transform: uppercase; font-size: 12px; }
.pass { color: #1a7f37; } .fail, .error { color: #cf222e; } .warn { color: #9a6700; } .skip { color: #6e7781; } .xfail { color: #8250df; } .xpass { color: #0969da; }
.grid { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; border: 1px solid #ddd; border-radius: 6px; padding: 8px; }
figcaption { font-weight: 600; margin-bottom: 4px; } figcaption span { font-weight: 400; color: #555; }
.note { color: #555; } .bad { color: #cf222e; font-weight: 600; }
`;

// Runs in the browser: builds one uPlot per chart spec and marks the page when done,
// so a headless test can tell "scripts ran and drew" from "page loaded".
const CLIENT = `
(function () {
  var specs = JSON.parse(document.getElementById('xpudiag-charts').textContent);
  var GiB = 1073741824;
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
  function bytes(b) {
    var u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], i = 0;
    while (Math.abs(b) >= 1024 && i < u.length - 1) { b /= 1024; i++; }
    return (Math.round(b * 10) / 10) + ' ' + u[i];
  }
  function vline(u, x, label, dash, row) {
    if (x == null) return;
    var ctx = u.ctx, px = u.valToPos(x, 'x', true);
    if (!(px >= u.bbox.left && px <= u.bbox.left + u.bbox.width)) return;
    ctx.save();
    ctx.strokeStyle = '#333'; ctx.lineWidth = 1.5 * devicePixelRatio; ctx.setLineDash(dash.map(function (d) { return d * devicePixelRatio; }));
    ctx.beginPath(); ctx.moveTo(px, u.bbox.top); ctx.lineTo(px, u.bbox.top + u.bbox.height); ctx.stroke();
    ctx.setLineDash([]); ctx.fillStyle = '#333'; ctx.font = (11 * devicePixelRatio) + 'px sans-serif';
    ctx.textAlign = 'left'; ctx.textBaseline = 'alphabetic';
    ctx.fillText(label, px + 4 * devicePixelRatio, u.bbox.top + (12 + 14 * row) * devicePixelRatio);
    ctx.restore();
  }
  function alloc(s, el) {
    var x = s.x.map(function (v) { return v / GiB; });
    var g = function (v) { return v == null ? null : v / GiB; };
    var data = [x, s.measured.map(g), s.fit.map(g), x.slice()];
    var series = [{ label: 'device GiB' },
      { label: 'measured (MemAvailable drop)', stroke: COLORS[0], paths: function () { return null; }, points: { show: true, size: 9, fill: COLORS[0] } },
      { label: s.slope == null ? 'no fit' : 'fit: ' + s.slope.toFixed(3) + ' host B per device B', stroke: COLORS[1], width: 2, points: { show: false } },
      { label: 'full copy (1:1)', stroke: '#999', width: 1, dash: [6, 4], points: { show: false } }];
    if (s.threshold != null) {
      data.push(x.map(function (v) { return v * s.threshold; }));
      series.push({ label: 'verdict threshold (' + s.threshold + ')', stroke: '#9a6700', width: 1, dash: [2, 3], points: { show: false } });
    }
    return new uPlot({ width: 520, height: 300, legend: { live: false }, scales: { x: { time: false } },
      axes: [{ label: 'device memory allocated (GiB)' }, { label: 'host memory consumed (GiB)', size: 60 }],
      series: series }, data, el);
  }
  // Size ticks at powers of two, thinned to about eight so the labels never collide.
  function powers(u, axis, min, max) {
    var lo = Math.ceil(Math.log2(min)), hi = Math.floor(Math.log2(max)), step = Math.max(1, Math.ceil((hi - lo + 1) / 8)), out = [];
    for (var e = lo; e <= hi; e += step) out.push(Math.pow(2, e));
    return out;
  }
  function allreduce(s, el) {
    var data = [s.x].concat(s.series.map(function (r) { return r.busbw; }));
    var series = [{ label: 'bytes', value: function (u, v) { return v == null ? '-' : bytes(v); } }].concat(s.series.map(function (r, i) {
      return { label: r.algorithm + ' busbw (GB/s)', stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: true, size: 5 } };
    }));
    return new uPlot({ width: 520, height: 300, legend: { live: false }, scales: { x: { time: false, distr: 3, log: 2 } },
      axes: [{ label: 'message size', splits: powers, filter: function (u, splits) { return splits; },
        values: function (u, vals) { return vals.map(function (v) { return v == null ? '' : bytes(v); }); } }, { label: 'bus bandwidth (GB/s)', size: 60 }],
      series: series,
      hooks: { draw: [function (u) {
        vline(u, s.thresholdBytes, 'auto threshold ' + (s.thresholdBytes == null ? '' : bytes(s.thresholdBytes)), [6, 4], 0);
        vline(u, s.crossoverBytes, 'BF16 crossover ' + (s.crossoverBytes == null ? '' : bytes(s.crossoverBytes)), [2, 3], 1);
      }] } }, data, el);
  }
  var made = 0;
  specs.forEach(function (s, i) {
    var el = document.querySelector('[data-chart="' + i + '"] .plot');
    try { (s.kind === 'alloc' ? alloc : allreduce)(s, el); made++; }
    catch (e) { el.textContent = 'chart failed: ' + e.message; el.className += ' bad'; }
  });
  document.body.setAttribute('data-charts-ready', String(made));
})();
`;

function statusCell(s: string): string {
  return `<td class="status ${esc(s)}">${esc(s)}</td>`;
}

function environmentSection(r: Report): string {
  const e = r.environment;
  const rows: [string, string][] = [];
  for (const d of e.devices) rows.push([`device ${d.backend}:${d.index}`, `${d.name}, ${formatBytes(d.memoryBytes)}${d.kernelDriver ? `, kernel driver ${d.kernelDriver}` : ''}${d.pciId ? `, PCI ${d.pciId}` : ''}`]);
  for (const [k, v] of Object.entries(e.runtimes)) rows.push([`runtime ${k}`, v]);
  rows.push(['kernel', e.kernel], ['OS', e.os], ['CPU', e.cpu], ['host memory', formatBytes(e.memoryBytes)], ['host', e.host]);
  for (const [k, v] of Object.entries(e.variables)) rows.push([k, v]);
  rows.push(['xpudiag', r.tool.version], ['suite', `${r.suite.file} (sha256 ${r.suite.sha256})`]);
  if (r.tool.command) rows.push(['command', r.tool.command]);
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>`;
}

function resultsSection(r: Report): string {
  const rows = r.results.map((x) => {
    const slope = typeof x.metrics.hostPerDevice === 'number' ? x.metrics.hostPerDevice.toFixed(3) : '';
    const ci = Array.isArray(x.metrics.hostPerDeviceCI) ? `[${(x.metrics.hostPerDeviceCI as number[]).map((v) => v.toFixed(3)).join(', ')}]` : '';
    return `<tr>${statusCell(x.status)}<td>${esc(x.id)}${x.control ? ` <span class="note">(${esc(x.control)} control)</span>` : ''}</td>` +
      `<td>${esc(typeof x.metrics.verdict === 'string' ? x.metrics.verdict : '')}</td><td class="num">${esc(slope)}</td><td class="num">${esc(ci)}</td><td>${esc(x.reason)}</td></tr>`;
  });
  return `<table><tr><th>status</th><th>case</th><th>verdict</th><th>host B / device B</th><th>95% interval</th><th>reason</th></tr>${rows.join('')}</table>`;
}

function chartFigure(c: Chart, index: number): string {
  const caption =
    c.kind === 'alloc'
      ? `<span>${esc(c.verdict)}${c.slope !== null ? `, ${esc(c.slope.toFixed(3))}${c.interval ? ` [${esc(c.interval[0].toFixed(3))}, ${esc(c.interval[1].toFixed(3))}]` : ''} host B per device B` : ''}</span>`
      : `<span>${c.thresholdBytes !== null ? `threshold ${esc(formatBytes(c.thresholdBytes))}` : ''}${c.crossoverBytes !== null ? `, BF16 crossover ${esc(formatBytes(c.crossoverBytes))}` : ''}</span>`;
  return `<figure data-chart="${index}"><figcaption>${esc(c.id)} ${caption}</figcaption><div class="plot"></div></figure>`;
}

function reportSection(r: Report, specs: Chart[]): string {
  const mine = charts(r);
  const first = specs.length;
  specs.push(...mine);
  const alloc = mine.map((c, i) => [c, first + i] as const).filter(([c]) => c.kind === 'alloc');
  const ar = mine.map((c, i) => [c, first + i] as const).filter(([c]) => c.kind === 'allreduce');
  const attribution = (Array.isArray(r.analysis?.attribution) ? r.analysis.attribution : []) as { group?: unknown; statement?: unknown }[];
  const trust = r.trust
    ? r.trust.trusted
      ? '<p>Controls read as expected: this run\'s verdicts can be trusted.</p>'
      : `<p class="bad">Controls failed, verdicts are untrustworthy: ${esc(r.trust.reasons.join('; '))}</p>`
    : '';
  return [
    `<section><h1>xpudiag: ${esc(r.suite.name)}</h1>`,
    `<p class="summary">${esc(ticketSummary(r))}. Run ${esc(r.startedAt)} to ${esc(r.finishedAt)}${r.interrupted ? ' (interrupted)' : ''}.</p>`,
    '<h2>Results</h2>', resultsSection(r),
    alloc.length ? `<h2>Host memory against device memory</h2><p class="note">Per case: host memory consumed (MemAvailable drop from the settled baseline, median per step) against device memory allocated, with the fitted line whose slope is the verdict's figure.</p><div class="grid">${alloc.map(([c, i]) => chartFigure(c, i)).join('')}</div>` : '',
    ar.length ? `<h2>All-reduce bandwidth against size</h2><p class="note">Bus bandwidth per algorithm; the dashed line marks the size where <code>auto</code> switches from direct FP32 to BF16.</p><div class="grid">${ar.map(([c, i]) => chartFigure(c, i)).join('')}</div>` : '',
    attribution.length || trust ? `<h2>Attribution</h2><ul>${attribution.map((a) => `<li><b>${esc(a.group ?? '')}</b>: ${esc(a.statement ?? '')}</li>`).join('')}</ul>${trust}` : '',
    '<h2>Environment</h2>', environmentSection(r),
    '</section>',
  ].join('\n');
}

export interface HtmlOptions {
  /** Applied to the page's own text and data, never to the inlined library (redaction). */
  filter?: (s: string) => string;
}

export function renderHtml(reports: readonly Report[], opts: HtmlOptions = {}): string {
  const specs: Chart[] = [];
  const body = reports.map((r) => reportSection(r, specs)).join('\n<hr>\n');
  const title = `xpudiag: ${reports.map((r) => r.suite.name).join(', ')}`;
  const filter = opts.filter ?? ((s: string) => s);
  const page = (lib: { js: string; css: string }) => [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${filter(esc(title))}</title>`,
    `<style>${lib.css}</style>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    filter(body),
    `<script type="application/json" id="xpudiag-charts">${filter(scriptJson(specs))}</script>`,
    `<script>${lib.js}</script>`,
    `<script>${CLIENT}</script>`,
    '</body></html>',
    '',
  ].join('\n');
  return page(chartLibrary());
}
