// The reports kept in the repository: bench/ (without bench/tmp, a benchmark's scratch
// folder that git ignores) and fixtures/reports/. Benchmark summaries (bench/shadowing-*,
// trends-*, slurm-*.json, an NVML cost line) are not reports; journals are not JSON documents.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './cli.js';

const SUMMARY = /^(shadowing|trends|slurm)-|^nvml-cost\.json$/;

function reportFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (p !== join(root, 'bench', 'tmp')) out.push(...reportFiles(p));
    } else if (name.endsWith('.json') && !SUMMARY.test(name)) out.push(p);
  }
  return out;
}

export function keptReports(): string[] {
  return [...reportFiles(join(root, 'bench')), ...reportFiles(join(root, 'fixtures', 'reports'))];
}
