// The HTML page: self-contained, escaped, and drawn by a real browser (headless Chromium).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/store/build.js';
import { charts } from '../../src/report/chart-data.js';
import { allocChart } from '../../src/probes/alloc/report.js';
import { allreduceChart } from '../../src/probes/allreduce/report.js';
import { chartLibrary, renderHtml } from '../../src/report/html.js';
import { median } from '../../src/analysis/stats.js';
import { root, tempDir } from '../helpers/cli.js';
import { countColor, readPng } from '../helpers/png.js';

const load = (rel: string): Report => JSON.parse(readFileSync(join(root, 'fixtures', 'reports', rel), 'utf8')) as Report;

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((b) => spawnSync(b, ['--version'], { encoding: 'utf8' }).status === 0);
const unless = chromium ? '' : ' [SKIPPED: Chromium is not installed (Debian package chromium)]';

function headless(file: string, extra: string[]): { stdout: string; stderr: string; status: number | null } {
  const profile = mkdtempSync(join(tmpdir(), 'xpudiag-chromium-'));
  const r = spawnSync(
    chromium!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--virtual-time-budget=5000',
      ...extra,
      `file://${file}`,
    ],
    { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 },
  );
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** A report whose texts try to break out of every context they are written into. */
function hostile(): Report {
  const r = load('controls-and-allreduce.json');
  r.results[0]!.id = 'evil</script><script>document.title="pwned"</script>';
  r.results[0]!.reason = '<img src=x onerror="document.title=\'pwned\'"> & "quotes"';
  r.suite.name = '<b>suite</b>';
  return r;
}

describe('chart data', () => {
  it('host memory against device memory: per-step medians from the settled baseline, and the fitted line', () => {
    const r = load('controls-real.json');
    const populate = allocChart(r.results.find((x) => x.id === 'positive-mmap-populate')!)!;
    expect(populate.x[0]).toBe(0);
    expect(populate.x.at(-1)).toBe(8 * 128 * 2 ** 20);
    expect(populate.x).toHaveLength(9);
    // The real positive control: every step costs about its own size in host memory.
    expect(populate.fitted.instrument).toBe('memAvailable'); // a report from before fittedInstrument
    const last = populate.fitted.y.at(-1)!;
    expect(last / populate.x.at(-1)!).toBeGreaterThan(0.7);
    expect(populate.fit.at(-1)).toBeCloseTo(populate.intercept! + populate.slope! * populate.x.at(-1)!, 3);
    expect(populate.interval).toEqual(r.results.find((x) => x.id === 'positive-mmap-populate')!.metrics.hostPerDeviceCI);
  });

  it('plots the instrument the fit used: with the per-CPU lists serving the first 600 MiB, MemAvailable stays flat while the fitted points follow the line', () => {
    const r = load('controls-real.json').results.find((x) => x.id === 'positive-mmap-populate')!;
    const pcp = 600 * 2 ** 20;
    // What the kernel shows when freed pages wait on the per-CPU lists: the first
    // allocations take them, MemAvailable does not move, MemAvailable + pcpFree does.
    const base = r.samples
      .filter((x: { phase?: string }) => x.phase === 'baseline')
      .map((x: { memAvailable: number }) => x.memAvailable)
      .at(-1) as number;
    const samples = r.samples.map((x: { memAvailable: number }) => {
      const taken = Math.max(0, Math.min(pcp, base - x.memAvailable));
      return { ...x, memAvailable: x.memAvailable + taken, pcpFree: pcp - taken };
    });
    const result = { ...r, samples, metrics: { ...r.metrics, fittedInstrument: 'hostAvailable' } };
    const c = allocChart(result)!;
    expect(c.fitted.instrument).toBe('hostAvailable');
    const span = c.x.at(-1)!;
    const off = (ys: (number | null)[]) => median(ys.map((y, i) => Math.abs(y! - c.fit[i]!) / span));
    // The fitted points lie on the fitted line (median distance under 5% of its range)...
    expect(off(c.fitted.y)).toBeLessThan(0.05);
    // ...and MemAvailable, shown on demand, reads nothing for the first steps: the chart, far off the line.
    const mem = c.others.find((o) => o.instrument === 'memAvailable')!;
    expect(off(mem.y)).toBeGreaterThan(4 * off(c.fitted.y));
    expect(mem.y.slice(0, 4).every((y) => Math.abs(y!) < 32 * 2 ** 20)).toBe(true);
    expect(c.others.map((o) => o.instrument)).not.toContain('hostAvailable');
  });

  it('bandwidth against size: one series per algorithm over the union of sizes, threshold in bytes', () => {
    const r = load('controls-and-allreduce.json');
    const c = allreduceChart(r.results.find((x) => x.probe === 'allreduce')!)!;
    expect(c.series.map((s) => s.algorithm)).toEqual(['direct-f32', 'bf16-trunc', 'bf16-rne', 'auto']);
    expect(c.x[0]).toBe(4096);
    expect(c.thresholdBytes).toBe(32768 * 4);
    expect(c.crossoverBytes).toBe(196608);
    expect(charts(r).map((x) => x.kind)).toEqual(['staircase', 'staircase', 'staircase', 'staircase', 'sweep']);
  });

  it('a result without samples or with a malformed sweep gives no chart instead of an exception', () => {
    const r = load('controls-real.json').results[0]!;
    expect(allocChart({ ...r, samples: [] })).toBeNull();
    expect(allreduceChart({ ...r, metrics: { sizes: [null, 'x', { bytes: 'big' }] } })).toBeNull();
  });
});

