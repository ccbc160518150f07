// The watched program's processes, its children included, and what they hold: the
// host readings count their memory as the case's own (not as other processes' memory
// that the correction adds back). Reads /proc; runs in the probe child.
import { readdirSync, readFileSync } from 'node:fs';

/** The pid and every descendant (children of every thread), by /proc/<pid>/task/<tid>/children. */
export function processTree(root: number): number[] {
  const out: number[] = [];
  const queue = [root];
  const seen = new Set<number>();
  while (queue.length) {
    const pid = queue.shift()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    out.push(pid);
    for (const tid of tasks) {
      try {
        for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/)) if (c) queue.push(Number(c));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return out;
}

export interface TreeMemory {
  vmRSS: number;
  rssAnon: number;
  rssShmem: number;
  vmPTE: number;
  processes: number;
}

const KEYS: Record<string, keyof Omit<TreeMemory, 'processes'>> = { VmRSS: 'vmRSS', RssAnon: 'rssAnon', RssShmem: 'rssShmem', VmPTE: 'vmPTE' };

/** /proc/<pid>/status memory fields (bytes) summed over the pids; a pid gone meanwhile counts nothing. */
export function treeMemory(pids: readonly number[]): TreeMemory {
  const sum: TreeMemory = { vmRSS: 0, rssAnon: 0, rssShmem: 0, vmPTE: 0, processes: 0 };
  for (const pid of pids) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue;
    }
    sum.processes++;
    for (const line of text.split('\n')) {
      const m = /^(VmRSS|RssAnon|RssShmem|VmPTE):\s+(\d+) kB/.exec(line);
      if (m) sum[KEYS[m[1]!]!] += Number(m[2]) * 1024;
    }
  }
  return sum;
}
