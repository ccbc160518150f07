// What a ticket says of workload cases: the program, the knobs each case ran with, the
// driver builds (their fingerprints), the instruments that read device memory (and why
// the others could not), how the program ended, and the one command that repeats it.
import type { ProbeTicket } from '../types.js';

const tick = (s: string) => `\`${s.replace(/`/g, "'")}\``;

interface WorkloadMetrics {
  command?: string[];
  ended?: string;
  message?: string;
  xAxis?: string | null;
  instruments?: { instrument: string; ok: boolean; reason?: string; driver?: string }[];
  maxProcesses?: number;
  readingCostUs?: Record<string, number>;
}

export const workloadTicket: ProbeTicket = {
  summary(results) {
    const decided = results.filter((r) => !r.control && (r.metrics.verdict === 'shadow' || r.metrics.verdict === 'clean'));
    if (!results.length) return undefined;
    const shadows = decided.filter((r) => r.metrics.verdict === 'shadow').length;
    const errors = results.filter((r) => r.status === 'error').length;
    return `workload: ${shadows} of ${decided.length} decided cases shadow device memory in host memory${errors ? `, ${errors} ended without a verdict` : ''}`;
  },
  section(results, report) {
    if (!results.length) return [];
    const out = ['#### Workload', ''];
    const programs = [...new Set(results.map((r) => ((r.metrics.workload as WorkloadMetrics | undefined)?.command ?? (r.params.command as string[] | undefined) ?? []).join(' ')))];
    for (const p of programs) out.push(`- command: ${tick(p)}`);
    // Knobs: what every case shares, then what the matrix varied.
    const shared = new Map<string, string>();
    const first = results[0]!;
    for (const [k, v] of Object.entries(first.env ?? {})) if (results.every((r) => r.env?.[k] === v) && k !== 'ZE_ENABLE_ALT_DRIVERS' && k !== 'LD_LIBRARY_PATH') shared.set(k, v);
    out.push(`- knobs of every case: ${shared.size ? [...shared].map(([k, v]) => tick(`${k}=${v}`)).join(' ') : 'none beyond the environment table'}`);
    const factors = [...new Set(results.flatMap((r) => Object.keys(r.matrix ?? {})))];
    if (factors.length)
      out.push(`- factors: ${factors.map((f) => `${tick(f)} (${[...new Set(results.filter((r) => r.matrix && f in r.matrix).map((r) => String(r.matrix![f])))].map(tick).join(', ')})`).join('; ')}`);
    const drivers = new Map<string, { version?: string; sha256?: string; library: string }>();
    for (const r of results) if (r.driver) drivers.set(r.driver.written, r.driver);
    for (const [written, d] of drivers)
      out.push(`- driver build ${tick(written)}: ${d.version ? `version ${tick(d.version)}, ` : ''}${d.library}${d.sha256 ? `, sha256 ${tick(d.sha256.slice(0, 16))}` : ''}`);
    const inst = new Map<string, string>();
    for (const r of results) {
      const w = r.metrics.workload as WorkloadMetrics | undefined;
      for (const s of w?.instruments ?? []) if (!inst.has(s.instrument) || s.ok) inst.set(s.instrument, s.ok ? `read${s.driver ? ` (driver ${s.driver})` : ''}` : `unavailable: ${s.reason ?? ''}`);
    }
    const axes = [...new Set(results.map((r) => (r.metrics.workload as WorkloadMetrics | undefined)?.xAxis).filter(Boolean))];
    out.push(
      `- device memory (x axis): ${axes.length ? axes.map((a) => tick(String(a))).join(', ') : 'none'}${inst.size ? `; instruments: ${[...inst].map(([k, v]) => `${k} ${v}`).join('; ')}` : ''}`,
    );
    const ended = results.filter((r) => r.error?.kind === 'workload').map((r) => `${tick(r.id)} ${r.error!.ended ?? ''}`);
    if (ended.length) out.push(`- ended without a verdict: ${ended.join(', ')}`);
    out.push('', 'Repeat exactly (the suite holds the command, its knobs and driver builds):', '', '```sh', `xpudiag run ${report.suite.file}`, '```', '');
    return out;
  },
};