describe('HTML page', () => {
  it('is self-contained: the chart library inlined, nothing loaded from anywhere', () => {
    const html = renderHtml([load('controls-and-allreduce.json')]);
    const lib = chartLibrary();
    expect(html).toContain(lib.js);
    expect(html).toContain(lib.css);
    expect(html).toContain(`Content-Security-Policy" content="default-src 'none'`);
    expect(html).not.toMatch(/<(script|img|link|iframe)[^>]+(src|href)=/i);
  });

  it('the all-reduce has its own verdict columns and the sweep in numbers', () => {
    const r = load('controls-and-allreduce.json');
    const html = renderHtml([r]);
    const sweep = r.results.find((x) => x.probe === 'allreduce')!;
    const rows = (sweep.metrics.sizes as unknown[]).length;
    expect(html).toContain('<th>verdict</th><th>wrong</th><th>unexpected disagree</th><th>sizes</th><th>peak busbw (GB/s)</th>');
    expect(html).toMatch(new RegExp(`<td class="id">${sweep.id}</td><td>correct</td><td class="num">0</td><td class="num"></td><td class="num">12</td><td>direct-f32 [\\d.]+, bf16-trunc`));
    expect(html).toContain(`the sweep in numbers (${rows} rows)`);
    expect(html.match(/<tr><td class="num">\d+<\/td><td class="num">\d+<\/td><td>(direct-f32|bf16-trunc|bf16-rne|auto)</g)?.length).toBe(rows);
    // A report that says which rows may disagree: only the others count.
    const sizes = sweep.metrics.sizes as { algorithm: string; mayDisagree?: boolean; disagree?: number }[];
    for (const z of sizes) z.mayDisagree = (z.disagree ?? 0) > 0;
    const direct = sizes.find((z) => z.algorithm === 'direct-f32')!;
    direct.disagree = 3;
    direct.mayDisagree = false;
    expect(renderHtml([r])).toMatch(/<td>devices disagree<\/td><td class="num">0<\/td><td class="num">3<\/td>/);
    // Allocation verdict columns stay with the allocation cases.
    expect(html).toContain('<th>verdict</th><th>host B / device B</th><th>95% interval</th><th>released</th>');
  });

  it('escapes every text from the report', () => {
    const html = renderHtml([hostile()]);
    expect(html).not.toContain('<script>document.title');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('evil&lt;/script&gt;&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;');
    expect(html).toContain('&lt;b&gt;suite&lt;/b&gt;');
    // Inside the chart data too: nothing can close the <script> element early.
    const data = html.slice(html.indexOf('id="xpudiag-charts">'), html.indexOf('</script>', html.indexOf('id="xpudiag-charts">')));
    expect(data).toContain('evil\\u003c/script\\u003e');
  });

  it.skipIf(!chromium)(
    `renders in headless Chromium: scripts ran, one canvas per chart, and a screenshot${unless}`,
    () => {
      const dir = tempDir('xpudiag-html-');
      const file = join(dir, 'report.html');
      writeFileSync(file, renderHtml([hostile()]));
      const dom = headless(file, ['--dump-dom']);
      expect(dom.status, dom.stderr.slice(-2000)).toBe(0);
      expect(dom.stdout).toMatch(/<body[^>]*data-charts-ready="5"/);
      expect(dom.stdout.match(/<canvas/g) ?? []).toHaveLength(5);
      expect(dom.stdout.match(/class="uplot/g)?.length).toBe(5);
      expect(dom.stdout).not.toContain('class="plot bad"');
      expect(dom.stdout).not.toMatch(/<title>pwned/);
      expect(dom.stdout).toContain('verdict threshold (0.1)');
      expect(dom.stdout).toContain('bf16-trunc busbw (GB/s)');
    },
    180_000,
  );

  /** The page at one window width: its layout and every chart's plotting area, from the page's own script. */
  function layoutAt(file: string, width: number) {
    const args = ['--hide-scrollbars', `--window-size=${width},900`, '--dump-dom'];
    const first = headless(file, args);
    expect(first.status, first.stderr.slice(-2000)).toBe(0);
    const unq = (s: string) => JSON.parse(s.replace(/&quot;/g, '"'));
    const height = Math.min(16_000, unq(first.stdout.match(/data-layout="([^"]*)"/)![1]!).scrollHeight as number);
    // Again at the page's full height, so that the screenshot below holds every chart at the same place.
    const dom = headless(file, ['--hide-scrollbars', `--window-size=${width},${height}`, '--dump-dom']);
    const layout = unq(dom.stdout.match(/data-layout="([^"]*)"/)![1]!) as { viewport: number; scrollWidth: number };
    type Rect = { left: number; top: number; width: number; height: number };
    const figures = [...dom.stdout.matchAll(/data-chart="(\d+)"[^>]*data-geometry="([^"]*)"/g)].map((m) => ({
      index: Number(m[1]),
      ...(unq(m[2]!) as { plot: Rect; figure: Rect; points: number; outside: number }),
    }));
    const png = join(dir, `page-${width}.png`);
    const shot = headless(file, ['--hide-scrollbars', `--window-size=${width},${height}`, `--screenshot=${png}`]);
    expect(shot.status, shot.stderr.slice(-2000)).toBe(0);
    return { layout, figures, image: readPng(png), height };
  }
  const dir = tempDir('xpudiag-html-layout-');

  it.each([1400, 700])(
    `at %i px: no sideways scroll, charts as wide as their column whatever the case ids, every point and line inside the axes${unless}`,
    (width) => {
      if (!chromium) return;
      const file = join(dir, `layout-${width}.html`);
      const report = hostile();
      // A case id with no place to break, and one of an all-reduce, as long as users write them.
      report.results[1]!.id = 'positive-mmap-populate[' + 'variant=zeMemAllocDevice,contextDevices=all,residency=peers,'.repeat(4) + ']';
      report.results[4]!.id = 'allreduce-sweep-' + 'x'.repeat(160);
      const specs = charts(report);
      writeFileSync(file, renderHtml([report]));
      const { layout, figures, image, height } = layoutAt(file, width);
      expect(layout.viewport).toBe(width);
      expect(layout.scrollWidth, 'the page scrolls sideways').toBeLessThanOrEqual(width);
      expect(figures.map((f) => f.index)).toEqual(specs.map((_, i) => i));
      const column = width >= 1000 ? (width - 48 - 16) / 2 : width - 48;
      for (const f of figures) {
        const spec = specs[f.index]!;
        const where = `${spec.id.slice(0, 40)} at ${width} px`;
        // Not shrunk by its caption: the figure fills its grid column, the plot most of the figure.
        expect(f.figure.width, where).toBeGreaterThanOrEqual(column - 2);
        expect(f.plot.width, where).toBeGreaterThan(0.7 * f.figure.width);
        expect(f.plot.height, where).toBeGreaterThan(150);
        expect(f.plot.left).toBeGreaterThanOrEqual(f.figure.left);
        expect(f.plot.left + f.plot.width).toBeLessThanOrEqual(f.figure.left + f.figure.width);
        // The chart's own geometry: every drawn point maps inside the plotting area.
        expect(f.points, where).toBeGreaterThan(5);
        expect(f.outside, where).toBe(0);
        expect(f.plot.top + f.plot.height).toBeLessThanOrEqual(height);
        // The pixels: the first series (the fitted readings, or the first algorithm) and,
        // for allocation, the fitted line are drawn inside the axes, and not beside them.
        // (For the all-reduce: the first series and the last, drawn on top of the others, which may hide under it.)
        const series = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
        const colours = spec.kind === 'staircase' ? ['#1f77b4', '#d62728'] : [series[0]!, series[(spec.series.length - 1) % series.length]!];
        for (const c of colours) {
          expect(countColor(image, f.plot, c), `${c} in the plot of ${where}`).toBeGreaterThan(30);
          // A point on the plot's edge overhangs it by its radius (4.5 px): the band beside the plot starts past that.
          const edge = 6;
          const beside = [
            { left: f.figure.left, top: f.plot.top, width: f.plot.left - f.figure.left - edge, height: f.plot.height },
            { left: f.plot.left + f.plot.width + edge, top: f.plot.top, width: f.figure.left + f.figure.width - f.plot.left - f.plot.width - edge, height: f.plot.height },
          ];
          for (const r of beside) expect(countColor(image, r, c, 8), `${c} beside the plot of ${where}`).toBe(0);
        }
      }
    },
    240_000,
  );
});
