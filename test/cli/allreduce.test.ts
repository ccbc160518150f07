// `xpudiag allreduce`: nccl-tests' flags in, a checked sweep and a report out, run
// through the same suite machinery (the suite it wrote is the record of what ran).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ncclTestsSize } from '../../src/cli/allreduce.js';
import { reportErrors } from '../../src/store/schema.js';
import { tempDir, xpudiag } from '../helpers/cli.js';

type Row = { bytes: number; algorithm: string; wrong: number | null; busbw: number; algbw: number };

describe('xpudiag allreduce', () => {
  it('reads K, M and G as nccl-tests does (powers of 1024), and the suite units as written', () => {
    expect(ncclTestsSize('-b', '8')).toBe(8);
    expect(ncclTestsSize('-b', '4K')).toBe(4096);
    expect(ncclTestsSize('-e', '128M')).toBe(128 * 2 ** 20);
    expect(ncclTestsSize('-e', '1g')).toBe(2 ** 30);
    expect(ncclTestsSize('-e', '100MB')).toBe(100e6);
    expect(() => ncclTestsSize('-b', '12Q')).toThrow(/-b "12Q": invalid size .* K, M and G work too/);
  });

  it('sweeps -b..-e by -f on the host backend, checks every row, and keeps the suite it ran beside the report', () => {
    const out = tempDir();
    const r = xpudiag(['allreduce', '--backend', 'host', '-b', '1K', '-e', '16K', '-f', '4', '-n', '2', '-w', '1', '-c', '1', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(reportErrors(report)).toEqual([]);
    expect(report.tool.command).toBe(`xpudiag allreduce --backend host -b 1K -e 16K -f 4 -n 2 -w 1 -c 1 --out ${out} --json`);
    const result = report.results[0];
    expect(result.status).toBe('pass');
    const rows = result.metrics.sizes as Row[];
    expect([...new Set(rows.map((x) => x.bytes))]).toEqual([1024, 4096, 16384]);
    expect([...new Set(rows.map((x) => x.algorithm))]).toEqual(['direct-f32', 'bf16-trunc', 'bf16-rne', 'auto', 'ring']);
    for (const x of rows) {
      expect(x.wrong, `${x.algorithm} at ${x.bytes}`).toBe(0);
      expect(x.busbw).toBeCloseTo(x.algbw, 10); // 2(n-1)/n = 1 at n = 2
    }
    // The suite it wrote validates on its own and reruns the same sweep.
    const suiteFile = readdirSync(out).find((f) => f.endsWith('.yaml'))!;
    expect(report.suite.file).toBe(join(out, suiteFile));
    const suite = parse(readFileSync(join(out, suiteFile), 'utf8'));
    expect(suite.cases[0].params).toMatchObject({ devices: 2, minBytes: 1024, maxBytes: 16384, factor: 4, iters: 2, warmup: 1, check: 1, input: 'exact' });
    expect(xpudiag(['validate', join(out, suiteFile)]).code).toBe(0);
  });

  it('prints the nccl-tests table; -g 3 sweeps the ring (the two-device paths need N = 2); without --backend it says which backend it took and why', () => {
    const out = tempDir();
    const r = xpudiag(['allreduce', '-g', '3', '-b', '4K', '-e', '4K', '-n', '1', '-w', '0', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    // No GPU backend has three devices on the machines CI runs on; where one does, it is named.
    expect(r.stderr).toMatch(/^xpudiag allreduce: backend (host \(3 simulated devices; no GPU backend with 3 devices: cuda .*, sycl .*\)|(cuda|sycl) \(\d+ \w+ devices\))$/m);
    expect(r.stdout).toMatch(/^#\s+size\s+count\s+type\s+redop\s+algorithm\s+path\s+time\s+algbw\s+busbw\s+#wrong\s+#disagree/m);
    expect(r.stdout).toMatch(/^\s+4096\s+1024\s+float\s+sum\s+ring\s/m);
    expect(r.stdout).toMatch(/^\s+4096\s+1024\s+float\s+sum\s+auto\s+ring\s/m);
    expect(r.stdout).toContain('# 3 devices, exact inputs');
  });

  it('bad flags: one clear line naming the flag, exit 2, nothing run', () => {
    const out = tempDir();
    const cases: [string[], RegExp][] = [
      [['-b', '1M', '-e', '1K'], /-b\/--minbytes \(1048576 B\) is larger than -e\/--maxbytes \(1024 B\): swap them/],
      [['-b', '12Q'], /-b\/--minbytes "12Q": invalid size/],
      [['-g', '1'], /-g\/--ngpus "1": expected a whole number of at least 2/],
      [['-f', '1'], /-f\/--stepfactor "1": expected a number above 1/],
      [['-n', 'ten'], /-n\/--iters "ten": expected a whole number of at least 1/],
      [['--compare', 'ring,nccl-f64'], /--compare "nccl-f64": expected one of direct-f32, .*nccl-bf16/],
      [['--backend', 'rocm'], /--backend "rocm": expected one of host, ze, cuda, sycl/],
      [['-z'], /unknown option '-z'/],
      [['suites/gpu.yaml'], /unexpected argument 'suites\/gpu.yaml': the sweep is set by flags/],
    ];
    for (const [flags, message] of cases) {
      const r = xpudiag(['allreduce', '--backend', 'host', '--out', out, ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr, flags.join(' ')).toMatch(message);
      expect(r.stderr, flags.join(' ')).not.toMatch(/\n\s+at /);
    }
    expect(readdirSync(out).filter((f) => f.endsWith('.json'))).toEqual([]);
  });
});
