// The fleet's figures in the Prometheus text exposition format, for node_exporter's
// textfile collector (--collector.textfile.directory), the way DCGM's figures reach
// operators' dashboards. One gauge family per kind of figure, the node as the `host`
// label (written with replaceFile, so a scrape never reads half a file).
import type { Fleet } from './fleet.js';
import type { FleetReport } from './fleet.js';
import { readings } from './series.js';

const STATUSES = ['pass', 'fail', 'warn', 'skip', 'error', 'xfail', 'xpass'];

/** Label values: backslash, double quote and line feed escaped (exposition format). */
export function labelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${labelValue(v)}"`)
    .join(',')}}`;
}

function num(v: number): string {
  return Number.isFinite(v) ? String(v) : v > 0 ? '+Inf' : v < 0 ? '-Inf' : 'NaN';
}

export function prometheusText(fleet: Fleet, reports: readonly FleetReport[]): string {
  const latest = new Map(reports.map((r) => [r.environment.host, r]));
  const nodes = fleet.nodes.map((n) => latest.get(n.host)).filter((r): r is FleetReport => !!r);
  const out: string[] = [];
  const family = (name: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);

  family('xpudiag_report_start_time_seconds', "When the node's latest xpudiag report started (Unix time).");
  for (const r of nodes) out.push(`xpudiag_report_start_time_seconds${labels({ host: r.environment.host, suite: r.suite.name, version: r.tool.version })} ${Date.parse(r.startedAt) / 1000}`);

  family('xpudiag_case_status', 'The status of a case on the node: 1 for the status it has, 0 for the others.');
  for (const r of nodes) {
    for (const x of r.results) for (const s of STATUSES) out.push(`xpudiag_case_status${labels({ host: r.environment.host, suite: r.suite.name, case: x.id, status: s })} ${x.status === s ? 1 : 0}`);
  }

  family('xpudiag_case_value', 'A figure of a case that its probe judges (metric label; unit label where it has one); status and verdict read 1 for bad (fail, shadow).');
  for (const r of nodes) {
    for (const x of r.results) {
      for (const rd of readings(x)) {
        if (rd.value === null) continue;
        out.push(
          `xpudiag_case_value${labels({ host: r.environment.host, suite: r.suite.name, case: x.id, probe: x.probe, backend: x.backend, metric: rd.metric, ...(rd.rule.unit ? { unit: rd.rule.unit } : {}) })} ${num(rd.value)}`,
        );
      }
    }
  }

  family('xpudiag_fleet_outlier', 'Whether the node is an outlier of the fleet, worse than the others, in a case (median and MAD over the nodes).');
  for (const c of fleet.cases) {
    for (const r of nodes) {
      if (!r.results.some((x) => x.id === c.id)) continue;
      out.push(`xpudiag_fleet_outlier${labels({ host: r.environment.host, case: c.id })} ${c.outliers.includes(r.environment.host) ? 1 : 0}`);
    }
  }
  family('xpudiag_fleet_nodes', 'How many nodes the fleet analysis compared.');
  out.push(`xpudiag_fleet_nodes ${fleet.nodes.length}`);
  return out.join('\n') + '\n';
}
