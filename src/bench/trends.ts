// `npm run bench:trends`: the figures of issue 19, measured, written as JSON.
//
//   npm run bench:trends -- [--out DIR] [--pool DIR] [pool] [fleet] [history] [store]
//   default: all four, results into bench/, the pool of runs into bench/tmp/trends-pool
//
// pool     real runs of bench/fleet-node.yaml on the simulated Level Zero driver through
//          the real loader: XPUDIAG_BENCH_CLEAN (96) runs of a good driver (profile clean,
//          build 1.6.34250+3) and XPUDIAG_BENCH_CHANGED (32) of a bad one (a host copy of
//          5% of each allocation, build 1.6.33578+15). Kept, and reused while big enough.
// fleet    20 fleets of 32 nodes drawn from the pool, 3 of them bad: does fleet name exactly
//          those 3 and the driver they share? 20 fleets of 32 good nodes: no outlier?
// history  20 histories of 40 builds, a bad driver from build 25: one change point at 25
//          (+-1)? 20 histories of 40 good builds: none?
// store    1,000 reports (40 hosts x 25 builds) added one by one: time per add, database
//          size, and the wall time of the history and fleet commands over it.
//
// Drawing from a pool of real runs is what makes 20 repeats affordable on a 2-core VM
// (a run takes about 5 s): every value is a real measurement, only its host name, build
// and start time are assigned when a fleet or a history is put together (stated in the
// JSON). Repeats share runs of the pool, so they are not independent draws of a machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hostEnvironment } from '../env/fingerprint.js';
import { packageRoot } from '../native/addon.js';
import type { Report } from '../store/build.js';
import { runSuite } from '../runner/run-suite.js';
import { Store } from '../store/store.js';
import { loadSuite } from '../suite/index.js';
import { analyzeFleet } from '../trends/fleet.js';
import { caseHistory } from '../trends/history.js';

const sim = join(packageRoot, 'build', 'Release', 'libze_sim.so');
const suiteFile = join(packageRoot, 'bench', 'fleet-node.yaml');
const cli = join(packageRoot, 'bin', 'xpudiag.js');
const CASE = 'ze-device';
const REPEATS = Number(process.env.XPUDIAG_BENCH_REPEATS ?? 20);
const POOL = { clean: Number(process.env.XPUDIAG_BENCH_CLEAN ?? 96), changed: Number(process.env.XPUDIAG_BENCH_CHANGED ?? 32) };
const GOOD = { profile: 'clean', driver: '1.6.34250+3' };
const BAD = { profile: 'shadow-all', ratio: '0.05', driver: '1.6.33578+15' };

const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
let poolDir = '';

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** k distinct items of xs, in random order. */
function draw<T>(xs: readonly T[], k: number, next: () => number): T[] {
  if (k > xs.length) throw new Error(`the pool has ${xs.length} runs, ${k} are needed: raise XPUDIAG_BENCH_CLEAN / XPUDIAG_BENCH_CHANGED`);
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, k);
}

function poolRuns(kind: 'clean' | 'changed'): Report[] {
  const dir = join(poolDir, kind);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.includes('journal'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Report);
}

async function pool() {
  const suite = loadSuite(suiteFile);
  const made: Record<string, number> = {};
  for (const kind of ['clean', 'changed'] as const) {
    const dir = join(poolDir, kind);
    mkdirSync(dir, { recursive: true });
    const have = poolRuns(kind).length;
    made[kind] = 0;
    for (let i = have; i < POOL[kind]; i++) {
      for (const k of Object.keys(process.env)) if (k.startsWith('XPUDIAG_ZESIM_')) delete process.env[k];
      const s = kind === 'clean' ? GOOD : BAD;
      Object.assign(process.env, {
        ZE_ENABLE_ALT_DRIVERS: sim,
        XPUDIAG_ZESIM_PROFILE: s.profile,
        XPUDIAG_ZESIM_DRIVER_VERSION: s.driver,
        ...('ratio' in s ? { XPUDIAG_ZESIM_RATIO: s.ratio } : {}),
      });
      const { report, journalPath } = await runSuite(suite, { outDir: dir });
      rmSync(journalPath, { force: true });
      made[kind]++;
      const r = report.results[0]!;
      log(`pool ${kind} ${i + 1}/${POOL[kind]}: ${r.status} ${String(r.metrics.verdict)} hostPerDevice ${Number(r.metrics.hostPerDevice).toFixed(4)}`);
    }
  }
  const values = (kind: 'clean' | 'changed') =>
    poolRuns(kind).map((r) => ({
      status: r.results[0]!.status,
      verdict: r.results[0]!.metrics.verdict,
      hostPerDevice: r.results[0]!.metrics.hostPerDevice,
      disturbed: r.results[0]!.metrics.disturbed ?? null,
    }));
  return { what: 'real runs of bench/fleet-node.yaml on the simulator', dir: poolDir, settings: { good: GOOD, bad: BAD }, made, clean: values('clean'), changed: values('changed') };
}

