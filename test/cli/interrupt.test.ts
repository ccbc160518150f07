// Interrupted runs lose nothing: a signal writes a partial report, a SIGKILL leaves a
// journal that `run --resume` finishes, and no probe child outlives its runner.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reportErrors } from '../../src/store/schema.js';
import { bin, reportIn, root, tempDir, writeSuite, xpudiag } from '../helpers/cli.js';

const SUITE = `name: interrupt
cases:
  - id: first
    probe: alloc
    backend: host
    params: { variant: mmap-lazy, size: 1MiB, count: 2, baselineMs: 0, settleMs: 0 }
  - id: stuck
    probe: alloc
    backend: host
    timeout: 8s
    params: { variant: fault-hang, size: 1MiB }
  - id: last
    probe: alloc
    backend: host
    params: { variant: mmap-lazy, size: 1MiB, count: 2, baselineMs: 0, settleMs: 0 }
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(f: () => T | undefined, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(100);
  }
}

function journalIn(dir: string): string | undefined {
  const f = existsSync(dir) ? readdirSync(dir).find((x) => x.endsWith('.journal.jsonl')) : undefined;
  return f ? join(dir, f) : undefined;
}

function journalResults(path: string): number {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"result"')).length;
}

/** Pids of probe children started for this output folder's run (their cmdline holds the case JSON). */
function probeChildren(marker: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return cmd.includes('child.js') && cmd.includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function startRun(args: string[]) {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('close', (code, signal) => r({ code, signal })));
  return { child, exited, stderr: () => stderr };
}

describe('interrupted runs', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    it(`${sig} stops the current case and writes a valid partial report marked interrupted (exit ${code})`, async () => {
      const dir = tempDir();
      const suite = writeSuite(dir, 'i.yaml', SUITE);
      const out = join(dir, 'out');
      const run = startRun(['run', suite, '--out', out]);
      const journal = await waitFor(() => journalIn(out));
      await waitFor(() => (journalResults(journal) >= 1 ? true : undefined));
      await sleep(500); // the stuck case is running now
      run.child.kill(sig);
      const { code: exit } = await run.exited;
      expect(exit, run.stderr()).toBe(code);
      const reportFile = readdirSync(out).find((f) => f.endsWith('.json'))!;
      const report = reportIn(out);
      expect(reportErrors(report)).toEqual([]);
      expect(report.interrupted).toBe(true);
      expect(report.results.map((r: { id: string }) => r.id)).toEqual(['first', 'stuck']);
      expect(report.results[1]!.error?.kind).toBe('interrupted');
      expect(report.notRun).toBe(1);
      if (sig !== 'SIGINT') return;
      // A Ctrl-C'd run is resumed like a killed one: the stopped case and the rest run.
      const again = xpudiag(['run', '--resume', journal]);
      expect(again.stderr).toMatch(/resuming .*\(interrupted\): 1 of 3 done/);
      const resumed = readdirSync(out)
        .filter((f) => f.endsWith('.json'))
        .sort();
      expect(resumed).toHaveLength(2);
      const final = JSON.parse(
        readFileSync(
          join(
            out,
            resumed.find((f) => f !== reportFile)!,
          ),
          'utf8',
        ),
      );
      expect(final.results.map((r: { id: string }) => r.id)).toEqual(['first', 'stuck', 'last']);
      expect(final.results[1].error.kind).toBe('timeout');
      expect(final.interrupted).toBeUndefined();
    }, 120_000);
  }

  it('after SIGKILL of the runner no child survives, and --resume finishes the run from the journal', async () => {
    const dir = tempDir();
    // The same cases, with the middle one slow (a long settle) instead of stuck, and the
    // last one deeper than the run's --level, which the resumed run must remember.
    const suite = writeSuite(
      dir,
      'k.yaml',
      SUITE.replace('{ variant: fault-hang, size: 1MiB }', '{ variant: mmap-lazy, size: 1MiB, count: 2, baselineMs: 1500, settleMs: 1500 }').replace(
        '  - id: last\n',
        '  - id: last\n    level: long\n',
      ),
    );
    const hangSuite = writeSuite(dir, 'h.yaml', SUITE.replace('name: interrupt', 'name: killed'));
    // 1. A runner killed while its child hangs in the driver: the child goes too.
    const hangOut = join(dir, 'hang-out');
    const hung = startRun(['run', hangSuite, '--out', hangOut]);
    const hj = await waitFor(() => journalIn(hangOut));
    await waitFor(() => (journalResults(hj) >= 1 ? true : undefined));
    const children = await waitFor(() => {
      const c = probeChildren('"stuck"');
      return c.length ? c : undefined;
    });
    hung.child.kill('SIGKILL');
    await hung.exited;
    await waitFor(() => (children.every((p) => !existsSync(`/proc/${p}`)) ? true : undefined), 5000);

    // 2. Resume a journal whose runner was killed after its first result.
    const out = join(dir, 'out');
    const run = startRun(['run', suite, '--out', out, '--level', 'medium']);
    const journal = await waitFor(() => journalIn(out));
    await waitFor(() => (journalResults(journal) >= 1 ? true : undefined));
    run.child.kill('SIGKILL');
    await run.exited;
    expect(readdirSync(out).some((f) => f.endsWith('.json'))).toBe(false);
    const before = journalResults(journal);
    const r = xpudiag(['run', '--resume', journal, '--json', '--allow-untrusted']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(reportErrors(report)).toEqual([]);
    expect(report.results.map((x: { id: string }) => x.id)).toEqual(['first', 'stuck', 'last']);
    expect(report.results.map((x: { status: string }) => x.status === 'skip')).toEqual([false, false, true]);
    expect(report.results[2].reason).toBe('level long: not run at --level medium (run with --level long)');
    expect(journalResults(journal)).toBe(3);
    expect(before).toBeGreaterThanOrEqual(1);
    // A finished run cannot be resumed twice.
    const again = xpudiag(['run', '--resume', journal]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already finished/);
  });
});
