// JUnit XML (the Ant/Jenkins dialect every CI dashboard reads): one <testsuite> per
// report, one <testcase> per result. xpudiag's extra statuses map onto what dashboards
// understand: a known bug (xfail) is skipped with its ticket, an unexpected pass (xpass)
// passes with a note that the bug may be fixed, a warning passes with a note.
import type { Report } from '../store/build.js';

/** Text that is valid XML 1.0 whatever the child process printed (ANSI escapes, NULs). */
export function xmlText(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

const attrs = (a: Record<string, string | number | undefined>) =>
  Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlText(String(v))}"`)
    .join('');

const seconds = (ms: number) => (ms / 1000).toFixed(3);

type Result = Report['results'][number];

function testcase(report: Report, r: Result): string {
  const head = `    <testcase${attrs({ name: r.id, classname: `${report.suite.name}.${r.probe}`, time: seconds(r.durationMs ?? 0) })}`;
  const body: string[] = [];
  const detail = [r.reason, r.error?.call ? `call: ${r.error.call}${r.error.codeName ? ` -> ${r.error.codeName}` : ''}` : '', r.stderrTail ? `stderr:\n${r.stderrTail}` : '']
    .filter(Boolean)
    .join('\n');
  switch (r.status) {
    case 'fail':
      body.push(`      <failure${attrs({ message: r.reason, type: 'fail' })}>${xmlText(detail)}</failure>`);
      break;
    case 'error':
      body.push(`      <error${attrs({ message: r.reason, type: r.error?.kind ?? 'error' })}>${xmlText(detail)}</error>`);
      break;
    case 'skip':
      body.push(`      <skipped${attrs({ message: r.reason })}/>`);
      break;
    case 'xfail':
      body.push(`      <skipped${attrs({ message: `xfail (known bug ${r.xfail ?? 'unnamed'}): ${r.reason}` })}/>`);
      break;
    case 'xpass':
      body.push(`      <system-out>${xmlText(`xpass: ${r.reason}`)}</system-out>`);
      break;
    case 'warn':
      body.push(`      <system-out>${xmlText(`warning: ${r.reason}`)}</system-out>`);
      break;
    default:
      break;
  }
  return body.length ? `${head}>\n${body.join('\n')}\n    </testcase>` : `${head}/>`;
}

function testsuite(report: Report, id: number): string {
  const s = report.summary;
  const ms = Date.parse(report.finishedAt) - Date.parse(report.startedAt);
  const props: Record<string, string> = {
    'xpudiag.version': report.tool.version,
    'suite.file': report.suite.file,
    'suite.sha256': report.suite.sha256,
    kernel: report.environment.kernel,
    os: report.environment.os,
    ...Object.fromEntries(Object.entries(report.environment.runtimes).map(([k, v]) => [`runtime.${k}`, v])),
    ...Object.fromEntries(Object.entries(report.environment.variables).map(([k, v]) => [`env.${k}`, v])),
    ...(report.trust ? { trusted: String(report.trust.trusted) } : {}),
  };
  const lines = [
    `  <testsuite${attrs({
      name: report.suite.name,
      tests: report.results.length,
      failures: s.fail,
      errors: s.error,
      skipped: s.skip + (s.xfail ?? 0),
      time: seconds(Number.isFinite(ms) && ms > 0 ? ms : 0),
      timestamp: report.startedAt.replace(/\.\d+Z$|Z$/, ''),
      hostname: report.environment.host || 'unknown',
      id,
      package: 'xpudiag',
    })}>`,
    '    <properties>',
    ...Object.entries(props).map(([k, v]) => `      <property${attrs({ name: k, value: v })}/>`),
    '    </properties>',
    ...report.results.map((r) => testcase(report, r)),
  ];
  if (report.trust && !report.trust.trusted) lines.push(`    <system-err>${xmlText(`controls failed, verdicts untrustworthy: ${report.trust.reasons.join('; ')}`)}</system-err>`);
  lines.push('  </testsuite>');
  return lines.join('\n');
}

export function renderJunit(reports: readonly Report[]): string {
  const total = (k: 'fail' | 'error') => reports.reduce((a, r) => a + r.summary[k], 0);
  const tests = reports.reduce((a, r) => a + r.results.length, 0);
  const time = reports.reduce((a, r) => a + Math.max(0, Date.parse(r.finishedAt) - Date.parse(r.startedAt) || 0), 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: 'xpudiag', tests, failures: total('fail'), errors: total('error'), time: seconds(time) })}>`,
    ...reports.map((r, i) => testsuite(r, i)),
    '</testsuites>',
    '',
  ].join('\n');
}