/** A pool run as node `host` at time `t`, on driver build `driver` (the simulator's own variable follows). */
function as(r: Report, host: string, t: number, driver?: string): Report {
  const c = structuredClone(r);
  c.environment.host = host;
  const d = new Date(Date.UTC(2026, 10, 1) + t * 3_600_000);
  c.startedAt = d.toISOString();
  c.finishedAt = new Date(d.getTime() + 5000).toISOString();
  if (driver) {
    c.environment.runtimes.levelZeroDriver = driver;
    const build = Number(driver.split(/[.+]/)[2]);
    c.environment.runtimes.levelZeroDriverVersion = `${0x01030000 + build} (0x${(0x01030000 + build).toString(16).padStart(8, '0')}, build ${build})`;
    c.environment.variables.XPUDIAG_ZESIM_DRIVER_VERSION = driver;
  }
  return c;
}

function fleet() {
  const clean = poolRuns('clean');
  const changed = poolRuns('changed');
  const host = (i: number) => `node-${String(i + 1).padStart(2, '0')}`;
  const withBad = [];
  const none = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    const next = rng(1000 + rep);
    const badAt = draw([...Array(32).keys()], 3, next).sort((a, b) => a - b);
    const good = draw(clean, 29, next);
    const bad = draw(changed, 3, next);
    const nodes = [...Array(32).keys()].map((i) => as(badAt.includes(i) ? bad[badAt.indexOf(i)]! : good.shift()!, host(i), rep));
    const f = analyzeFleet(nodes);
    const named = f.outliers.map((o) => o.host);
    const want = badAt.map(host);
    const driverShared = f.shared.find((s) => s.factor === 'runtimes.levelZeroDriver');
    withBad.push({
      bad: want,
      named,
      exact: JSON.stringify(named) === JSON.stringify(want),
      wrongNodesNamed: named.filter((h) => !want.includes(h)),
      notJudged: f.unjudged.map((u) => `${u.host}: ${u.what.join('; ')}`),
      driverNamed: driverShared ? `${driverShared.value} vs ${driverShared.others.map((o) => `${o.value} (${o.count})`).join(', ')}` : null,
      shared: f.shared.map((s) => s.factor),
    });
    const g = analyzeFleet(draw(clean, 32, next).map((r, i) => as(r, host(i), rep)));
    none.push({
      outliers: g.outliers.map((o) => `${o.host}: ${g.cases.flatMap((c) => c.metrics.flatMap((m) => m.outliers.filter((x) => x.host === o.host).map((x) => `${m.metric} ${x.why}`))).join('; ')}`),
    });
  }
  const exact = withBad.filter((x) => x.exact && x.driverNamed).length;
  const quiet = none.filter((x) => !x.outliers.length).length;
  return {
    what: `fleets of 32 nodes drawn from the pool: 3 on the bad driver (profile ${BAD.profile}, ratio ${BAD.ratio}, ${BAD.driver}) among 29 good ones, and 32 good ones`,
    repeats: REPEATS,
    exactlyTheThreeAndTheirDriver: exact,
    // A bad node whose run was disturbed is listed as not judged, never called either way.
    missedOnlyWhereNotJudged: withBad.filter((x) => !x.exact).every((x) => x.bad.filter((h) => !x.named.includes(h)).every((h) => x.notJudged.some((n) => n.startsWith(`${h}:`)))),
    wrongNodesNamed: withBad.reduce((a, x) => a + x.wrongNodesNamed.length, 0),
    noOutlierWhenNoneDiffer: quiet,
    target: { exactlyTheThreeAndTheirDriver: { lower: REPEATS }, noOutlierWhenNoneDiffer: { lower: REPEATS } },
    pass: exact === REPEATS && quiet === REPEATS,
    withBad,
    none,
  };
}

