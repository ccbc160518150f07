// A watched program that crashes, hangs, never marks a step, forks, or cannot start gives
// a typed result (error.kind workload, error.ended), and the run goes on; a program that
// holds what it marks reads as shadow, its children counted.
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCase } from '../../src/runner/run-case.js';
import type { ProbeCase } from '../../src/probes/types.js';
import { tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const dir = tempDir('xpudiag-workload-');
const HELPER = `import os, sys, time, signal
def xpudiag_step(label, nbytes=None):
    fd, ack = os.environ.get("XPUDIAG_STEP_FD"), os.environ.get("XPUDIAG_ACK_FD")
    if fd is None: return
    os.write(int(fd), f"XPUDIAG_STEP {label}{'' if nbytes is None else ' %d' % nbytes}\\n".encode())
    if ack: os.read(int(ack), 1)
def hold(steps, mib):
    held = []
    xpudiag_step("ready", 0)
    for i in range(1, steps + 1):
        b = bytearray(mib << 20)
        for j in range(0, len(b), 4096): b[j] = 1
        held.append(b)
        xpudiag_step(f"s{i}", (mib << 20) * i)
    return held
`;
function script(name: string, body: string): string {
  const f = join(dir, name);
  writeFileSync(f, HELPER + body);
  return f;
}
const wcase = (id: string, command: string[], params: Record<string, unknown> = {}, control?: 'positive'): ProbeCase => ({
  id,
  probe: 'workload',
  backend: 'host',
  timeoutMs: 60_000,
  ...(control ? { control } : {}),
  params: { command, baselineMs: 1500, settleMs: 1500, stableWindowMs: 300, markerTimeoutMs: 20_000, instrument: 'marker', ...params },
});
const run = (c: ProbeCase) => runCase(c, { guardBytes: 0, maxAttempts: 2 });

describe('workload outcomes', { retry: 1, timeout: 300_000 }, () => {
  it("a program that holds what it marks reads host/device near 1 from the markers' bytes", async () => {
    const r = await run(wcase('hold', ['python3', script('hold.py', 'hold(6, 32)\n')], {}, 'positive'));
    expect(r.status, r.reason).toBe('pass');
    expect(r.metrics.verdict).toBe('shadow');
    expect(r.metrics.hostPerDevice as number).toBeGreaterThan(0.9);
    expect(r.metrics.hostPerDevice as number).toBeLessThan(1.1);
    expect((r.metrics.workload as { xAxis: string }).xAxis).toBe('marker');
  });

  it('a program that crashes after its first step is error.ended crash with the signal', async () => {
    const r = await run(wcase('crash', ['python3', script('crash.py', 'xpudiag_step("ready", 0)\nxpudiag_step("s1", 1)\nos.kill(os.getpid(), signal.SIGSEGV)\n')]));
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ kind: 'workload', ended: 'crash', signal: 'SIGSEGV' });
  });

  it('a program that hangs before its next marker is error.ended hang, stopped at markerTimeoutMs', async () => {
    const t0 = Date.now();
    const r = await run(wcase('hang', ['python3', script('hang.py', 'xpudiag_step("ready", 0)\ntime.sleep(3600)\n')], { markerTimeoutMs: 1500 }));
    expect(r.error).toMatchObject({ kind: 'workload', ended: 'hang' });
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('a program that never marks a step is error.ended no-markers, saying how to mark', async () => {
    const r = await run(wcase('silent', ['python3', '-c', 'print("hello")']));
    expect(r.error).toMatchObject({ kind: 'workload', ended: 'no-markers' });
    expect(r.reason).toContain('XPUDIAG_STEP');
  });

  it("children count: a forked child that holds the memory reads as the program's, and is reported", async () => {
    const body = 'pid = os.fork()\nif pid == 0:\n    hold(6, 32)\n    os._exit(0)\nos.waitpid(pid, 0)\n';
    const r = await run(wcase('fork', ['python3', script('fork.py', body)], {}, 'positive'));
    expect(r.status, r.reason).toBe('pass');
    expect(r.metrics.hostPerDevice as number).toBeGreaterThan(0.9);
    expect((r.metrics.workload as { maxProcesses: number }).maxProcesses).toBeGreaterThanOrEqual(2);
  });

  it('a child left running when the program ends is counted and killed', async () => {
    const body = 'pid = os.fork()\nif pid == 0:\n    os.setsid()\n    time.sleep(3600)\n    os._exit(0)\nopen(sys.argv[1], "w").write(str(pid))\nheld = hold(4, 16)\n';
    const pidFile = join(dir, 'orphan.pid');
    const r = await run(wcase('orphan', ['python3', script('orphan.py', body), pidFile]));
    expect((r.metrics.workload as { leftChildren: number }).leftChildren).toBe(1);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((res) => setTimeout(res, 500));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it("a command gone by the time it runs is error.ended not-found; exit 77 is a skip with the program's reason", async () => {
    const gone = await run(wcase('gone', [join(dir, 'no-such-program')]));
    expect(gone.error).toMatchObject({ kind: 'workload', ended: 'not-found' });
    const skip = await run(wcase('skip', ['python3', '-c', 'import sys; print("skip: no GPU here", file=sys.stderr); sys.exit(77)']));
    expect(skip.status).toBe('skip');
    expect(skip.reason).toContain('no GPU here');
  });

  it('a suite whose program is not found or not executable exits 2 at validation, nothing run', () => {
    const noexec = join(dir, 'noexec.sh');
    writeFileSync(noexec, '#!/bin/sh\n');
    chmodSync(noexec, 0o644);
    for (const [cmd, want] of [
      [join(dir, 'missing'), 'does not exist'],
      [noexec, 'is not executable'],
      ['no-such-cmd-xpd', 'is not on PATH'],
    ] as const) {
      const f = writeSuite(dir, 'bad.yaml', `name: bad\ncases:\n  - id: w\n    probe: workload\n    backend: host\n    params: { command: [${JSON.stringify(cmd)}] }\n`);
      const r = xpudiag(['run', f, '--out', join(dir, 'out')]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(want);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('xpudiag watch: one program as a case, the suite it wrote repeats it (knobs of the shell in its env), and the ticket says how', () => {
    const out = join(dir, 'watch');
    const r = xpudiag(['watch', '--control', 'positive', '--instrument', 'marker', '--out', out, '--json', '--', 'python3', script('w.py', 'hold(6, 32)\n')], { ZE_AFFINITY_MASK: '0,1' }, 120_000);
    expect(r.code, r.stderr.slice(-1500)).toBe(0);
    const report = JSON.parse(r.stdout) as { suite: { file: string }; tool: { command?: string }; results: { id: string; status: string; metrics: { hostPerDevice?: number } }[] };
    expect(report.results[0]).toMatchObject({ id: 'watch', status: 'pass' });
    const suite = readFileSync(report.suite.file, 'utf8');
    expect(suite).toContain('probe: workload');
    expect(suite).toMatch(/ZE_AFFINITY_MASK: 0,1/);
    const reportFile = readdirSync(out).find((f) => f.startsWith('watch-') && f.endsWith('.json'))!;
    const t = xpudiag(['ticket', join(out, reportFile)]);
    expect(t.stdout).toContain(`xpudiag run ${report.suite.file}`);
    expect(t.stdout).toContain('- command: `python3 ');
  });

  it('the run goes on after a crashing workload', () => {
    const f = writeSuite(
      dir,
      'two.yaml',
      `name: two\ncases:\n  - id: crash\n    probe: workload\n    backend: host\n    params: { command: [python3, ${JSON.stringify(script('c2.py', 'os.kill(os.getpid(), signal.SIGKILL)\n'))}] }\n  - id: after\n    probe: alloc\n    backend: host\n    params: { variant: malloc, size: 1MiB, count: 2, baselineMs: 200, settleMs: 200 }\n`,
    );
    const r = xpudiag(['run', f, '--out', join(dir, 'out2'), '--json', '--allow-untrusted']);
    const report = JSON.parse(r.stdout) as { results: { id: string; status: string; error?: { ended?: string } }[] };
    expect(report.results.find((x) => x.id === 'crash')?.error?.ended).toBe('crash');
    expect(report.results.find((x) => x.id === 'after')?.status).not.toBe('error');
  });
});
