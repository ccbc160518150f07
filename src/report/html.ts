// One self-contained HTML page per run: tables plus charts drawn by uPlot, whose script
// and stylesheet are inlined so the page opens offline, attached to a ticket or from a CI
// artefact store. A Content-Security-Policy forbids every network load outright.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Report } from '../store/build.js';
import type { Chart } from '../probes/chart.js';
import { chartedResults } from './chart-data.js';
import { probeModule, probeModules } from '../probes/index.js';
import type { HtmlCell, ProbeHtml } from '../probes/types.js';
import { ticketSummary } from './ticket.js';
import { formatBytes } from '../model/format.js';

const require = createRequire(import.meta.url);

type Result = Report['results'][number];

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
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// Charts sit in a grid of columns at least 460 px wide (one column on a narrow window),
// whatever their captions hold: a long case id wraps instead of shrinking its chart.
// Wide tables scroll inside their own box, so the page never scrolls sideways.
const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #1d1d1f; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; overflow-wrap: anywhere; }
.summary { color: #333; margin: 0 0 12px; overflow-wrap: anywhere; }
.table { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 6px 0; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
td { overflow-wrap: anywhere; } td.id { min-width: 12em; max-width: 36em; } td.text { min-width: 16em; }
th { background: #f5f5f7; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; overflow-wrap: normal; min-width: 0; }
.status { font-weight: 600; text-transform: uppercase; font-size: 12px; min-width: 0; }
.pass { color: #1a7f37; } .fail, .error { color: #cf222e; } .warn { color: #9a6700; } .skip { color: #6e7781; } .xfail { color: #8250df; } .xpass { color: #0969da; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 460px), 1fr)); gap: 16px; }
figure { margin: 0; border: 1px solid #ddd; border-radius: 6px; padding: 8px; min-width: 0; }
figcaption { font-weight: 600; margin-bottom: 4px; overflow-wrap: anywhere; } figcaption span { font-weight: 400; color: #555; }
.plot { width: 100%; min-height: 300px; }
.uplot .u-legend { text-align: left; } .uplot .u-legend .u-series { cursor: pointer; }
details { margin: 6px 0; } summary { cursor: pointer; color: #0969da; }
.note { color: #555; } .bad { color: #cf222e; font-weight: 600; }
`;

// Runs in the browser: builds one uPlot per chart spec, as wide as its figure (again on
// resize), and marks the page when done, so a headless test can tell "scripts ran and
// drew" from "page loaded". Each figure also gets its plotting area and how many drawn
// points fell outside it (data-geometry), in CSS pixels of the page.
const CLIENT = `
(function () {
  var specs = JSON.parse(document.getElementById('xpudiag-charts').textContent);
  var GiB = 1073741824;
  var COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
  var OTHER = ['#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#bcbd22'];
  function vline(u, x, label, dash, row) {
    if (x == null || label == null) return;
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
  function staircase(s, width, el) {
    var x = s.x.map(function (v) { return v / GiB; });
    var g = function (v) { return v == null ? null : v / GiB; };
    var data = [x, s.fitted.y.map(g), s.fit.map(g), x.slice()];
    var series = [{ label: 'device GiB' },
      { label: 'measured: ' + s.fitted.label + ' (fitted)', stroke: COLORS[0], paths: function () { return null; }, points: { show: true, size: 9, fill: COLORS[0] } },
      { label: s.slope == null ? 'no fit' : 'fit: ' + s.slope.toFixed(3) + ' host B per device B', stroke: COLORS[1], width: 2, points: { show: false } },
      { label: 'full copy (1:1)', stroke: '#999', width: 1, dash: [6, 4], points: { show: false } }];
    if (s.threshold != null) {
      data.push(x.map(function (v) { return v * s.threshold; }));
      series.push({ label: 'verdict threshold (' + s.threshold + ')', stroke: '#9a6700', width: 1, dash: [2, 3], points: { show: false } });
    }
    // The other instruments, hidden until their legend entry is clicked.
    s.others.forEach(function (o, i) {
      data.push(o.y.map(g));
      series.push({ label: o.label, show: false, stroke: OTHER[i % OTHER.length], width: 1, points: { show: true, size: 5 } });
    });
    return new uPlot({ width: width, height: 300, legend: { live: false }, scales: { x: { time: false } },
      axes: [{ label: 'device memory allocated (GiB)' }, { label: 'host memory consumed (GiB)', size: 60 }],
      series: series }, data, el);
  }
  // Size ticks at powers of two, thinned to about eight so the labels never collide.
  function powers(u, axis, min, max) {
    var lo = Math.ceil(Math.log2(min)), hi = Math.floor(Math.log2(max)), step = Math.max(1, Math.ceil((hi - lo + 1) / 8)), out = [];
    for (var e = lo; e <= hi; e += step) out.push(Math.pow(2, e));
    return out;
  }
  function sweep(s, width, el) {
    var data = [s.x].concat(s.series.map(function (r) { return r.busbw; }));
    var series = [{ label: 'bytes', value: function (u, v) { return v == null ? '-' : (s.labels.ticks[String(v)] || v + ' B'); } }].concat(s.series.map(function (r, i) {
      return { label: r.algorithm + ' busbw (GB/s)', stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: true, size: 5 } };
    }));
    return new uPlot({ width: width, height: 300, legend: { live: false }, scales: { x: { time: false, distr: 3, log: 2 } },
      axes: [{ label: 'message size', splits: powers, filter: function (u, splits) { return splits; },
        values: function (u, vals) { return vals.map(function (v) { return v == null ? '' : (s.labels.ticks[String(v)] || ''); }); } }, { label: 'bus bandwidth (GB/s)', size: 60 }],
      series: series,
      hooks: { draw: [function (u) {
        vline(u, s.thresholdBytes, s.labels.threshold, [6, 4], 0);
        vline(u, s.crossoverBytes, s.labels.crossover, [2, 3], 1);
      }] } }, data, el);
  }
  // Where the plotting area is on the page, and how many shown points lie outside it.
  function geometry(u, fig) {
    var over = u.over.getBoundingClientRect(), f = fig.getBoundingClientRect(), outside = 0, points = 0;
    for (var i = 1; i < u.series.length; i++) {
      if (!u.series[i].show) continue;
      for (var j = 0; j < u.data[i].length; j++) {
        var v = u.data[i][j];
        if (v == null || u.data[0][j] == null) continue;
        points++;
        var px = u.valToPos(u.data[0][j], 'x'), py = u.valToPos(v, u.series[i].scale || 'y');
        if (!(px >= -0.5 && px <= over.width + 0.5 && py >= -0.5 && py <= over.height + 0.5)) outside++;
      }
    }
    fig.setAttribute('data-geometry', JSON.stringify({
      plot: { left: over.left + scrollX, top: over.top + scrollY, width: over.width, height: over.height },
      figure: { left: f.left + scrollX, top: f.top + scrollY, width: f.width, height: f.height },
      points: points, outside: outside }));
  }
  var made = [];
  specs.forEach(function (s, i) {
    var fig = document.querySelector('[data-chart="' + i + '"]'), el = fig.querySelector('.plot');
    try { made.push([(s.kind === 'staircase' ? staircase : sweep)(s, el.clientWidth, el), fig, el]); }
    catch (e) { el.textContent = 'chart failed: ' + e.message; el.className += ' bad'; }
  });
  // uPlot lays a chart out after the current task: measure once that has happened.
  function measure() {
    made.forEach(function (m) { geometry(m[0], m[1]); });
    document.body.setAttribute('data-layout', JSON.stringify({ viewport: innerWidth, scrollWidth: document.documentElement.scrollWidth, scrollHeight: document.documentElement.scrollHeight }));
    document.body.setAttribute('data-charts-ready', String(made.length));
  }
  setTimeout(measure, 0);
  var pending;
  addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(function () { made.forEach(function (m) { m[0].setSize({ width: m[2].clientWidth, height: 300 }); }); setTimeout(measure, 0); }, 100);
  });
})();
`;

function statusCell(s: string): string {
  return `<td class="status ${esc(s)}">${esc(s)}</td>`;
}

function tableOf(head: string[], rows: string[]): string {
  return `<div class="table"><table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.join('')}</table></div>`;
}

function environmentSection(r: Report): string {
  const e = r.environment;
  const rows: [string, string][] = [];
  for (const d of e.devices)
    rows.push([`device ${d.backend}:${d.index}`, `${d.name}, ${formatBytes(d.memoryBytes)}${d.kernelDriver ? `, kernel driver ${d.kernelDriver}` : ''}${d.pciId ? `, PCI ${d.pciId}` : ''}`]);
  for (const [k, v] of Object.entries(e.runtimes)) rows.push([`runtime ${k}`, v]);
  rows.push(['kernel', e.kernel], ['OS', e.os], ['CPU', e.cpu], ['host memory', formatBytes(e.memoryBytes)], ['host', e.host]);
  for (const [k, v] of Object.entries(e.variables)) rows.push([k, v]);
  rows.push(['xpudiag', r.tool.version], ['suite', `${r.suite.file} (sha256 ${r.suite.sha256})`]);
  if (r.tool.command) rows.push(['command', r.tool.command]);
  return `<div class="table"><table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table></div>`;
}

const idCell = (x: Result) => `<td class="id">${esc(x.id)}${x.control ? ` <span class="note">(${esc(x.control)} control)</span>` : ''}</td>`;
const numCell = (v: string) => `<td class="num">${esc(v)}</td>`;

function cellHtml(c: HtmlCell): string {
  return c.kind === 'num' ? numCell(c.text) : c.kind === 'text' ? `<td class="text">${esc(c.text)}</td>` : `<td>${esc(c.text)}</td>`;
}

/** A probe's results table: status and case, the probe's own columns (ProbeModule.html), the reason. */
function probeResults(html: ProbeHtml, results: Result[]): string {
  const rows = results.map((x) => `<tr>${statusCell(x.status)}${idCell(x)}${html.cells(x).map(cellHtml).join('')}<td class="text">${esc(x.reason)}</td></tr>`);
  return tableOf(['status', 'case', ...html.columns, 'reason'], rows);
}

/** Results of probes without a table of their own (or unknown to this version): their headline figures. */
function otherResults(results: Result[]): string {
  const headline = (x: Result) => {
    try {
      return probeModule(x.probe)?.describe?.(x.metrics) ?? '';
    } catch {
      return '';
    }
  };
  return tableOf(
    ['status', 'case', 'probe', 'figures', 'reason'],
    results.map((x) => `<tr>${statusCell(x.status)}${idCell(x)}<td>${esc(x.probe)}</td><td>${esc(headline(x))}</td><td class="text">${esc(x.reason)}</td></tr>`),
  );
}

/** The numbers under a chart, folded (ProbeModule.html.chartTable). */
function chartNumbers(html: ProbeHtml, r: Result): string {
  const t = html.chartTable?.(r);
  if (!t) return '';
  const cells = (row: string[]) => row.map((c, i) => (i === t.textColumn ? `<td>${esc(c)}</td>` : numCell(c))).join('');
  return `<details><summary>the sweep in numbers (${t.rows.length} rows)</summary>${tableOf(
    [...t.head],
    t.rows.map((row) => `<tr>${cells(row)}</tr>`),
  )}</details>`;
}

/** A chart's caption, by its plot kind. */
function caption(c: Chart): string {
  switch (c.kind) {
    case 'staircase':
      return `<span>${esc(c.verdict)}${c.slope !== null ? `, ${esc(c.slope.toFixed(3))}${c.interval ? ` [${esc(c.interval[0].toFixed(3))}, ${esc(c.interval[1].toFixed(3))}]` : ''} host B per device B` : ''}</span>`;
    case 'sweep':
      return `<span>${c.labels.threshold ? esc(c.labels.threshold) : ''}${c.labels.crossover ? `, ${esc(c.labels.crossover)}` : ''}</span>`;
  }
}

function chartFigure(c: Chart, index: number, numbers: string): string {
  return `<figure data-chart="${index}"><figcaption>${esc(c.id)} ${caption(c)}</figcaption><div class="plot"></div>${numbers}</figure>`;
}

/** Text with `code` spans: escaped, the spans as <code>. */
const withCode = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

function reportSection(r: Report, specs: Chart[]): string {
  const trust = r.trust
    ? r.trust.trusted
      ? "<p>Controls read as expected: this run's verdicts can be trusted.</p>"
      : `<p class="bad">Controls failed, verdicts are untrustworthy: ${esc(r.trust.reasons.join('; '))}</p>`
    : '';
  const attribution = (Array.isArray(r.analysis?.attribution) ? r.analysis.attribution : []) as { group?: unknown; statement?: unknown }[];
  const charted = chartedResults(r);
  // Per probe in the registry's order: its results table, and its charts' section.
  const tables: string[] = [];
  const chartSections: string[] = [];
  for (const probe of probeModules()) {
    const html = probe.html;
    const mine = r.results.filter((x) => x.probe === probe.name);
    if (!html || !mine.length) continue;
    tables.push(`<h3>${esc(html.heading)}</h3>${probeResults(html, mine)}`);
    const drawn = charted.filter(([x]) => x.probe === probe.name);
    if (!drawn.length) continue;
    const figures = drawn.map(([x, c]) => chartFigure(c, specs.push(c) - 1, chartNumbers(html, x)));
    const section = html.chartSection ?? { heading: `${html.heading} charts`, note: () => '' };
    chartSections.push(`<h2>${esc(section.heading)}</h2><p class="note">${withCode(section.note(drawn.map(([, c]) => c)))}</p><div class="grid">${figures.join('')}</div>`);
  }
  const others = r.results.filter((x) => !probeModule(x.probe)?.html);
  return [
    `<section><h1>xpudiag: ${esc(r.suite.name)}</h1>`,
    `<p class="summary">${esc(ticketSummary(r))}. Run ${esc(r.startedAt)} to ${esc(r.finishedAt)}${r.interrupted ? ' (interrupted)' : ''}.</p>`,
    '<h2>Results</h2>',
    ...tables,
    others.length ? `<h3>Other probes</h3>${otherResults(others)}` : '',
    ...chartSections,
    attribution.length || trust ? `<h2>Attribution</h2><ul>${attribution.map((a) => `<li><b>${esc(a.group ?? '')}</b>: ${esc(a.statement ?? '')}</li>`).join('')}</ul>${trust}` : '',
    '<h2>Environment</h2>',
    environmentSection(r),
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
  const page = (lib: { js: string; css: string }) =>
    [
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