function history() {
  const clean = poolRuns('clean');
  const changed = poolRuns('changed');
  const build = (b: number) => `1.6.${34200 + b}+1`;
  const withChange = [];
  const without = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    const next = rng(2000 + rep);
    const before = draw(clean, 24, next);
    const after = draw(changed, 16, next);
    const series = [...before, ...after].map((r, i) => as(r, 'node-01', i, build(i + 1)));
    const h = caseHistory(CASE, series, { order: 'driver' });
    const m = h.hosts[0]!.metrics;
    const hpd = m.find((x) => x.metric === 'hostPerDevice')!;
    const at = hpd.changes.map((c) => c.index + 1);
    const factors = hpd.changes[0]?.factors.map((f) => `${f.label} ${f.before} -> ${f.after} (${f.beforeShare.join('/')} before, ${f.afterShare.join('/')} after)`) ?? [];
    withChange.push({
      changePointsAtBuild: at,
      outcome: hpd.changes.map((c) => c.outcome),
      found: at.length === 1 && Math.abs(at[0]! - 25) <= 1 && hpd.changes[0]!.outcome === 'regressed',
      otherMetrics: m.filter((x) => x !== hpd && x.changes.length).map((x) => `${x.metric} at ${x.changes.map((c) => c.index + 1).join(',')}`),
      factors,
    });
    const flat = draw(clean, 40, next).map((r, i) => as(r, 'node-01', i, build(i + 1)));
    const g = caseHistory(CASE, flat, { order: 'driver' });
    const cps = g.hosts[0]!.metrics.flatMap((x) => x.changes.map((c) => `${x.metric} at build ${c.index + 1} (${c.outcome}, p ${c.p.toPrecision(2)})`));
    without.push({ changePoints: cps });
  }
  const found = withChange.filter((x) => x.found).length;
  const quiet = without.filter((x) => !x.changePoints.length).length;
  return {
    what: 'histories of 40 builds ordered by driver build: good driver runs for builds 1-24, bad from 25; and 40 good builds',
    repeats: REPEATS,
    method: caseHistory(CASE, [], {}).method,
    changeFoundAt25PlusMinus1: found,
    noChangePointWithoutChange: quiet,
    target: { changeFoundAt25PlusMinus1: { lower: 19 }, noChangePointWithoutChange: { lower: 19 } },
    pass: found >= 19 && quiet >= 19,
    withChange,
    without,
  };
}

/** A command's wall time, process start included: the median of `times` runs (one run on a shared machine is mostly its neighbours). */
function timeCli(args: string[], times = 5): { seconds: number; runs: number[]; exit: number } {
  const runs: number[] = [];
  let exit = -1;
  for (let i = 0; i < times; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    runs.push(+((performance.now() - t0) / 1000).toFixed(3));
    exit = r.status ?? -1;
  }
  return { seconds: [...runs].sort((a, b) => a - b)[Math.floor(times / 2)]!, runs, exit };
}

/** The same work in this process (no Node start, modules loaded): the median of 5. */
function timeInProcess(f: () => unknown): number {
  const runs = Array.from({ length: 5 }, () => {
    const t0 = performance.now();
    f();
    return (performance.now() - t0) / 1000;
  }).sort((a, b) => a - b);
  return +runs[2]!.toFixed(3);
}

