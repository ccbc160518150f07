// Expectations conditioned on what a backend reports (`when: { facts.<name>: value }`):
// kept by the suite loader in order, chosen by the runner once the facts are known; and
// allocation verdicts a backend calls meaningless for shadowing turned into skips. Pure:
// no native code.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackendFacts } from '../../src/native/addon.js';
import { expectationFor, factValue } from '../../src/probes/facts.js';
import { qualifyByFacts } from '../../src/probes/index.js';
import type { ProbeCase } from '../../src/probes/types.js';
import { loadSuite } from '../../src/suite/index.js';
import { relevantVariables } from '../../src/env/variables.js';
import { root } from '../helpers/cli.js';
import { errorOf, parse } from '../suite/helpers.js';
import { backendOptions } from '../../src/probes/options.js';

const facts = (extra: Record<string, string>, runtimes: Record<string, string> = {}): BackendFacts => ({ backend: 'sycl', runtimes, extra, devices: [] });

const SUITE = `name: by-facts
cases:
  - id: a
    probe: alloc
    backend: sycl
    params: { variant: malloc_device, size: 2MiB }
    matrix: { contextDevices: [one, all] }
    expect:
      - when: { contextDevices: all, facts.peerResidency: peers }
        verdict: shadow
      - when: { facts.peerResidency: unknown }
      - verdict: clean
      - verdict: shadow
`;

describe('expect: entries on facts.<name>', () => {
  it('are kept in order, up to the first entry without a fact condition, which is the default', () => {
    const [one, all] = parse(SUITE).cases;
    // contextDevices=one: the first entry's parameter condition fails, so it is not kept.
    expect(one!.expectByFacts).toEqual([{ facts: { peerResidency: 'unknown' }, expect: {} }]);
    expect(one!.expect).toEqual({ verdict: 'clean' });
    expect(all!.expectByFacts).toEqual([
      { facts: { peerResidency: 'peers' }, expect: { verdict: 'shadow' } },
      { facts: { peerResidency: 'unknown' }, expect: {} },
    ]);
    expect(all!.expect).toEqual({ verdict: 'clean' });
  });

  it('a list without fact conditions works as before', () => {
    const c = parse(SUITE.replace(/facts\.peerResidency: peers/, 'touch: none').replace(/ *- when: \{ facts\.peerResidency: unknown \}\n/, '')).cases[1]!;
    expect(c.expectByFacts).toBeUndefined();
    expect(c.expect).toEqual({ verdict: 'shadow' });
  });

  it('the first whose facts all match applies, the default otherwise; the facts asked about are recorded', () => {
    const c = parse(SUITE).cases[1]! as ProbeCase;
    const pick = (x: BackendFacts | undefined) => expectationFor(c, x);
    expect(pick(facts({ peerResidency: 'peers' }))).toEqual({ c: { ...c, expect: { verdict: 'shadow' } }, expectFacts: { peerResidency: 'peers' } });
    expect(pick(facts({ peerResidency: 'unknown' })).c.expect).toEqual({});
    expect(pick(facts({ peerResidency: 'none' })).c.expect).toEqual({ verdict: 'clean' });
    // A backend that does not report the fact (a child that died before its facts): the default, and that is said.
    expect(pick(undefined)).toEqual({ c, expectFacts: { peerResidency: '(not reported)' } });
    // A case without fact conditions is untouched and records nothing.
    const plain = { ...c, expectByFacts: undefined };
    expect(expectationFor(plain, facts({ peerResidency: 'peers' }))).toEqual({ c: plain });
  });

  it('reads a fact from extra, else from runtimes', () => {
    expect(factValue(facts({ implementation: 'AdaptiveCpp' }, { implementation: 'x' }), 'implementation')).toBe('AdaptiveCpp');
    expect(factValue(facts({}, { sycl: 'AdaptiveCpp 24.06.0' }), 'sycl')).toBe('AdaptiveCpp 24.06.0');
    expect(factValue(facts({}), 'nothing')).toBeUndefined();
  });
});

