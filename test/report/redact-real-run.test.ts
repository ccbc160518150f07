// The promise of --redact, checked on real runs of this machine: none of its identifiers
// (host, user, home, MAC and IP addresses, machine and boot ids, UUIDs) survive in any
// output. The run is made to carry them: the suite lives under the home directory, and
// XPUDIAG_* variables (recorded in every report) hold the machine's own addresses.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, hostname, networkInterfaces, userInfo } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartLibrary } from '../../src/report/html.js';
import { reportErrors } from '../../src/store/schema.js';
import { root, writeSuite, xpudiag } from '../helpers/cli.js';
import { leaks, machineIdentifiers } from './identifiers.js';

const SUITE = `name: redaction
description: two host controls, small and quick
defaults: { size: 32MiB, count: 4, baselineMs: 800, settleMs: 800 }
cases:
  - id: negative
    probe: alloc
    backend: host
    control: negative
    expect: { verdict: clean }
    params: { variant: mmap-lazy }
  - id: positive
    probe: alloc
    backend: host
    control: positive
    expect: { verdict: shadow }
    params: { variant: mmap-populate }
`;

function machineValues(): Record<string, string> {
  const macs: string[] = [];
  const ips: string[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.mac && a.mac !== '00:00:00:00:00:00') macs.push(a.mac);
      if (!a.internal) ips.push(a.address);
    }
  }
  let boot = 'no boot id here';
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    /* not Linux */
  }
  return {
    XPUDIAG_TEST_WHERE: `${userInfo().username}@${hostname()}:${homedir()}/work`,
    XPUDIAG_TEST_ADDRESSES: [...macs, ...ips].join(' '),
    XPUDIAG_TEST_GPU: 'GPU-6f1c7a52-9d0e-4b43-a1f2-55c0de7b2a91',
    XPUDIAG_TEST_BOOT: `boot ${boot}`,
    XPUDIAG_TEST_SERIAL: 'SN-0xCAFE1234',
  };
}

const texts = new Map<string, string>();
let workDir = '';
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
const lib = chartLibrary();

function collect(dir: string, label: string): void {
  for (const f of readdirSync(dir)) {
    const text = readFileSync(join(dir, f), 'utf8');
    if (f.endsWith('.html')) {
      // The inlined chart library is the package's file byte for byte: no data of ours.
      expect(text.includes(lib.js)).toBe(true);
      texts.set(`${label}/${f}`, text.replace(lib.js, ''));
    } else {
      texts.set(`${label}/${f}`, text);
    }
  }
}

describe('--redact on a real run', () => {
  beforeAll(() => {
    // Under the home directory, so the home path is in the report (suite.file, command).
    workDir = mkdtempSync(join(homedir(), '.xpudiag-redact-test-'));
    const suite = writeSuite(workDir, 'redaction.yaml', SUITE);
    const env = machineValues();

    const redacted = join(workDir, 'redacted');
    const r1 = xpudiag(['run', suite, '--out', redacted, '--redact', '--junit', join(redacted, 'junit.xml'), '--html', join(redacted, 'run.html')], env);
    // Verdicts do not matter here (a busy machine may read a control as inconclusive: exit 4, untrusted); outputs do.
    expect([0, 1, 4], r1.stderr + r1.stdout).toContain(r1.code);
    texts.set('run stdout', r1.stdout);
    collect(redacted, 'run --redact');

    // A plain run, then a ticket redacted after the fact: the usual way to file a bug.
    const plain = join(workDir, 'plain');
    const r2 = xpudiag(['run', suite, '--out', plain], env);
    expect([0, 1, 4], r2.stderr + r2.stdout).toContain(r2.code);
    const report = readdirSync(plain).find((f) => f.endsWith('.json') && !f.includes('journal'))!;
    const ticketHtml = join(workDir, 'ticket.html');
    const attachDir = join(workDir, 'attach');
    const t = xpudiag(['ticket', join(plain, report), '--redact', '--html', ticketHtml, '--attach', attachDir], env);
    expect(t.code, t.stderr).toBe(0);
    for (const f of readdirSync(attachDir)) texts.set(`ticket --redact --attach (${f})`, gunzipSync(readFileSync(join(attachDir, f))).toString('utf8'));
    texts.set('ticket --redact (Markdown)', t.stdout);
    texts.set('ticket --redact stderr', t.stderr);
    texts.set('ticket --redact (HTML)', readFileSync(ticketHtml, 'utf8').replace(lib.js, ''));
    texts.set('plain report (control: must leak)', readFileSync(join(plain, report), 'utf8'));
  }, 240_000);

  afterAll(() => {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('the unredacted report does carry the identifiers (so the checks below can fail)', () => {
    const found = leaks(texts.get('plain report (control: must leak)')!, 'plain report');
    const whats = found.map((f) => f.split(" '")[0]);
    expect(whats).toContain('host name');
    expect(whats).toContain('home directory');
    expect(whats).toContain('a UUID');
  });

  it('no output of run --redact or ticket --redact holds any of them', () => {
    const ids = machineIdentifiers();
    const found: string[] = [];
    for (const [where, text] of texts) if (!where.startsWith('plain report')) found.push(...leaks(text, where, ids));
    expect(found).toEqual([]);
    expect([...texts.keys()].filter((k) => k.startsWith('run --redact/')).length).toBeGreaterThanOrEqual(4);
  });

  it('redacted outputs use stable placeholders and stay valid', () => {
    const json = [...texts.entries()].find(([k]) => k.startsWith('run --redact/') && k.endsWith('.json') && !k.includes('journal'))![1];
    const report = JSON.parse(json);
    expect(reportErrors(report)).toEqual([]);
    expect(report.environment.host).toMatch(/^<host(-\d+)?>$/);
    expect(report.suite.file).toMatch(/^\/home\/<user>\/\.xpudiag-redact-test-[^/]+\/redaction\.yaml$/);
    expect(report.environment.variables.XPUDIAG_TEST_GPU).toBe('GPU-<uuid-1>');
    expect(report.environment.variables.XPUDIAG_TEST_SERIAL).toBe('<serial-1>');
    // The same value is the same placeholder in the JSON, the journal and the ticket.
    const journal = [...texts.entries()].find(([k]) => k.endsWith('.journal.jsonl'))![1];
    expect(journal).toContain('"XPUDIAG_TEST_GPU":"GPU-<uuid-1>"');
    const md = texts.get('ticket --redact (Markdown)')!;
    expect(md).toContain('GPU-&lt;uuid-1');
    const attached = [...texts.entries()].find(([k]) => k.startsWith('ticket --redact --attach'))![1];
    expect(attached).toContain('"host": "<host>"');
    expect(attached).toContain('GPU-<uuid-1>');
  });

  it.skipIf(!hasXmllint)(`the JUnit of the real run validates against the JUnit schema${hasXmllint ? '' : ' [SKIPPED: xmllint is not installed (Debian package libxml2-utils)]'}`, () => {
    const r = spawnSync('xmllint', ['--noout', '--schema', join(root, 'fixtures', 'junit', 'junit.xsd'), join(workDir, 'redacted', 'junit.xml')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