function store(outDir: string) {
  const clean = poolRuns('clean');
  const changed = poolRuns('changed');
  const dbPath = join(outDir, 'tmp', 'store-bench.db');
  mkdirSync(join(outDir, 'tmp'), { recursive: true });
  for (const s of ['', '-wal', '-shm']) rmSync(dbPath + s, { force: true });
  const s = Store.open(dbPath, { create: true });
  const addMs: number[] = [];
  const next = rng(3000);
  let rawBytes = 0;
  for (let b = 0; b < 25; b++) {
    for (let h = 0; h < 40; h++) {
      const src = h === 7 && b >= 15 ? changed[Math.floor(next() * changed.length)]! : clean[Math.floor(next() * clean.length)]!;
      const r = as(src, `node-${String(h + 1).padStart(2, '0')}`, b * 40 + h, `1.6.${34200 + b}+1`);
      const raw = Buffer.from(JSON.stringify(r, null, 2) + '\n');
      rawBytes += raw.length;
      const t0 = performance.now();
      s.add(raw, r);
      addMs.push(performance.now() - t0);
    }
  }
  s.close();
  const sorted = [...addMs].sort((a, b) => a - b);
  const q = (p: number) => +sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2);
  // One more report through the CLI, as `store add` does it (process start included).
  const extra = join(outDir, 'tmp', 'store-bench-extra.json');
  writeFileSync(extra, JSON.stringify(as(clean[0]!, 'node-41', 5000, '1.6.34225+1'), null, 2) + '\n');
  const addCli = timeCli(['store', 'add', '--store', dbPath, extra], 1);
  const load = loadavg().map((x) => +x.toFixed(2));
  // What every command pays before its own work: Node's start and xpudiag's modules.
  const help = timeCli(['--help']);
  const historyAll = timeCli(['history', '--store', dbPath, CASE, '--order', 'driver']);
  const historyOne = timeCli(['history', '--store', dbPath, CASE, 'hostPerDevice', '--host', 'node-08', '--order', 'driver']);
  const fleetCmd = timeCli(['fleet', '--store', dbPath]);
  const inProcess = {
    historyAllHosts: timeInProcess(() => {
      const st = Store.open(dbPath);
      caseHistory(CASE, st.reportsWithCase(CASE), { order: 'driver' });
      st.close();
    }),
    fleet: timeInProcess(() => {
      const st = Store.open(dbPath);
      analyzeFleet(st.latestPerHost());
      st.close();
    }),
  };
  const version = execFileSync(process.execPath, [cli, 'store', 'list', '--store', dbPath], { encoding: 'utf8' }).trim().split('\n').at(-1);
  return {
    what: '1,000 reports of bench/fleet-node.yaml (40 hosts x 25 builds, from the pool; node-08 on the bad driver from build 16) added one at a time, then one more by the CLI',
    reports: 1000,
    rawBytes,
    addMs: { median: q(0.5), p95: q(0.95), max: q(1), total: +addMs.reduce((a, b) => a + b, 0).toFixed(0) },
    addOneByCli: addCli,
    databaseBytes: statSync(dbPath).size + (existsSync(`${dbPath}-wal`) ? statSync(`${dbPath}-wal`).size : 0),
    loadAverage: load,
    commandSeconds: 'median of 5 runs, each a new process: Node start and module loading included',
    helpOnly: help,
    historyAllHosts: historyAll,
    historyOneHostOneMetric: historyOne,
    fleet: fleetCmd,
    inProcessSeconds: inProcess,
    listing: version,
    target: { historySeconds: { upper: 1 }, fleetSeconds: { upper: 1 } },
    pass: historyAll.seconds < 1 && historyOne.seconds < 1 && fleetCmd.seconds < 1,
  };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { out: { type: 'string' }, pool: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const benches = ['pool', 'fleet', 'history', 'store'];
  if (values.help) {
    process.stdout.write(
      `npm run bench:trends -- [--out DIR] [--pool DIR] [${benches.join('|')}...]\n  writes DIR/trends-<date>.json (default DIR: bench/); the pool of runs in DIR/tmp/trends-pool\n`,
    );
    return 0;
  }
  const names = positionals.length ? positionals : benches;
  const unknown = names.find((n) => !benches.includes(n));
  if (unknown) {
    process.stderr.write(`bench: unknown benchmark '${unknown}' (known: ${benches.join(', ')})\n`);
    return 2;
  }
  if (!existsSync(sim)) {
    process.stderr.write(`bench: ${sim} is missing: the simulator needs libze-dev at build time (apt-get install libze-dev, then npm run build)\n`);
    return 2;
  }
  const outDir = resolve(values.out ?? join(packageRoot, 'bench'));
  poolDir = resolve(values.pool ?? join(outDir, 'tmp', 'trends-pool'));
  const started = new Date().toISOString();
  const file = join(outDir, `trends-${started.replace(/[:.]/g, '-')}.json`);
  const env = await hostEnvironment();
  const results: Record<string, unknown> = {};
  for (const n of names) {
    log(`${n}...`);
    const t0 = performance.now();
    const r = n === 'pool' ? await pool() : n === 'fleet' ? fleet() : n === 'history' ? history() : store(outDir);
    results[n] = { ...r, wallSeconds: +((performance.now() - t0) / 1000).toFixed(1) };
    const doc = { date: started, command: `npm run bench:trends -- ${names.join(' ')}`, host: { cpu: env.cpu, memoryBytes: env.memoryBytes, kernel: env.kernel }, results };
    // After each benchmark: an interrupted bench keeps what it measured.
    writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  }
  process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(results).map(([k, v]) => [k, (v as { pass?: boolean }).pass ?? 'done'])), null, 2)}\nwritten: ${file}\n`);
  return 0;
}

process.exitCode = await main();
