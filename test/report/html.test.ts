// The HTML page: self-contained, escaped, and drawn by a real browser (headless Chromium).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/build.js';
import { allocChart, allreduceChart, charts } from '../../src/report/chart-data.js';
import { chartLibrary, renderHtml } from '../../src/report/html.js';
import { root, tempDir } from '../helpers/cli.js';

const load = (rel: string): Report => JSON.parse(readFileSync(join(root, 'fixtures', 'reports', rel), 'utf8')) as Report;

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((b) => spawnSync(b, ['--version'], { encoding: 'utf8' }).status === 0);
const unless = chromium ? '' : ' [SKIPPED: Chromium is not installed (Debian package chromium)]';

function headless(file: string, extra: string[]): { stdout: string; stderr: string; status: number | null } {
  const profile = mkdtempSync(join(tmpdir(), 'xpudiag-chromium-'));
  const r = spawnSync(chromium!, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=5000', ...extra, `file://${file}`,
  ], { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 << 20 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  expect(b.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
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
    const last = populate.measured.at(-1)!;
    expect(last / populate.x.at(-1)!).toBeGreaterThan(0.7);
    expect(populate.fit.at(-1)).toBeCloseTo(populate.intercept! + populate.slope! * populate.x.at(-1)!, 3);
    expect(populate.interval).toEqual(r.results.find((x) => x.id === 'positive-mmap-populate')!.metrics.hostPerDeviceCI);
  });

  it('bandwidth against size: one series per algorithm over the union of sizes, threshold in bytes', () => {
    const r = load('controls-and-allreduce.json');
    const c = allreduceChart(r.results.find((x) => x.probe === 'allreduce')!)!;
    expect(c.series.map((s) => s.algorithm)).toEqual(['direct-f32', 'bf16-trunc', 'bf16-rne', 'auto']);
    expect(c.x[0]).toBe(4096);
    expect(c.thresholdBytes).toBe(32768 * 4);
    expect(c.crossoverBytes).toBe(196608);
    expect(charts(r).map((x) => x.kind)).toEqual(['alloc', 'alloc', 'alloc', 'alloc', 'allreduce']);
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

  it.skipIf(!chromium)(`renders in headless Chromium: scripts ran, one canvas per chart, and a screenshot${unless}`, () => {
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

    const png = join(dir, 'report.png');
    const shot = headless(file, [`--screenshot=${png}`, '--window-size=1200,900', '--hide-scrollbars']);
    expect(shot.status, shot.stderr.slice(-2000)).toBe(0);
    expect(pngSize(png)).toEqual({ width: 1200, height: 900 });
    // A blank white page compresses to a few KiB; text, tables and plots do not.
    expect(readFileSync(png).length).toBeGreaterThan(40_000);
  }, 180_000);
});
