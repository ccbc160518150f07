// JUnit XML validated against a JUnit schema (fixtures/junit/junit.xsd) with xmllint.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/store/build.js';
import { summarize } from '../../src/store/build.js';
import { renderJunit } from '../../src/report/junit.js';
import { root, tempDir } from '../helpers/cli.js';

const xsd = join(root, 'fixtures', 'junit', 'junit.xsd');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
const unless = hasXmllint ? '' : ' [SKIPPED: xmllint is not installed (Debian package libxml2-utils)]';

function validate(xml: string): { ok: boolean; output: string } {
  const file = join(tempDir(), 'junit.xml');
  writeFileSync(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', xsd, file], { encoding: 'utf8' });
  return { ok: r.status === 0, output: r.stderr + r.stdout };
}

/** The real controls run, plus one result of every other status, with hostile text. */
function everyStatus(): Report {
  const report = JSON.parse(readFileSync(join(root, 'fixtures', 'reports', 'controls-real.json'), 'utf8')) as Report;
  const base = report.results[0]!;
  const nasty = 'bad \x1b[31mred\x1b[0m & <tag> "quoted" ]]> </failure> \u0000 nul';
  report.results.push(
    { ...base, id: 'a-fail', status: 'fail', reason: `expected clean, measured shadow: ${nasty}` },
    { ...base, id: 'an-error', status: 'error', reason: 'probe process killed by SIGSEGV', error: { kind: 'signal', signal: 'SIGSEGV', message: 'killed' }, stderrTail: nasty },
    { ...base, id: 'a-skip', status: 'skip', reason: 'unsupported: no Level Zero driver' },
    { ...base, id: 'an-xfail', status: 'xfail', xfail: 'https://github.com/intel/compute-runtime/issues/968', reason: 'known bug: shadow' },
    { ...base, id: 'an-xpass', status: 'xpass', xfail: 'https://github.com/intel/compute-runtime/issues/968', reason: 'expected to fail but passed: the bug may be fixed' },
    { ...base, id: 'a-warn', status: 'warn', reason: 'interval straddles the threshold' },
  );
  report.summary = summarize(report.results);
  return report;
}

describe('JUnit XML', () => {
  it('maps each status to what dashboards understand', () => {
    const xml = renderJunit([everyStatus()]);
    expect(xml).toMatch(/<testsuites name="xpudiag" tests="10" failures="1" errors="1"/);
    expect(xml).toMatch(/<testsuite name="controls" tests="10" failures="1" errors="1" skipped="2"/);
    expect(xml).toMatch(/<testcase name="negative-mmap-lazy" classname="controls\.alloc" time="\d+\.\d{3}"\/>/);
    expect(xml).toMatch(
      /<testcase name="a-fail"[^>]*>\n\s+<failure message="expected clean, measured shadow: bad \\x1b\[31mred\\x1b\[0m &amp; &lt;tag&gt; &quot;quoted&quot; \]\]&gt; &lt;\/failure&gt; \\x00 nul" type="fail">/,
    );
    expect(xml).toMatch(/<error message="probe process killed by SIGSEGV" type="signal">/);
    expect(xml).toMatch(/<skipped message="unsupported: no Level Zero driver"\/>/);
    expect(xml).toMatch(/<skipped message="xfail \(known bug https:\/\/github\.com\/intel\/compute-runtime\/issues\/968\): known bug: shadow"\/>/);
    expect(xml).toMatch(/<testcase name="an-xpass"[^>]*>\n\s+<system-out>xpass: expected to fail but passed: the bug may be fixed<\/system-out>/);
    expect(xml).toMatch(/<system-out>warning: interval straddles the threshold<\/system-out>/);
    expect(xml).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
  });

  it.skipIf(!hasXmllint)(`validates against the JUnit schema with xmllint (real run + every status, two suites)${unless}`, () => {
    const real = JSON.parse(readFileSync(join(root, 'fixtures', 'reports', 'controls-real.json'), 'utf8')) as Report;
    const v = validate(renderJunit([real, everyStatus()]));
    expect(v.ok, v.output).toBe(true);
    expect(v.output).toMatch(/validates/);
  });

  it.skipIf(!hasXmllint)(`the schema is enforced: a test case without a name is rejected${unless}`, () => {
    const bad = renderJunit([everyStatus()]).replace('<testcase name="a-skip"', '<testcase');
    const v = validate(bad);
    expect(v.ok).toBe(false);
    expect(v.output).toMatch(/name.*is required|fails to validate/);
  });
});
