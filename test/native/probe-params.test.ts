// A probe's parameters are declared twice, once per language: in src/probes/<name>/params.ts
// and in the X-macro of native/probes/<name>/binding.cc. They must name the same keys and,
// where both give one, the same default.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Addon } from '../../src/native/addon.js';
import { probeModules } from '../../src/probes/index.js';
import { root } from '../helpers/cli.js';

const addon = createRequire(import.meta.url)(join(root, 'build', 'Release', 'xpudiag.node')) as Addon;

describe('native probe parameters', () => {
  it('every probe has a native binding, and every binding a probe', () => {
    expect(Object.keys(addon.probeParams).sort()).toEqual(
      probeModules()
        .map((p) => p.name)
        .sort(),
    );
  });

  // A probe whose run is TypeScript says so (ProbeModule.nativeFunction: false): its binding is there, declaring no keys.
  for (const probe of probeModules().filter((p) => p.nativeFunction === false)) {
    it(`${probe.name}: no native probe function, so no parameter reaches native code and its binding declares none`, () => {
      expect(addon.probeParams[probe.name]).toEqual({});
      expect(
        Object.entries(probe.params)
          .filter(([, s]) => s.native !== false)
          .map(([k]) => k),
      ).toEqual([]);
      expect(probe.nativeOnlyKeys ?? []).toEqual([]);
    });
  }

  for (const probe of probeModules().filter((p) => p.nativeFunction !== false)) {
    it(`${probe.name}: the native keys are the parameters that reach it, and the keys its run sets`, () => {
      const native = addon.probeParams[probe.name]!;
      const fromParams = Object.entries(probe.params)
        .filter(([, s]) => s.native !== false)
        .map(([k, s]) => (typeof s.native === 'string' ? s.native : k));
      expect(Object.keys(native).sort()).toEqual([...fromParams, ...(probe.nativeOnlyKeys ?? [])].sort());
    });

    it(`${probe.name}: a default declared on both sides is the same`, () => {
      const native = addon.probeParams[probe.name]!;
      const both = Object.entries(probe.params).filter(([, s]) => s.native !== false && s.default !== undefined);
      expect(both.length).toBeGreaterThan(0);
      for (const [k, s] of both) expect(native[typeof s.native === 'string' ? s.native : k], `${probe.name}.${k}`).toEqual(s.default);
    });
  }
});

describe('native probe functions', () => {
  // Every probe function goes through probeCall (native/probes/binding.h): arguments of
  // the wrong kind are a typed usage error naming the function, not a crash of the child.
  for (const probe of probeModules().filter((p) => p.nativeFunction !== false)) {
    const fn = (addon as unknown as Record<string, (...a: unknown[]) => unknown>)[`${probe.name}Probe`]!;
    it(`${probe.name}Probe without a spec object and a callback: a usage error that names it`, () => {
      for (const args of [[], [{}], [1, () => {}], [{}, 'not a function']]) {
        let err: (Error & { kind?: string }) | undefined;
        try {
          fn(...args);
        } catch (e) {
          err = e as Error & { kind?: string };
        }
        expect(err?.kind, JSON.stringify(args)).toBe('usage');
        expect(err?.message).toBe(`${probe.name}Probe: expected (spec object, callback function)`);
      }
    });
  }
});