describe('allocation verdicts a backend calls meaningless', () => {
  const alloc: ProbeCase = { id: 'a', probe: 'alloc', backend: 'sycl', params: {}, timeoutMs: 1000 };
  const cpu = facts({ shadowingVerdicts: 'meaningless: the device is the CPU, whose device memory is host memory' });
  const j = { status: 'fail' as const, reason: 'expected clean, measured shadow: ...', metrics: { verdict: 'shadow' } };

  it('are skips that keep what was measured', () => {
    expect(qualifyByFacts(alloc, cpu, j)).toEqual({
      status: 'skip',
      reason: 'meaningless: the device is the CPU, whose device memory is host memory (not a shadowing check; measured: expected clean, measured shadow: ...)',
      metrics: { verdict: 'shadow' },
    });
  });

  it('leave errors, other probes and meaningful verdicts alone', () => {
    const err = { ...j, status: 'error' as const };
    expect(qualifyByFacts(alloc, cpu, err)).toBe(err);
    expect(qualifyByFacts({ ...alloc, probe: 'allreduce' }, cpu, j)).toBe(j);
    expect(qualifyByFacts(alloc, facts({ shadowingVerdicts: 'meaningful' }), j)).toBe(j);
    expect(qualifyByFacts(alloc, undefined, j)).toBe(j);
  });
});

describe('the shipped shadowing suite', () => {
  const suite = loadSuite(join(root, 'suites', 'shadowing.yaml'));
  const sycl = suite.cases.filter((c) => c.backend === 'sycl');
  const chosen = (id: string, peerResidency: string) => expectationFor(sycl.find((c) => c.id === id)! as ProbeCase, facts({ peerResidency })).c.expect;

  it('expects a copy of SYCL device allocations only where the implementation makes them resident on peers', () => {
    const all = 'sycl-large[variant=malloc_device,contextDevices=all,touch=fill]';
    const one = 'sycl-large[variant=malloc_device,contextDevices=one,touch=fill]';
    expect(chosen(all, 'peers')).toEqual({ verdict: 'shadow' }); // DPC++'s Level Zero adapter by default
    expect(chosen(all, 'none')).toEqual({ verdict: 'clean' }); // AdaptiveCpp
    expect(chosen(all, 'owner')).toEqual({ verdict: 'clean' }); // UR_L0_USM_RESIDENT=0x1
    expect(chosen(all, 'unknown')).toEqual({}); // measured, no verdict expected
    expect(chosen(one, 'peers')).toEqual({ verdict: 'clean' });
  });

  it('judges shared allocations as ze-shared and host allocations as ze-host, whatever the implementation', () => {
    for (const c of sycl.filter((x) => x.params.variant === 'malloc_shared')) {
      expect(c.expectByFacts).toBeUndefined();
      expect(c.expect, c.id).toEqual({ verdict: c.params.touch === 'fill' ? 'shadow' : 'clean' });
    }
    const host = sycl.filter((x) => x.params.variant === 'malloc_host');
    expect(host).toHaveLength(4);
    for (const c of host) expect(c.expect, c.id).toEqual({ verdict: 'shadow' });
    expect(sycl).toHaveLength(28);
  });
});

describe('AdaptiveCpp variables', () => {
  it('are recorded with the others (ACPP_*, and the older HIPSYCL_* it still reads)', () => {
    const v = relevantVariables({ ACPP_VISIBILITY_MASK: 'omp', HIPSYCL_DEBUG_LEVEL: '2', ACPPX: '1', PATH: '/bin' });
    expect(v).toEqual({ ACPP_VISIBILITY_MASK: 'omp', HIPSYCL_DEBUG_LEVEL: '2' });
  });
});

describe('the CPU device as a suite parameter', () => {
  const suite = (value: string) => `name: cpu
cases:
  - id: ar
    probe: allreduce
    backend: sycl
    params: { algorithm: direct-f32, deviceType: ${value}, contextDevices: one }
`;
  it('deviceType reaches the sycl backend as an option, recorded with the case', () => {
    const c = parse(suite('cpu')).cases[0]!;
    expect(backendOptions('sycl', c.params)).toEqual({ contextDevices: 'one', deviceType: 'cpu' });
  });

  it('is checked when the suite is loaded', () => {
    expect(errorOf(suite('tpu')).message).toMatch(/deviceType/);
  });
});
