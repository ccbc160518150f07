/** YAML-level problems: syntax errors, duplicate keys, tags, aliases, non-scalar keys. */
import { isAlias, isCollection, isScalar, visit, type Node as YamlNode, type YAMLError } from 'yaml';
import type { Checker } from './checker.js';
import { MAX_ALIASES } from './spec.js';
import { code } from './util.js';

function stripPosition(message: string): string {
  return message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

export function yamlIssue(ck: Checker, err: YAMLError): void {
  const offset = err.pos[0];
  let pos: { line?: number; column?: number } = err.linePos?.[0] ? { line: err.linePos[0].line, column: err.linePos[0].col } : offset >= 0 ? ck.position(offset) : {};
  // Errors found at the end of the input (an unclosed quote or bracket) point at a
  // blank line; point at the end of the last line with text instead.
  if (pos.line !== undefined) {
    const lines = ck.text.split(/\r?\n|\r/);
    let n = pos.line;
    while (n > 1 && (lines[n - 1] ?? '').trim() === '') n--;
    if (n !== pos.line) pos = { line: n, column: (lines[n - 1] ?? '').length + 1 };
  }
  const raw = stripPosition(err.message);
  let message = `YAML syntax error: ${raw}`;
  let hint: string | undefined = 'check the indentation, colons and quotes on this line and the one before it';
  if (/call stack/i.test(raw)) {
    message = 'the YAML is nested too deeply to be read';
    hint = 'flatten the structure; suites need only a few levels of nesting';
  }
  switch (err.code) {
    case 'DUPLICATE_KEY': {
      const dup = duplicateKeyAt(ck, offset);
      message = dup ? `duplicate key ${code(dup.name)}${dup.firstLine ? ` (it is already set at line ${dup.firstLine})` : ''}` : 'duplicate key in a mapping';
      hint = 'each key may appear only once in a mapping; remove one of them or merge their values';
      break;
    }
    case 'MULTIPLE_DOCS':
      message = 'the file holds more than one YAML document (a `---` line starts a second one)';
      hint = 'a suite is a single YAML document; put each suite in its own file';
      break;
    case 'TAB_AS_INDENT':
      message = 'tabs are not allowed as indentation in YAML';
      hint = 'indent with spaces';
      break;
    case 'TAG_RESOLVE_FAILED':
      message = `unsupported YAML tag: ${raw.replace(/^Unresolved tag:\s*/, '')}`;
      hint = 'remove the tag; suites use plain YAML values';
      break;
    case 'MISSING_CHAR':
      hint = /without - indicator/.test(raw)
        ? 'this line is indented differently from the other keys of the list item above it: give it the same indentation as they have'
        : 'a quote or bracket is not closed';
      break;
    case 'BLOCK_AS_IMPLICIT_KEY': {
      // YAML reports this where the value starts, on the line before the mistake: the
      // next line is indented further, so it reads both lines as one key. Point there.
      const over = overIndentedAfter(ck, pos.line);
      if (over) {
        pos = { line: over.line, column: over.indent + 1 };
        message = `YAML syntax error: ${code(over.key)} is indented further than ${code(over.prevKey)} on the line before it, so YAML reads it as part of that line's value`;
        hint = `start it at column ${over.prevIndent + 1}, as ${code(over.prevKey)}, or end the line before it with a key and ':' to nest it there`;
      }
      break;
    }
    default:
      break;
  }
  ck.add({ ...pos, message, ...(hint ? { hint } : {}) });
}

/** The line after `line` when it is indented further than `line`'s key: the line that is wrong. */
function overIndentedAfter(ck: Checker, line: number | undefined): { line: number; indent: number; key: string; prevKey: string; prevIndent: number } | undefined {
  if (line === undefined) return undefined;
  const lines = ck.text.split(/\r?\n|\r/);
  const prev = lines[line - 1] ?? '';
  const prevMatch = /^(\s*(?:-\s+)*)([^:#]+?)\s*:/.exec(prev);
  if (!prevMatch) return undefined;
  let n = line + 1;
  while (n <= lines.length && (lines[n - 1] ?? '').trim() === '') n++;
  const next = lines[n - 1] ?? '';
  const indent = next.length - next.trimStart().length;
  const prevIndent = prevMatch[1]!.length;
  if (indent <= prevIndent) return undefined;
  return { line: n, indent, key: next.trim().replace(/\s*:.*$/, ''), prevKey: prevMatch[2]!.trim(), prevIndent };
}

function duplicateKeyAt(ck: Checker, offset: number): { name: string; firstLine?: number } | undefined {
  let result: { name: string; firstLine?: number } | undefined;
  visit(ck.doc, {
    Map(_k, map) {
      for (const pair of map.items) {
        const key = pair.key as YamlNode | null;
        if (isScalar(key) && key.range?.[0] === offset) {
          const name = String(key.value);
          const first = map.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
          const firstStart = (first?.key as YamlNode | undefined)?.range?.[0];
          result = {
            name,
            ...(firstStart !== undefined && firstStart !== offset ? { firstLine: ck.position(firstStart).line } : {}),
          };
          return visit.BREAK;
        }
      }
      return undefined;
    },
  });
  return result;
}

/** Resolves aliases (document order), refusing unknown, circular and too many ones, and non-scalar keys. */
export function checkAliases(ck: Checker): void {
  const anchors = new Map<string, YamlNode>();
  let count = 0;
  visit(ck.doc, {
    Pair(_key, pair) {
      const key = pair.key as YamlNode | null;
      if (isCollection(key)) {
        ck.add({
          ...(key.range ? ck.position(key.range[0]) : {}),
          message: 'a key must be a plain name, not a list or a mapping',
          hint: 'write keys as plain words, e.g. `size: 1MiB`',
        });
      }
      return undefined;
    },
    Node(_key, node, ancestors) {
      if (isAlias(node)) {
        count++;
        const target = anchors.get(node.source);
        ck.aliasTargets.set(node, target);
        const at = node.range ? ck.position(node.range[0]) : {};
        if (!target) {
          ck.add({
            ...at,
            message: `alias ${code(`*${node.source}`)} refers to no anchor: ${code(`&${node.source}`)} is not defined before it`,
            hint: 'define the anchor (e.g. `base: &' + node.source + ' {...}`) above the alias, or fix its name',
          });
        } else if (ancestors.includes(target as never)) {
          ck.add({
            ...at,
            message: `alias ${code(`*${node.source}`)} is inside the node it refers to (a circular reference)`,
            hint: 'an alias cannot refer to a mapping or list that contains it',
          });
        } else if (count === MAX_ALIASES + 1) {
          ck.add({
            ...at,
            message: `the suite uses more than ${MAX_ALIASES} YAML aliases; refusing to expand them`,
            hint: 'write shared values under `defaults:` or use `matrix:` instead of many aliases',
          });
        }
        return undefined;
      }
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor) anchors.set(anchor, node);
      return undefined;
    },
  });
}
