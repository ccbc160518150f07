// Report text in Markdown: inert as markup, yet readable raw (tickets and compare
// --markdown are read in terminals and editors too, not only rendered).
import { describe, expect, it } from 'vitest';
import { md } from '../../src/model/markdown.js';
import { compareReports } from '../../src/report/compare.js';
import { loadReport } from '../../src/store/load.js';
import { renderCompareMarkdown } from '../../src/report/render-compare.js';
import { join } from 'node:path';
import { root } from '../helpers/cli.js';

describe('md()', () => {
  it('arrows and ampersands read as written; tags, entities and a leading > stay inert', () => {
    expect(md('1.6.33578+15 -> 1.6.34250+3 & more')).toBe('1.6.33578+15 -> 1.6.34250+3 & more');
    expect(md('<host> &amp; &#60;')).toBe('&lt;host> &amp;amp; &amp;\\#60;');
    expect(md('> not a quote\n> nor this')).toBe('\\> not a quote<br>\\> nor this');
    expect(md('a|b *x* `c`')).toBe('a\\|b \\*x\\* \\`c\\`');
  });

  it('compare --markdown of a driver change writes the arrow, not -&gt;', () => {
    const dir = join(root, 'fixtures', 'reports', 'driver-fix');
    const out = renderCompareMarkdown(compareReports(loadReport(join(dir, 'before.json')), loadReport(join(dir, 'after.json'))));
    expect(out).toMatch(/Level Zero driver \(1\.6\.33578\+15 -> 1\.6\.34250\+3\)/);
    expect(out).not.toContain('&gt;');
  });
});
