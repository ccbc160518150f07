// --json: stdout is exactly one JSON document, and progress still goes to stderr (the
// README says so; --json used to silence it, leaving a long run without a sign of life).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

describe('run --json', () => {
  it('one JSON document on stdout; the suite line, per-case progress and the report path on stderr', () => {
    const dir = tempDir();
    const suite = writeSuite(
      dir,
      's.yaml',
      `name: s
cases:
  - { id: a, probe: alloc, backend: host, params: { variant: mmap-lazy, size: 1MiB, count: 2, baselineMs: 0, settleMs: 0 } }
  - { id: b, probe: alloc, backend: host, params: { variant: mmap-lazy, size: 1MiB, count: 2, baselineMs: 0, settleMs: 0 } }
`,
    );
    // Verdicts do not matter here (1 MiB steps may read inconclusive: untrusted): the streams do.
    const r = xpudiag(['run', suite, '--out', join(dir, 'out'), '--json', '--allow-untrusted']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).results.map((x: { id: string }) => x.id)).toEqual(['a', 'b']);
    expect(r.stderr).toMatch(/^xpudiag: suite s \(2 cases\) from /m);
    expect(r.stderr).toMatch(/^[A-Z]+\s+\[1\/2\] a \(/m);
    expect(r.stderr).toMatch(/^[A-Z]+\s+\[2\/2\] b \(/m);
    expect(r.stderr).toMatch(/^report: .*\.json$/m);
  });

  it('allreduce --json: the backend line on stderr too', () => {
    const r = xpudiag(['allreduce', '--backend', 'host', '-b', '4K', '-e', '4K', '-n', '1', '-w', '0', '--out', tempDir(), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).results).toHaveLength(1);
    expect(r.stderr).toMatch(/^xpudiag allreduce: backend host \(named by --backend\)$/m);
    expect(r.stderr).toMatch(/\[1\/1\] allreduce/);
  });
});
