import { expect } from 'vitest';
import { parseSuite, SuiteError, type Suite } from '../../src/suite/index.js';

/** Runs `fn`, which must throw a SuiteError, and returns it. */
export function suiteError(fn: () => unknown): SuiteError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a SuiteError to be thrown').toBeInstanceOf(SuiteError);
  const err = thrown as SuiteError;
  expect(err.issues.length).toBeGreaterThan(0);
  // Messages are for humans: never a stack trace.
  expect(err.message).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return err;
}

export const parse = (text: string): Suite => parseSuite(text, 'mem.yaml');
export const errorOf = (text: string): SuiteError => suiteError(() => parse(text));

/** 1-based line and column of the `nth` occurrence of `needle` in `text`. */
export function posOf(text: string, needle: string, nth = 0): { line: number; column: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${needle} not found`);
  }
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return { line, column: at - before.lastIndexOf('\n') };
}

/** A small valid suite with one alloc case; `params` is a flow mapping body, `extra` case lines. */
export function allocSuite(params = 'variant: malloc, size: 1MiB', extra = '', top = 'name: t\n'): string {
  return `${top}cases:
  - probe: alloc
    backend: host
${extra}    params: { ${params} }
`;
}
