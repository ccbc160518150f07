/** The document being checked: its YAML nodes, positions and the issues found so far. */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Alias, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import type { SuiteIssue } from './errors.js';
import { isMergeKey, pointer, type Json, type Seg } from './util.js';

export class Checker {
  readonly issues: SuiteIssue[] = [];
  readonly lineCounter = new LineCounter();
  doc!: Document.Parsed;
  /** Each alias node and the node it refers to. */
  readonly aliasTargets = new Map<Alias, YamlNode | undefined>();
  root: Json = {};

  constructor(
    readonly file: string,
    readonly text: string,
  ) {}

  position(offset: number): { line: number; column: number } {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  private readonly seen = new Set<string>();

  add(issue: Omit<SuiteIssue, 'file'>): void {
    const key = `${issue.line ?? ''}:${issue.column ?? ''}:${issue.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.issues.push({ file: this.file, ...issue });
  }

  /** Adds an issue located at the YAML node of `segs` (or at its key, or the nearest ancestor found). */
  addAt(segs: readonly Seg[], message: string, hint?: string, opts: { atKey?: boolean } = {}): void {
    const loc = this.locate(segs);
    const pos = this.nodePosition(loc, opts.atKey ?? false);
    this.add({ ...pos, message, ...(hint ? { hint } : {}), path: pointer(segs) });
  }

  private deref(node: unknown): unknown {
    let n = node;
    for (let i = 0; i < 10 && isAlias(n); i++) n = this.aliasTargets.get(n);
    return n;
  }

  private findPair(map: YAMLMap, name: string, depth = 0): Pair | undefined {
    for (const pair of map.items) {
      if (isScalar(pair.key) && !isMergeKey(pair.key) && String(pair.key.value) === name) return pair;
    }
    if (depth > 5) return undefined;
    for (const pair of map.items) {
      if (!isMergeKey(pair.key)) continue;
      const src = this.deref(pair.value);
      const sources = isSeq(src) ? src.items.map((i) => this.deref(i)) : [src];
      for (const s of sources) {
        if (isMap(s)) {
          const found = this.findPair(s, name, depth + 1);
          if (found) return found;
        }
      }
    }
    return undefined;
  }

  /** The deepest node found along `segs`, with the key node of the last mapping step. */
  locate(segs: readonly Seg[]): { node: unknown; key?: unknown; complete: boolean } {
    let cur: unknown = this.doc.contents;
    let key: unknown;
    for (const seg of segs) {
      const here = this.deref(cur);
      if (isMap(here)) {
        const pair = this.findPair(here, String(seg));
        if (!pair) return { node: cur, key, complete: false };
        key = pair.key;
        cur = pair.value;
      } else if (isSeq(here)) {
        const item = here.items[Number(seg)];
        if (item === undefined) return { node: cur, key, complete: false };
        key = undefined;
        cur = item;
      } else {
        return { node: cur, key, complete: false };
      }
    }
    return { node: cur, key, complete: true };
  }

  private nodePosition(loc: { node: unknown; key?: unknown }, atKey: boolean): { line?: number; column?: number } {
    const rangeOf = (n: unknown): [number, number] | undefined => {
      const r = (n as { range?: [number, number, number] } | null | undefined)?.range;
      return r ? [r[0], r[1]] : undefined;
    };
    const keyRange = rangeOf(loc.key);
    const nodeRange = rangeOf(loc.node);
    const emptyNode = !nodeRange || (isScalar(loc.node) && loc.node.value === null && nodeRange[0] === nodeRange[1]);
    const r = (atKey || emptyNode) && keyRange ? keyRange : (nodeRange ?? keyRange);
    if (!r) {
      const c = rangeOf(this.doc.contents);
      return c ? this.position(c[0]) : {};
    }
    return this.position(r[0]);
  }

  lineOf(segs: readonly Seg[]): number | undefined {
    return this.nodePosition(this.locate(segs), false).line;
  }
}
